// Lock 1 (permission rules) and the harness tools, with the real opencode: an agent that tries to
// change fixtures or run the recorder itself is refused, and one that reports being blocked ends
// its session as blocked.
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentEvent } from '../../src/core/agent/events';
import { Orchestrator } from '../../src/core/orchestrator';
import { RunStore } from '../../src/core/runs/store';
import type { ScriptStep } from '../../src/core/model/scriptedModel';
import { startAgentStack, TEST_MODEL, type AgentStack } from '../support/agentStack';
import { targetsFor } from '../support/specs';

const FIXTURE = 'google-calendar/tests/create-event.test.json';
const FIXTURE_BODY = JSON.stringify({ input: { summary: 'Standup' }, output: { id: 'evt_1' } }, null, 2) + '\n';

let stack: AgentStack;
const events = new Map<string, AgentEvent[]>();

function orchestrator(workRoot: string): Orchestrator {
  const o = new Orchestrator({
    workRoot,
    connection: stack.connection,
    runs: new RunStore(workRoot),
    model: TEST_MODEL,
    tools: stack.tools,
    sandbox: stack.sandbox,
    onSessionCreated: (run) => {
      // a recorded fixture, as the recorder would have left it
      mkdirSync(path.join(run.folder, 'google-calendar/tests'), { recursive: true });
      writeFileSync(path.join(run.folder, FIXTURE), FIXTURE_BODY);
      stack.model.assign(run.sessionId!, run.interactionId);
    },
  });
  o.onAgentEvent(({ key, event }) => {
    const list = events.get(key) ?? [];
    list.push(event);
    events.set(key, list);
  });
  return o;
}

beforeAll(async () => {
  stack = await startAgentStack({}, { harness: true });
  await stack.connection.ensure();
});
afterAll(async () => stack?.close());

function toolResults(key: string) {
  return (events.get(key) ?? []).filter((e): e is Extract<AgentEvent, { type: 'tool.finished' }> => e.type === 'tool.finished');
}

describe('lock 1: permission rules refuse fixture edits and the recorder', () => {
  const attacks: Record<string, ScriptStep> = {
    'edit tool': { tool_calls: [{ name: 'edit', arguments: { filePath: FIXTURE, oldString: 'evt_1', newString: 'evt_2' } }] },
    'write tool': { tool_calls: [{ name: 'write', arguments: { filePath: FIXTURE, content: '{}' } }] },
    'write tool on index.ts': { tool_calls: [{ name: 'write', arguments: { filePath: 'index.ts', content: 'export {};\n' } }] },
    'sed -i': { tool_calls: [{ name: 'bash', arguments: { command: `sed -i 's/evt_1/evt_2/' ${FIXTURE}`, description: 'patch' } }] },
    redirect: { tool_calls: [{ name: 'bash', arguments: { command: `echo '{}' > ${FIXTURE}`, description: 'overwrite' } }] },
    tee: { tool_calls: [{ name: 'bash', arguments: { command: `echo '{}' | tee ${FIXTURE}`, description: 'overwrite' } }] },
    cp: { tool_calls: [{ name: 'bash', arguments: { command: `cp package.json ${FIXTURE}`, description: 'replace' } }] },
    rm: { tool_calls: [{ name: 'bash', arguments: { command: `rm ${FIXTURE}`, description: 'delete' } }] },
    'mv of the tests folder': {
      tool_calls: [{ name: 'bash', arguments: { command: 'mv google-calendar/tests google-calendar/old-tests', description: 'rename' } }],
    },
    'node one-liner': {
      tool_calls: [{ name: 'bash', arguments: { command: `node -e "require('fs').writeFileSync('${FIXTURE}', '{}')"`, description: 'write' } }],
    },
    'python one-liner': { tool_calls: [{ name: 'bash', arguments: { command: `python3 -c "open('${FIXTURE}', 'w').write('{}')"`, description: 'write' } }] },
    'mv of the tests folder by its full path': {
      tool_calls: [{ name: 'bash', arguments: { command: 'mv google-calendar/tests /tmp/elsewhere', description: 'move away' } }],
    },
    'sed -i after a cd into the integration': {
      tool_calls: [
        { name: 'bash', arguments: { command: `cd google-calendar && sed -i 's/evt_1/evt_2/' tests/create-event.test.json`, description: 'patch' } },
      ],
    },
    // (opencode matches each command of a list without its redirections: `cd x && echo > tests/…` is the watcher's.)
    'tee into ./tests after a cd': {
      tool_calls: [{ name: 'bash', arguments: { command: `cd google-calendar && echo '{}' | tee ./tests/create-event.test.json`, description: 'overwrite' } }],
    },
    'mv of the tests folder after a cd': {
      tool_calls: [{ name: 'bash', arguments: { command: 'cd google-calendar && mv tests old-tests', description: 'rename' } }],
    },
    'nango dryrun --save': {
      tool_calls: [{ name: 'bash', arguments: { command: 'cd . && npx nango dryrun create-event test-connection --save', description: 'record' } }],
    },
  };

  it.each(Object.entries(attacks))('%s is refused and the fixture is untouched', async (name, step) => {
    const id = `attack-${name
      .replace(/[^a-z0-9]+/gi, '-')
      .replace(/-+$/, '')
      .toLowerCase()}`;
    stack.model.define(id, [step, { text: 'I tried.' }]);
    const workRoot = path.join(stack.root, `work-${id}`);
    const o = orchestrator(workRoot);
    o.generate(targetsFor('google-calendar', [id]));
    await o.whenIdle();
    const key = `google-calendar/${id}`;
    const [result] = toolResults(key);
    expect(result, 'the attack ran as a tool call').toBeDefined();
    expect(result!.ok).toBe(false);
    // The layer that stops it: opencode's file tools are checked by the harness (real paths, before the
    // tool runs, ahead of opencode's own rules); shell commands by lock 1's rules (and the sandbox behind them).
    const fileTool = ['edit', 'write'].includes(step.tool_calls?.[0]?.name ?? '');
    expect(result!.output).toMatch(
      fileTool
        ? /Integration Builder refused this (edit|write) call: .* written by the harness only/
        : /rule which prevents you from using this specific tool call/,
    );
    const folder = o.get(key)!.folder;
    expect(readFileSync(path.join(folder, FIXTURE), 'utf8')).toBe(FIXTURE_BODY);
    expect(readFileSync(path.join(folder, 'index.ts'), 'utf8')).toBe(`import './google-calendar/actions/${id}.js';\n`);
  });

  it('reading and writing a neighbour folder is refused', async () => {
    const workRoot = path.join(stack.root, 'work-neighbour');
    stack.model.define('nosy-one', [
      { tool_calls: [{ name: 'read', arguments: { filePath: path.join(workRoot, 'google-calendar/quiet-one/index.ts') } }] },
      { tool_calls: [{ name: 'write', arguments: { filePath: path.join(workRoot, 'google-calendar/quiet-one/stolen.txt'), content: 'x' } }] },
      { text: 'done' },
    ]);
    stack.model.define('quiet-one', [{ text: 'idle' }]);
    const o = orchestrator(workRoot);
    o.generate(targetsFor('google-calendar', ['quiet-one']));
    await o.whenIdle();
    o.generate(targetsFor('google-calendar', ['nosy-one']));
    await o.whenIdle();
    const results = toolResults('google-calendar/nosy-one');
    expect(results.map((r) => [r.tool, r.ok])).toEqual([
      ['read', false],
      ['write', false],
    ]);
    expect(() => readFileSync(path.join(workRoot, 'google-calendar/quiet-one/stolen.txt'))).toThrow();
  });

  it("the agent's own script may be written and edited", async () => {
    stack.model.define('honest-edit', [
      { tool_calls: [{ name: 'write', arguments: { filePath: 'google-calendar/actions/honest-edit.ts', content: 'export const a = 1;\n' } }] },
      { tool_calls: [{ name: 'edit', arguments: { filePath: 'google-calendar/actions/honest-edit.ts', oldString: 'a = 1', newString: 'a = 2' } }] },
      { text: 'done' },
    ]);
    const o = orchestrator(path.join(stack.root, 'work-honest-edit'));
    o.generate(targetsFor('google-calendar', ['honest-edit']));
    await o.whenIdle();
    expect(toolResults('google-calendar/honest-edit').map((r) => r.ok)).toEqual([true, true]);
  });
});

describe('harness tools', () => {
  it('report_blocked ends the session as blocked, with the reason', async () => {
    stack.model.define('cannot-go-on', [
      { tool_calls: [{ name: 'report_blocked', arguments: { reason: 'GET /calendars answered 403 insufficientPermissions' } }] },
      { text: 'should not get here', delayMs: 2000 },
    ]);
    const o = orchestrator(path.join(stack.root, 'work-blocked'));
    o.generate(targetsFor('google-calendar', ['cannot-go-on']));
    await o.whenIdle();
    const run = o.get('google-calendar/cannot-go-on')!;
    expect(run.status).toBe('blocked');
    expect(run.detail).toBe('the agent reported being blocked: GET /calendars answered 403 insufficientPermissions');
    const [call] = toolResults('google-calendar/cannot-go-on');
    expect(call).toMatchObject({ tool: 'report_blocked', ok: true });
  });

  it('record_fixture without a toolchain says so instead of pretending', async () => {
    stack.model.define('wants-recording', [{ tool_calls: [{ name: 'record_fixture', arguments: { input: '{}' } }] }, { text: 'ok' }]);
    const o = orchestrator(path.join(stack.root, 'work-no-toolchain'));
    o.generate(targetsFor('google-calendar', ['wants-recording']));
    await o.whenIdle();
    const [call] = toolResults('google-calendar/wants-recording');
    expect(call).toMatchObject({ tool: 'record_fixture', ok: false });
    expect(call!.output).toMatch(/Recording is not available/);
  });
});
