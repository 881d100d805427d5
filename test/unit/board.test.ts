// The Agents board's pure logic (src/shared/board.ts): the group of every status, time in state,
// the summary of a stream, sorting by each column, and the filter box.
import { describe, expect, it } from 'vitest';
import {
  arrange,
  formatDuration,
  groupOf,
  matches,
  nextSort,
  RowDiff,
  sortRows,
  stateLabel,
  stateSince,
  summarizeItems,
  timeInState,
  type Column,
} from '../../src/shared/board';
import type { BoardRow } from '../../src/shared/boardProtocol';
import { STATUSES, type AgentRow, type StreamItem } from '../../src/shared/protocol';

const NOW = Date.parse('2026-12-03T10:00:00Z');
const ago = (s: number) => new Date(NOW - s * 1000).toISOString();

function row(key: string, status: AgentRow['status'], extra: Partial<BoardRow> = {}): BoardRow {
  return { key, status, attempt: 1, steps: 0, costUsd: 0, tokens: 0, violations: 0, demo: false, waiting: false, ...extra };
}

describe('groupOf', () => {
  it('puts every status in its group; not started is left off the board', () => {
    const expected: Record<AgentRow['status'], string | undefined> = {
      'not-started': undefined,
      queued: 'working',
      running: 'working',
      'needs-review': 'needs-you',
      blocked: 'needs-you',
      verified: 'done',
      failed: 'needs-you',
      stopped: 'done',
      interrupted: 'done',
    };
    for (const s of STATUSES) expect(groupOf(row('a/b', s)), s).toBe(expected[s]);
  });

  it('a permission asked needs you even while running; a failed verification of a stopped run too', () => {
    expect(groupOf(row('a/b', 'running', { waiting: true }))).toBe('needs-you');
    expect(stateLabel(row('a/b', 'running', { waiting: true }))).toBe('permission asked');
    expect(groupOf(row('a/b', 'stopped', { verdict: 'failed' }))).toBe('needs-you');
    expect(stateLabel(row('a/b', 'stopped', { verdict: 'failed' }))).toBe('stopped, verification failed');
    expect(groupOf(row('a/b', 'interrupted', { verdict: 'failed' }))).toBe('needs-you');
    // A feedback turn running after a failed verification: working, and the old verdict is not its label.
    expect(groupOf(row('a/b', 'running', { verdict: 'failed' }))).toBe('working');
    expect(stateLabel(row('a/b', 'running', { verdict: 'failed' }))).toBe('running');
    expect(stateLabel(row('a/b', 'failed', { verdict: 'failed' }))).toBe('failed');
    expect(groupOf(row('a/b', 'verified', { verdict: 'verified' }))).toBe('done');
    expect(stateLabel(row('a/b', 'needs-review'))).toBe('needs review');
  });
});

describe('time in state', () => {
  it('starts when the run entered its state: asked, queued, started or ended', () => {
    const times = { startedAt: ago(300), endedAt: ago(60) };
    expect(stateSince(row('a/b', 'queued'), { queuedAt: ago(500) })).toBe(ago(500));
    expect(stateSince(row('a/b', 'running', { startedAt: ago(300) }))).toBe(ago(300));
    expect(stateSince(row('a/b', 'running', { ...times, waiting: true }), { waitingSince: ago(10) })).toBe(ago(10));
    for (const s of ['verified', 'failed', 'blocked', 'stopped', 'interrupted', 'needs-review'] as const)
      expect(stateSince(row('a/b', s, times)), s).toBe(ago(60));
    expect(stateSince(row('a/b', 'blocked', { startedAt: ago(300) })), 'no end recorded: since it started').toBe(ago(300));
    expect(stateSince(row('a/b', 'not-started'))).toBeUndefined();
    expect(stateSince(row('a/b', 'queued'))).toBeUndefined();
  });

  it('is measured against the given clock and formatted', () => {
    expect(timeInState({ since: ago(125) }, NOW)).toBe(125_000);
    expect(timeInState({ since: new Date(NOW + 5000).toISOString() }, NOW), 'a clock ahead is not negative').toBe(0);
    expect(timeInState({}, NOW)).toBeUndefined();
    expect(timeInState({ since: 'not a date' }, NOW)).toBeUndefined();
    expect(formatDuration(42_900)).toBe('42s');
    expect(formatDuration(185_000)).toBe('3m05s');
    expect(formatDuration((2 * 3600 + 4 * 60) * 1000)).toBe('2h04m');
    expect(formatDuration((3 * 24 + 2) * 3600 * 1000)).toBe('3d02h');
  });
});

describe('summarizeItems', () => {
  it('the last tool call, and files and lines the write and edit calls changed (failed calls left out)', () => {
    const items: StreamItem[] = [
      { id: 'p', kind: 'prompt', text: 'build it' },
      { id: 't1', kind: 'tool', tool: 'write', title: 'a.ts', state: 'ok', before: '', after: 'one\ntwo\nthree' },
      { id: 't2', kind: 'tool', tool: 'edit', title: 'a.ts', state: 'ok', before: 'two', after: 'deux\ndos' },
      { id: 't3', kind: 'tool', tool: 'edit', title: 'b.ts', state: 'error', before: 'x', after: 'y' },
      { id: 't4', kind: 'tool', tool: 'write', title: 'c.ts', state: 'running', before: '', after: 'c' },
      { id: 't5', kind: 'tool', tool: 'bash', title: 'npm test', state: 'running' },
      { id: 'x', kind: 'text', text: 'done', done: true },
    ];
    expect(summarizeItems(items)).toEqual({ lastTool: { tool: 'bash', title: 'npm test', state: 'running' }, edits: { files: 2, added: 6, removed: 1 } });
    expect(summarizeItems([])).toEqual({ lastTool: undefined, edits: { files: 0, added: 0, removed: 0 } });
  });
});

const ROWS: BoardRow[] = [
  row('slack/send', 'blocked', { since: ago(100), costUsd: 0.5, tokens: 900 }),
  row('github/issues', 'running', {
    since: ago(30),
    costUsd: 0.1,
    priorCostUsd: 0.3,
    tokens: 100,
    priorTokens: 2000,
    lastTool: { tool: 'bash', title: 'ls', state: 'ok' },
  }),
  row('hubspot/contacts', 'queued', { costUsd: 0, tokens: 0 }),
  row('jira/create', 'failed', { since: ago(400), costUsd: 0.2, tokens: 500, edits: { files: 3, added: 40, removed: 2 } }),
  row('asana/tasks', 'running', { since: ago(10), waiting: true, costUsd: 0.05, tokens: 50 }),
  row('notion/pages', 'verified', { since: ago(1000), costUsd: 0.3, tokens: 700, edits: { files: 1, added: 5, removed: 0 } }),
  row('zoom/meetings', 'stopped', { since: ago(2000), costUsd: 0.01, tokens: 10 }),
  row('box/files', 'not-started'),
];
const keys = (rs: readonly BoardRow[]) => rs.map((r) => r.key);

describe('sortRows', () => {
  const cases: [Column, 'asc' | 'desc', string[]][] = [
    ['key', 'asc', ['asana/tasks', 'github/issues', 'hubspot/contacts', 'jira/create']],
    ['key', 'desc', ['jira/create', 'hubspot/contacts', 'github/issues', 'asana/tasks']],
    ['state', 'asc', ['asana/tasks', 'jira/create', 'github/issues', 'hubspot/contacts']],
    ['time', 'desc', ['jira/create', 'github/issues', 'asana/tasks', 'hubspot/contacts']],
    ['time', 'asc', ['asana/tasks', 'github/issues', 'jira/create', 'hubspot/contacts']],
    ['cost', 'desc', ['github/issues', 'jira/create', 'asana/tasks', 'hubspot/contacts']],
    ['tokens', 'desc', ['github/issues', 'jira/create', 'asana/tasks', 'hubspot/contacts']],
    ['tokens', 'asc', ['hubspot/contacts', 'asana/tasks', 'jira/create', 'github/issues']],
    ['edits', 'desc', ['jira/create', 'asana/tasks', 'github/issues', 'hubspot/contacts']],
    ['lastTool', 'asc', ['github/issues', 'asana/tasks', 'hubspot/contacts', 'jira/create']],
  ];
  const some = ROWS.filter((r) => ['asana/tasks', 'github/issues', 'hubspot/contacts', 'jira/create'].includes(r.key));
  for (const [column, dir, want] of cases)
    it(`by ${column} ${dir} (unknown values last, ties by key)`, () => {
      expect(keys(sortRows(some, { column, dir }, NOW))).toEqual(want);
    });

  it('does not change its input; a header click flips the direction, another column starts with its natural one', () => {
    const before = keys(some);
    sortRows(some, { column: 'key', dir: 'desc' }, NOW);
    expect(keys(some)).toEqual(before);
    expect(nextSort({ column: 'key', dir: 'asc' }, 'key')).toEqual({ column: 'key', dir: 'desc' });
    expect(nextSort({ column: 'key', dir: 'desc' }, 'key')).toEqual({ column: 'key', dir: 'asc' });
    expect(nextSort({ column: 'key', dir: 'asc' }, 'cost')).toEqual({ column: 'cost', dir: 'desc' });
    expect(nextSort({ column: 'cost', dir: 'desc' }, 'state')).toEqual({ column: 'state', dir: 'asc' });
  });
});

describe('filter and arrange', () => {
  it('every word must match the key, state, group or verdict, case-insensitively', () => {
    const only = (f: string) => keys(ROWS.filter((r) => matches(r, f)));
    expect(only('')).toHaveLength(ROWS.length);
    expect(only('SLACK')).toEqual(['slack/send']);
    expect(only('blocked')).toEqual(['slack/send']);
    expect(only('permission')).toEqual(['asana/tasks']);
    expect(only('needs')).toEqual(['slack/send', 'jira/create', 'asana/tasks']);
    expect(only('working')).toEqual(['github/issues', 'hubspot/contacts']);
    expect(only('github running')).toEqual(['github/issues']);
    expect(only('github blocked')).toEqual([]);
  });

  it('three groups in order with their counts; not started left out; the filter narrows each group', () => {
    const all = arrange(ROWS, { sort: { column: 'state', dir: 'asc' }, filter: '', now: NOW });
    expect(all.map((g) => [g.group, g.label, g.total, keys(g.rows)])).toEqual([
      ['needs-you', 'Needs you', 3, ['slack/send', 'asana/tasks', 'jira/create']],
      ['working', 'Working', 2, ['github/issues', 'hubspot/contacts']],
      ['done', 'Done', 2, ['zoom/meetings', 'notion/pages']],
    ]);
    const filtered = arrange(ROWS, { sort: { column: 'key', dir: 'asc' }, filter: 'TA', now: NOW });
    expect(filtered.map((g) => [g.total, keys(g.rows)])).toEqual([
      [3, ['asana/tasks']],
      [2, ['hubspot/contacts']],
      [2, []],
    ]);
  });
});

describe('RowDiff', () => {
  it('sends new and changed rows and the keys of rows gone; after clear, everything again', () => {
    const d = new RowDiff();
    const a = row('a/a', 'running', { tokens: 1 });
    const b = row('b/b', 'queued');
    expect(d.diff([a, b])).toEqual({ rows: [a, b], removed: [] });
    expect(d.diff([{ ...a }, b]), 'an equal row is not sent again').toEqual({ rows: [], removed: [] });
    const a2 = { ...a, tokens: 2 };
    expect(d.diff([a2])).toEqual({ rows: [a2], removed: ['b/b'] });
    d.clear();
    expect(d.diff([a2])).toEqual({ rows: [a2], removed: [] });
  });
});
