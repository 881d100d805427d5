// The Agents board's logic, pure (no DOM, no Node), shared by the host (src/extension/boardPanel.ts)
// and the webview (src/webview/board.ts): which group a run is in, how long it has been in its state,
// what a transcript says of its last tool call and its edits, and the board's sorting and filtering.
import type { BoardRow, Edits, LastTool } from './boardProtocol';
import type { AgentRow, StreamItem } from './protocol';

export const GROUPS = ['needs-you', 'working', 'done'] as const;
export type Group = (typeof GROUPS)[number];

export const GROUP_LABEL: Record<Group, string> = { 'needs-you': 'Needs you', working: 'Working', done: 'Done' };

/**
 * Needs you: a permission is asked, the run is blocked, failed, or its verification failed, or it
 * awaits review (needs-review). Working: queued or running. Done: verified, stopped or interrupted.
 * A run not started is not on the board (undefined).
 */
export function groupOf(row: Pick<AgentRow, 'status' | 'waiting' | 'verdict'>): Group | undefined {
  if (row.status === 'not-started') return undefined;
  if (row.waiting) return 'needs-you';
  switch (row.status) {
    case 'blocked':
    case 'failed':
    case 'needs-review':
      return 'needs-you';
    case 'queued':
    case 'running':
      return 'working';
    case 'verified':
    case 'stopped':
    case 'interrupted':
      // What a stopped or interrupted run left was verified and failed: someone has to act on it.
      return row.verdict === 'failed' ? 'needs-you' : 'done';
  }
}

/** The state as the board names it. */
export function stateLabel(row: Pick<AgentRow, 'status' | 'waiting' | 'verdict'>): string {
  if (row.waiting) return 'permission asked';
  const s = row.status.replace('-', ' ');
  // A verdict of an earlier turn is not this one's: a run working again says only that it works.
  const working = row.status === 'queued' || row.status === 'running';
  return row.verdict === 'failed' && row.status !== 'failed' && !working ? `${s}, verification failed` : s;
}

/** Most urgent first, within a group: the order of the state column. */
const STATE_RANK: Record<AgentRow['status'], number> = {
  blocked: 0,
  failed: 2,
  'needs-review': 3,
  running: 4,
  queued: 5,
  interrupted: 6,
  stopped: 7,
  verified: 8,
  'not-started': 9,
};
const stateRank = (r: Pick<AgentRow, 'status' | 'waiting'>) => (r.waiting ? 1 : STATE_RANK[r.status]);

/**
 * When the run entered the state the board shows it in: the permission request (as the host saw it
 * arrive), queued at, started at, or ended at. Undefined where the record does not say.
 */
export function stateSince(
  row: Pick<AgentRow, 'status' | 'waiting' | 'startedAt' | 'endedAt'>,
  at: { queuedAt?: string; waitingSince?: string } = {},
): string | undefined {
  if (row.waiting) return at.waitingSince;
  switch (row.status) {
    case 'not-started':
      return undefined;
    case 'queued':
      return at.queuedAt;
    case 'running':
      return row.startedAt;
    case 'blocked':
    case 'failed':
    case 'needs-review':
    case 'verified':
    case 'stopped':
    case 'interrupted':
      return row.endedAt ?? row.startedAt;
  }
}

/** Milliseconds in the current state at `now`, or undefined when it is not known. */
export function timeInState(row: Pick<BoardRow, 'since'>, now: number): number | undefined {
  if (!row.since) return undefined;
  const t = Date.parse(row.since);
  return Number.isNaN(t) ? undefined : Math.max(0, now - t);
}

/** 42s, 3m05s, 2h04m, 3d02h. */
export function formatDuration(ms: number): string {
  const s = Math.floor(ms / 1000);
  const pad = (n: number) => String(n).padStart(2, '0');
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${pad(s % 60)}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h${pad(m % 60)}m`;
  return `${Math.floor(h / 24)}d${pad(h % 24)}h`;
}

/** Every attempt's spend, as the panel's totals and the status bar count it. */
export const rowCost = (r: Pick<AgentRow, 'costUsd' | 'priorCostUsd'>): number => r.costUsd + (r.priorCostUsd ?? 0);
export const rowTokens = (r: Pick<AgentRow, 'tokens' | 'priorTokens'>): number => r.tokens + (r.priorTokens ?? 0);

const lines = (s: string | undefined) => (s ? s.split('\n').length : 0);

/** The last tool call and the edits of a stream (the panel's items, live or read from a transcript). */
export function summarizeItems(items: readonly StreamItem[]): { lastTool?: LastTool; edits: Edits } {
  let lastTool: LastTool | undefined;
  const files = new Set<string>();
  let added = 0;
  let removed = 0;
  for (const it of items) {
    if (it.kind !== 'tool') continue;
    lastTool = { tool: it.tool, title: it.title, state: it.state };
    if ((it.tool === 'write' || it.tool === 'edit') && it.after !== undefined && it.state !== 'error') {
      files.add(it.title);
      added += lines(it.after);
      removed += lines(it.before);
    }
  }
  return { lastTool, edits: { files: files.size, added, removed } };
}

export const COLUMNS = ['key', 'state', 'time', 'lastTool', 'edits', 'cost', 'tokens'] as const;
export type Column = (typeof COLUMNS)[number];

export const COLUMN_LABEL: Record<Column, string> = {
  key: 'Interaction',
  state: 'State',
  time: 'In state',
  lastTool: 'Last tool call',
  edits: 'Files ±',
  cost: 'Cost',
  tokens: 'Tokens',
};

export interface Sort {
  readonly column: Column;
  readonly dir: 'asc' | 'desc';
}

export const DEFAULT_SORT: Sort = { column: 'state', dir: 'asc' };

/** Clicking a column: the same column flips its direction, another starts ascending (time, cost, tokens, edits: largest first). */
export function nextSort(current: Sort, column: Column): Sort {
  if (current.column === column) return { column, dir: current.dir === 'asc' ? 'desc' : 'asc' };
  return { column, dir: column === 'key' || column === 'state' || column === 'lastTool' ? 'asc' : 'desc' };
}

/** A row's value in a column; undefined sorts last in either direction. */
function value(r: BoardRow, column: Column, now: number): number | string | undefined {
  switch (column) {
    case 'key':
      return r.key;
    case 'state':
      return stateRank(r);
    case 'time':
      return timeInState(r, now);
    case 'lastTool':
      return r.lastTool ? `${r.lastTool.tool} ${r.lastTool.title}` : undefined;
    case 'edits':
      return r.edits ? r.edits.added + r.edits.removed : undefined;
    case 'cost':
      return rowCost(r);
    case 'tokens':
      return rowTokens(r);
  }
}

/** Sorted by the column (ties: by interaction key), without changing `rows`. */
export function sortRows(rows: readonly BoardRow[], sort: Sort, now: number): BoardRow[] {
  const sign = sort.dir === 'asc' ? 1 : -1;
  const keyed = rows.map((r) => ({ r, v: value(r, sort.column, now) }));
  keyed.sort((a, b) => {
    if (a.v === undefined || b.v === undefined) {
      if (a.v !== b.v) return a.v === undefined ? 1 : -1;
    } else if (a.v !== b.v) {
      const c = typeof a.v === 'number' && typeof b.v === 'number' ? a.v - b.v : String(a.v).localeCompare(String(b.v));
      if (c) return sign * c;
    }
    return a.r.key.localeCompare(b.r.key);
  });
  return keyed.map((k) => k.r);
}

/**
 * The filter box: every word must appear in the row's key, its state, its group or its verdict
 * (case-insensitive). `slack blocked` keeps Slack's blocked runs; `needs` keeps the needs-you group.
 */
export function matches(row: BoardRow, filter: string): boolean {
  const words = filter.toLowerCase().split(/\s+/).filter(Boolean);
  if (!words.length) return true;
  const group = groupOf(row);
  const hay = [row.key, row.status, stateLabel(row), group ?? '', group ? GROUP_LABEL[group] : '', row.verdict ? `verify ${row.verdict}` : '']
    .join(' ')
    .toLowerCase();
  return words.every((w) => hay.includes(w));
}

export interface BoardGroup {
  readonly group: Group;
  readonly label: string;
  /** The group's rows that pass the filter, sorted. */
  readonly rows: BoardRow[];
  /** The group's rows before filtering. */
  readonly total: number;
}

/** The board: its three groups in order (empty ones included), each filtered and sorted. */
export function arrange(rows: readonly BoardRow[], opts: { sort: Sort; filter: string; now: number }): BoardGroup[] {
  const by = new Map<Group, BoardRow[]>(GROUPS.map((g) => [g, []]));
  for (const r of rows) {
    const g = groupOf(r);
    if (g) by.get(g)?.push(r);
  }
  return GROUPS.map((group) => {
    const all = by.get(group) ?? [];
    return {
      group,
      label: GROUP_LABEL[group],
      rows: sortRows(
        all.filter((r) => matches(r, opts.filter)),
        opts.sort,
        opts.now,
      ),
      total: all.length,
    };
  });
}

/**
 * The host's record of what the board was sent: given every row now, the rows that are new or
 * changed and the keys that are gone, so a message carries only those (and the webview redraws only
 * them). `clear` forgets it all: the next `diff` sends every row (a reloaded webview).
 */
export class RowDiff {
  private sent = new Map<string, string>();

  diff(rows: readonly BoardRow[]): { rows: BoardRow[]; removed: string[] } {
    const next = new Map<string, string>();
    const changed: BoardRow[] = [];
    for (const r of rows) {
      const json = JSON.stringify(r);
      next.set(r.key, json);
      if (this.sent.get(r.key) !== json) changed.push(r);
    }
    const removed = [...this.sent.keys()].filter((k) => !next.has(k));
    this.sent = next;
    return { rows: changed, removed };
  }

  clear(): void {
    this.sent.clear();
  }
}
