// The Agents board's rows on the host (src/extension/boardRows.ts), with the Agents view's real model:
// time in state from the record (queued at, started, ended) and from the permission request; the last
// tool call and edits of a live run from its stream, of a finished run from its stored transcript, read
// once and again only when the run changes.
import { describe, expect, it } from 'vitest';
import type { AgentEvent } from '../../src/core/agent/events';
import { newRunRecord, type RunRecord } from '../../src/core/runs/record';
import { BoardRows } from '../../src/extension/boardRows';
import { PanelModel } from '../../src/extension/panelModel';

const T0 = Date.parse('2026-12-03T10:00:00Z');
const iso = (s: number) => new Date(T0 + s * 1000).toISOString();

function run(key: string, extra: Partial<RunRecord> = {}): RunRecord {
  const [i, x] = key.split('/') as [string, string];
  return { ...newRunRecord({ key, integrationId: i, interactionId: x, specFile: '/s', folder: `/w/${key}`, demo: true, now: iso(0) }), ...extra };
}

const base = { sessionId: 's', messageId: 'm', partId: 'p' };
const write = (callId: string, filePath: string, content: string): AgentEvent[] => [
  { type: 'tool.started', ...base, callId, tool: 'write', input: { filePath, content } },
  { type: 'tool.finished', ...base, callId, tool: 'write', input: { filePath, content }, ok: true, output: '' },
];

describe('BoardRows', () => {
  it('a live run: since it started, its last tool call and edits from the stream; a permission asked: since then', () => {
    const model = new PanelModel();
    let now = T0 + 60_000;
    const reads: string[] = [];
    const rows = new BoardRows(
      model,
      async (key) => {
        reads.push(key);
        return [];
      },
      () => now,
    );
    const r = run('a/live', { status: 'running', startedAt: iso(10), sessionId: 's' });
    model.onRun(r);
    rows.remember(r);
    for (const e of [
      ...write('c1', 'a.ts', 'x\ny'),
      { type: 'tool.started', ...base, callId: 'c2', tool: 'bash', input: { command: 'npm test' } } as AgentEvent,
    ])
      model.onEvent('a/live', e);
    const q = run('b/queued', { queuedAt: iso(30) });
    model.onRun(q);
    rows.remember(q);

    let out = rows.rows(new Set(['a/live', 'b/queued']));
    expect(out.unread).toEqual([]);
    expect(out.rows.map((x) => [x.key, x.since, x.lastTool, x.edits])).toEqual([
      ['a/live', iso(10), { tool: 'bash', title: 'npm test', state: 'running' }, { files: 1, added: 2, removed: 0 }],
      ['b/queued', iso(30), undefined, { files: 0, added: 0, removed: 0 }],
    ]);

    model.onEvent('a/live', { type: 'permission.asked', sessionId: 's', requestId: 'r1', permission: 'bash', patterns: ['curl *'] });
    rows.permissionAsked('a/live');
    now += 5000;
    out = rows.rows(new Set(['a/live']));
    expect(out.rows[0]?.waiting).toBe(true);
    expect(out.rows[0]?.since, 'since the request, not since it started').toBe(iso(60));
    model.onEvent('a/live', { type: 'permission.answered', sessionId: 's', requestId: 'r1', reply: 'once' });
    expect(rows.rows(new Set(['a/live'])).rows[0]?.since).toBe(iso(10));
    expect(reads).toEqual([]);
  });

  it('a run from disk: its stored transcript is read once, and again when the run changes', async () => {
    const model = new PanelModel();
    const reads: [string, number, boolean][] = [];
    const transcript: unknown[] = [
      { type: 'prompt', text: 'build it' },
      ...write('c1', 'x.ts', 'a\nb\nc'),
      { type: 'tool.started', ...base, callId: 'c2', tool: 'edit', input: { filePath: 'x.ts', oldString: 'b', newString: 'B' } },
      { type: 'tool.finished', ...base, callId: 'c2', tool: 'edit', input: { filePath: 'x.ts', oldString: 'b', newString: 'B' }, ok: true, output: '' },
    ];
    const rows = new BoardRows(model, async (key, attempt, mayBeAbsent) => {
      reads.push([key, attempt, mayBeAbsent]);
      return transcript;
    });
    const done = run('c/done', { status: 'verified', startedAt: iso(5), endedAt: iso(50), sessionId: 's' });
    model.onRun(done);
    rows.remember(done);
    let out = rows.rows(new Set());
    expect(out.unread).toEqual(['c/done']);
    expect(out.rows[0]?.since).toBe(iso(50));
    expect(out.rows[0]?.edits, 'not read yet: unknown').toBeUndefined();
    await rows.read(out.unread);
    expect(reads).toEqual([['c/done', 1, false]]);
    out = rows.rows(new Set());
    expect(out.unread).toEqual([]);
    expect(out.rows[0]?.lastTool).toEqual({ tool: 'edit', title: 'x.ts', state: 'ok' });
    expect(out.rows[0]?.edits).toEqual({ files: 1, added: 4, removed: 1 });
    expect(rows.rows(new Set()).unread, 'read once').toEqual([]);

    const again = { ...done, status: 'failed' as const, endedAt: iso(90) };
    model.onRun(again);
    rows.remember(again);
    expect(rows.rows(new Set()).unread).toEqual(['c/done']);
  });

  it('a transcript that cannot be read leaves the edits unknown and is not read again until the run changes', async () => {
    const model = new PanelModel();
    let reads = 0;
    const rows = new BoardRows(model, async () => {
      reads++;
      throw new Error('EACCES');
    });
    const r = run('d/bad', { status: 'stopped', endedAt: iso(9) });
    model.onRun(r);
    rows.remember(r);
    await rows.read(rows.rows(new Set()).unread);
    const out = rows.rows(new Set());
    expect(out.unread).toEqual([]);
    expect(out.rows[0]?.edits).toBeUndefined();
    expect(reads).toBe(1);
  });
});
