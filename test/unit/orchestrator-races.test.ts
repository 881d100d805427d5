// The run engine's races, driven step by step through the in-memory backend (test/support/fakeBackend.ts)
// with a fixed clock: every interleaving is arranged by holding a backend call open or by pushing an
// event at a chosen point — nothing here waits for a timer to decide an outcome.
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ZERO_TOKENS } from '../../src/core/agent/events';
import { ServerStartError } from '../../src/core/agent/server';
import { Orchestrator } from '../../src/core/orchestrator';
import { RunStore } from '../../src/core/runs/store';
import type { FixtureGuard } from '../../src/core/guard/fixtureGuard';
import type { RecordOutcome } from '../../src/core/toolchain/types';
import { FakeBackend, FakeTools } from '../support/fakeBackend';
import { targetsFor } from '../support/specs';

let root: string;
let backend: FakeBackend;
let tools: FakeTools;
let o: Orchestrator;
const KEY = 'google-calendar/create-event';
const clock = () => new Date('2026-12-02T12:00:00.000Z');

function orchestrator(extra: Partial<ConstructorParameters<typeof Orchestrator>[0]> = {}): Orchestrator {
  o = new Orchestrator({ workRoot: path.join(root, 'work'), connection: backend, runs: new RunStore(path.join(root, 'work')), tools, now: clock, ...extra });
  return o;
}
const target = () => targetsFor('google-calendar', ['create-event']);
const folderOf = () => path.join(root, 'work', 'google-calendar', 'create-event');
/** The session of the run, once the orchestrator has created and prompted it. */
async function prompted(): Promise<string> {
  await vi.waitFor(() => expect(backend.calls.some((c) => c.startsWith('prompt '))).toBe(true));
  return backend.sessionIn(folderOf())!.ref.sessionId;
}
const step = (costUsd: number) => ({ type: 'step' as const, messageId: 'm1', costUsd, tokens: { ...ZERO_TOKENS, input: 100, output: 10 } });

beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), 'ib-races-'));
  backend = new FakeBackend();
  tools = new FakeTools();
});
afterEach(() => {
  o?.dispose();
  rmSync(root, { recursive: true, force: true });
});

describe('run engine races (fake backend, fixed clock)', () => {
  it('a stop during the scaffold ends the run stopped before any session exists', async () => {
    orchestrator();
    o.generate(target());
    // execute() runs synchronously up to its first await, the scaffold: the stop lands inside it.
    expect(o.get(KEY)!.status).toBe('running');
    await o.stop(KEY);
    const run = o.get(KEY)!;
    expect(run.status).toBe('stopped');
    expect(run.detail).toBe('stopped by the user');
    expect(run.endedAt).toBe('2026-12-02T12:00:00.000Z');
    expect(backend.calls.filter((c) => c.startsWith('createSession'))).toEqual([]);
    await o.whenIdle();
    const saved = (await new RunStore(path.join(root, 'work')).loadAll()).find((r) => r.key === KEY);
    expect(saved?.status).toBe('stopped');
  });

  it('a stop while the agent server is still starting ends the run stopped, and no session is created after', async () => {
    const ensure = backend.hold('ensure');
    orchestrator();
    o.generate(target());
    await ensure.reached;
    const stopped = o.stop(KEY);
    ensure.release();
    await stopped;
    await o.whenIdle();
    expect(o.get(KEY)!.status).toBe('stopped');
    expect(backend.calls.filter((c) => c.startsWith('createSession'))).toEqual([]);
  });

  it('a server slow to come up: the run waits with back-off, saying so, and starts once the server is up', async () => {
    backend.ensureFailures.push(
      new ServerStartError('opencode serve did not report a URL within 120000 ms', ''),
      new ServerStartError('opencode serve exited before it was ready (code 1, signal null)', ''),
    );
    const waits: number[] = [];
    const details: (string | undefined)[] = [];
    orchestrator({ sleep: async (ms) => void waits.push(ms) });
    o.onRunChanged((r) => details[details.length - 1] !== r.detail && details.push(r.detail));
    o.generate(target());
    const sessionId = await prompted();
    expect(backend.calls.filter((c) => c === 'ensure')).toHaveLength(3);
    expect(waits).toEqual([2000, 4000]);
    expect(details).toContain('waiting for the agent server (attempt 2): opencode serve did not report a URL within 120000 ms');
    expect(details).toContain('waiting for the agent server (attempt 3): opencode serve exited before it was ready (code 1, signal null)');
    // The server is up: the waiting line is gone, the run goes on as any other.
    expect(o.get(KEY)).toMatchObject({ status: 'running', detail: undefined, sessionId });
    backend.emit(sessionId, { type: 'finished', messageId: 'm1', finish: 'stop', text: 'Done.' });
    await o.whenIdle();
    expect(o.get(KEY)!.status).toBe('needs-review');
  });

  it('a stop while the run waits for the agent server ends it stopped at once, and it asks no more', async () => {
    backend.ensureFailures.push(new ServerStartError('opencode serve did not report a URL within 120000 ms', ''));
    let waiting!: () => void;
    const reached = new Promise<void>((r) => (waiting = r));
    // The back-off's timer never fires: only the stop can end the wait.
    orchestrator({ sleep: () => (waiting(), new Promise<void>(() => undefined)) });
    o.generate(target());
    await reached;
    expect(o.get(KEY)!.detail).toBe('waiting for the agent server (attempt 2): opencode serve did not report a URL within 120000 ms');
    await o.stop(KEY);
    await o.whenIdle();
    expect(o.get(KEY)).toMatchObject({ status: 'stopped', detail: 'stopped by the user' });
    expect(backend.calls).toEqual(['ensure']);
  });

  it('a server that never comes up fails the run only after every try, saying how many', async () => {
    for (let i = 0; i < 3; i++) backend.ensureFailures.push(new ServerStartError('opencode serve did not report a URL within 120000 ms', ''));
    orchestrator({ sleep: async () => undefined, serverRetryDelaysMs: [1, 1] });
    o.generate(target());
    await o.whenIdle();
    expect(o.get(KEY)).toMatchObject({
      status: 'failed',
      detail: 'the agent server did not come up after 3 tries: opencode serve did not report a URL within 120000 ms',
    });
    expect(backend.calls.filter((c) => c.startsWith('createSession'))).toEqual([]);
  });

  it('a remote server that refuses the connection fails the run at once (it is not starting: nothing to wait for)', async () => {
    backend.ensureFailures.push(new Error('cannot reach the opencode server at http://127.0.0.1:9: connect ECONNREFUSED'));
    const slept: number[] = [];
    orchestrator({ sleep: async (ms: number) => void slept.push(ms) });
    o.generate(target());
    await o.whenIdle();
    expect(o.get(KEY)).toMatchObject({ status: 'failed', detail: 'cannot reach the opencode server at http://127.0.0.1:9: connect ECONNREFUSED' });
    expect(slept).toEqual([]);
  });

  it('a server that cannot be run at all (no binary) fails the run at once: there is nothing to wait for', async () => {
    backend.ensureFailures.push(
      new ServerStartError('opencode serve exited before it was ready (code 127, signal null): /nowhere/opencode cannot be run', '', false),
    );
    const slept: number[] = [];
    orchestrator({ sleep: async (ms: number) => void slept.push(ms) });
    o.generate(target());
    await o.whenIdle();
    expect(o.get(KEY)).toMatchObject({ status: 'failed', detail: expect.stringMatching(/cannot be run$/) });
    expect(slept).toEqual([]);
    expect(backend.calls.filter((c) => c === 'ensure')).toHaveLength(1);
  });

  it("report_blocked ends the run blocked only once the session has the tool's answer, then aborts it", async () => {
    orchestrator();
    o.generate(target());
    const sessionId = await prompted();
    const { handler } = tools.of(folderOf());
    const result = await handler({
      tool: 'report_blocked',
      args: { reason: 'HTTP 403 insufficient scope' },
      sessionId,
      directory: folderOf(),
      callId: 'call_b',
    });
    expect(result.ok).toBe(true);
    // The answer has not reached the session's events yet: the session is not aborted, the run goes on.
    await Promise.resolve();
    expect(backend.session(sessionId).aborted).toBe(0);
    expect(o.get(KEY)!.status).toBe('running');
    backend.emit(sessionId, {
      type: 'tool.finished',
      messageId: 'm1',
      partId: 'p1',
      callId: 'call_b',
      tool: 'report_blocked',
      input: {},
      ok: true,
      output: result.output,
    });
    await o.whenIdle();
    const run = o.get(KEY)!;
    expect(run.status).toBe('blocked');
    expect(run.detail).toBe('the agent reported being blocked: HTTP 403 insufficient scope');
    expect(backend.session(sessionId).aborted).toBe(1);
    expect(run.toolCalls).toBe(1);
  });

  it("the abort's echo (an error event) does not turn a blocked run into a failed one", async () => {
    orchestrator();
    o.generate(target());
    const sessionId = await prompted();
    const { handler } = tools.of(folderOf());
    await handler({ tool: 'report_blocked', args: { reason: 'no scope' }, sessionId, directory: folderOf(), callId: 'c9' });
    backend.emit(sessionId, { type: 'error', name: 'MessageAbortedError', message: 'aborted' });
    backend.emit(sessionId, { type: 'tool.finished', messageId: 'm1', partId: 'p1', callId: 'c9', tool: 'report_blocked', input: {}, ok: true, output: '' });
    await o.whenIdle();
    expect(o.get(KEY)!.status).toBe('blocked');
  });

  it('a call from another session is refused, not run', async () => {
    orchestrator();
    o.generate(target());
    await prompted();
    const { handler } = tools.of(folderOf());
    const r = await handler({ tool: 'report_blocked', args: { reason: 'x' }, sessionId: 'ses_neighbour', directory: folderOf(), callId: 'c1' });
    expect(r).toEqual({ ok: false, output: 'this session is not the one the harness runs in this folder' });
    expect(o.get(KEY)!.status).toBe('running');
    await o.stop(KEY);
  });

  it('the server lost mid-step ends the run interrupted, keeping what the steps cost', async () => {
    orchestrator();
    o.generate(target());
    const sessionId = await prompted();
    backend.emit(sessionId, step(0.25));
    backend.emit(sessionId, { type: 'tool.started', messageId: 'm1', partId: 'p2', callId: 'c2', tool: 'bash', input: { command: 'npx nango compile' } });
    backend.lose([sessionId], 'the agent server exited (code 137)');
    await o.whenIdle();
    const run = o.get(KEY)!;
    expect(run.status).toBe('interrupted');
    expect(run.detail).toBe('the agent server exited (code 137)');
    expect(run.costUsd).toBe(0.25);
    expect(run.steps).toBe(1);
    const saved = (await new RunStore(path.join(root, 'work')).loadAll()).find((r) => r.key === KEY);
    expect(saved).toMatchObject({ status: 'interrupted', costUsd: 0.25 });
  });

  it("past the retry limit the run fails and the session is aborted; the abort's error keeps that outcome", async () => {
    orchestrator({ maxRetries: 2 });
    o.generate(target());
    const sessionId = await prompted();
    for (const attempt of [1, 2]) backend.emit(sessionId, { type: 'status', status: 'retry', attempt, message: 'rate limited' });
    expect(o.get(KEY)!.status).toBe('running');
    expect(o.get(KEY)!.detail).toBe('the model provider is failing (attempt 2): rate limited');
    backend.emit(sessionId, { type: 'status', status: 'retry', attempt: 3, message: 'rate limited' });
    backend.emit(sessionId, { type: 'error', name: 'MessageAbortedError', message: 'aborted' });
    await o.whenIdle();
    const run = o.get(KEY)!;
    expect(run.status).toBe('failed');
    expect(run.detail).toBe('stopped after 3 failed attempts to reach the model: rate limited');
    expect(backend.session(sessionId).aborted).toBe(1);
  });

  it('a restart from scratch during a run keeps the old attempt in the history and starts a new session', async () => {
    orchestrator();
    o.generate(target());
    const first = await prompted();
    backend.emit(first, step(0.1));
    backend.calls.length = 0;
    await o.restartFromScratch(target()[0]!);
    await vi.waitFor(() => expect(backend.calls.some((c) => c.startsWith('prompt '))).toBe(true));
    const second = backend.sessionIn(folderOf())!.ref.sessionId;
    expect(second).not.toBe(first);
    expect(backend.session(first).deleted).toBe(true);
    const run = o.get(KEY)!;
    expect(run.attempt).toBe(2);
    expect(run.history).toEqual([expect.objectContaining({ attempt: 1, status: 'stopped', detail: 'restarted from scratch', costUsd: 0.1, sessionId: first })]);
    backend.emit(second, { type: 'finished', messageId: 'm2', finish: 'stop', text: 'Done: tests pass.' });
    await o.whenIdle();
    expect(o.get(KEY)).toMatchObject({ status: 'needs-review', finalText: 'Done: tests pass.', costUsd: 0 });
    expect(existsSync(folderOf())).toBe(true);
  });

  it('a finish that arrives while a stop is being carried out: the stop, asked first, decides; the claim is kept', async () => {
    const abort = backend.hold('abort');
    orchestrator();
    o.generate(target());
    const sessionId = await prompted();
    const stopping = o.stop(KEY);
    await abort.reached;
    // The agent's last event arrives while the abort is on its way.
    backend.emit(sessionId, { type: 'finished', messageId: 'm1', finish: 'stop', text: 'Done.' });
    abort.release();
    await stopping;
    await o.whenIdle();
    // The person asked first: the run is stopped, and what the agent last said is still on record.
    expect(o.get(KEY)).toMatchObject({ status: 'stopped', detail: 'stopped by the user', finalText: 'Done.' });
  });

  it("the tool calls running are known from the plugin's hooks, by id, until the call is settled", async () => {
    orchestrator();
    o.generate(target());
    await prompted();
    const { policy } = tools.of(folderOf());
    expect(o.currentActivity(KEY)).toBeUndefined();
    policy.callStarted?.('call_7', 'bash', { command: "sed -i 's/a/b/' tests/x.json" });
    policy.callStarted?.('call_8', 'read', { filePath: 'index.ts' });
    expect(o.currentActivity(KEY)).toEqual({ text: "bash: sed -i 's/a/b/' tests/x.json | read: index.ts", callIds: ['call_7', 'call_8'] });
    await policy.callEnded?.('call_7', 'bash');
    expect(o.currentActivity(KEY)).toEqual({ text: 'read: index.ts', callIds: ['call_8'] });
    await policy.callEnded?.('call_8', 'read');
    expect(o.currentActivity(KEY)).toBeUndefined();
    await o.stop(KEY);
  });

  it('a restart while the guard is still restoring into the folder waits for it: the folder is deleted only once the guard has let go', async () => {
    const order: string[] = [];
    let releaseIdle!: () => void;
    const idleHeld = new Promise<void>((r) => (releaseIdle = r));
    const guarding = new Set<string>();
    // The guard's surface the run engine uses; its idle() (the last restore of a run that ends) is held open.
    const guard = {
      onViolation: () => ({ dispose() {} }),
      onError: () => ({ dispose() {} }),
      isGuarding: (folder: string) => guarding.has(folder),
      watch: async ({ folder }: { folder: string }) => void guarding.add(folder),
      unwatch: async (folder: string) => {
        order.push('unwatch');
        guarding.delete(folder);
      },
      idle: async () => {
        order.push('idle asked');
        await idleHeld;
        order.push('idle done');
      },
      settle: async () => undefined,
      recording: async <T>(_f: string, fn: () => Promise<T>) => fn(),
    };
    orchestrator({ guard: guard as unknown as FixtureGuard });
    o.generate(target());
    const first = await prompted();
    const restarted = o.restartFromScratch(target()[0]!);
    await vi.waitFor(() => expect(order).toContain('idle asked'));
    // The run has ended, but the guard is still restoring: the folder is still there and no new session exists.
    await Promise.resolve();
    expect(existsSync(folderOf())).toBe(true);
    expect(backend.calls.filter((c) => c.startsWith('createSession'))).toHaveLength(1);
    releaseIdle();
    await restarted;
    await vi.waitFor(() => expect(backend.calls.filter((c) => c.startsWith('createSession'))).toHaveLength(2));
    expect(order.slice(0, 3)).toEqual(['idle asked', 'idle done', 'unwatch']);
    expect(backend.sessionIn(folderOf())!.ref.sessionId).not.toBe(first);
    expect(o.get(KEY)!.attempt).toBe(2);
  });

  it('a stop while a recording runs ends the recorder (its signal aborts) and the run stopped; the tool answers the agent, nothing is left going', async () => {
    let recordSignal: AbortSignal | undefined;
    let recordStarted!: () => void;
    const started = new Promise<void>((r) => (recordStarted = r));
    const toolchain = {
      name: 'held',
      record: (req: { signal?: AbortSignal }) =>
        new Promise<RecordOutcome>((resolve) => {
          recordSignal = req.signal;
          recordStarted();
          req.signal?.addEventListener('abort', () => resolve({ kind: 'failed', output: 'the recorder was stopped' }));
        }),
      runTests: async () => ({ ok: true, output: '' }),
    };
    orchestrator({ toolchain });
    o.generate(target());
    const sessionId = await prompted();
    const { handler } = tools.of(folderOf());
    const answer = handler({ tool: 'record_fixture', args: { input: '{}' }, sessionId, directory: folderOf(), callId: 'c_rec' });
    await started;
    expect(recordSignal?.aborted).toBe(false);
    await o.stop(KEY);
    expect(recordSignal?.aborted).toBe(true);
    await expect(answer).resolves.toEqual({ ok: false, output: 'Recording failed:\nthe recorder was stopped' });
    await o.whenIdle();
    expect(o.get(KEY)!.status).toBe('stopped');
    expect(o.activeKeys()).toEqual([]);
  });

  it('a refused recording blocks the run only once the agent has the answer, even while another tool still runs', async () => {
    const toolchain = {
      name: 'refusing',
      record: async () => ({ kind: 'blocked' as const, reason: 'HTTP 403: insufficient scope', output: '403' }),
      runTests: async () => ({ ok: true, output: '' }),
    };
    orchestrator({ toolchain });
    o.generate(target());
    const sessionId = await prompted();
    const { handler, policy } = tools.of(folderOf());
    policy.callStarted?.('c_ls', 'bash', { command: 'ls' });
    const answer = await handler({ tool: 'record_fixture', args: {}, sessionId, directory: folderOf(), callId: 'c_rec' });
    expect(answer.ok).toBe(false);
    expect(answer.output).toMatch(/The API refused: HTTP 403/);
    await Promise.resolve();
    expect(backend.session(sessionId).aborted).toBe(0);
    backend.emit(sessionId, {
      type: 'tool.finished',
      messageId: 'm1',
      partId: 'p1',
      callId: 'c_rec',
      tool: 'record_fixture',
      input: {},
      ok: false,
      output: answer.output,
    });
    await o.whenIdle();
    const run = o.get(KEY)!;
    expect(run.status).toBe('blocked');
    expect(run.detail).toBe('the API refused the recording: HTTP 403: insufficient scope');
    expect(backend.session(sessionId).aborted).toBe(1);
  });
});
