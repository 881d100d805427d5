// Recording is a harness tool: the agent calls record_fixture, the harness runs the real Nango CLI's
// compile and dry run (--save) against a loopback stand-in of the Nango API. A 403 ends the
// session as blocked; a script that does not compile is told where, before any request.
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentEvent } from '../../src/core/agent/events';
import { Orchestrator } from '../../src/core/orchestrator';
import { RunStore } from '../../src/core/runs/store';
import { NangoToolchain } from '../../src/core/toolchain/nango';
import { REPO, startAgentStack, TEST_MODEL, type AgentStack } from '../support/agentStack';
import { startFakeNango, type FakeNango } from '../support/fakeNango';
import { targetsFor } from '../support/specs';
import { INPUT, SCRIPT } from '../support/calendarScript';

let stack: AgentStack;
let nango: FakeNango;
// Work folders must sit inside the project so `nango` and `zod` resolve from its node_modules.
const workBase = path.join(REPO, '.test-runs', `recording-${process.pid}`);
const events: AgentEvent[] = [];

beforeAll(async () => {
  mkdirSync(workBase, { recursive: true });
  stack = await startAgentStack({}, { harness: true });
  nango = await startFakeNango();
});
afterAll(async () => {
  await stack?.close();
  await nango?.close();
  rmSync(workBase, { recursive: true, force: true });
});

function orchestrator(name: string, recorder: 'one-process' | 'cli'): Orchestrator {
  const workRoot = path.join(workBase, `${name}-${recorder}`);
  const o = new Orchestrator({
    workRoot,
    connection: stack.connection,
    runs: new RunStore(workRoot),
    model: TEST_MODEL,
    tools: stack.tools,
    sandbox: stack.sandbox,
    toolchain: new NangoToolchain({ secretKey: 'sk-stand-in', host: nango.url, timeoutMs: 120_000, recorder }),
    onSessionCreated: (run) => stack.model.assign(run.sessionId!, 'record'),
  });
  o.onAgentEvent(({ event }) => events.push(event));
  return o;
}

// Both ways of recording: the one-process recorder (src/core/toolchain/recorder.ts), and `nango dryrun`
// itself after the prebuild, which a CLI without the recorder's pieces gets.
describe.each(['one-process', 'cli'] as const)('record_fixture through the harness (%s)', (recorder) => {
  const script = [
    { tool_calls: [{ name: 'write', arguments: { filePath: 'google-calendar/actions/create-event.ts', content: SCRIPT } }] },
    { tool_calls: [{ name: 'record_fixture', arguments: { input: INPUT } }] },
    { text: 'Recorded.' },
  ];

  it('runs the real Nango CLI and writes the fixture', async () => {
    stack.model.define('record', script);
    nango.refuse = false;
    const o = orchestrator('ok', recorder);
    o.generate(targetsFor('google-calendar', ['create-event']));
    await o.whenIdle();
    const run = o.get('google-calendar/create-event')!;
    expect(run.status, run.detail).toBe('needs-review');
    const call = events.find((e) => e.type === 'tool.finished' && e.tool === 'record_fixture' && e.sessionId === run.sessionId);
    expect(call).toMatchObject({ ok: true });
    expect(call?.type === 'tool.finished' && call.output).toMatch(/^Recorded google-calendar\/tests\/create-event\.test\.json/);
    const fixture = JSON.parse(readFileSync(path.join(run.folder, 'google-calendar/tests/create-event.test.json'), 'utf8'));
    expect(JSON.stringify(fixture)).toContain('evt_stand_in_1');
    expect(nango.requests.some((r) => r.path.startsWith('/proxy/calendar/v3/calendars/primary/events'))).toBe(true);
  });

  it('a 403 from the API ends the session as blocked and writes no fixture', async () => {
    stack.model.define('record', script);
    nango.refuse = true;
    const o = orchestrator('forbidden', recorder);
    o.generate(targetsFor('google-calendar', ['create-event']));
    await o.whenIdle();
    const run = o.get('google-calendar/create-event')!;
    expect(run.status).toBe('blocked');
    expect(run.detail).toMatch(/^the API refused the recording: the API refused access \(403\)/);
    expect(existsSync(path.join(run.folder, 'google-calendar/tests/create-event.test.json'))).toBe(false);
  });

  it.each([
    ['a type error and a build error', `${SCRIPT}\nconst attendees: number = 'three';\nexport { attendees };\n`],
    // bundles without complaint (esbuild does not type-check): the dry run's own compile stops it
    ['a type error only', `${SCRIPT}\nconst attendees: number = 'three';\nvoid attendees;\n`],
  ])('a script that does not compile (%s) is told where, and the API is asked nothing', async (_, broken) => {
    stack.model.define('record', [
      { ...script[0], tool_calls: [{ name: 'write', arguments: { filePath: 'google-calendar/actions/create-event.ts', content: broken } }] },
      ...script.slice(1),
    ]);
    nango.refuse = false;
    const before = nango.requests.length;
    const o = orchestrator('broken', recorder);
    o.generate(targetsFor('google-calendar', ['create-event']));
    await o.whenIdle();
    const run = o.get('google-calendar/create-event')!;
    expect(run.status, run.detail).toBe('needs-review');
    const call = events.find((e) => e.type === 'tool.finished' && e.tool === 'record_fixture' && e.sessionId === run.sessionId);
    expect(call).toMatchObject({ ok: false });
    expect(call?.type === 'tool.finished' && call.output).toMatch(
      /^Recording failed:\nThe script does not compile, so it cannot be recorded yet:\n[^]*create-event\.ts:\d+:\d+[^]*Type 'string' is not assignable to type 'number'/,
    );
    expect(nango.requests.slice(before).some((r) => r.path.startsWith('/proxy/'))).toBe(false);
    expect(existsSync(path.join(run.folder, 'google-calendar/tests/create-event.test.json'))).toBe(false);
  });
});
