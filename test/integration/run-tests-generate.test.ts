// run_tests' generator (src/core/toolchain/generate.ts): when the recorder's dry run has just
// type-checked the same files, the tests are generated with Nango's own pieces without a second type
// check — and they are the files `nango generate:tests` writes, byte for byte. When the files changed
// since, the CLI runs and reports as before: a type error added after the recording is what run_tests
// says (the CLI prints "Failed to generate tests" and exits 0: that is a failure too). Real Nango CLI,
// real sandbox, the recorder against the loopback stand-in of the Nango API.
import { execFile } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RunStore } from '../../src/core/runs/store';
import { sandboxSupport } from '../../src/core/sandbox/confine';
import { compileInputsDigest, NANGO_GENERATE, nangoDistOf } from '../../src/core/toolchain/generate';
import { NangoToolchain } from '../../src/core/toolchain/nango';
import { findBin, runTool } from '../../src/core/toolchain/tools';
import { REPO } from '../support/agentStack';
import { INPUT } from '../support/calendarScript';
import { startFakeNango, type FakeNango } from '../support/fakeNango';
import { buildTemplate, installCopy, type SampleId } from '../support/verifySamples';

const base = path.join(REPO, '.test-runs', `run-tests-generate-${process.pid}`);
const work = path.join(base, 'work');
const store = new RunStore(work);
const templates: Partial<Record<SampleId, string>> = {};
let nango: FakeNango;
const QUIET = { NANGO_CLI_UPGRADE_MODE: 'ignore', NANGO_CLI_TELEMETRY: 'false', NANGO_CLI_DEPENDENCY_UPDATE: 'false' };

/** Every file under a folder, by relative path, with its content. */
function tree(dir: string, rel = ''): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of readdirSync(path.join(dir, rel))) {
    const r = rel ? `${rel}/${name}` : name;
    if (statSync(path.join(dir, r)).isDirectory()) Object.assign(out, tree(dir, r));
    else out[r] = readFileSync(path.join(dir, r), 'utf8');
  }
  return out;
}

/** A copy without anything generated: no build, no Nango state, no generated test or config. */
function bare(folder: string): void {
  for (const f of ['build', '.nango/nango.json', 'vite.config.ts', 'vitest.setup.ts']) rmSync(path.join(folder, f), { recursive: true, force: true });
  const tests = path.join(folder, 'google-calendar', 'tests');
  for (const f of readdirSync(tests)) if (f.endsWith('.test.ts')) rmSync(path.join(tests, f));
}

function generate(dist: string, cwd: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    execFile('node', ['--input-type=module', '-e', NANGO_GENERATE, '--', dist], { cwd, env: { ...process.env, ...QUIET } }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? null) : 0, output: stdout + stderr }),
    );
  });
}

beforeAll(async () => {
  const s = await sandboxSupport();
  if (!s.available) throw new Error(`this test needs the OS sandbox (bubblewrap): ${s.reason ?? 'not available'}`);
  mkdirSync(base, { recursive: true });
  for (const id of ['create-event', 'sync-events'] as const) templates[id] = await buildTemplate(path.join(base, 'templates'), id);
  nango = await startFakeNango();
}, 240_000);

afterAll(async () => {
  await nango?.close();
  rmSync(base, { recursive: true, force: true });
});

describe("run_tests' generator", () => {
  it('writes exactly what `nango generate:tests` writes, for an action and a sync', async () => {
    const bin = findBin(REPO, 'nango') as string;
    const dist = nangoDistOf(bin);
    expect(dist).toMatch(/^file:\/\/.*\/nango\/dist\/$/);
    for (const id of ['create-event', 'sync-events'] as const) {
      // the same interaction in two work roots: the two trees must be the same, byte for byte
      const cli = (await installCopy(store, path.join(base, 'by-cli'), templates[id] as string, id, id, { transcript: false })).folder;
      const ours = (await installCopy(store, path.join(base, 'by-us'), templates[id] as string, id, id, { transcript: false })).folder;
      bare(cli);
      bare(ours);
      const byCli = await runTool(bin, ['generate:tests', '--no-interactive', '--auto-confirm'], cli, { timeoutMs: 180_000 });
      const byUs = await generate(dist as string, ours);
      expect(byUs.code, byUs.output).toBe(0);
      const want = tree(cli);
      expect(
        Object.keys(want).some((f) => f.endsWith('.test.ts')),
        byCli.output,
      ).toBe(true);
      expect(Object.keys(want)).toContain('.nango/nango.json');
      expect(tree(ours)).toEqual(want);
    }
  }, 300_000);

  it('says so with its own exit code when the CLI lacks its pieces (the harness then runs `nango generate:tests`)', async () => {
    const empty = path.join(base, 'no-nango', 'dist');
    mkdirSync(empty, { recursive: true });
    const r = await generate(`file://${empty}/`, base);
    expect(r.code).toBe(90);
    expect(r.output).toMatch(/the generator could not load Nango's modules/);
    expect(nangoDistOf(path.join(base, 'no-nango', 'bin', 'nango'))).toBeUndefined();
  });

  it('the digest of what a type check reads: changed by the script, a helper or a .ts anywhere; not by fixtures, builds or generated files; none with a link', async () => {
    const folder = (await installCopy(store, work, templates['create-event'] as string, 'create-event', 'digest', { transcript: false })).folder;
    const d0 = await compileInputsDigest(folder, 'google-calendar');
    expect(d0).toMatch(/^[0-9a-f]{64}$/);
    // what the recorder, the generator, the builds and the replay write
    writeFileSync(path.join(folder, 'google-calendar', 'tests', 'digest.test.json'), '{"changed":true}');
    writeFileSync(path.join(folder, 'google-calendar', 'tests', 'google-calendar-digest.test.ts'), '// regenerated');
    for (const f of ['vite.config.ts', 'vitest.setup.ts']) writeFileSync(path.join(folder, f), '// generated');
    mkdirSync(path.join(folder, 'build'), { recursive: true });
    writeFileSync(path.join(folder, 'build', 'google-calendar_actions_digest.cjs'), 'module.exports = {}');
    mkdirSync(path.join(folder, '.nango'), { recursive: true });
    writeFileSync(path.join(folder, '.nango', 'nango.json'), '[]');
    mkdirSync(path.join(folder, 'node_modules', '.vite', 'vitest'), { recursive: true });
    writeFileSync(path.join(folder, 'node_modules', '.vite', 'vitest', 'results.json'), '{}');
    expect(await compileInputsDigest(folder, 'google-calendar')).toBe(d0);
    // what a type check could read
    const changes: [string, string][] = [
      ['google-calendar/actions/digest.ts', '\n// edited\n'],
      ['google-calendar/helpers.ts', 'export const x = 1;\n'],
      ['.nango/helper.ts', 'export const y = 2;\n'],
      ['build/types.d.ts', 'export {};\n'],
      ['google-calendar/tests/notes.ts', 'export {};\n'],
    ];
    let last = d0;
    for (const [rel, text] of changes) {
      mkdirSync(path.dirname(path.join(folder, rel)), { recursive: true });
      appendFileSync(path.join(folder, rel), text);
      const d = await compileInputsDigest(folder, 'google-calendar');
      expect(d, rel).toMatch(/^[0-9a-f]{64}$/);
      expect(d, rel).not.toBe(last);
      last = d;
    }
    symlinkSync(path.join(folder, 'index.ts'), path.join(folder, 'google-calendar', 'linked.ts'));
    expect(await compileInputsDigest(folder, 'google-calendar')).toBeUndefined();
    expect(await compileInputsDigest(path.join(base, 'no-such-folder'), 'google-calendar')).toBeUndefined();
  });

  it('after a recording, run_tests generates without a second type check, confined; a type error added afterwards is what it reports', async () => {
    const target = await installCopy(store, work, templates['create-event'] as string, 'create-event', 'quick', { transcript: false });
    const script = path.join(target.folder, 'google-calendar', 'actions', 'quick.ts');
    // the script's top-level code notes which process ran it, where no digest looks (.nango/*.json)
    const seen = path.join(target.folder, '.nango', 'ran.json');
    const text = readFileSync(script, 'utf8');
    const at = text.indexOf('\n\n');
    writeFileSync(
      script,
      text.slice(0, at) +
        `\nconst g = globalThis as any;\ntry { const fs = g.process.getBuiltinModule('fs'); fs.mkdirSync('.nango', { recursive: true }); fs.appendFileSync(${JSON.stringify(seen)}, JSON.stringify((g.process.argv as string[]).slice(1)) + '\\n'); } catch { /* read-only */ }\n` +
        text.slice(at),
    );
    const ran = () => (existsSync(seen) ? readFileSync(seen, 'utf8').trim().split('\n') : []);
    const toolchain = new NangoToolchain({ secretKey: 'sk-stand-in', host: nango.url, timeoutMs: 180_000 });
    const interaction = { id: 'quick', integrationId: 'google-calendar', kind: 'action', connectionId: 'conn-1', environment: 'dev' } as never;
    const recorded = await toolchain.record({ folder: target.folder, interaction, input: INPUT });
    expect(recorded.kind, JSON.stringify(recorded)).toBe('recorded');
    const afterRecord = ran().length;

    const tested = await toolchain.runTests({ folder: target.folder, interaction });
    expect(tested.ok, tested.output).toBe(true);
    const byGenerator = ran().slice(afterRecord);
    // the quick generator read the definitions (its argv is its dist URL), `nango generate:tests` did not run
    expect(
      byGenerator.some((l) => /nango\/dist\/"\]$/.test(l)),
      byGenerator.join('\n'),
    ).toBe(true);
    expect(byGenerator.some((l) => l.includes('generate:tests'))).toBe(false);
    expect(readdirSync(path.join(target.folder, 'google-calendar', 'tests'))).toContain('google-calendar-quick.test.ts');

    // a type error after the recording: the files differ from those type-checked, so the CLI runs and says where
    appendFileSync(script, '\nexport const wrong: number = "not a number";\n');
    const broken = await toolchain.runTests({ folder: target.folder, interaction });
    expect(broken.ok).toBe(false);
    expect(broken.output).toMatch(/nango generate:tests failed/);
    expect(broken.output).toMatch(/quick\.ts:\d+:\d+[\s\S]*Type 'string' is not assignable to type 'number'/);
  }, 400_000);
});
