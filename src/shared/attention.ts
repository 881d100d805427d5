// Attention (issue 16 item 5): what a person is told about runs, grouped — never one notification per
// run. A run that needs input or is blocked (or failed, or was interrupted) is said together with the
// others that changed in the same moment; the end of a whole batch (every run that was queued or running
// has ended) is one summary. Pure: the editor feeds it the run changes it saw in a short window.

/** A run's status as the board holds it (InteractionStatus). */
export type AttentionStatus = string;

/**
 * `waiting`: not a status of the board but of attention — a running run whose agent asked a permission
 * and waits for a person's answer (the editor feeds it while the request is open).
 */
export const WAITING = 'waiting';
/** The statuses in which a run waits for a person: asking, blocked, failed (its verification too), interrupted, awaiting review. */
const NEEDS_YOU: ReadonlySet<AttentionStatus> = new Set([WAITING, 'blocked', 'failed', 'interrupted', 'needs-review']);
/** The statuses said as soon as a run reaches them (awaiting review is said when the batch ends). */
const URGENT: ReadonlySet<AttentionStatus> = new Set([WAITING, 'blocked', 'failed', 'interrupted']);
/** A run waiting for an answer still belongs to the batch going on. */
const ACTIVE: ReadonlySet<AttentionStatus> = new Set(['queued', 'running', WAITING]);
const GOING: ReadonlySet<AttentionStatus> = new Set(['queued', 'running']);

const LABEL: Record<string, string> = { [WAITING]: 'waiting for your answer', 'needs-review': 'awaiting review', 'not-started': 'not started' };
const label = (status: AttentionStatus) => LABEL[status] ?? status;
/** The order outcomes are counted in a summary: what needs a person first. */
const ORDER = [WAITING, 'blocked', 'failed', 'interrupted', 'needs-review', 'verified', 'stopped', 'not-started'];

function needsYou(status: AttentionStatus | undefined): boolean {
  return !!status && NEEDS_YOU.has(status);
}

export interface AttentionChange {
  readonly key: string;
  readonly status: AttentionStatus;
  /** Why (a blocked run's reason, a failure's): said for a run named alone. */
  readonly detail?: string;
}

export interface AttentionState {
  /** The latest status of every run seen. */
  readonly statuses: ReadonlyMap<string, AttentionStatus>;
  /** The batch going on: every run queued or running since the last batch ended. */
  readonly batch: ReadonlySet<string>;
}

export interface AttentionNotice {
  readonly message: string;
  /** A warning when a run in it needs more than a review (blocked, failed, interrupted). */
  readonly severity: 'info' | 'warning';
  /** The runs in it that need you, most urgent first (a button can open them). */
  readonly needYou: readonly string[];
  /** Why it is said. */
  readonly kind: 'batch-finished' | 'needs-you';
}

export const EMPTY_ATTENTION: AttentionState = { statuses: new Map(), batch: new Set() };

/** How many runs wait for a person (the Agents view's badge). */
export function countNeedingYou(statuses: Iterable<AttentionStatus>): number {
  let n = 0;
  for (const s of statuses) if (needsYou(s)) n++;
  return n;
}

function names(keys: readonly string[], max = 3): string {
  const shown = keys.slice(0, max).join(', ');
  return keys.length > max ? `${shown} and ${keys.length - max} more` : shown;
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

/**
 * The changes seen in one window, applied: the new state and at most one notice for all of them.
 * A batch that ended is one summary (which also names what needs you); otherwise the runs that just
 * became blocked, failed or interrupted are said together. A run changing to the status it had says
 * nothing, and so does a run first seen ended (restored from disk); a batch every run of which was stopped
 * (by the person) ends silently.
 */
export function attentionStep(state: AttentionState, changes: readonly AttentionChange[]): { state: AttentionState; notice?: AttentionNotice } {
  const statuses = new Map(state.statuses);
  const batch = new Set(state.batch);
  const urgent: AttentionChange[] = [];
  const last = new Map<string, AttentionChange>();
  for (const c of changes) {
    const before = statuses.get(c.key);
    statuses.set(c.key, c.status);
    if (ACTIVE.has(c.status)) batch.add(c.key);
    // A run first seen ended (restored from disk at activation) is counted, not said.
    else if (before === undefined && !batch.has(c.key)) continue;
    if (before !== c.status) last.set(c.key, c);
  }
  // A run that went through several statuses in the window is said by the one it ended in.
  for (const c of last.values()) if (URGENT.has(statuses.get(c.key) ?? '') && c.status === statuses.get(c.key)) urgent.push(c);
  const stillActive = [...statuses.values()].filter((s) => ACTIVE.has(s)).length;

  if (batch.size && !stillActive) {
    const keys = [...batch];
    const byStatus = new Map<AttentionStatus, string[]>();
    for (const k of keys) {
      const s = statuses.get(k) ?? 'not-started';
      byStatus.set(s, [...(byStatus.get(s) ?? []), k]);
    }
    const next: AttentionState = { statuses, batch: new Set() };
    if (keys.every((k) => ['stopped', 'not-started'].includes(statuses.get(k) ?? 'not-started'))) return { state: next };
    const ordered = [...byStatus.keys()].sort((a, b) => (ORDER.indexOf(a) + 1 || 99) - (ORDER.indexOf(b) + 1 || 99));
    const needYou = ordered.filter((s) => NEEDS_YOU.has(s)).flatMap((s) => byStatus.get(s) ?? []);
    const severity = keys.some((k) => URGENT.has(statuses.get(k) ?? '')) ? 'warning' : 'info';
    let message: string;
    if (keys.length === 1) {
      const key = keys[0] as string;
      const s = statuses.get(key) ?? 'not-started';
      const detail = last.get(key)?.detail;
      message = `${key} has finished: ${label(s)}${detail && URGENT.has(s) ? ` — ${detail}` : ''}.`;
    } else {
      const counts = ordered.map((s) => `${(byStatus.get(s) ?? []).length} ${label(s)}`).join(', ');
      message = `All ${keys.length} agent runs have finished: ${counts}.`;
      if (needYou.length) message += ` ${plural(needYou.length, 'run needs', 'runs need')} you: ${names(needYou)}.`;
    }
    return { state: next, notice: { message, severity, needYou, kind: 'batch-finished' } };
  }

  const next: AttentionState = { statuses, batch };
  if (!urgent.length) return { state: next };
  const order = (c: AttentionChange) => ORDER.indexOf(c.status);
  urgent.sort((a, b) => order(a) - order(b));
  const needYou = urgent.map((c) => c.key);
  const going = [...statuses.values()].filter((st) => GOING.has(st)).length;
  const running = going ? ` ${plural(going, 'other run goes', 'other runs go')} on.` : '';
  let message: string;
  if (urgent.length === 1) {
    const c = urgent[0] as AttentionChange;
    message = `${c.key} ${c.status === 'failed' ? 'failed' : `is ${label(c.status)}`}${c.detail ? `: ${c.detail}` : ''}.${running}`;
  } else {
    const said = [WAITING, 'blocked', 'failed', 'interrupted'];
    const parts = said
      .map((st) => urgent.filter((c) => c.status === st).map((c) => c.key))
      .map((ks, i) => (ks.length ? `${names(ks)} ${label(said[i] as string)}` : ''))
      .filter(Boolean);
    message = `${urgent.length} runs need you: ${parts.join('; ')}.${running}`;
  }
  return { state: next, notice: { message, severity: 'warning', needYou, kind: 'needs-you' } };
}
