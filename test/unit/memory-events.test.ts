// Memory that does not grow with N (issue 15, item 3): the event normaliser's state after many runs.
// Each "run" is one session's turn as opencode streams it (a reasoning part, a text part with deltas, a
// tool that runs and completes, a step, the completed assistant message, idle), then forgotten as the
// connection does when the run ends; then the events that can still arrive after that (idle again, the
// message updated, a title) — what made state grow back one session at a time.
import { describe, expect, it } from 'vitest';
import { EventNormalizer, type AgentEvent } from '../../src/core/agent/events';

const N = 500;

function turn(sessionID: string): unknown[] {
  const messageID = `msg_${sessionID}`;
  const part = (id: string, extra: Record<string, unknown>) => ({ type: 'message.part.updated', properties: { part: { id, sessionID, messageID, ...extra } } });
  return [
    { type: 'session.status', properties: { sessionID, status: { type: 'busy' } } },
    part(`prt_r_${sessionID}`, { type: 'reasoning', text: '', time: { start: 1 } }),
    { type: 'message.part.delta', properties: { sessionID, messageID, partID: `prt_r_${sessionID}`, field: 'text', delta: 'Thinking.' } },
    part(`prt_r_${sessionID}`, { type: 'reasoning', text: 'Thinking.', time: { start: 1, end: 2 } }),
    part(`prt_t_${sessionID}`, { type: 'text', text: '', time: { start: 2 } }),
    { type: 'message.part.delta', properties: { sessionID, messageID, partID: `prt_t_${sessionID}`, field: 'text', delta: 'Done.' } },
    part(`prt_t_${sessionID}`, { type: 'text', text: 'Done.', time: { start: 2, end: 3 } }),
    part(`prt_c_${sessionID}`, { type: 'tool', tool: 'bash', callID: `call_${sessionID}`, state: { status: 'running', input: { command: 'ls' } } }),
    part(`prt_c_${sessionID}`, {
      type: 'tool',
      tool: 'bash',
      callID: `call_${sessionID}`,
      state: { status: 'completed', input: { command: 'ls' }, output: 'x' },
    }),
    part(`prt_s_${sessionID}`, { type: 'step-finish', cost: 0.01, tokens: { input: 10, output: 2 } }),
    { type: 'message.updated', properties: { info: { id: messageID, sessionID, role: 'assistant', finish: 'stop', time: { created: 1, completed: 4 } } } },
    { type: 'session.status', properties: { sessionID, status: { type: 'idle' } } },
  ];
}

function late(sessionID: string): unknown[] {
  return [
    { type: 'session.idle', properties: { sessionID } },
    {
      type: 'message.updated',
      properties: { info: { id: `msg_${sessionID}`, sessionID, role: 'assistant', finish: 'stop', time: { created: 1, completed: 4 } } },
    },
    { type: 'session.status', properties: { sessionID, status: { type: 'idle' } } },
  ];
}

const types = (events: readonly AgentEvent[]) => events.map((e) => e.type);

describe('EventNormalizer memory over N runs (issue 15, item 3)', () => {
  it(`holds no session after ${N} runs end, and their late events keep only a few`, () => {
    const n = new EventNormalizer();
    for (let i = 0; i < N; i++) {
      const s = `ses_${i}`;
      const out = turn(s).flatMap((p) => n.normalize(p));
      // Each run reads as a whole: deltas, the tool's start and end, the step, one finished.
      expect(types(out)).toEqual(['status', 'reasoning', 'reasoning.done', 'text', 'text.done', 'tool.started', 'tool.finished', 'step', 'status', 'finished']);
      n.forget(s);
    }
    expect(n.trackedSessions).toBe(0);
    for (let i = 0; i < N; i++) for (const p of late(`ses_${i}`)) n.normalize(p);
    expect(n.trackedSessions).toBeLessThanOrEqual(32);
    for (let i = 0; i < N; i++) n.forget(`ses_${i}`);
    expect(n.trackedSessions).toBe(0);
  });

  it('caps sessions nobody forgets (another client on a shared server) without touching a busy one', () => {
    const n = new EventNormalizer({ sessions: 64, afterEnd: 8, ended: 128 });
    const ours = 'ses_ours';
    const [first, ...rest] = turn(ours);
    n.normalize(first);
    for (let i = 0; i < N; i++) {
      for (const p of turn(`ses_foreign_${i}`)) n.normalize(p);
      // Ours keeps streaming meanwhile: heard from recently, it is never the one dropped.
      if (i % 10 === 0) n.normalize({ type: 'session.status', properties: { sessionID: ours, status: { type: 'busy' } } });
      expect(n.trackedSessions).toBeLessThanOrEqual(64);
    }
    expect(types(rest.flatMap((p) => n.normalize(p)))).toContain('finished');
  });

  it('a session re-attached after it was forgotten keeps its state like a live one', () => {
    const n = new EventNormalizer({ sessions: 64, afterEnd: 2, ended: 128 });
    const s = 'ses_back';
    n.forget(s);
    n.resume(s);
    const [head, ...tail] = turn(s);
    n.normalize(head);
    // Many other sessions heard from after their end would push it out of the few kept after an end.
    for (let i = 0; i < 10; i++) {
      n.forget(`ses_gone_${i}`);
      for (const p of late(`ses_gone_${i}`)) n.normalize(p);
    }
    expect(types(tail.flatMap((p) => n.normalize(p)))).toContain('finished');
    expect(n.trackedSessions).toBeLessThanOrEqual(1 + 2);
  });
});
