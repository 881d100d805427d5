// Review for the front ends: accept or reject an interaction's current attempt (recorded in its run
// record, with who and when, and for an acceptance a hash of its folder), what the review says now (read
// against the folder: a change after acceptance makes it stale), and what the agent changed against the
// scaffold, for the review's diff. The editor and the CLI reach it through IntegrationBuilder.
import type { Orchestrator } from '../orchestrator';
import { baselineDirFor } from '../guard/manifest';
import { type ChangedFile, agentChanges } from '../review/changes';
import { currentReviewer, hashFolder, type Reviewer, reviewState, type ReviewState } from '../review/acceptance';
import type { RunRecord, RunReview } from '../runs/record';
import type { RunStore } from '../runs/store';
import type { InteractionModel } from '../spec/model';
import { installedNangoDevDependencies, scaffoldFiles } from '../workspace/scaffold';
import { interactionFolder } from '../workspace/paths';
import { runAsItStands, runByAnotherProcess } from './runView';
import * as path from 'node:path';

export { describeReviewer, describeReviewState, type ReviewState } from '../review/acceptance';
export type { ChangedFile } from '../review/changes';
export type { InteractionModel } from '../spec/model';

/** The review cannot be recorded: an interaction that never ran, still runs, or whose folder or record is gone (bad input). */
export class ReviewRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReviewRefused';
  }
}

export interface ReviewContext {
  readonly workRoot: string;
  readonly runs: RunStore;
  readonly orchestrator?: Orchestrator;
}

export interface DecideOptions {
  /** Who decides (default: git's user.name/email in the work root, else the OS user). */
  readonly by?: Reviewer;
  readonly now?: () => Date;
  /** reject: why. */
  readonly reason?: string;
}

/** The run a review is about: the service's live record, else the one on disk (as it stands). */
async function reviewedRun(c: ReviewContext, key: string): Promise<RunRecord> {
  const live = c.orchestrator?.get(key);
  if (live) {
    if (c.orchestrator?.activeKeys().includes(key)) throw new ReviewRefused(`${key} is still ${live.status}: review it when its agent has finished`);
    return live;
  }
  const { records, problems } = await c.runs.loadAllChecked();
  const bad = problems.find((p) => p.key === key);
  if (bad) throw new ReviewRefused(`the run record of ${key} cannot be read (${bad.file}: ${bad.message})`);
  const stored = records.find((r) => r.key === key);
  if (!stored) throw new ReviewRefused(`${key} has not run: there is nothing to review (generate it first)`);
  if (runByAnotherProcess(stored))
    throw new ReviewRefused(`${key} is being run by process ${stored.owner?.pid} on this machine: review it when it has finished`);
  const run = runAsItStands(stored);
  if (run.status === 'queued' || run.status === 'running') throw new ReviewRefused(`${key} is still ${run.status}: review it when its agent has finished`);
  return run;
}

/** The folder a review hashes: always the interaction's own under the work root (as Assemble takes it). */
function folderOf(c: ReviewContext, run: Pick<RunRecord, 'integrationId' | 'interactionId'>): string {
  return interactionFolder(c.workRoot, run.integrationId, run.interactionId);
}

/**
 * Accepts or rejects the current attempt of `key`, and saves it in its run record (through the running
 * service's record when it has one, so its next save keeps it). Returns the review and its state now.
 */
export async function decide(
  c: ReviewContext,
  key: string,
  decision: RunReview['decision'],
  o: DecideOptions = {},
): Promise<{ run: RunRecord; review: RunReview; state: ReviewState }> {
  const run = await reviewedRun(c, key);
  const folder = folderOf(c, run);
  let hash: { sha256: string; files: number } | undefined;
  if (decision === 'accepted') {
    hash = await hashFolder(folder);
    if (!hash) throw new ReviewRefused(`${key}: its interaction folder ${folder} is not there; there is nothing to accept`);
  }
  const reason = o.reason?.trim();
  const review: RunReview = {
    decision,
    by: o.by ?? (await currentReviewer(c.workRoot)),
    at: (o.now?.() ?? new Date()).toISOString(),
    attempt: run.attempt,
    ...(hash ? { folderSha256: hash.sha256, files: hash.files } : {}),
    ...(decision === 'rejected' && reason ? { reason } : {}),
  };
  run.review = review;
  await c.runs.save(run);
  return { run, review, state: await reviewState(run, folder) };
}

/** What the review of `run`'s current attempt says now, checked against its folder. */
export function reviewStateOf(c: ReviewContext, run: RunRecord): Promise<ReviewState> {
  return reviewState(run, folderOf(c, run));
}

/** What the agent changed in its folder against the scaffold and the sealed baseline's copies. */
export async function changesOf(c: ReviewContext, interaction: InteractionModel): Promise<{ folder: string; changes: ChangedFile[] }> {
  const folder = interactionFolder(c.workRoot, interaction.integrationId, interaction.id);
  const scaffold = scaffoldFiles(interaction, installedNangoDevDependencies(path.dirname(folder)));
  const changes = await agentChanges(folder, scaffold, baselineDirFor(c.runs.fileOf(interaction.key)));
  return { folder, changes };
}
