// The baseline's seal: the manifest's hash in the run record, with an HMAC only the harness can make.
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createBaseline, MANIFEST_FILE } from '../../src/core/guard/manifest';
import { checkSeal, INTEGRITY_KEY_FILE, sealBaseline } from '../../src/core/guard/seal';
import { fixtureFindings } from '../../src/core/verify/fixtures';

let root: string;
let folder: string;
let runs: string;
let baseline: string;

beforeEach(async () => {
  root = mkdtempSync(path.join(tmpdir(), 'ib-seal-'));
  folder = path.join(root, 'work', 'api', 'one');
  runs = path.join(root, 'work', '.runs');
  baseline = path.join(runs, 'api', 'one.baseline');
  mkdirSync(path.join(folder, 'api', 'tests'), { recursive: true });
  writeFileSync(path.join(folder, 'api', 'tests', 'one.test.json'), '{"id":1}\n');
  for (const f of ['index.ts', 'package.json', 'tsconfig.json']) writeFileSync(path.join(folder, f), '{}\n');
  await createBaseline(folder, baseline, { integrationId: 'api', scriptRel: 'api/actions/one.ts' }, [
    'index.ts',
    'package.json',
    'tsconfig.json',
    'api/tests/one.test.json',
  ]);
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('baseline seal', () => {
  it('holds for the manifest the harness wrote, and the key is its owner’s alone', async () => {
    const seal = await sealBaseline(runs, 'api/one', 1, baseline);
    expect(await checkSeal(runs, 'api/one', 1, baseline, seal)).toEqual({ ok: true });
    expect(readFileSync(path.join(runs, INTEGRITY_KEY_FILE), 'utf8')).toMatch(/^[0-9a-f]{64}\n$/);
    const { statSync } = await import('node:fs');
    expect(statSync(path.join(runs, INTEGRITY_KEY_FILE)).mode & 0o077).toBe(0);
  });

  it('breaks when the manifest is rewritten after the run, even with the record updated to its new hash', async () => {
    const seal = await sealBaseline(runs, 'api/one', 1, baseline);
    const file = path.join(baseline, MANIFEST_FILE);
    writeFileSync(file, readFileSync(file, 'utf8').replace(/"sha256": "[0-9a-f]+"/, `"sha256": "${'0'.repeat(64)}"`));
    expect(await checkSeal(runs, 'api/one', 1, baseline, seal)).toMatchObject({
      ok: false,
      rule: 'fixtures.baseline-tampered',
      message: expect.stringMatching(/rewritten after the run/),
    });
    const { createHash } = await import('node:crypto');
    const forged = { ...seal, manifestSha256: createHash('sha256').update(readFileSync(file)).digest('hex') };
    expect(await checkSeal(runs, 'api/one', 1, baseline, forged)).toMatchObject({ ok: false, message: expect.stringMatching(/HMAC does not match/) });
  });

  it('is bound to its run and attempt', async () => {
    const seal = await sealBaseline(runs, 'api/one', 1, baseline);
    expect((await checkSeal(runs, 'api/two', 1, baseline, seal)).ok).toBe(false);
    expect((await checkSeal(runs, 'api/one', 2, baseline, seal)).ok).toBe(false);
  });

  it('fails closed: no seal, or no key to check it with, is a finding', async () => {
    expect(await checkSeal(runs, 'api/one', 1, baseline, undefined)).toMatchObject({ ok: false, rule: 'fixtures.baseline-unsealed' });
    const seal = await sealBaseline(runs, 'api/one', 1, baseline);
    const other = path.join(root, 'elsewhere', '.runs');
    expect(await checkSeal(other, 'api/one', 1, baseline, seal)).toMatchObject({
      ok: false,
      rule: 'fixtures.baseline-tampered',
      message: expect.stringMatching(/integrity key cannot be read/),
    });
  });

  it('Verify reports a tampered baseline as a fixtures finding, whatever the folder holds', async () => {
    const seal = await sealBaseline(runs, 'api/one', 1, baseline);
    const sealed = { runsDir: runs, key: 'api/one', attempt: 1, baselineSeal: seal };
    expect((await fixtureFindings(folder, baseline, [], sealed)).findings).toEqual([]);
    // the attack from the issue: fixture and baseline copy and manifest rewritten together, consistently
    writeFileSync(path.join(folder, 'api', 'tests', 'one.test.json'), '{"id":2}\n');
    await createBaseline(folder, baseline, { integrationId: 'api', scriptRel: 'api/actions/one.ts' }, [
      'index.ts',
      'package.json',
      'tsconfig.json',
      'api/tests/one.test.json',
    ]);
    const r = await fixtureFindings(folder, baseline, [], sealed);
    expect(r.findings.map((f) => f.rule)).toEqual(['fixtures.baseline-tampered']);
  });
});
