// Which process runs a run. A record says `running` only while that process lives: a CLI killed with
// SIGKILL cannot write "interrupted", so readers ask whether the owner is still there. Another live
// process's runs are left alone (a window opened while the CLI generates must not mark them interrupted).
import { readFileSync } from 'node:fs';
import * as os from 'node:os';

export interface RunOwner {
  readonly pid: number;
  readonly host: string;
  /** When the owner started (ISO): with the pid, tells a reused pid from the owner. */
  readonly since: string;
}

const SINCE = new Date(Date.now() - process.uptime() * 1000).toISOString();

/** This process, as an owner. */
export function thisProcess(): RunOwner {
  return { pid: process.pid, host: os.hostname(), since: SINCE };
}

/**
 * Whether the owner still runs: `alive`, `gone`, or `elsewhere` (another machine: cannot be told from
 * here). A pid that is alive but started after the owner did is a reused pid: `gone`.
 */
export function ownerState(owner: RunOwner | undefined, now: () => number = Date.now): 'alive' | 'gone' | 'elsewhere' | 'unknown' {
  if (!owner) return 'unknown';
  if (owner.host !== os.hostname()) return 'elsewhere';
  if (owner.pid === process.pid) return owner.since === SINCE ? 'alive' : 'gone';
  try {
    process.kill(owner.pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return 'gone';
  }
  const started = processStart(owner.pid, now);
  if (started !== undefined && started > Date.parse(owner.since) + 2000) return 'gone';
  return 'alive';
}

/** When a process started (epoch ms), from /proc where there is one; undefined elsewhere. */
function processStart(pid: number, now: () => number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[19]);
    const uptime = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
    if (!Number.isFinite(ticks) || !Number.isFinite(uptime)) return undefined;
    // starttime is in clock ticks since boot; Linux's USER_HZ is 100 on every architecture Node runs on.
    return now() - uptime * 1000 + ticks * 10;
  } catch {
    return undefined;
  }
}

/**
 * For a record that says queued or running: why it is not, when its owner is gone (a process killed
 * before it could write its end). Undefined when the record may be right (its owner lives, runs on
 * another machine, or the record predates owners).
 */
export function cutShort(run: { readonly status: string; readonly owner?: RunOwner }): string | undefined {
  if (run.status !== 'queued' && run.status !== 'running') return undefined;
  if (!run.owner || run.owner.pid === process.pid) return undefined;
  return ownerState(run.owner) === 'gone' ? `the process that ran it (pid ${run.owner.pid}) is gone: the run was cut short` : undefined;
}

/** A queued or running record that another live process on this machine (not `own`) is running now: leave it to it. */
export function runByAnotherProcess(run: { readonly status: string; readonly owner?: RunOwner }, own: RunOwner = thisProcess()): boolean {
  if (run.status !== 'queued' && run.status !== 'running') return false;
  return !!run.owner && (run.owner.pid !== own.pid || run.owner.host !== own.host) && ownerState(run.owner) === 'alive';
}
