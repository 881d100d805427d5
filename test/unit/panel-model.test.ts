import { describe, expect, it, vi } from 'vitest';
import type { AgentEvent } from '../../src/core/agent/events';
import { newRunRecord, type RunRecord } from '../../src/core/runs/record';
import { Coalescer, PanelModel, sortByAttention } from '../../src/extension/panelModel';
import { parseHostMessage, parseWebviewMessage, type AgentRow, type HostMessage } from '../../src/shared/protocol';

const run = (key: string, extra: Partial<RunRecord> = {}): RunRecord => ({
  ...newRunRecord({
    key,
    integrationId: key.split('/')[0]!,
    interactionId: key.split('/')[1]!,
    specFile: '/s',
    folder: `/w/${key}`,
    demo: false,
    now: '2026-11-22T10:00:00.000Z',
  }),
  ...extra,
});
const S = 'ses_1';

describe('protocol', () => {
  it('accepts well-formed messages and rejects the rest, both ways', () => {
    expect(parseWebviewMessage({ type: 'action', action: 'stop', key: 'a/b' })).toEqual({ type: 'action', action: 'stop', key: 'a/b' });
    expect(parseWebviewMessage({ type: 'action', action: 'rm -rf', key: 'a/b' })).toBeUndefined();
    expect(parseWebviewMessage({ type: 'permission', key: 'a/b', requestId: 'p1', reply: 'maybe' })).toBeUndefined();
    expect(parseWebviewMessage('ready')).toBeUndefined();
    expect(parseHostMessage({ type: 'stream', key: 'a/b', items: [{ id: 'x', kind: 'text', text: 'hi', done: true }], reset: false })).toBeDefined();
    expect(parseHostMessage({ type: 'stream', key: 'a/b', items: [{ id: 'x', kind: 'html', text: '<b>' }], reset: false })).toBeUndefined();
  });
});

describe('PanelModel', () => {
  it("a feedback turn puts the person's words in the stream once, where the turn begins; a stored transcript keeps the prompt and the feedback apart", () => {
    const m = new PanelModel();
    const key = 'google-calendar/create-event';
    m.onRun(run(key, { status: 'failed', attempt: 1 }));
    m.onEvent(key, { type: 'text.done', sessionId: S, messageId: 'm1', partId: 'p1', text: 'Done.' });
    const before = { status: 'failed' as const };
    const fed = run(key, { status: 'queued', attempt: 1, feedback: [{ at: '2026-11-22T10:05:00.000Z', text: 'Do not edit the fixture.', turn: 2, before }] });
    m.onReport({ key, attempt: 1, verdict: 'failed', checks: [], at: '2026-11-22T10:04:00.000Z' } as unknown as Parameters<PanelModel['onReport']>[0]);
    expect(m.rows().find((r) => r.key === key)?.verdict).toBe('failed');
    m.onRun(fed);
    expect(m.onFeedback(fed)).toEqual([{ id: 'prompt-turn-2', kind: 'prompt', text: 'Do not edit the fixture.', turn: 2 }]);
    expect(m.onFeedback(fed)).toEqual([]);
    expect(m.rows().find((r) => r.key === key)?.verdict, 'the verdict of the turn before is not shown as the new turn’s').toBeUndefined();
    expect(m.items(key).map((i) => i.id)).toEqual(['p1', 'prompt-turn-2']);

    m.loadTranscript(key, [
      { type: 'prompt', text: 'Build it.' },
      { type: 'prompt', text: 'Feedback: do not edit the fixture.', feedback: true, turn: 2 },
    ]);
    expect(m.items(key)).toEqual([
      { id: 'prompt', kind: 'prompt', text: 'Build it.' },
      { id: 'prompt-turn-2', kind: 'prompt', text: 'Feedback: do not edit the fixture.', turn: 2 },
    ]);
    expect(parseHostMessage({ type: 'stream', key, items: m.items(key), reset: true })).toBeDefined();
  });

  it('builds a stream from events: deltas merge, tool rows update in place, permissions mark the row waiting', () => {
    const m = new PanelModel();
    m.onRun(run('g/a', { status: 'running', attempt: 1 }));
    const ev = (e: AgentEvent) => m.onEvent('g/a', e);
    ev({ type: 'text', sessionId: S, messageId: 'm', partId: 'p1', delta: 'Hel' });
    ev({ type: 'text', sessionId: S, messageId: 'm', partId: 'p1', delta: 'lo' });
    ev({ type: 'tool.started', sessionId: S, messageId: 'm', partId: 'p2', callId: 'c1', tool: 'bash', input: { command: 'ls' } });
    ev({ type: 'tool.finished', sessionId: S, messageId: 'm', partId: 'p2', callId: 'c1', tool: 'bash', input: { command: 'ls' }, ok: true, output: 'a\nb' });
    ev({
      type: 'tool.finished',
      sessionId: S,
      messageId: 'm',
      partId: 'p3',
      callId: 'c2',
      tool: 'edit',
      input: { filePath: 'x.ts', oldString: 'a', newString: 'b' },
      ok: true,
      output: '',
    });
    ev({ type: 'permission.asked', sessionId: S, requestId: 'r1', permission: 'bash', patterns: ['curl *'] });
    expect(m.rows()[0]!.waiting).toBe(true);
    ev({ type: 'permission.answered', sessionId: S, requestId: 'r1', reply: 'reject' });
    expect(m.rows()[0]!.waiting).toBe(false);
    const items = m.items('g/a');
    expect(items.map((i) => i.kind)).toEqual(['text', 'tool', 'tool', 'permission']);
    expect(items[0]).toMatchObject({ text: 'Hello', done: false });
    expect(items[1]).toMatchObject({ tool: 'bash', title: 'ls', state: 'ok', output: 'a\nb' });
    expect(items[2]).toMatchObject({ before: 'a', after: 'b' });
    expect(items[3]).toMatchObject({ answered: 'reject' });
  });

  it('puts findings after the step they point at, and finds the first bad one', () => {
    const m = new PanelModel();
    m.onRun(run('g/a', { status: 'needs-review', attempt: 1 }));
    m.onEvent('g/a', {
      type: 'tool.finished',
      sessionId: S,
      messageId: 'm',
      partId: 'p',
      callId: 'c1',
      tool: 'bash',
      input: { command: 'sed -i x tests/f.json' },
      ok: true,
      output: '',
    });
    m.onEvent('g/a', { type: 'text.done', sessionId: S, messageId: 'm', partId: 't', text: 'Done!' });
    m.onReport({
      version: 1,
      key: 'g/a',
      integrationId: 'g',
      interactionId: 'a',
      folder: '/w',
      attempt: 1,
      verdict: 'failed',
      startedAt: '',
      durationMs: 1,
      checks: [
        {
          check: 'transcript',
          outcome: 'failed',
          durationMs: 1,
          findings: [
            {
              check: 'transcript',
              rule: 'transcript.fixture-edit',
              severity: 'error',
              message: 'edited a fixture',
              step: { attempt: 1, line: 2, callId: 'c1' },
            },
          ],
        },
      ],
    });
    expect(m.items('g/a').map((i) => i.kind)).toEqual(['tool', 'finding', 'text']);
    expect(m.firstBadItem('g/a')).toBe('finding:0');
    expect(m.rows()[0]!.verdict).toBe('failed');
  });

  it('a run whose commands ran without the sandbox says unsandboxed in its row (and the row still parses)', () => {
    const m = new PanelModel();
    m.onRun(run('g/u', { status: 'running', attempt: 1, sandbox: 'unsandboxed' }));
    m.onRun(run('g/s', { status: 'running', attempt: 1, sandbox: 'bwrap' }));
    expect(m.rows().map((r) => [r.key, r.unsandboxed])).toEqual([
      ['g/s', false],
      ['g/u', true],
    ]);
    expect(parseHostMessage({ type: 'agents', agents: m.rows(), totals: m.totals(), demo: false })).toBeDefined();
  });

  it('sorts what needs attention first', () => {
    const row = (key: string, status: AgentRow['status'], waiting = false): AgentRow => ({
      key,
      status,
      waiting,
      attempt: 1,
      steps: 0,
      costUsd: 0,
      tokens: 0,
      violations: 0,
      demo: false,
    });
    expect(
      sortByAttention([row('v', 'verified'), row('r', 'running'), row('f', 'failed'), row('w', 'running', true), row('b', 'blocked')]).map((r) => r.key),
    ).toEqual(['b', 'w', 'f', 'r', 'v']);
  });
});

describe('PanelModel: evidence that cannot be read', () => {
  it('a torn line and an unreadable transcript are shown as errors in the stream, not skipped', () => {
    const m = new PanelModel();
    m.onRun(run('g/a', { status: 'failed', attempt: 1 }));
    m.loadTranscript('g/a', [
      { type: 'prompt', text: 'Build it' },
      { type: 'unreadable-line', line: 4, error: 'Unexpected end of JSON input', text: '{"type":"tool.sta' },
    ]);
    expect(m.items('g/a')).toEqual([
      { id: 'prompt', kind: 'prompt', text: 'Build it' },
      { id: 'unreadable-4', kind: 'error', text: 'line 5 of the transcript file cannot be read (Unexpected end of JSON input); it is left out' },
    ]);
    m.loadTranscript('g/a', [{ type: 'unreadable-file', error: 'EACCES: permission denied' }]);
    expect(m.items('g/a')).toEqual([
      {
        id: 'unreadable-file',
        kind: 'error',
        text: 'the transcript of this attempt cannot be read (EACCES: permission denied): what the agent did is unknown',
      },
    ]);
  });
});

describe('Coalescer', () => {
  it('sends at most one stream message per interval, with each changed item once in its latest form; nothing dropped', () => {
    vi.useFakeTimers();
    const m = new PanelModel();
    const sent: HostMessage[] = [];
    const c = new Coalescer(m, (x) => sent.push(x), 50);
    c.selected = 'g/a';
    m.onRun(run('g/a', { status: 'running', attempt: 1 }));
    for (let i = 0; i < 1000; i++) c.items('g/a', m.onEvent('g/a', { type: 'text', sessionId: S, messageId: 'm', partId: `p${i % 10}`, delta: 'x' }));
    c.items('g/b', m.onEvent('g/b', { type: 'text', sessionId: S, messageId: 'm', partId: 'q', delta: 'y' }));
    expect(sent).toEqual([]);
    vi.advanceTimersByTime(50);
    const streams = sent.filter((s): s is Extract<HostMessage, { type: 'stream' }> => s.type === 'stream');
    expect(streams).toHaveLength(1); // only the selected agent's stream goes out
    expect(streams[0]!.items).toHaveLength(10);
    expect(streams[0]!.items.every((i) => i.kind === 'text' && i.text.length === 100)).toBe(true);
    expect(sent.filter((s) => s.type === 'agents')).toHaveLength(1);
    // Selecting the other agent repaints its whole stream at once.
    sent.length = 0;
    c.selected = 'g/b';
    c.repaint();
    expect(sent.find((s) => s.type === 'stream')).toMatchObject({ key: 'g/b', reset: true, items: [{ text: 'y' }] });
    vi.useRealTimers();
  });
});
