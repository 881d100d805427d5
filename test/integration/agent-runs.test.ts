// Agent runs with the real opencode binary and the scripted model: one session per interaction,
// in its own folder, followed live through the event stream.
import { existsSync, readFileSync, readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentEvent } from '../../src/core/agent/events';
import { Orchestrator } from '../../src/core/orchestrator';
import { RunStore } from '../../src/core/runs/store';
import type { ScriptStep } from '../../src/core/model/scriptedModel';
import { startAgentStack, TEST_MODEL, type AgentStack } from '../support/agentStack';
import { targetsFor } from '../support/specs';

const ACTION = (body: string) => `import { createAction } from 'nango';\nimport * as z from 'zod';\n// ${body}\nexport default createAction({} as never);\n`;

/** An honest little build: write the script, look at the folder, say done. */
function honest(id: string): ScriptStep[] {
  return [
    {
      reasoning: 'Start with the script.',
      text: `Writing ${id}.`,
      tool_calls: [{ name: 'write', arguments: { filePath: `google-calendar/actions/${id}.ts`, content: ACTION(`built by ${id}`) } }],
    },
    { tool_calls: [{ name: 'bash', arguments: { command: `ls google-calendar/actions && echo marker-${id}`, description: 'List the actions' } }] },
    { text: `Done: ${id} is written.` },
  ];
}

let stack: AgentStack;
const events = new Map<string, AgentEvent[]>();

function orchestrator(workRoot: string, extra: Partial<ConstructorParameters<typeof Orchestrator>[0]> = {}): Orchestrator {
  const o = new Orchestrator({
    workRoot,
    connection: stack.connection,
    runs: new RunStore(workRoot),
    model: TEST_MODEL,
    concurrency: 5,
    onSessionCreated: (run) => stack.model.assign(run.sessionId!, run.interactionId),
    ...extra,
  });
  o.onAgentEvent(({ key, event }) => {
    const list = events.get(key) ?? [];
    list.push(event);
    events.set(key, list);
  });
  return o;
}

beforeAll(async () => {
  stack = await startAgentStack();
  await stack.connection.ensure();
});

afterAll(async () => {
  await stack?.close();
});

describe('agent runs (real opencode, scripted model)', () => {
  it('a session writes the interaction script, runs a shell command and finishes', async () => {
    const workRoot = path.join(stack.root, 'work-one');
    stack.model.define('create-event', honest('create-event'));
    const o = orchestrator(workRoot);
    const [target] = targetsFor('google-calendar', ['create-event']);
    o.generate([target!]);
    await o.whenIdle();

    const run = o.get('google-calendar/create-event')!;
    expect(run.status, run.detail).toBe('needs-review');
    expect(run.finalText).toBe('Done: create-event is written.');
    expect(run.steps).toBe(3);
    expect(run.toolCalls).toBe(2);
    expect(run.costUsd).toBeGreaterThan(0);
    expect(run.tokens.input).toBe(3000);
    expect(run.demo).toBe(false);
    const folder = path.join(workRoot, 'google-calendar', 'create-event');
    expect(run.folder).toBe(folder);
    expect(readFileSync(path.join(folder, 'google-calendar/actions/create-event.ts'), 'utf8')).toContain('built by create-event');
    // the scaffold is there, the script replaced the stub
    expect(readFileSync(path.join(folder, 'index.ts'), 'utf8')).toBe("import './google-calendar/actions/create-event.js';\n");
    expect(existsSync(path.join(folder, 'google-calendar/tests'))).toBe(true);
    expect(existsSync(path.join(folder, '.opencode'))).toBe(false);

    const seen = events.get('google-calendar/create-event')!;
    const types = seen.map((e) => e.type);
    expect(types).toContain('reasoning');
    expect(types).toContain('text');
    expect(types.filter((t) => t === 'step')).toHaveLength(3);
    const bash = seen.find((e) => e.type === 'tool.finished' && e.tool === 'bash');
    expect(bash).toMatchObject({ ok: true });
    expect(bash?.type === 'tool.finished' && bash.output).toContain('marker-create-event');
    expect(types[types.length - 1]).toBe('finished');

    // persisted atomically, readable by a fresh store
    await new RunStore(workRoot).loadAll().then((runs) => {
      expect(runs.map((r) => [r.key, r.status])).toEqual([['google-calendar/create-event', 'needs-review']]);
    });
  });

  it('five interactions at once, each in its own folder, with no crosstalk', async () => {
    const workRoot = path.join(stack.root, 'work-five');
    const ids = ['alpha-one', 'bravo-two', 'charlie-three', 'delta-four', 'echo-five'];
    for (const id of ids) stack.model.define(id, honest(id));
    const o = orchestrator(workRoot);
    o.generate(targetsFor('google-calendar', ids));
    expect(o.totals().running).toBe(5);
    await o.whenIdle();
    for (const id of ids) {
      const key = `google-calendar/${id}`;
      const run = o.get(key)!;
      expect(run.status, `${key}: ${run.detail}`).toBe('needs-review');
      const folder = path.join(workRoot, 'google-calendar', id);
      expect(readdirSync(path.join(folder, 'google-calendar/actions')).sort()).toEqual([`${id}.ts`]);
      expect(readFileSync(path.join(folder, `google-calendar/actions/${id}.ts`), 'utf8')).toContain(`built by ${id}`);
      // every event routed to this key belongs to its own session and mentions no other interaction
      const seen = events.get(key)!;
      expect(seen.every((e) => e.sessionId === run.sessionId)).toBe(true);
      const text = JSON.stringify(seen);
      for (const other of ids.filter((x) => x !== id)) expect(text).not.toContain(other);
    }
    expect(new Set(ids.map((id) => o.get(`google-calendar/${id}`)!.sessionId)).size).toBe(5);
    const totals = o.totals();
    expect(totals.costUsd).toBeCloseTo(
      ids.reduce((s, id) => s + o.get(`google-calendar/${id}`)!.costUsd, 0),
      10,
    );
  });

  it('stop ends a running agent, and restart from scratch starts anew with its history kept', async () => {
    const workRoot = path.join(stack.root, 'work-stop');
    stack.model.define('slow-thing', [
      { tool_calls: [{ name: 'write', arguments: { filePath: 'notes.txt', content: 'first attempt\n' } }] },
      { tool_calls: [{ name: 'bash', arguments: { command: 'sleep 60', description: 'Wait a long time' } }] },
      { text: 'never reached' },
    ]);
    const o = orchestrator(workRoot);
    const [target] = targetsFor('google-calendar', ['slow-thing']);
    o.generate([target!]);
    const key = 'google-calendar/slow-thing';
    await until(() => events.get(key)?.some((e) => e.type === 'tool.started' && e.tool === 'bash'));
    await o.stop(key);
    await o.whenIdle();
    expect(o.get(key)).toMatchObject({ status: 'stopped', detail: 'stopped by the user' });
    const folder = path.join(workRoot, 'google-calendar', 'slow-thing');
    expect(readFileSync(path.join(folder, 'notes.txt'), 'utf8')).toBe('first attempt\n');

    // restart: the folder is rebuilt (no notes.txt), a new session, attempt 2, attempt 1 in the history
    const firstSession = o.get(key)!.sessionId;
    stack.model.define('slow-thing', honest('slow-thing'));
    await o.restartFromScratch(target!);
    await o.whenIdle();
    const run = o.get(key)!;
    expect(run.status, run.detail).toBe('needs-review');
    expect(run.attempt).toBe(2);
    expect(run.sessionId).not.toBe(firstSession);
    expect(run.history).toHaveLength(1);
    expect(run.history[0]).toMatchObject({ attempt: 1, status: 'stopped', sessionId: firstSession });
    expect(existsSync(path.join(folder, 'notes.txt'))).toBe(false);
  });

  it('a run whose spec entry vanished is stopped, saying why', async () => {
    const workRoot = path.join(stack.root, 'work-vanish');
    stack.model.define('vanishing', [{ tool_calls: [{ name: 'bash', arguments: { command: 'sleep 60', description: 'Long task' } }] }, { text: 'never' }]);
    const o = orchestrator(workRoot);
    o.generate(targetsFor('google-calendar', ['vanishing']));
    await until(() => events.get('google-calendar/vanishing')?.some((e) => e.type === 'tool.started'));
    await o.reconcile(new Set(['google-calendar/something-else']));
    await o.whenIdle();
    expect(o.get('google-calendar/vanishing')).toMatchObject({ status: 'stopped', detail: 'its entry was removed from the spec' });
  });

  it('a provider error fails the run with its message', async () => {
    const workRoot = path.join(stack.root, 'work-400');
    stack.model.define('bad-request', [{ httpStatus: 400, errorMessage: 'model does not support tools' }]);
    const o = orchestrator(workRoot);
    o.generate(targetsFor('google-calendar', ['bad-request']));
    await o.whenIdle();
    const run = o.get('google-calendar/bad-request')!;
    expect(run.status).toBe('failed');
    expect(run.detail).toMatch(/model does not support tools/);
  });

  it('a provider stuck in a retry loop is surfaced, then stopped after the configured attempts', async () => {
    const workRoot = path.join(stack.root, 'work-500');
    stack.model.define('flaky-provider', () => ({ httpStatus: 500, errorMessage: 'upstream overloaded' }));
    const o = orchestrator(workRoot, { maxRetries: 1 });
    o.generate(targetsFor('google-calendar', ['flaky-provider']));
    await o.whenIdle();
    const run = o.get('google-calendar/flaky-provider')!;
    const retries = events.get('google-calendar/flaky-provider')!.filter((e) => e.type === 'status' && e.status === 'retry');
    expect(retries.length).toBeGreaterThanOrEqual(2);
    expect(run.status).toBe('failed');
    expect(run.detail).toMatch(/^stopped after 2 failed attempts to reach the model: .*upstream overloaded/);
  });
});

describe('state survives a reload', () => {
  it('finished runs keep their records; runs left running on our own server are marked interrupted', async () => {
    const workRoot = path.join(stack.root, 'work-reload');
    stack.model.define('reload-me', honest('reload-me'));
    const first = orchestrator(workRoot);
    first.generate(targetsFor('google-calendar', ['reload-me']));
    await first.whenIdle();
    // a record of a run that was still going when the window closed
    const store = new RunStore(workRoot);
    // (its own folder: a record naming another interaction's folder is refused as unusable)
    const ghost = {
      ...first.get('google-calendar/reload-me')!,
      key: 'google-calendar/ghost-run',
      interactionId: 'ghost-run',
      folder: path.join(workRoot, 'google-calendar', 'ghost-run'),
      status: 'running' as const,
      serverOwned: true,
    };
    mkdirSync(path.dirname(store.fileOf(ghost.key)), { recursive: true });
    writeFileSync(store.fileOf(ghost.key), JSON.stringify(ghost));
    writeFileSync(path.join(path.dirname(store.fileOf(ghost.key)), 'broken.json'), '{ not json');

    const second = orchestrator(workRoot);
    const restored = await second.restore();
    expect(restored.map((r) => r.key).sort()).toEqual(['google-calendar/ghost-run', 'google-calendar/reload-me']);
    expect(second.get('google-calendar/reload-me')).toMatchObject({ status: 'needs-review', finalText: 'Done: reload-me is written.' });
    expect(second.get('google-calendar/ghost-run')).toMatchObject({ status: 'interrupted', detail: 'the window closed while the agent was working' });
    expect(second.board.get('google-calendar/ghost-run')?.status).toBe('interrupted');
    // and it is written back, so the next reload agrees
    const again = await new RunStore(workRoot).loadAll();
    expect(again.find((r) => r.key === 'google-calendar/ghost-run')?.status).toBe('interrupted');
  });
});

async function until(probe: () => unknown, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}
