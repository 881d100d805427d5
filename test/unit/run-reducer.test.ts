// The run state machine's transitions (src/core/runs/reducer.ts) on plain values.
import { describe, expect, it } from 'vitest';
import { ZERO_TOKENS } from '../../src/core/agent/events';
import { newRunRecord, type RunRecord } from '../../src/core/runs/record';
import { reduceRun } from '../../src/core/runs/reducer';

const base = (): RunRecord =>
  newRunRecord({
    key: 'a/b',
    integrationId: 'a',
    interactionId: 'b',
    specFile: '/s/interactions.json',
    folder: '/w/a/b',
    demo: false,
    now: '2026-12-02T10:00:00.000Z',
  });
const policy = { maxRetries: 2 };
const S = { sessionId: 's1' };

describe('reduceRun', () => {
  it('never changes the record it is given', () => {
    const run = base();
    const frozen = JSON.stringify(run);
    reduceRun(run, { type: 'run.started', at: '2026-12-02T10:00:01.000Z' }, policy);
    reduceRun(run, { type: 'step', ...S, messageId: 'm', costUsd: 1, tokens: ZERO_TOKENS }, policy);
    expect(JSON.stringify(run)).toBe(frozen);
  });

  it('lifecycle: started, sandboxed, session, prompted, ended — each saved at once', () => {
    let run = base();
    const steps = [
      { type: 'run.started', at: 't1' },
      { type: 'run.sandboxed', mode: 'bwrap' },
      { type: 'run.session', sessionId: 'ses_1', serverUrl: 'http://127.0.0.1:9', owned: true },
      { type: 'run.prompted', at: 't2' },
      { type: 'run.ended', outcome: { status: 'stopped', detail: 'stopped by the user' }, at: 't3' },
    ] as const;
    for (const input of steps) {
      const r = reduceRun(run, input, policy);
      expect(r.effects).toEqual([{ kind: 'persist', soon: false }]);
      run = r.run;
    }
    expect(run).toMatchObject({
      status: 'stopped',
      detail: 'stopped by the user',
      startedAt: 't1',
      promptSentAt: 't2',
      endedAt: 't3',
      sandbox: 'bwrap',
      sessionId: 'ses_1',
      serverOwned: true,
    });
  });

  it('steps add cost and tokens, finished tool calls count; both are saved soon (throttled)', () => {
    let r = reduceRun(base(), { type: 'step', ...S, messageId: 'm', costUsd: 0.5, tokens: { ...ZERO_TOKENS, input: 10, output: 2 } }, policy);
    r = reduceRun(r.run, { type: 'step', ...S, messageId: 'm', costUsd: 0.25, tokens: { ...ZERO_TOKENS, input: 5, reasoning: 1 } }, policy);
    expect(r.run).toMatchObject({ costUsd: 0.75, steps: 2, tokens: { input: 15, output: 2, reasoning: 1 } });
    expect(r.effects).toEqual([{ kind: 'persist', soon: true }]);
    r = reduceRun(r.run, { type: 'tool.finished', ...S, messageId: 'm', partId: 'p', callId: 'c', tool: 'bash', input: {}, ok: true, output: '' }, policy);
    expect(r.run.toolCalls).toBe(1);
  });

  it('provider retries: counted and shown; past the limit the run fails and its session is aborted; busy again clears the note', () => {
    let r = reduceRun(base(), { type: 'status', ...S, status: 'retry', attempt: 1, message: '429' }, policy);
    expect(r.run.detail).toBe('the model provider is failing (attempt 1): 429');
    expect(r.effects).toEqual([{ kind: 'persist', soon: false }]);
    const cleared = reduceRun(r.run, { type: 'status', ...S, status: 'busy' }, policy);
    expect(cleared.run.detail).toBeUndefined();
    r = reduceRun(r.run, { type: 'status', ...S, status: 'retry', message: '429' }, policy);
    expect(r.run.retries).toBe(2);
    r = reduceRun(r.run, { type: 'status', ...S, status: 'retry', message: '429' }, policy);
    expect(r.effects).toEqual([
      { kind: 'persist', soon: false },
      { kind: 'abort' },
      { kind: 'settle', outcome: { status: 'failed', detail: 'stopped after 3 failed attempts to reach the model: 429' } },
    ]);
    // busy with no provider note leaves the record alone
    expect(reduceRun(base(), { type: 'status', ...S, status: 'busy' }, policy).effects).toEqual([]);
  });

  it('an error ends the run failed, unless it is being stopped (the abort echoes back as an error)', () => {
    expect(reduceRun(base(), { type: 'error', ...S, name: 'APIError', message: 'bad key' }, policy).effects).toEqual([
      { kind: 'settle', outcome: { status: 'failed', detail: 'APIError: bad key' } },
    ]);
    const stopping = { status: 'blocked' as const, detail: 'the API refused' };
    expect(reduceRun(base(), { type: 'error', ...S, name: 'MessageAbortedError', message: 'x' }, { ...policy, stopping }).effects).toEqual([
      { kind: 'settle', outcome: stopping },
    ]);
  });

  it("finished: the claim is kept and the run needs review — never verified by the agent's word", () => {
    const r = reduceRun(base(), { type: 'finished', ...S, messageId: 'm', finish: 'stop', text: 'All tests pass.' }, policy);
    expect(r.run.finalText).toBe('All tests pass.');
    expect(r.run.status).toBe('queued');
    expect(r.effects).toEqual([{ kind: 'settle', outcome: { status: 'needs-review', detail: 'the agent says it is done; verify it' } }]);
  });

  it('waiting for the agent server: said in the detail, saved at once; the session (the server is up) clears it', () => {
    const waiting = reduceRun(base(), { type: 'run.waiting', attempt: 2, reason: 'opencode serve did not report a URL within 120000 ms' }, policy);
    expect(waiting.run.detail).toBe('waiting for the agent server (attempt 2): opencode serve did not report a URL within 120000 ms');
    expect(waiting.effects).toEqual([{ kind: 'persist', soon: false }]);
    const up = reduceRun(waiting.run, { type: 'run.session', sessionId: 'ses_1', serverUrl: 'http://127.0.0.1:9', owned: true }, policy);
    expect(up.run.detail).toBeUndefined();
    // Any other detail stays.
    expect(reduceRun({ ...base(), detail: 'restarted' }, { type: 'run.session', sessionId: 'ses_1', serverUrl: 'u', owned: true }, policy).run.detail).toBe(
      'restarted',
    );
  });

  it('a violation counts on the record', () => {
    expect(reduceRun(reduceRun(base(), { type: 'run.violation' }, policy).run, { type: 'run.violation' }, policy).run.violations).toBe(2);
  });

  it('streamed text and permission events change nothing', () => {
    const run = base();
    for (const e of [
      { type: 'text', ...S, messageId: 'm', partId: 'p', delta: 'x' },
      { type: 'tool.started', ...S, messageId: 'm', partId: 'p', callId: 'c', tool: 'read', input: {} },
      { type: 'permission.asked', ...S, requestId: 'r', permission: 'edit', patterns: [] },
    ] as const) {
      const r = reduceRun(run, e, policy);
      expect(r.run).toBe(run);
      expect(r.effects).toEqual([]);
    }
  });
});
