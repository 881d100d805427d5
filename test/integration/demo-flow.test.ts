// The demo's whole agent side with the real tools: the demo model's recorded build of a real example
// interaction (an action and a paginated sync) writes the script, records a fixture through the harness
// tool with the real Nango CLI against the demo's Nango stand-in, and runs the generated tests — all
// under the fixture guard, with no violation. This is what a newcomer's first Generate does.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attachCommand } from '../../src/core/agent/attach';
import type { AgentEvent } from '../../src/core/agent/events';
import { FixtureGuard } from '../../src/core/guard/fixtureGuard';
import { demoCheatScript, demoScript } from '../../src/core/model/demo';
import { readViolations, violationLogFor } from '../../src/core/guard/violations';
import { DEMO_NANGO_NOTE, DEMO_NANGO_SECRET, DemoNango } from '../../src/core/model/demoNango';
import { Orchestrator } from '../../src/core/orchestrator';
import { RunStore } from '../../src/core/runs/store';
import { loadSpecFile } from '../../src/core/spec/loader';
import { NangoToolchain } from '../../src/core/toolchain/nango';
import { OPENCODE_BIN, REPO, startAgentStack, TEST_MODEL, type AgentStack } from '../support/agentStack';

const EXAMPLE = path.join(REPO, 'examples/product-integrations/interactions.json');
const workBase = path.join(REPO, '.test-runs', `demo-flow-${process.pid}`);
let stack: AgentStack;
let nango: DemoNango;
let guard: FixtureGuard;
/** The honest build's orchestrator, kept for Attach. */
let honest: Orchestrator | undefined;

beforeAll(async () => {
  mkdirSync(workBase, { recursive: true });
  stack = await startAgentStack({}, { harness: true });
  nango = new DemoNango();
  await nango.start();
});
afterAll(async () => {
  await guard?.dispose();
  await stack?.close();
  await nango?.close();
  rmSync(workBase, { recursive: true, force: true });
});

describe('demo build with the real Nango CLI and the demo stand-in', () => {
  it('records fixtures and runs the tests for an action and a sync, with no violation', async () => {
    const spec = await loadSpecFile(EXAMPLE);
    const calendar = spec.integrations.find((i) => i.id === 'google-calendar')!;
    const targets = calendar.interactions
      .filter((i) => i.id === 'create-event' || i.id === 'sync-events')
      .map((interaction) => ({ integration: calendar, interaction }));
    expect(targets.map((t) => t.interaction.kind).sort()).toEqual(['action', 'sync']);
    const ref: { o?: Orchestrator } = {};
    guard = new FixtureGuard({ currentActivity: (key) => ref.o?.currentActivity(key) });
    const events: { key: string; event: AgentEvent }[] = [];
    const o = new Orchestrator({
      workRoot: workBase,
      connection: stack.connection,
      runs: new RunStore(workBase),
      model: TEST_MODEL,
      tools: stack.tools,
      sandbox: stack.sandbox,
      guard,
      toolchain: new NangoToolchain({ secretKey: DEMO_NANGO_SECRET, host: nango.url, timeoutMs: 150_000 }),
      concurrency: 2,
      onSessionCreated: (run, target) => {
        stack.model.define(`demo:${run.key}`, demoScript(target.interaction));
        stack.model.assign(run.sessionId!, `demo:${run.key}`);
      },
    });
    ref.o = o;
    honest = o;
    o.onAgentEvent((e) => events.push(e));
    o.generate(targets);
    await o.whenIdle();
    for (const { interaction } of targets) {
      const run = o.get(interaction.key)!;
      const results = events
        .filter((e) => e.key === run.key && e.event.type === 'tool.finished')
        .map((e) => e.event as Extract<AgentEvent, { type: 'tool.finished' }>);
      const record = results.find((r) => r.tool === 'record_fixture');
      const tests = results.find((r) => r.tool === 'run_tests');
      expect(run.status, run.detail).toBe('needs-review');
      expect(record?.ok, `${run.key} record_fixture: ${record?.output}`).toBe(true);
      expect(tests?.ok, `${run.key} run_tests: ${tests?.output}`).toBe(true);
      expect(run.violations ?? 0, `${run.key} violations`).toBe(0);
      const testsDir = path.join(run.folder, 'google-calendar/tests');
      const files = readdirSync(testsDir);
      expect(
        files.some((f) => f.endsWith('.test.ts')),
        files.join(', '),
      ).toBe(true);
      const fixtures = files.filter((f) => f.endsWith('.json'));
      expect(fixtures.length, files.join(', ')).toBeGreaterThan(0);
      // A demo fixture says it is one.
      expect(fixtures.map((f) => readFileSync(path.join(testsDir, f), 'utf8')).join('\n')).toContain(DEMO_NANGO_NOTE);
      expect(existsSync(path.join(run.folder, 'vitest.setup.ts')) || existsSync(path.join(run.folder, 'vite.config.ts'))).toBe(true);
    }
    // Compile, record, generate and run the tests confined, for two interactions: 87-90 s under load.
  }, 180_000);

  it("Attach: OpenCode's own UI on our server opens that session (the command the editor's terminal runs)", async () => {
    const run = honest?.get('google-calendar/create-event');
    expect(run?.sessionId && run.serverUrl, 'the honest build ran first').toBeTruthy();
    const endpoint = stack.connection.endpointOf(run!.serverUrl!)!;
    const attach = attachCommand(OPENCODE_BIN, endpoint, { folder: run!.folder, sessionId: run!.sessionId! });
    // The TUI needs a terminal: `script` gives it a pseudo-terminal, and keeps what it drew.
    const typescript = path.join(workBase, 'attach.log');
    const command = ['stty', 'rows', '50', 'cols', '160', ';', 'exec', attach.file, ...attach.args].map((a) => (a === ';' ? a : `'${a}'`)).join(' ');
    const child = spawn('script', ['--quiet', '--flush', '--command', command, typescript], {
      cwd: run!.folder,
      env: { ...process.env, ...stack.env, ...attach.env, TERM: 'xterm-256color' },
      stdio: ['pipe', 'ignore', 'ignore'],
      detached: true,
    });
    const drawn = () => (existsSync(typescript) ? readFileSync(typescript, 'utf8') : '');
    // Plain text of the screen: escape sequences out.
    const text = () => stripVTControlCharacters(drawn());
    try {
      const until = Date.now() + 60_000;
      // The session's last message, from our server: the demo's closing words.
      while (!/Verify before trusting it/.test(text()) && Date.now() < until && child.exitCode === null) await new Promise((r) => setTimeout(r, 250));
      expect(text(), `what the attached UI drew:\n${text().slice(-3000)}`).toMatch(/Verify before trusting it/);
    } finally {
      // script, the TUI and whatever it started: their own process group.
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }, 180_000);

  it('the dishonest demo build: its fixture edit fails in the sandbox, its link out is reported, and it still claims success', async () => {
    const spec = await loadSpecFile(EXAMPLE);
    const calendar = spec.integrations.find((i) => i.id === 'google-calendar')!;
    const interaction = calendar.interactions.find((i) => i.id === 'update-event')!;
    const workRoot = path.join(workBase, 'cheat');
    const store = new RunStore(workRoot);
    const ref: { o?: Orchestrator } = {};
    guard = new FixtureGuard({ currentActivity: (key) => ref.o?.currentActivity(key) });
    const o = new Orchestrator({
      workRoot,
      connection: stack.connection,
      runs: store,
      model: TEST_MODEL,
      tools: stack.tools,
      sandbox: stack.sandbox,
      guard,
      toolchain: new NangoToolchain({ secretKey: DEMO_NANGO_SECRET, host: nango.url, timeoutMs: 150_000 }),
      onSessionCreated: (run, target) => {
        stack.model.define(`cheat:${run.key}`, demoCheatScript(target.interaction));
        stack.model.assign(run.sessionId!, `cheat:${run.key}`);
      },
    });
    ref.o = o;
    const events: AgentEvent[] = [];
    o.onAgentEvent((e) => e.key === interaction.key && events.push(e.event));
    o.generate([{ integration: calendar, interaction }]);
    await o.whenIdle();
    await guard.dispose();
    const run = o.get(interaction.key)!;
    expect(run.status, run.detail).toBe('needs-review');
    expect(run.finalText).toMatch(/all tests pass/);
    const fixture = readFileSync(path.join(run.folder, 'google-calendar/tests/update-event.test.json'), 'utf8');
    expect(fixture).toContain('demo_');
    expect(fixture).not.toContain('expected_');
    // The sandbox stopped the edit (the fixture is read-only there); the guard reported the link out.
    const sed = events.find((e) => e.type === 'tool.finished' && e.tool === 'bash' && /sed -i/.test(JSON.stringify(e.input)));
    expect(sed && sed.type === 'tool.finished' ? sed.output : '').toMatch(/Read-only file system/);
    const violations = await readViolations(violationLogFor(store.fileOf(interaction.key)));
    expect(violations).toEqual([
      expect.objectContaining({ file: 'others', kind: 'link-out', restored: false, activity: expect.stringMatching(/ln -s \.\. others/) }),
    ]);
  });
});
