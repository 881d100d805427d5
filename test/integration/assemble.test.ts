// Assemble with real folders (the verify samples' Google Calendar action with its recorded fixture and
// the test the real Nango CLI generates for it, installed as finished runs) into a Nango project, then
// the real `nango compile` of the project.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyAssembly, mergeIndex, planAssembly, renderAssemblyReport, type AssemblyCandidate } from '../../src/core/assemble';
import { RunStore } from '../../src/core/runs/store';
import { REPO } from '../support/agentStack';
import { buildTemplate, installCopy } from '../support/verifySamples';

const work = path.join(REPO, '.test-runs', `assemble-${process.pid}`);
let candidates: AssemblyCandidate[];

beforeAll(async () => {
  rmSync(work, { recursive: true, force: true });
  const workRoot = path.join(work, 'work');
  const template = await buildTemplate(path.join(work, 'templates'), 'create-event');
  const runs = new RunStore(workRoot);
  const targets = [await installCopy(runs, workRoot, template, 'create-event', 'create-event-1'), await installCopy(runs, workRoot, template, 'create-event', 'create-event-2')];
  candidates = targets.map((t, i) => ({ key: t.key, integrationId: t.integrationId, interactionId: t.interactionId, kind: t.kind, folder: t.folder, attempt: 1, verdict: i === 0 ? 'verified' : undefined, costUsd: 0.02 }));
}, 300_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('assemble', () => {
  it('writes the verified interaction into a new project, refuses the unverified one, and compiles', async () => {
    const project = path.join(work, 'p1');
    const plan = await planAssembly({ projectDir: project, integrationId: 'google-calendar', candidates });
    expect(plan.refused).toEqual([{ key: 'google-calendar/create-event-2', reason: 'it was never verified' }]);
    const report = await applyAssembly(plan);
    expect(report.compile, JSON.stringify(report.compile)).toMatchObject({ ok: true });
    expect(report.written).toEqual(expect.arrayContaining(['google-calendar/actions/create-event-1.ts', 'google-calendar/tests/create-event-1.test.json', 'google-calendar/tests/google-calendar-create-event-1.test.ts', 'index.ts', 'package.json', 'tsconfig.json']));
    expect(readFileSync(path.join(project, 'index.ts'), 'utf8')).toBe("import './google-calendar/actions/create-event-1.js';\n");
    expect(existsSync(path.join(project, 'google-calendar/actions/create-event-2.ts'))).toBe(false);
    expect(renderAssemblyReport(report)).toContain('| google-calendar/create-event-1 | 1 | verified | $0.0200 |');
    expect(readdirNoStage(work)).toBe(true);

    // Again, with the unverified one confirmed: idempotent for what is there, the new import sorted in.
    const again = await applyAssembly(await planAssembly({ projectDir: project, integrationId: 'google-calendar', candidates, includeUnverified: true }), { compile: false });
    expect(again.unchanged).toEqual(expect.arrayContaining(['google-calendar/actions/create-event-1.ts']));
    expect(again.interactions.map((i) => [i.key, i.verdict])).toEqual([['google-calendar/create-event-1', 'verified'], ['google-calendar/create-event-2', 'unverified']]);
    expect(readFileSync(path.join(project, 'index.ts'), 'utf8')).toBe("import './google-calendar/actions/create-event-1.js';\nimport './google-calendar/actions/create-event-2.js';\n");
  });

  it('never overwrites a file that differs unless told to; a failed write leaves the project as it was', async () => {
    const project = path.join(work, 'p2');
    const script = path.join(project, 'google-calendar/actions/create-event-1.ts');
    mkdirSync(path.dirname(script), { recursive: true });
    writeFileSync(script, '// my own version\n');
    const plan = await planAssembly({ projectDir: project, integrationId: 'google-calendar', candidates });
    const conflict = plan.files.find((f) => f.rel === 'google-calendar/actions/create-event-1.ts')!;
    expect(conflict).toMatchObject({ status: 'conflict', existing: '// my own version\n' });
    const kept = await applyAssembly(plan, { compile: false });
    expect(kept.skipped).toEqual(['google-calendar/actions/create-event-1.ts']);
    expect(readFileSync(script, 'utf8')).toBe('// my own version\n');
    const forced = await applyAssembly(await planAssembly({ projectDir: project, integrationId: 'google-calendar', candidates }), { force: true, compile: false });
    expect(forced.written).toContain('google-calendar/actions/create-event-1.ts');
    expect(readFileSync(script, 'utf8')).toContain('createAction');

    // A fixture path taken by a folder: the move fails, and what was moved before is undone.
    const p3 = path.join(work, 'p3');
    mkdirSync(path.join(p3, 'google-calendar/tests/google-calendar-create-event-1.test.ts/blocker'), { recursive: true });
    const failing = await planAssembly({ projectDir: p3, integrationId: 'google-calendar', candidates });
    await expect(applyAssembly(failing, { compile: false })).rejects.toThrow(/the project was left as it was/);
    expect(existsSync(path.join(p3, 'google-calendar/actions/create-event-1.ts'))).toBe(false);
    expect(existsSync(path.join(p3, 'index.ts'))).toBe(false);
  });

  it('mergeIndex keeps the user\'s imports and other lines, sorted and unique', () => {
    expect(mergeIndex("import './b/actions/x.js';\nimport \"./a/syncs/y.js\"\n\n// mine\n", ["import './b/actions/x.js';", "import './a/actions/z.js';"])).toBe(
      "import './a/actions/z.js';\nimport './a/syncs/y.js';\nimport './b/actions/x.js';\n\n// mine\n",
    );
    expect(mergeIndex(undefined, ["import './a.js';"])).toBe("import './a.js';\n");
  });
});

function readdirNoStage(dir: string): boolean {
  return !readdirSync(dir).some((n) => n.includes('.assemble-'));
}
