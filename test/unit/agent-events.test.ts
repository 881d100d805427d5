import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { addTokens, EventNormalizer, totalTokens, ZERO_TOKENS, type AgentEvent, type Tokens } from '../../src/core/agent/events';

// A real recording of opencode 1.18.33's global event stream for one session: reasoning, text, a
// write tool, a bash tool, and a final text. Each line is one global event; `.payload` is the event.
const FIXTURE = path.resolve(__dirname, '../fixtures/opencode-1.18.33-basic-events.jsonl');

interface GlobalEvent {
  readonly payload: unknown;
}

function payloads(): unknown[] {
  return readFileSync(FIXTURE, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => (JSON.parse(l) as GlobalEvent).payload);
}

function replay(list: readonly unknown[] = payloads(), n = new EventNormalizer()): AgentEvent[] {
  return list.flatMap((p) => n.normalize(p));
}

type Of<T extends AgentEvent['type']> = Extract<AgentEvent, { type: T }>;
const ofType = <T extends AgentEvent['type']>(events: readonly AgentEvent[], type: T): Of<T>[] => events.filter((e): e is Of<T> => e.type === type);

const SESSION = 'ses_dfdcbba6effe22F0KvQ3wbdWxe';
const MSG1 = 'msg_202344c06001pxAnvgxX6uNUsL';
const MSG2 = 'msg_2023450a7001v7ulylb2ZH665T';
const MSG3 = 'msg_202345353001nmKwsE5sxEgh2k';

/** The last `session.updated` of the recording: the session's own totals. */
function sessionTotals(): { cost: number; tokens: Tokens } {
  let last: { cost: number; tokens: { input: number; output: number; reasoning: number; cache: { read: number; write: number } } } | undefined;
  for (const p of payloads() as { type?: string; properties?: { info?: typeof last } }[]) {
    if (p.type === 'session.updated' && p.properties?.info) last = p.properties.info;
  }
  if (!last) throw new Error('the fixture has no session.updated');
  const t = last.tokens;
  return {
    cost: last.cost,
    tokens: { input: t.input, output: t.output, reasoning: t.reasoning, cacheRead: t.cache.read, cacheWrite: t.cache.write },
  };
}

describe('EventNormalizer on a real opencode 1.18.33 recording', () => {
  it('yields the exact sequence of normalised events', () => {
    const events = replay();
    expect(events.map((e) => e.type)).toEqual([
      'status', // busy
      'status', // busy
      'reasoning',
      'reasoning.done',
      'text',
      'tool.started', // write
      'text.done',
      'tool.finished', // write
      'step',
      'status',
      'status',
      'tool.started', // bash
      'tool.finished', // bash
      'step',
      'status',
      'status',
      'text',
      'text.done',
      'step',
      'status',
      'status', // idle
      'finished',
    ]);
    // Every event belongs to the one session.
    expect(new Set(events.map((e) => e.sessionId))).toEqual(new Set([SESSION]));
  });

  it('reports the statuses: busy while working, idle once at the end', () => {
    const statuses = ofType(replay(), 'status').map((e) => e.status);
    expect(statuses).toEqual(['busy', 'busy', 'busy', 'busy', 'busy', 'busy', 'busy', 'idle']);
    for (const s of ofType(replay(), 'status')) {
      expect(s.attempt).toBeUndefined();
      expect(s.message).toBeUndefined();
      expect(s.nextAt).toBeUndefined();
    }
  });

  it('reports the write and the bash tool, each started and finished once, with call ids and results', () => {
    const events = replay();
    const started = ofType(events, 'tool.started');
    const finished = ofType(events, 'tool.finished');
    expect(started.map((e) => [e.tool, e.callId, e.messageId])).toEqual([
      ['write', 'call_1_0', MSG1],
      ['bash', 'call_2_0', MSG2],
    ]);
    expect(finished.map((e) => [e.tool, e.callId, e.ok, e.messageId])).toEqual([
      ['write', 'call_1_0', true, MSG1],
      ['bash', 'call_2_0', true, MSG2],
    ]);
    // A start and its finish share the part.
    expect(finished.map((e) => e.partId)).toEqual(started.map((e) => e.partId));

    const [write, bash] = finished;
    expect(write).toMatchObject({
      input: { filePath: '/tmp/probe/ws/hello.ts', content: 'export const x = 1;\n' },
      output: 'Wrote file successfully.',
      title: 'tmp/probe/ws/hello.ts',
    });
    expect(started[0]!.input).toEqual(write!.input);
    expect(bash).toMatchObject({ input: { command: 'ls -la', description: 'List files' }, title: 'ls -la' });
    expect(bash!.output).toContain('hello.ts');
    for (const f of finished) {
      expect(typeof f.durationMs).toBe('number');
      expect(f.durationMs).toBeGreaterThan(0);
    }
  });

  it('reports one step per model call, whose costs and tokens add up to the session totals', () => {
    const steps = ofType(replay(), 'step');
    expect(steps.map((s) => s.messageId)).toEqual([MSG1, MSG2, MSG3]);
    for (const s of steps) {
      expect(s.costUsd).toBe(0.0045);
      expect(s.tokens).toEqual({ input: 1000, output: 100, reasoning: 0, cacheRead: 0, cacheWrite: 0 });
    }
    const totals = sessionTotals();
    const cost = steps.reduce((sum, s) => sum + s.costUsd, 0);
    const tokens = steps.reduce((sum, s) => addTokens(sum, s.tokens), ZERO_TOKENS);
    expect(cost).toBeCloseTo(totals.cost, 12);
    expect(tokens).toEqual(totals.tokens);
    expect(tokens).toEqual({ input: 3000, output: 300, reasoning: 0, cacheRead: 0, cacheWrite: 0 });
    expect(totalTokens(tokens)).toBe(3300);
  });

  it('text deltas concatenate to the full text of their part, and reasoning is "Think first."', () => {
    const events = replay();
    const done = ofType(events, 'text.done');
    expect(done.map((d) => [d.messageId, d.text])).toEqual([
      [MSG1, "I'll create the file."],
      [MSG3, 'Done.'],
    ]);
    for (const d of done) {
      const deltas = ofType(events, 'text').filter((t) => t.partId === d.partId);
      expect(deltas.length).toBeGreaterThan(0);
      expect(deltas.map((t) => t.delta).join('')).toBe(d.text);
    }
    // Every text delta belongs to a part that is later done.
    expect(new Set(ofType(events, 'text').map((t) => t.partId))).toEqual(new Set(done.map((d) => d.partId)));

    const reasoning = ofType(events, 'reasoning');
    expect(reasoning.map((r) => r.delta)).toEqual(['Think first.']);
    expect(ofType(events, 'reasoning.done')).toEqual([
      { type: 'reasoning.done', sessionId: SESSION, messageId: MSG1, partId: reasoning[0]!.partId, text: 'Think first.' },
    ]);
  });

  it('ends with exactly one "finished" for the last message, with its final text and finish reason', () => {
    const events = replay();
    const finished = ofType(events, 'finished');
    expect(finished).toEqual([{ type: 'finished', sessionId: SESSION, messageId: MSG3, finish: 'stop', text: 'Done.' }]);
    expect(events[events.length - 1]).toBe(finished[0]);
  });

  it('gives the same events when the recording is replayed twice on fresh normalisers', () => {
    expect(replay()).toEqual(replay());
  });
});

// ------------------------------------------------------------------------------------------------
// Hand-made payloads, in opencode 1.18's shapes.

const S = 'ses_1';
const M = 'msg_1';

const partUpdated = (part: Record<string, unknown>) => ({ type: 'message.part.updated', properties: { part: { sessionID: S, messageID: M, ...part } } });
const delta = (partID: string, text: string, field = 'text', messageID = M) => ({
  type: 'message.part.delta',
  properties: { sessionID: S, messageID, partID, field, delta: text },
});
const tool = (status: string, state: Record<string, unknown> = {}, id = 'prt_tool', callID = 'call_1') =>
  partUpdated({ id, type: 'tool', tool: 'bash', callID, state: { status, input: { command: 'ls' }, ...state } });
const assistant = (info: Record<string, unknown>, id = M) => ({
  type: 'message.updated',
  properties: { sessionID: S, info: { id, role: 'assistant', sessionID: S, ...info } },
});
const statusOf = (type: string, extra: Record<string, unknown> = {}) => ({ type: 'session.status', properties: { sessionID: S, status: { type, ...extra } } });
const idle = () => ({ type: 'session.idle', properties: { sessionID: S } });
const textPart = (id: string, text: string, end?: number, messageID = M) =>
  partUpdated({ id, messageID, type: 'text', text, time: end ? { start: 1, end } : { start: 1 } });

describe('EventNormalizer: unknown and malformed input', () => {
  const junk: unknown[] = [
    undefined,
    null,
    0,
    42,
    NaN,
    '',
    'message.part.updated',
    true,
    [],
    [1, 2],
    {},
    { type: 42 },
    { type: null },
    { type: 'server.connected', properties: {} },
    { type: 'plugin.added', properties: { name: 'x' } },
    { type: 'sync', syncEvent: { type: 'message.part.updated.1', data: {} } },
    { type: 'message.part.updated' },
    { type: 'message.part.updated', properties: null },
    { type: 'message.part.updated', properties: { part: 'nope' } },
    { type: 'message.part.updated', properties: { part: { id: 'p', type: 'text', text: 'x', time: { end: 1 } } } }, // no session
    { type: 'message.part.updated', properties: { part: { sessionID: S, type: 'text', text: 'x', time: { end: 1 } } } }, // no part id
    { type: 'message.part.updated', properties: { part: { sessionID: S, id: 'p', type: 'step-start' } } },
    { type: 'message.part.updated', properties: { part: { sessionID: S, id: 'p2', type: 'mystery' } } },
    { type: 'message.part.updated', properties: { part: { sessionID: S, id: 'p3', type: 'tool', state: 'broken' } } },
    { type: 'message.part.updated', properties: { part: { sessionID: S, id: 'p4', type: 'tool', state: { status: 'weird' } } } },
    { type: 'message.part.delta', properties: {} },
    { type: 'message.part.delta', properties: { sessionID: S, partID: 'never-seen', field: 'text', delta: 'x' } },
    { type: 'message.updated', properties: {} },
    { type: 'message.updated', properties: { info: { role: 'assistant' } } },
    { type: 'message.updated', properties: { info: { role: 'user', sessionID: S, id: 'm' } } },
    { type: 'session.status', properties: {} },
    { type: 'session.status', properties: { sessionID: S } },
    { type: 'session.status', properties: { sessionID: S, status: { type: 'sleeping' } } },
    { type: 'session.status', properties: { status: { type: 'busy' } } },
    { type: 'session.idle', properties: {} },
    { type: 'session.idle', properties: { sessionID: S } }, // idle with no assistant message yet
    { type: 'session.error', properties: {} },
    { type: 'session.error', properties: { error: { name: 'X' } } }, // no session
    { type: 'permission.asked', properties: {} },
    { type: 'permission.replied', properties: { sessionID: S, requestID: 'r', reply: 'maybe' } },
    { type: 'permission.replied', properties: { requestID: 'r', reply: 'once' } },
  ];

  it.each(junk.map((j, i) => [i, j] as const))('payload #%i gives [] and does not throw', (_i, payload) => {
    const n = new EventNormalizer();
    expect(() => n.normalize(payload)).not.toThrow();
    expect(n.normalize(payload)).toEqual([]);
  });

  it('keeps working normally after junk', () => {
    const n = new EventNormalizer();
    for (const j of junk) n.normalize(j);
    expect(n.normalize(statusOf('busy'))).toEqual([{ type: 'status', sessionId: S, status: 'busy' }]);
  });
});

describe('EventNormalizer: text and reasoning', () => {
  it('reports deltas of known text and reasoning parts, and ignores deltas of unknown parts', () => {
    const n = new EventNormalizer();
    expect(n.normalize(delta('prt_text', 'early'))).toEqual([]); // part not announced yet
    expect(n.normalize(textPart('prt_text', ''))).toEqual([]);
    expect(n.normalize(delta('prt_text', 'Hel'))).toEqual([{ type: 'text', sessionId: S, messageId: M, partId: 'prt_text', delta: 'Hel' }]);
    expect(n.normalize(delta('prt_text', 'lo'))).toEqual([{ type: 'text', sessionId: S, messageId: M, partId: 'prt_text', delta: 'lo' }]);
    expect(n.normalize(delta('prt_other', 'x'))).toEqual([]);
    expect(n.normalize(textPart('prt_text', 'Hello', 5))).toEqual([{ type: 'text.done', sessionId: S, messageId: M, partId: 'prt_text', text: 'Hello' }]);

    expect(n.normalize(partUpdated({ id: 'prt_r', type: 'reasoning', text: '', time: { start: 1 } }))).toEqual([]);
    expect(n.normalize(delta('prt_r', 'hmm'))).toEqual([{ type: 'reasoning', sessionId: S, messageId: M, partId: 'prt_r', delta: 'hmm' }]);
    expect(n.normalize(partUpdated({ id: 'prt_r', type: 'reasoning', text: 'hmm', time: { start: 1, end: 2 } }))).toEqual([
      { type: 'reasoning.done', sessionId: S, messageId: M, partId: 'prt_r', text: 'hmm' },
    ]);
  });

  it('ignores deltas of tool parts, deltas of other fields, and deltas without a session', () => {
    const n = new EventNormalizer();
    n.normalize(tool('pending', {}, 'prt_t'));
    expect(n.normalize(delta('prt_t', 'x'))).toEqual([]);
    n.normalize(textPart('prt_text', ''));
    expect(n.normalize(delta('prt_text', 'x', 'metadata'))).toEqual([]);
    expect(n.normalize({ type: 'message.part.delta', properties: { partID: 'prt_text', field: 'text', delta: 'x' } })).toEqual([]);
  });

  it('does not report a synthetic text part as done', () => {
    const n = new EventNormalizer();
    expect(n.normalize(partUpdated({ id: 'prt_s', type: 'text', text: 'injected', synthetic: true, time: { start: 1, end: 2 } }))).toEqual([]);
  });
});

describe('EventNormalizer: tools', () => {
  it('reports pending → running → completed as one start and one finish', () => {
    const n = new EventNormalizer();
    expect(n.normalize(tool('pending'))).toEqual([]);
    const started = n.normalize(tool('running', { time: { start: 100 } }));
    expect(started).toEqual([
      { type: 'tool.started', sessionId: S, messageId: M, partId: 'prt_tool', callId: 'call_1', tool: 'bash', input: { command: 'ls' } },
    ]);
    // Repeated running updates (metadata) are not reported again.
    expect(n.normalize(tool('running', { time: { start: 100 }, metadata: { output: 'a' } }))).toEqual([]);
    const finished = n.normalize(tool('completed', { output: 'a\nb', title: 'ls', time: { start: 100, end: 350 } }));
    expect(finished).toEqual([
      {
        type: 'tool.finished',
        sessionId: S,
        messageId: M,
        partId: 'prt_tool',
        callId: 'call_1',
        tool: 'bash',
        input: { command: 'ls' },
        ok: true,
        output: 'a\nb',
        title: 'ls',
        durationMs: 250,
      },
    ]);
    expect(n.normalize(tool('completed', { output: 'a\nb', title: 'ls', time: { start: 100, end: 350 } }))).toEqual([]);
  });

  it('reports a tool that goes from pending straight to completed as started, then finished', () => {
    const n = new EventNormalizer();
    expect(n.normalize(tool('pending'))).toEqual([]);
    const out = n.normalize(tool('completed', { output: 'done', title: 't', time: { start: 1, end: 2 } }));
    expect(out.map((e) => e.type)).toEqual(['tool.started', 'tool.finished']);
    expect(out[0]).toEqual({ type: 'tool.started', sessionId: S, messageId: M, partId: 'prt_tool', callId: 'call_1', tool: 'bash', input: { command: 'ls' } });
    expect(out[1]).toMatchObject({ type: 'tool.finished', callId: 'call_1', ok: true, output: 'done' });
  });

  it('reports a tool first seen completed as started, then finished', () => {
    const n = new EventNormalizer();
    expect(n.normalize(tool('completed', { output: 'x', time: { start: 1, end: 3 } })).map((e) => e.type)).toEqual(['tool.started', 'tool.finished']);
  });

  it('reports a tool error as ok: false with the error text', () => {
    const n = new EventNormalizer();
    n.normalize(tool('pending'));
    n.normalize(tool('running', { time: { start: 10 } }));
    const out = n.normalize(tool('error', { error: 'Error: command not found: lss', time: { start: 10, end: 30 } }));
    expect(out).toEqual([
      {
        type: 'tool.finished',
        sessionId: S,
        messageId: M,
        partId: 'prt_tool',
        callId: 'call_1',
        tool: 'bash',
        input: { command: 'ls' },
        ok: false,
        output: 'Error: command not found: lss',
        title: undefined,
        durationMs: 20,
      },
    ]);
  });

  it('reports a tool error without running as started, then finished with ok: false', () => {
    const n = new EventNormalizer();
    n.normalize(tool('pending'));
    const out = n.normalize(tool('error', { error: 'The user rejected permission', time: { start: 1, end: 2 } }));
    expect(out.map((e) => e.type)).toEqual(['tool.started', 'tool.finished']);
    expect(out[1]).toMatchObject({ ok: false, output: 'The user rejected permission' });
  });

  it('keeps tools apart by part', () => {
    const n = new EventNormalizer();
    const a = n.normalize(tool('running', {}, 'prt_a', 'call_a'));
    const b = n.normalize(tool('running', {}, 'prt_b', 'call_b'));
    expect(a.map((e) => e.type === 'tool.started' && e.callId)).toEqual(['call_a']);
    expect(b.map((e) => e.type === 'tool.started' && e.callId)).toEqual(['call_b']);
    expect(n.normalize(tool('completed', { output: 'B' }, 'prt_b', 'call_b'))).toMatchObject([{ type: 'tool.finished', callId: 'call_b', output: 'B' }]);
    expect(n.normalize(tool('completed', { output: 'A' }, 'prt_a', 'call_a'))).toMatchObject([{ type: 'tool.finished', callId: 'call_a', output: 'A' }]);
  });

  it('leaves the duration out when the tool has no timing', () => {
    const n = new EventNormalizer();
    n.normalize(tool('running'));
    const [f] = n.normalize(tool('completed', { output: 'x' }));
    expect(f).toMatchObject({ type: 'tool.finished', ok: true });
    expect((f as Of<'tool.finished'>).durationMs).toBeUndefined();
  });
});

describe('EventNormalizer: steps', () => {
  it('reports each step-finish part once, with cost and tokens (cache included)', () => {
    const n = new EventNormalizer();
    const step = partUpdated({
      id: 'prt_step',
      type: 'step-finish',
      reason: 'stop',
      cost: 0.25,
      tokens: { total: 999, input: 10, output: 20, reasoning: 3, cache: { read: 40, write: 5 } },
    });
    expect(n.normalize(step)).toEqual([
      { type: 'step', sessionId: S, messageId: M, costUsd: 0.25, tokens: { input: 10, output: 20, reasoning: 3, cacheRead: 40, cacheWrite: 5 } },
    ]);
    expect(n.normalize(step)).toEqual([]);
  });

  it('counts missing or non-numeric cost and tokens as 0', () => {
    const n = new EventNormalizer();
    const out = n.normalize(partUpdated({ id: 'prt_step2', type: 'step-finish', cost: 'free', tokens: { input: NaN, output: Infinity } }));
    expect(out).toEqual([{ type: 'step', sessionId: S, messageId: M, costUsd: 0, tokens: ZERO_TOKENS }]);
  });
});

describe('EventNormalizer: session status and errors', () => {
  it('reports busy and idle', () => {
    const n = new EventNormalizer();
    expect(n.normalize(statusOf('busy'))).toEqual([{ type: 'status', sessionId: S, status: 'busy' }]);
    expect(n.normalize(statusOf('idle'))).toEqual([{ type: 'status', sessionId: S, status: 'idle' }]);
  });

  it('reports a retry with its attempt, message and when the next try is due', () => {
    const n = new EventNormalizer();
    const out = n.normalize(statusOf('retry', { attempt: 3, message: 'Provider is overloaded', next: 1795333400000 }));
    expect(out).toEqual([{ type: 'status', sessionId: S, status: 'retry', attempt: 3, message: 'Provider is overloaded', nextAt: 1795333400000 }]);
  });

  it('reports a session error with its name and data.message', () => {
    const n = new EventNormalizer();
    const out = n.normalize({
      type: 'session.error',
      properties: { sessionID: S, error: { name: 'ProviderAuthError', data: { providerID: 'anthropic', message: 'invalid x-api-key' } } },
    });
    expect(out).toEqual([{ type: 'error', sessionId: S, name: 'ProviderAuthError', message: 'invalid x-api-key' }]);
  });

  it('falls back to the name when an error has no message, and to UnknownError with no name', () => {
    const n = new EventNormalizer();
    expect(n.normalize({ type: 'session.error', properties: { sessionID: S, error: { name: 'MessageAbortedError', data: {} } } })).toEqual([
      { type: 'error', sessionId: S, name: 'MessageAbortedError', message: 'MessageAbortedError' },
    ]);
    expect(n.normalize({ type: 'session.error', properties: { sessionID: S } })).toEqual([
      { type: 'error', sessionId: S, name: 'UnknownError', message: 'UnknownError' },
    ]);
  });
});

describe('EventNormalizer: permissions', () => {
  it('reports a permission request with its patterns and tool call', () => {
    const n = new EventNormalizer();
    const out = n.normalize({
      type: 'permission.asked',
      properties: {
        id: 'per_1',
        sessionID: S,
        permission: 'external_directory',
        patterns: ['/etc/*', 7, '/var/*'],
        metadata: {},
        always: [],
        tool: { messageID: M, callID: 'call_9' },
      },
    });
    expect(out).toEqual([
      { type: 'permission.asked', sessionId: S, requestId: 'per_1', permission: 'external_directory', patterns: ['/etc/*', '/var/*'], callId: 'call_9' },
    ]);
  });

  it('reports a permission request without a tool or patterns', () => {
    const n = new EventNormalizer();
    const out = n.normalize({ type: 'permission.asked', properties: { id: 'per_2', sessionID: S, permission: 'bash' } });
    expect(out).toEqual([{ type: 'permission.asked', sessionId: S, requestId: 'per_2', permission: 'bash', patterns: [], callId: undefined }]);
  });

  it.each(['once', 'always', 'reject'] as const)('reports the reply %s', (reply) => {
    const n = new EventNormalizer();
    expect(n.normalize({ type: 'permission.replied', properties: { sessionID: S, requestID: 'per_1', reply } })).toEqual([
      { type: 'permission.answered', sessionId: S, requestId: 'per_1', reply },
    ]);
  });
});

describe('EventNormalizer: finished', () => {
  const completed = (finish = 'stop', extra: Record<string, unknown> = {}, id = M) => assistant({ time: { created: 1, completed: 2 }, finish, ...extra }, id);

  it('reports finished on idle after a completed assistant message, with its last text', () => {
    const n = new EventNormalizer();
    n.normalize(statusOf('busy'));
    n.normalize(assistant({ time: { created: 1 } }));
    n.normalize(textPart('prt_1', 'First part.', 3));
    n.normalize(textPart('prt_2', 'All done.', 4));
    n.normalize(completed('stop'));
    expect(n.normalize(statusOf('idle'))).toEqual([
      { type: 'status', sessionId: S, status: 'idle' },
      { type: 'finished', sessionId: S, messageId: M, finish: 'stop', text: 'All done.' },
    ]);
  });

  it('reports finished only once per message even if idle arrives twice (status and session.idle)', () => {
    const n = new EventNormalizer();
    n.normalize(textPart('prt_1', 'Done.', 3));
    n.normalize(completed());
    const first = n.normalize(statusOf('idle'));
    const second = n.normalize(idle());
    const third = n.normalize(statusOf('idle'));
    expect(ofType(first, 'finished')).toHaveLength(1);
    expect(second).toEqual([]);
    expect(ofType(third, 'finished')).toEqual([]);
  });

  it('reports finished on session.idle alone', () => {
    const n = new EventNormalizer();
    n.normalize(textPart('prt_1', 'Done.', 3));
    n.normalize(completed('stop'));
    expect(n.normalize(idle())).toEqual([{ type: 'finished', sessionId: S, messageId: M, finish: 'stop', text: 'Done.' }]);
    expect(n.normalize(statusOf('idle'))).toEqual([{ type: 'status', sessionId: S, status: 'idle' }]);
  });

  it('does not report finished when the last assistant message has an error (aborted)', () => {
    const n = new EventNormalizer();
    n.normalize(textPart('prt_1', 'Working on it', 3));
    n.normalize(completed('stop', { error: { name: 'MessageAbortedError', data: { message: 'The operation was aborted.' } } }));
    expect(n.normalize(statusOf('idle'))).toEqual([{ type: 'status', sessionId: S, status: 'idle' }]);
    expect(n.normalize(idle())).toEqual([]);
  });

  it('does not report finished when the last assistant message is not completed', () => {
    const n = new EventNormalizer();
    n.normalize(textPart('prt_1', 'Half', 3));
    n.normalize(assistant({ time: { created: 1 } }));
    expect(ofType(n.normalize(statusOf('idle')), 'finished')).toEqual([]);
    expect(n.normalize(idle())).toEqual([]);
  });

  it('does not report finished for an earlier completed message once a newer one is in progress', () => {
    const n = new EventNormalizer();
    n.normalize(completed('tool-calls', {}, 'msg_a'));
    n.normalize(assistant({ time: { created: 3 } }, 'msg_b'));
    expect(ofType(n.normalize(statusOf('idle')), 'finished')).toEqual([]);
  });

  it('ignores user messages when deciding what finished', () => {
    const n = new EventNormalizer();
    n.normalize(textPart('prt_1', 'Done.', 3));
    n.normalize(completed());
    n.normalize({ type: 'message.updated', properties: { sessionID: S, info: { id: 'msg_user', role: 'user', sessionID: S, time: { created: 9 } } } });
    expect(ofType(n.normalize(idle()), 'finished')).toEqual([{ type: 'finished', sessionId: S, messageId: M, finish: 'stop', text: 'Done.' }]);
  });

  it('reports the empty string as text when the finished message had no text', () => {
    const n = new EventNormalizer();
    n.normalize(completed('length'));
    expect(n.normalize(idle())).toEqual([{ type: 'finished', sessionId: S, messageId: M, finish: 'length', text: '' }]);
  });

  it('reports a second turn of the same session with its own message', () => {
    const n = new EventNormalizer();
    n.normalize(textPart('prt_1', 'One.', 3, 'msg_1'));
    n.normalize(completed('stop', {}, 'msg_1'));
    expect(ofType(n.normalize(idle()), 'finished').map((f) => [f.messageId, f.text])).toEqual([['msg_1', 'One.']]);
    n.normalize(statusOf('busy'));
    n.normalize(assistant({ time: { created: 5 } }, 'msg_2'));
    n.normalize(textPart('prt_2', 'Two.', 6, 'msg_2'));
    n.normalize(completed('stop', {}, 'msg_2'));
    expect(ofType(n.normalize(statusOf('idle')), 'finished').map((f) => [f.messageId, f.text])).toEqual([['msg_2', 'Two.']]);
  });

  it('keeps sessions apart', () => {
    const n = new EventNormalizer();
    n.normalize(textPart('prt_1', 'Done.', 3));
    n.normalize(completed());
    expect(n.normalize({ type: 'session.idle', properties: { sessionID: 'ses_other' } })).toEqual([]);
    expect(ofType(n.normalize(idle()), 'finished')).toHaveLength(1);
  });

  it('forgets a session: a later idle does not report finished', () => {
    const n = new EventNormalizer();
    n.normalize(completed());
    n.forget(S);
    expect(n.normalize(idle())).toEqual([]);
  });
});

describe('token helpers', () => {
  it('adds and totals tokens', () => {
    const a: Tokens = { input: 1, output: 2, reasoning: 3, cacheRead: 4, cacheWrite: 5 };
    const b: Tokens = { input: 10, output: 20, reasoning: 30, cacheRead: 40, cacheWrite: 50 };
    expect(addTokens(a, b)).toEqual({ input: 11, output: 22, reasoning: 33, cacheRead: 44, cacheWrite: 55 });
    expect(addTokens(ZERO_TOKENS, a)).toEqual(a);
    // Input, output and reasoning: cache reads and writes are priced in the cost, not counted again.
    expect(totalTokens(a)).toBe(6);
    expect(totalTokens(ZERO_TOKENS)).toBe(0);
  });
});

describe('EventNormalizer: bookkeeping is per session and freed by forget', () => {
  it('holds no state for a session once it is forgotten, and a replay after that starts clean', () => {
    const n = new EventNormalizer();
    const first = replay(payloads(), n);
    expect(n.trackedSessions).toBe(1);
    n.forget(SESSION);
    expect(n.trackedSessions).toBe(0);
    // Nothing about the session is left: the same stream reads the same way again.
    expect(replay(payloads(), n).map((e) => e.type)).toEqual(first.map((e) => e.type));
  });
});
