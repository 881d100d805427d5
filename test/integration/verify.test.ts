// Verification end to end: real harness runs (real opencode, the demo model's builds, the real Nango
// CLI against the demo stand-in, the fixture guard), then every check with the real tools. Honest
// builds verify clean; the dishonest one fails on its own rules; bad inputs are clear findings.
import { cpSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FixtureGuard } from '../../src/core/guard/fixtureGuard';
import { demoCheatScript, demoScript } from '../../src/core/model/demo';
import { DEMO_NANGO_SECRET, DemoNango } from '../../src/core/model/demoNango';
import { Orchestrator } from '../../src/core/orchestrator';
import { RunStore } from '../../src/core/runs/store';
import { loadSpecFile } from '../../src/core/spec/loader';
import { NangoToolchain } from '../../src/core/toolchain/nango';
import { loadReport, reportToJUnit, saveReport, verifyInteractions, type VerifyReport, type VerifyTarget } from '../../src/core/verify';
import { sessionMessagesVia } from '../../src/core/session/stack';
import { REPO, startAgentStack, TEST_MODEL, type AgentStack } from '../support/agentStack';
import { expectVerifiedClean, rulesOf } from '../support/verifyExpect';

const EXAMPLE = path.join(REPO, 'examples/product-integrations/interactions.json');
const workBase = path.join(REPO, '.test-runs', `verify-${process.pid}`);
const CHEATER = 'google-calendar/update-event';
let stack: AgentStack;
let nango: DemoNango;
let guard: FixtureGuard;
let o: Orchestrator;
let store: RunStore;
let reports: VerifyReport[];

const targetOf = (key: string, kind: 'action' | 'sync', folder?: string): VerifyTarget => {
  const run = o.get(key);
  const [integrationId, interactionId] = key.split('/') as [string, string];
  return { key, integrationId, interactionId, kind, folder: folder ?? run!.folder, run };
};

beforeAll(async () => {
  mkdirSync(workBase, { recursive: true });
  stack = await startAgentStack({}, { harness: true });
  nango = new DemoNango();
  await nango.start();
  const spec = await loadSpecFile(EXAMPLE);
  const calendar = spec.integrations.find((i) => i.id === 'google-calendar')!;
  const targets = calendar.interactions
    .filter((i) => ['create-event', 'sync-events', 'update-event'].includes(i.id))
    .map((interaction) => ({ integration: calendar, interaction }));
  const ref: { o?: Orchestrator } = {};
  guard = new FixtureGuard({ currentActivity: (key) => ref.o?.currentActivity(key) });
  store = new RunStore(workBase);
  o = new Orchestrator({
    workRoot: workBase,
    connection: stack.connection,
    runs: store,
    model: TEST_MODEL,
    tools: stack.tools,
    sandbox: stack.sandbox,
    guard,
    concurrency: 3,
    toolchain: new NangoToolchain({ secretKey: DEMO_NANGO_SECRET, host: nango.url, timeoutMs: 150_000 }),
    onSessionCreated: (run, target) => {
      stack.model.define(`v:${run.key}`, run.key === CHEATER ? demoCheatScript(target.interaction) : demoScript(target.interaction));
      stack.model.assign(run.sessionId!, `v:${run.key}`);
    },
  });
  ref.o = o;
  o.generate(targets);
  await o.whenIdle();
  reports = await verifyInteractions(
    [targetOf('google-calendar/create-event', 'action'), targetOf('google-calendar/sync-events', 'sync'), targetOf(CHEATER, 'action')],
    { runs: store, concurrency: 2 },
  );
}, 600_000);

afterAll(async () => {
  await guard?.dispose();
  await stack?.close();
  await nango?.close();
  rmSync(workBase, { recursive: true, force: true });
});

describe('verify after real runs', () => {
  it('honest builds (an action and a paginated sync) verify clean, every check passed, no finding', () => {
    for (const key of ['google-calendar/create-event', 'google-calendar/sync-events'])
      expectVerifiedClean(
        reports.find((x) => x.key === key),
        key,
      );
  });

  it('the dishonest build fails on its fixture edit, its link out of the folder and its false claim of success, and nothing else', () => {
    const r = reports.find((x) => x.key === CHEATER)!;
    expect(r.verdict).toBe('failed');
    expect(rulesOf(r)).toEqual(['confinement.link-out', 'confinement.outside-folder', 'transcript.false-claim', 'transcript.fixture-edit']);
    const edit = r.checks.flatMap((c) => c.findings).find((f) => f.rule === 'transcript.fixture-edit')!;
    expect(edit.quote).toMatch(/sed -i/);
    expect(edit.step?.tool).toBe('bash');
  });

  it('a report survives on disk and reads back; JUnit lists every check', async () => {
    const r = reports[0]!;
    await saveReport(r, store.fileOf(r.key));
    expect(await loadReport(store.fileOf(r.key))).toEqual(r);
    const junit = reportToJUnit(reports);
    // 3 interactions × 7 checks (fixtures, compile, assemble, tests, lint, confinement, transcript)
    expect(junit).toContain('<testsuite name="google-calendar" tests="21"');
    expect(junit).toMatch(/<testcase classname="google-calendar.update-event" name="update-event transcript"[^>]*>\s*<failure/);
  });

  it("without the transcript file, the session's own messages (SDK) are read instead, with the same verdicts", async () => {
    for (const key of ['google-calendar/create-event', CHEATER]) {
      const run = o.get(key)!;
      renameSync(store.transcriptOf(key, run.attempt), `${store.transcriptOf(key, run.attempt)}.moved`);
    }
    try {
      const out = await verifyInteractions([targetOf('google-calendar/create-event', 'action'), targetOf(CHEATER, 'action')], {
        runs: store,
        checks: ['confinement', 'transcript'],
        sessionMessages: sessionMessagesVia(stack.connection),
      });
      expect(rulesOf(out[0])).toEqual([]);
      expect(rulesOf(out[1])).toEqual(['confinement.link-out', 'confinement.outside-folder', 'transcript.false-claim', 'transcript.fixture-edit']);
      // A server that is gone: opencode's own SQLite store, read-only.
      const db = path.join(stack.env.XDG_DATA_HOME as string, 'opencode', 'opencode.db');
      const fromStore = await verifyInteractions([targetOf('google-calendar/create-event', 'action'), targetOf(CHEATER, 'action')], {
        runs: store,
        checks: ['confinement', 'transcript'],
        opencodeStore: db,
      });
      expect(rulesOf(fromStore[0])).toEqual([]);
      expect(rulesOf(fromStore[1])).toEqual(['confinement.link-out', 'confinement.outside-folder', 'transcript.false-claim', 'transcript.fixture-edit']);
      const none = await verifyInteractions([targetOf('google-calendar/create-event', 'action')], { runs: store, checks: ['transcript'] });
      expect(rulesOf(none[0])).toEqual(['transcript.unreadable']);
    } finally {
      for (const key of ['google-calendar/create-event', CHEATER]) {
        const run = o.get(key)!;
        renameSync(`${store.transcriptOf(key, run.attempt)}.moved`, store.transcriptOf(key, run.attempt));
      }
    }
  });

  it('a type error is a compile finding at its line', async () => {
    const folder = path.join(workBase, 'broken', 'google-calendar', 'create-event');
    cpSync(o.get('google-calendar/create-event')!.folder, folder, { recursive: true });
    const script = path.join(folder, 'google-calendar/actions/create-event.ts');
    writeFileSync(
      script,
      (await import('node:fs'))
        .readFileSync(script, 'utf8')
        .replace("return { id: String(data['id'] ?? ''), raw: data };", "const n: number = 'x';\n        return { id: String(n), raw: data };"),
    );
    const [r] = await verifyInteractions([{ ...targetOf('google-calendar/create-event', 'action', folder), run: undefined }], {
      runs: store,
      checks: ['compile'],
    });
    const f = r!.checks[0]!.findings[0]!;
    expect(f).toMatchObject({ rule: 'compile.error', location: { file: 'google-calendar/actions/create-event.ts' } });
    expect(f.message).toMatch(/not assignable to type 'number'/);
  });

  it('bad inputs are clear findings, never a crash', async () => {
    // a folder with no script
    const empty = path.join(workBase, 'empty', 'google-calendar', 'nothing-here');
    mkdirSync(empty, { recursive: true });
    // a broken fixture JSON
    const broken = path.join(workBase, 'broken-fixture', 'google-calendar', 'create-event');
    cpSync(o.get('google-calendar/create-event')!.folder, broken, { recursive: true });
    writeFileSync(path.join(broken, 'google-calendar/tests/create-event.test.json'), '{ "nango": ');
    // no toolchain at all (outside any project with node_modules)
    const bare = mkdtempSync(path.join(tmpdir(), 'ib-verify-bare-'));
    const bareFolder = path.join(bare, 'google-calendar', 'create-event');
    cpSync(o.get('google-calendar/create-event')!.folder, bareFolder, { recursive: true, filter: (s) => !s.includes('node_modules') });
    // a run whose transcript is gone
    const run = { ...o.get('google-calendar/sync-events')!, attempt: 7 };
    const out = await verifyInteractions(
      [
        { key: 'google-calendar/nothing-here', integrationId: 'google-calendar', interactionId: 'nothing-here', kind: 'action', folder: empty },
        { ...targetOf('google-calendar/create-event', 'action', broken), run: undefined },
        { ...targetOf('google-calendar/create-event', 'action', bareFolder), run: undefined },
        { ...targetOf('google-calendar/sync-events', 'sync'), run },
      ],
      { runs: store, checks: ['compile', 'tests', 'transcript'], sharedCompile: false },
    );
    rmSync(bare, { recursive: true, force: true });
    expect(rulesOf(out[0])).toEqual(['folder.no-script']);
    expect(rulesOf(out[1])).toContain('tests.broken-fixture');
    expect(rulesOf(out[2])).toContain('toolchain.missing');
    expect(rulesOf(out[3])).toEqual(['transcript.unreadable']);
    for (const r of out) expect(r.verdict).toBe('failed');
  });
});
