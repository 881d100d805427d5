// Verify fails closed on the fixture guard's log: a missing log is an empty one, but a log that cannot be
// read is not "no violations" — it is a fixtures finding, and the baseline cannot vouch for the tests.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createBaseline, baselineDirFor } from '../../src/core/guard/manifest';
import { sealBaseline } from '../../src/core/guard/seal';
import { violationLogFor } from '../../src/core/guard/violations';
import { newRunRecord } from '../../src/core/runs/record';
import { RunStore } from '../../src/core/runs/store';
import { verifyInteractions } from '../../src/core/verify';

let root: string;
let work: string;
let folder: string;
let store: RunStore;

beforeEach(async () => {
  root = mkdtempSync(path.join(tmpdir(), 'ib-violog-'));
  work = path.join(root, 'work');
  folder = path.join(work, 'api', 'one');
  mkdirSync(path.join(folder, 'api', 'tests'), { recursive: true });
  mkdirSync(path.join(folder, 'api', 'actions'), { recursive: true });
  writeFileSync(path.join(folder, 'api', 'tests', 'one.test.json'), '{"id":1}\n');
  writeFileSync(path.join(folder, 'api', 'actions', 'one.ts'), 'export default {};\n');
  for (const f of ['index.ts', 'package.json', 'tsconfig.json']) writeFileSync(path.join(folder, f), '{}\n');
  store = new RunStore(work);
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

async function verifyFixtures() {
  const runFile = store.fileOf('api/one');
  await createBaseline(folder, baselineDirFor(runFile), { integrationId: 'api', scriptRel: 'api/actions/one.ts' }, [
    'index.ts',
    'package.json',
    'tsconfig.json',
    'api/tests/one.test.json',
  ]);
  const seal = await sealBaseline(store.dir, 'api/one', 1, baselineDirFor(runFile));
  const run = {
    ...newRunRecord({
      key: 'api/one',
      integrationId: 'api',
      interactionId: 'one',
      specFile: path.join(root, 'spec.json'),
      folder,
      demo: false,
      now: new Date().toISOString(),
    }),
    baselineSeal: seal,
  };
  const [r] = await verifyInteractions([{ key: 'api/one', integrationId: 'api', interactionId: 'one', kind: 'action', folder, run }], {
    runs: store,
    checks: ['fixtures'],
  });
  return r!.checks.find((c) => c.check === 'fixtures')!;
}

describe("the fixture guard's log, read by Verify", () => {
  it('missing: no violations, the fixtures check passes', async () => {
    const c = await verifyFixtures();
    expect(c.findings).toEqual([]);
    expect(c.outcome).toBe('passed');
  });

  it('unreadable (here a directory where the log should be): a fixtures finding, never an empty list', async () => {
    mkdirSync(violationLogFor(store.fileOf('api/one')), { recursive: true });
    const c = await verifyFixtures();
    expect(c.outcome).toBe('failed');
    expect(c.findings.map((f) => f.rule)).toEqual(['fixtures.violations-unreadable']);
    expect(c.findings[0]!.message).toMatch(/cannot be read/);
  });
});
