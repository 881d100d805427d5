// Accept / Reject: a person's decision on what an agent built. Accepting records who and when, and a
// hash of the interaction folder's files at that moment; the acceptance is read against the folder every
// time it is asked about, so a change to the folder afterwards (an edit, a feedback turn of the agent)
// makes it stale, which counts as not accepted and says why. A new attempt starts without one.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { RunRecord, RunReview } from '../runs/record';

/** Folders left out of the hash: tool caches that are not the interaction's (vitest keeps one under node_modules). */
const SKIPPED_DIRS: ReadonlySet<string> = new Set(['node_modules']);

export interface FolderHash {
  readonly sha256: string;
  readonly files: number;
}

/**
 * One sha256 over every file under `folder` (sorted paths; each path with its kind and its content's
 * hash; a link by its target, never followed), `node_modules` left out. Undefined when the folder is not there.
 */
export async function hashFolder(folder: string): Promise<FolderHash | undefined> {
  const st = await fs.lstat(folder).catch(() => undefined);
  if (!st?.isDirectory()) return undefined;
  const lines: string[] = [];
  const walk = async (rel: string): Promise<void> => {
    const entries = await fs.readdir(path.join(folder, rel), { withFileTypes: true });
    for (const e of entries) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      const abs = path.join(folder, ...r.split('/'));
      if (e.isDirectory()) {
        if (SKIPPED_DIRS.has(e.name)) continue;
        lines.push(`${r}\0dir`);
        await walk(r);
      } else if (e.isSymbolicLink()) {
        lines.push(`${r}\0link\0${await fs.readlink(abs)}`);
      } else if (e.isFile()) {
        const data = await fs.readFile(abs);
        lines.push(`${r}\0file\0${createHash('sha256').update(data).digest('hex')}`);
      } else {
        lines.push(`${r}\0other`);
      }
    }
  };
  await walk('');
  lines.sort();
  const files = lines.filter((l) => !l.endsWith('\0dir')).length;
  return { sha256: createHash('sha256').update(lines.join('\n')).digest('hex'), files };
}

export type Reviewer = RunReview['by'];

function gitConfig(cwd: string, key: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile('git', ['config', '--get', key], { cwd, timeout: 5000 }, (err, stdout) => resolve(err ? undefined : stdout.trim() || undefined));
  });
}

/** Who is reviewing: git's user.name (and user.email) as seen from `cwd`, else the operating system's user. */
export async function currentReviewer(cwd: string): Promise<Reviewer> {
  const name = await gitConfig(cwd, 'user.name');
  if (name) {
    const email = await gitConfig(cwd, 'user.email');
    return { name, ...(email ? { email } : {}), source: 'git' };
  }
  let user: string;
  try {
    user = os.userInfo().username;
  } catch {
    user = process.env.USER ?? process.env.USERNAME ?? 'unknown';
  }
  return { name: user, source: 'os' };
}

/** A reviewer in one line: `Ada <ada@example.com>`, or `ada (OS user)`. */
export function describeReviewer(by: Reviewer): string {
  return by.source === 'git' ? `${by.name}${by.email ? ` <${by.email}>` : ''}` : `${by.name} (OS user)`;
}

/** What a run's review says now, read against its folder. */
export type ReviewState =
  | { readonly state: 'accepted'; readonly review: RunReview }
  /** Was accepted, no longer holds: counts as not accepted. */
  | { readonly state: 'stale'; readonly review: RunReview; readonly reason: string }
  | { readonly state: 'rejected'; readonly review: RunReview }
  | { readonly state: 'none' };

/** The review of the run's current attempt, checked against the folder as it is now. */
export async function reviewState(run: Pick<RunRecord, 'attempt' | 'review' | 'folder'>, folder = run.folder): Promise<ReviewState> {
  const review = run.review;
  if (!review) return { state: 'none' };
  if (review.attempt !== run.attempt) {
    return review.decision === 'accepted'
      ? { state: 'stale', review, reason: `it was accepted for attempt ${review.attempt}; attempt ${run.attempt} is not` }
      : { state: 'none' };
  }
  if (review.decision === 'rejected') return { state: 'rejected', review };
  const now = await hashFolder(folder).catch((err: unknown) => (err as Error).message);
  if (now === undefined) return { state: 'stale', review, reason: 'the interaction folder is gone since it was accepted' };
  if (typeof now === 'string') return { state: 'stale', review, reason: `the interaction folder cannot be read: ${now}` };
  if (now.sha256 !== review.folderSha256) return { state: 'stale', review, reason: `the interaction folder changed after it was accepted (${review.at})` };
  return { state: 'accepted', review };
}

/** The review state in one line for people (CLI status, tree tooltip, Assemble's reasons). */
export function describeReviewState(s: ReviewState): string {
  switch (s.state) {
    case 'accepted':
      return `accepted by ${describeReviewer(s.review.by)} at ${s.review.at}`;
    case 'stale':
      return `not accepted: ${s.reason}`;
    case 'rejected':
      return `rejected by ${describeReviewer(s.review.by)} at ${s.review.at}${s.review.reason ? `: ${s.review.reason}` : ''}`;
    case 'none':
      return 'not reviewed';
  }
}
