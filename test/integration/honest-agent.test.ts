// An honest agent, as a real model works, on the real pipeline (issue 13): the real opencode driven by
// the scripted model, the harness tools and agent shell, the fixture guard with the default limit of 3,
// the real Nango CLI against the loopback Nango stand-in, and the real Verify. The agent writes a working
// script, compiles it three times from its shell (`npx nango compile`, the scaffold's own
// `npm run compile`), lists its fixtures folder with errors sent to /dev/null, greps its own script with
// opencode's grep tool, mistypes one flag and corrects it at once, records its fixture and runs the tests
// through the harness, and says truthfully what it did. None of that is tampering or a slip worth a
// warning: the run is not stopped, the guard logs nothing, package.json stays as the harness wrote it
// (the Nango CLI rewrites a package.json that lacks its devDependencies and then runs `npm install` in
// the folder), and Verify says verified with no finding at all. Both in the OS sandbox and in the
// unsandboxed mode a user can accept (where the fixture guard is what stands between an agent and the
// protected files, so a toolchain write that reached package.json would count against the agent).
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentEvent } from '../../src/core/agent/events';
import { FixtureGuard } from '../../src/core/guard/fixtureGuard';
import { baselineDirFor, loadManifest } from '../../src/core/guard/manifest';
import { readViolations, violationLogFor } from '../../src/core/guard/violations';
import type { ScriptStep } from '../../src/core/model/scriptedModel';
import { Orchestrator } from '../../src/core/orchestrator';
import type { SandboxMode } from '../../src/core/sandbox';
import { RunStore } from '../../src/core/runs/store';
import { savingVerifier } from '../../src/core/session/stack';
import { NangoToolchain } from '../../src/core/toolchain/nango';
import { ensureWorkRoot } from '../../src/core/workspace/paths';
import { installedNangoDevDependencies } from '../../src/core/workspace/scaffold';
import { REPO, startAgentStack, TEST_MODEL, type AgentStack } from '../support/agentStack';
import { INPUT, SCRIPT } from '../support/calendarScript';
import { startFakeNango, type FakeNango } from '../support/fakeNango';
import { targetsFor } from '../support/specs';
import { expectVerifiedClean } from '../support/verifyExpect';

const KEY = 'google-calendar/create-event';
const SCRIPT_REL = 'google-calendar/actions/create-event.ts';
const FIXTURE = 'google-calendar/tests/create-event.test.json';
type ToolFinished = Extract<AgentEvent, { type: 'tool.finished' }>;

const bash = (command: string, description: string): ScriptStep => ({ tool_calls: [{ name: 'bash', arguments: { command, description } }] });

/** The honest build, step by step (each step one tool call, as a model takes them). */
const HONEST: ScriptStep[] = [
  { text: 'Starting from the stub.', tool_calls: [{ name: 'read', arguments: { filePath: SCRIPT_REL } }] },
  {
    text: 'Writing the action: typed zod models, retries, the API reference.',
    tool_calls: [{ name: 'write', arguments: { filePath: SCRIPT_REL, content: SCRIPT } }],
  },
  bash('npx nango compile', 'Compile the integration'),
  { text: 'It compiles. Recording a fixture through the harness.', tool_calls: [{ name: 'record_fixture', arguments: { input: INPUT } }] },
  bash('ls google-calendar/tests 2>/dev/null', 'List the fixtures'),
  { tool_calls: [{ name: 'grep', arguments: { pattern: 'retries: 3', include: '*.ts' } }] },
  bash('npm run compile', 'Compile again with the project script'),
  bash('npx nango compile --no-interactiv', 'Compile without prompts'),
  bash('npx nango compile --no-interactive', 'Compile without prompts (flag spelled right)'),
  { tool_calls: [{ name: 'run_tests', arguments: {} }] },
  {
    text: `Implemented ${KEY}: it compiles (npx nango compile and npm run compile), the fixture was recorded with record_fixture, and run_tests passed on it. Please verify.`,
  },
];

// Work roots sit inside the repository so that `nango`, `zod` and vitest resolve from its node_modules.
const workBase = path.join(REPO, '.test-runs', `honest-agent-${process.pid}`);
const nangoCheck = installedNangoDevDependencies(REPO);

beforeAll(() => {
  mkdirSync(workBase, { recursive: true });
});
afterAll(() => {
  rmSync(workBase, { recursive: true, force: true });
});

describe('the scaffold and the installed Nango CLI', () => {
  it('the scaffold declares what the installed Nango CLI checks package.json for (so its compile rewrites nothing)', () => {
    // nango's checkAndSyncPackageJson: devDependencies.nango === NANGO_VERSION, devDependencies.zod === its example's.
    const version = /NANGO_VERSION\s*=\s*'([^']+)'/.exec(readFileSync(path.join(REPO, 'node_modules/nango/dist/version.js'), 'utf8'))?.[1];
    const example = JSON.parse(readFileSync(path.join(REPO, 'node_modules/nango/example/package.json'), 'utf8')) as { devDependencies: Record<string, string> };
    expect(version).toBeTruthy();
    expect(nangoCheck).toEqual({ nango: version, zod: example.devDependencies['zod'] });
  });
});

for (const mode of ['bwrap', 'unsandboxed'] as const satisfies readonly SandboxMode[]) {
  describe(`an honest agent on the real pipeline (${mode === 'bwrap' ? 'in the sandbox' : 'unsandboxed'})`, () => {
    let stack: AgentStack;
    let nango: FakeNango;
    let guard: FixtureGuard;
    let o: Orchestrator;
    let store: RunStore;
    const events: AgentEvent[] = [];
    const workRoot = path.join(workBase, mode);

    beforeAll(async () => {
      stack = await startAgentStack({}, { harness: true, sandbox: mode });
      nango = await startFakeNango();
      // As the real agent stack does when it starts: the work root kept out of git, visible to ripgrep
      // (the repository's .gitignore holds .test-runs/, as a user's may hold the work root).
      await ensureWorkRoot(workRoot);
      store = new RunStore(workRoot);
      const ref: { o?: Orchestrator } = {};
      guard = new FixtureGuard({ currentActivity: (key) => ref.o?.currentActivity(key) });
      o = new Orchestrator({
        workRoot,
        connection: stack.connection,
        runs: store,
        model: TEST_MODEL,
        tools: stack.tools,
        sandbox: stack.sandbox,
        guard,
        // The default: three protected-file changes stop the agent as tampering.
        violationLimit: 3,
        verifier: savingVerifier(store, 1),
        toolchain: new NangoToolchain({ secretKey: 'sk-stand-in', host: nango.url, timeoutMs: 150_000 }),
        onSessionCreated: (run) => {
          stack.model.define(`honest:${mode}`, HONEST);
          stack.model.assign(run.sessionId!, `honest:${mode}`);
        },
      });
      ref.o = o;
      o.onAgentEvent(({ event }) => events.push(event));
      o.generate(targetsFor('google-calendar', ['create-event']));
      await o.whenIdle();
    }, 900_000);

    afterAll(async () => {
      await guard?.dispose();
      await stack?.close();
      await nango?.close();
    });

    const results = () => events.filter((e): e is ToolFinished => e.type === 'tool.finished');
    const bashResult = (command: string) => results().find((r) => r.tool === 'bash' && r.input.command === command);

    it('runs to its end: every step ran, none was refused, the agent was not stopped', () => {
      const run = o.get(KEY)!;
      expect(run.status, run.detail).toBe('needs-review');
      expect(run.detail ?? '').not.toMatch(/tampering/);
      expect(run.sandbox).toBe(mode);
      expect(results().map((r) => r.tool)).toEqual(['read', 'write', 'bash', 'record_fixture', 'bash', 'grep', 'bash', 'bash', 'bash', 'run_tests']);
      for (const r of results()) expect(r.output, `${r.tool} ${JSON.stringify(r.input)}`).not.toMatch(/Integration Builder refused|rule which prevents you/);
    });

    it('compiles three times from its shell, and the Nango CLI finds nothing to update in package.json', () => {
      for (const command of ['npx nango compile', 'npm run compile', 'npx nango compile --no-interactive']) {
        const r = bashResult(command);
        expect(r, command).toBeDefined();
        expect(r!.output, command).toMatch(/Compiled/);
        // What the CLI says before it rewrites package.json (or, told not to, skips that).
        expect(r!.output, command).not.toMatch(/dependencies are out of date/i);
        expect(r!.output, command).not.toMatch(/Read-only file system|EROFS|EACCES/);
      }
      expect(bashResult('npx nango compile --no-interactiv')?.output).toMatch(/unknown option '--no-interactiv'/);
    });

    it('records through the harness, lists its fixtures, finds its own script with grep, and its tests pass', () => {
      expect(results().find((r) => r.tool === 'record_fixture')).toMatchObject({
        ok: true,
        output: expect.stringMatching(/^Recorded google-calendar\/tests\/create-event\.test\.json/),
      });
      expect(bashResult('ls google-calendar/tests 2>/dev/null')?.output).toContain('create-event.test.json');
      const grep = results().find((r) => r.tool === 'grep');
      expect(grep?.output).toContain('create-event.ts');
      expect(grep?.output).toMatch(/Found 1 match/);
      expect(results().find((r) => r.tool === 'run_tests')).toMatchObject({ ok: true });
    });

    it('changes no protected file: no violation logged, package.json as the harness wrote it, nothing installed in the folder', async () => {
      const run = o.get(KEY)!;
      expect(await readViolations(violationLogFor(store.fileOf(KEY)))).toEqual([]);
      expect(run.violations ?? 0).toBe(0);
      const transcript = await store.readTranscript(KEY, run.attempt);
      expect(transcript.filter((e) => (e as { type: string }).type === 'violation')).toEqual([]);

      const manifest = await loadManifest(baselineDirFor(store.fileOf(KEY)));
      const pkg = readFileSync(path.join(run.folder, 'package.json'), 'utf8');
      expect(manifest.files.find((f) => f.path === 'package.json')).toBeDefined();
      expect(JSON.parse(pkg)).toMatchObject({ name: 'google-calendar--create-event', devDependencies: nangoCheck });
      expect(manifest.files.find((f) => f.path === FIXTURE)).toMatchObject({ source: 'recorder' });
      // Nothing installed: no lock file, and no package in a node_modules of the folder (the tests' own
      // caches, such as vitest's node_modules/.vite, are dot folders).
      expect(existsSync(path.join(run.folder, 'package-lock.json'))).toBe(false);
      const modules = existsSync(path.join(run.folder, 'node_modules')) ? readdirSync(path.join(run.folder, 'node_modules')) : [];
      expect(modules.filter((name) => !name.startsWith('.'))).toEqual([]);
    });

    it('is verified, with no finding at all (no warning either)', async () => {
      const [report] = await o.verify([KEY]);
      expectVerifiedClean(report, `${KEY} (${mode})`);
      expect(report!.checks.flatMap((c) => c.findings)).toEqual([]);
      expect(Boolean(report!.unsandboxed)).toBe(mode === 'unsandboxed');
      const run = o.get(KEY)!;
      expect(run.status, run.detail).toBe('verified');
      expect(run.violations ?? 0).toBe(0);
    }, 300_000);
  });
}
