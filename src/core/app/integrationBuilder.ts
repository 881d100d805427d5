// The application service: what Integration Builder does for a work root, once, for both front ends.
// The editor (src/extension/agentService.ts) and the CLI (src/cli/main.ts) each build one
// IntegrationBuilder per work root and call it; they keep only what is theirs (dialogs, progress,
// notifications; flags, live lines, exit codes). It holds the one RunStore of the work root (the
// repository of run records, transcripts and reports), so every view reads what the runs write and a
// flush flushes the queue the runs wrote to.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { applyAssembly, planAssembly, type ApplyOptions, type AssemblyCandidate, type AssemblyPlan, type AssemblyReport } from '../assemble';
import type { Orchestrator, OrchestratorTotals, RunTarget } from '../orchestrator';
import { totalSpent } from '../runs/totals';
import { describeRun, markInterrupted, type RunRecord, type RunVerification } from '../runs/record';
import type { InteractionStatus } from '../runs/status';
import { RunStore, runKeyParts, type RunRecordProblem } from '../runs/store';
import { type RenderedTranscript, renderTranscriptWithLines } from '../runs/transcript';
import { type AgentStack, type AgentStackOptions, createAgentStack, savingVerifier } from '../session/stack';
import { loadReport } from '../verify';
import type { Finding, VerifyListeners, VerifyReport } from '../verify/types';
import { interactionFolder } from '../workspace/paths';
import { changesOf, type ChangedFile, decide, type DecideOptions, describeReviewer, describeReviewState, reviewStateOf, type ReviewState } from './review';
import { runAsItStands, runByAnotherProcess } from './runView';
import type { InteractionModel } from '../spec/model';
import { type SpecInteraction, verifyFromDisk, type VerifyFromDiskResult } from './verifyFromDisk';

/** An integration as Assemble needs it from the spec: its id and its interactions' keys and kinds. */
export interface SpecIntegration {
  readonly id: string;
  readonly interactions: readonly { readonly key: string; readonly id: string; readonly kind: 'action' | 'sync' }[];
}

/** One interaction's line in `status`: what its record says, or that the record cannot be read (never "not started"). */
export interface StatusRow {
  readonly key: string;
  readonly status: InteractionStatus | 'unreadable';
  readonly attempt: number;
  readonly costUsd: number;
  readonly detail: string;
  readonly sandbox?: string;
  /** The record's file, when it cannot be read. */
  readonly file?: string;
  readonly verification?: RunVerification;
  /** Accepted now (a review whose folder has not changed since, of the current attempt). */
  readonly accepted?: boolean;
  /** The review in one line: accepted by whom and when, stale and why, rejected, or not reviewed. */
  readonly review?: string;
}

/** A run found on disk at start-up, as the front end is to show it. */
export interface RestoredRun {
  readonly run: RunRecord;
  /** Another live process on this machine runs it (a CLI, another window): shown, not touched. */
  readonly elsewhere: boolean;
}

export interface RestoredWorkRoot {
  readonly runs: readonly RestoredRun[];
  /** Records that cannot be read: their runs are unknown (never "not started"). */
  readonly problems: readonly RunRecordProblem[];
  /** The latest verification of each run's current attempt. */
  readonly reports: readonly VerifyReport[];
  /** A run on a remote server is still going: starting the service re-attaches it. */
  readonly remoteRunning: boolean;
}

/** The problem with a run record that concerns `key`: its own file, its integration's folder, or `.runs/` itself. */
export function recordProblemFor(runs: RunStore, problems: readonly RunRecordProblem[], key: string): RunRecordProblem | undefined {
  const integration = key.split('/')[0] as string;
  return (
    problems.find((p) => p.key === key) ?? problems.find((p) => p.key === undefined && (p.file === runs.dir || p.file === path.join(runs.dir, integration)))
  );
}

export class IntegrationBuilder {
  /** The one repository of this work root's run records, transcripts and reports. */
  readonly runs: RunStore;
  private stack: AgentStack | undefined;

  constructor(readonly workRoot: string) {
    this.runs = new RunStore(workRoot);
  }

  /** The running service's orchestrator, once `start` has built it. */
  get orchestrator(): Orchestrator | undefined {
    return this.stack?.orchestrator;
  }

  /** The agent stack (server connection, tools, guard, orchestrator), once started. */
  get agents(): AgentStack | undefined {
    return this.stack;
  }

  /** Builds the agent stack over this work root's store. A second call returns the running one. */
  async start(options: Omit<AgentStackOptions, 'workRoot' | 'runs'>): Promise<AgentStack> {
    if (this.stack) return this.stack;
    this.stack = await createAgentStack({ ...options, workRoot: this.workRoot, runs: this.runs });
    return this.stack;
  }

  /**
   * Stops the service and what its stack started (server, tools, guard), and flushes the records. With
   * `detail`, runs still going end first, `interrupted` with that detail, their records written. Safe
   * without a service.
   */
  async close(detail?: string): Promise<void> {
    const stack = this.stack;
    if (!stack) return;
    this.stack = undefined;
    try {
      if (detail) {
        await stack.orchestrator.stopAll(detail, 'interrupted');
        await stack.orchestrator.whenIdle();
      }
    } finally {
      await stack.close();
      await this.runs.flush();
    }
  }

  /** The record of a run: the live one while the service runs it, else the one on disk (undefined when there is none). */
  async record(key: string): Promise<RunRecord | undefined> {
    return this.orchestrator?.get(key) ?? (await this.runs.loadAll()).find((r) => r.key === key);
  }

  /**
   * The status of these interactions from their records (a run left going by a process that is gone is
   * interrupted), and the problems of records of other interactions (said, not hidden).
   */
  async status(keys: readonly string[]): Promise<{ rows: StatusRow[]; otherProblems: RunRecordProblem[] }> {
    const { records, problems } = await this.runs.loadAllChecked();
    const reviews = new Map<string, ReviewState>();
    for (const key of keys) {
      const found = this.orchestrator?.get(key) ?? records.find((x) => x.key === key);
      if (found) reviews.set(key, await reviewStateOf(this, found));
    }
    const rows = keys.map((key): StatusRow => {
      const bad = recordProblemFor(this.runs, problems, key);
      if (bad) return { key, status: 'unreadable', attempt: 0, costUsd: 0, detail: `run record ${bad.file}: ${bad.message}`, file: bad.file };
      const found = this.orchestrator?.get(key) ?? records.find((x) => x.key === key);
      const r = found && runAsItStands(found);
      const review = r ? reviews.get(key) : undefined;
      return {
        key,
        status: r?.status ?? 'not-started',
        attempt: r?.attempt ?? 0,
        costUsd: r?.costUsd ?? 0,
        detail: (r && describeRun(r)) ?? '',
        sandbox: r?.sandbox,
        ...(r?.verification ? { verification: r.verification } : {}),
        ...(review ? { accepted: review.state === 'accepted', review: describeReviewState(review) } : {}),
      };
    });
    return { rows, otherProblems: problems.filter((p) => !keys.some((k) => recordProblemFor(this.runs, [p], k))) };
  }

  /**
   * At start-up, the runs of earlier sessions from disk: a run another live process runs is left to it;
   * one left going on our own server by a front end that is gone is marked interrupted (and saved); one
   * on a remote server is reported so the front end can re-attach it by starting the service.
   */
  async restoreFromDisk(closed = 'the window closed'): Promise<RestoredWorkRoot> {
    const { records, problems } = await this.runs.loadAllChecked();
    const runs: RestoredRun[] = [];
    let remoteRunning = false;
    for (const run of records) {
      if (runByAnotherProcess(run)) {
        runs.push({ run, elsewhere: true });
        continue;
      }
      if ((run.status === 'running' || run.status === 'queued') && run.serverOwned !== false) {
        markInterrupted(run, new Date().toISOString(), closed);
        await this.runs.save(run);
      } else if (run.status === 'running') {
        remoteRunning = true;
      }
      runs.push({ run, elsewhere: false });
    }
    const reports = (await Promise.all(records.map((r) => loadReport(this.runs.fileOf(r.key))))).filter(
      (r): r is VerifyReport => !!r && records.some((x) => x.key === r.key && x.attempt === r.attempt),
    );
    return { runs, problems, reports, remoteRunning };
  }

  /**
   * Before new runs replace them: the records of these interactions that cannot be read are evidence,
   * moved aside (never overwritten). Returns one line per record moved, saying where it went.
   */
  async setAsideUnreadable(keys: readonly string[]): Promise<string[]> {
    const { problems } = await this.runs.loadAllChecked();
    const said: string[] = [];
    for (const key of keys) {
      const bad = problems.find((p) => p.key === key);
      if (!bad) continue;
      const aside = `${bad.file}.unreadable-${Date.now()}`;
      await fs.rename(bad.file, aside);
      said.push(`the run record of ${key} cannot be used (${bad.message}); kept as ${aside}, and the run starts anew`);
    }
    return said;
  }

  /**
   * Verifies interactions (default: every one that ran). With the service running, through it (the
   * verdicts reach its views); without one, from the records on disk — no model and no agent server.
   */
  async verify(
    keys: readonly string[] | undefined,
    o: VerifyListeners & {
      readonly spec: ReadonlyMap<string, SpecInteraction>;
      readonly verifyConcurrency: number;
      readonly includeNotRun?: boolean;
      readonly signal?: AbortSignal;
    },
  ): Promise<VerifyFromDiskResult> {
    const orchestrator = this.orchestrator;
    if (orchestrator) {
      const reports = await orchestrator.verify(keys, o);
      return { reports, unverifiable: [], updated: [] };
    }
    return verifyFromDisk({
      workRoot: this.workRoot,
      runs: this.runs,
      verifier: savingVerifier(this.runs, o.verifyConcurrency),
      keys,
      spec: o.spec,
      includeNotRun: o.includeNotRun,
      onProgress: o.onProgress,
      onReport: o.onReport,
      signal: o.signal,
    });
  }

  /**
   * What Assemble may take of an integration: each interaction whose run has finished, with the verdict
   * of its latest verification of that attempt. A record that cannot be read is left out and said so.
   * The folder is always the interaction's own under this work root (a record cannot point Assemble elsewhere).
   */
  async assemblyCandidates(integration: SpecIntegration): Promise<{ candidates: AssemblyCandidate[]; leftOut: { key: string; message: string }[] }> {
    const { records, problems } = await this.runs.loadAllChecked();
    const candidates: AssemblyCandidate[] = [];
    const leftOut: { key: string; message: string }[] = [];
    for (const it of integration.interactions) {
      const bad = recordProblemFor(this.runs, problems, it.key);
      if (bad) {
        leftOut.push({ key: it.key, message: `its run record ${bad.file} cannot be used: ${bad.message}` });
        continue;
      }
      const stored = this.orchestrator?.get(it.key) ?? records.find((r) => r.key === it.key);
      const run = stored && runAsItStands(stored);
      if (!run || run.status === 'running' || run.status === 'queued') continue;
      const report = await loadReport(this.runs.fileOf(run.key));
      const verdict = report && report.attempt === run.attempt ? report.verdict : run.status === 'verified' ? 'verified' : undefined;
      const review = await reviewStateOf(this, run);
      candidates.push({
        key: run.key,
        integrationId: integration.id,
        interactionId: it.id,
        kind: it.kind,
        folder: interactionFolder(this.workRoot, integration.id, it.id),
        attempt: run.attempt,
        verdict,
        ...(run.feedback?.length ? { turn: run.feedback[run.feedback.length - 1]!.turn } : {}),
        costUsd: run.costUsd,
        acceptance:
          review.state === 'accepted'
            ? { accepted: true, by: describeReviewer(review.review.by), at: review.review.at }
            : { accepted: false, reason: describeReviewState(review) },
      });
    }
    return { candidates, leftOut };
  }

  /**
   * Accepts the current attempt of `key`: who and when, and a hash of its folder, in its run record.
   * Refused (ReviewRefused) for an interaction that never ran, still runs, or has no folder.
   */
  accept(key: string, o: DecideOptions = {}): ReturnType<typeof decide> {
    return decide(this, key, 'accepted', o);
  }

  /** Rejects the current attempt of `key` (with a reason, when given): it is not accepted, and Assemble leaves it out. */
  reject(key: string, o: DecideOptions = {}): ReturnType<typeof decide> {
    return decide(this, key, 'rejected', o);
  }

  /** What the review of `key`'s current attempt says now (undefined: it never ran). */
  async review(key: string): Promise<ReviewState | undefined> {
    const run = await this.record(key);
    return run && reviewStateOf(this, run);
  }

  /** What the reviews of these interactions say now (records read once); an interaction that never ran has none. */
  async reviews(keys: readonly string[]): Promise<Map<string, ReviewState>> {
    const records = this.orchestrator && keys.every((k) => this.orchestrator?.get(k)) ? [] : await this.runs.loadAll();
    const out = new Map<string, ReviewState>();
    for (const key of keys) {
      const run = this.orchestrator?.get(key) ?? records.find((r) => r.key === key);
      if (run) out.set(key, await reviewStateOf(this, run));
    }
    return out;
  }

  /** What the agent changed in the interaction's folder against the scaffold it was given (the review's diff). */
  reviewChanges(interaction: InteractionModel): Promise<{ folder: string; changes: ChangedFile[] }> {
    return changesOf(this, interaction);
  }

  /** The folder of an interaction by its key: always the work root's own (a record cannot name another). */
  folderOf(key: string): string {
    const [integrationId, interactionId] = runKeyParts(key);
    return interactionFolder(this.workRoot, integrationId, interactionId);
  }

  /** The running service's orchestrator; generating, stopping and restarting need one (the front end starts it). */
  private running(): Orchestrator {
    const o = this.orchestrator;
    if (!o) throw new Error('the agent service has not started: start it before running agents');
    return o;
  }

  /** Queues runs of these interactions; returns the keys queued (ones already queued or running are left alone). */
  generate(targets: readonly RunTarget[]): string[] {
    return this.running().generate(targets);
  }

  /** Stops these runs (default: every queued or running one) and resolves when they have ended. Without a service nothing runs. */
  async stop(keys?: readonly string[], detail?: string): Promise<void> {
    const o = this.orchestrator;
    if (!o) return;
    if (keys) await Promise.all(keys.map((k) => o.stop(k, detail)));
    else await o.stopAll(detail);
  }

  /** Deletes the interaction's folder and session and starts it anew: a new attempt, told what Verify found in the last. */
  restart(target: RunTarget): Promise<void> {
    return this.running().restartFromScratch(target);
  }

  /** A person's feedback to a finished run's agent, as a new turn of its session (Orchestrator.sendFeedback). */
  sendFeedback(key: string, text: string): Promise<void> {
    return this.running().sendFeedback(key, text);
  }

  /** What has been spent (one rule: runs/totals.ts): the running service's, or the records' on disk without one. */
  async totals(): Promise<OrchestratorTotals> {
    const o = this.orchestrator;
    if (o) return o.totals();
    return { ...totalSpent(await this.runs.loadAll()), running: 0, queued: 0 };
  }

  /**
   * Assemble's plan for an integration: its candidates (verified and accepted, unless the user includes
   * the others) and the files each brings. Throws AssemblyRefused — before anything is written — for a
   * project Assemble cannot write into.
   */
  async planAssembly(
    integration: SpecIntegration,
    o: { readonly projectDir: string; readonly includeUnverified?: boolean; readonly includeUnaccepted?: boolean },
  ): Promise<{ plan: AssemblyPlan; candidates: AssemblyCandidate[]; leftOut: { key: string; message: string }[] }> {
    const { candidates, leftOut } = await this.assemblyCandidates(integration);
    const plan = await planAssembly({ integrationId: integration.id, candidates, ...o });
    return { plan, candidates, leftOut };
  }

  /** Writes a plan into the project and compiles it; the report is kept beside the records (its path in `file`). */
  async applyAssembly(plan: AssemblyPlan, o: ApplyOptions = {}): Promise<{ report: AssemblyReport; file: string }> {
    const report = await applyAssembly(plan, o);
    return { report, file: await this.saveAssemblyReport(report) };
  }

  /** Keeps an assembly's report beside the run records (`.runs/<integration>.assembly.json`); returns its path. */
  async saveAssemblyReport(report: AssemblyReport): Promise<string> {
    const file = path.join(this.runs.dir, `${report.integrationId}.assembly.json`);
    await fs.mkdir(this.runs.dir, { recursive: true });
    await fs.writeFile(file, JSON.stringify(report, null, 2) + '\n');
    return file;
  }

  /**
   * The transcript of an interaction's attempt (default: the latest) as Markdown, with `findings` in place
   * and the Markdown line of every entry. Undefined when the interaction never ran or has no such attempt.
   */
  async transcript(key: string, attempt: number | undefined, findings: readonly Finding[]): Promise<RenderedTranscript | undefined> {
    const run = await this.record(key);
    if (!run) return undefined;
    await this.runs.flush();
    const n = attempt ?? run.attempt;
    const past = n === run.attempt ? undefined : run.history.find((h) => h.attempt === n);
    if (n !== run.attempt && !past) return undefined;
    const view: RunRecord = past
      ? { ...run, attempt: n, status: past.status, detail: past.detail, sessionId: past.sessionId, costUsd: past.costUsd, tokens: past.tokens }
      : run;
    const entries = await this.runs.readTranscriptForView(key, n, !(past?.sessionId ?? run.sessionId));
    return renderTranscriptWithLines(view, entries, findings);
  }
}
