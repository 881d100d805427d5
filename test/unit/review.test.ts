// Accept / Reject (src/core/review, src/core/app/review.ts): who and when and a hash of the folder are
// recorded; a change to the folder afterwards makes the acceptance stale (not accepted, and said why); a
// new attempt starts without one and keeps it in the history; Assemble takes verified and accepted
// interactions by default. And what the review's diff shows: the agent's changes against the scaffold.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IntegrationBuilder } from '../../src/core/app/integrationBuilder';
import { ReviewRefused } from '../../src/core/app/review';
import { planAssembly } from '../../src/core/assemble';
import { currentReviewer, hashFolder, reviewState } from '../../src/core/review/acceptance';
import { agentChanges } from '../../src/core/review/changes';
import { newRunRecord, nextAttempt, type RunRecord } from '../../src/core/runs/record';
import { thisProcess } from '../../src/core/runs/owner';
import { RunStore } from '../../src/core/runs/store';
import { interactionFolder } from '../../src/core/workspace/paths';

const BY = { name: 'Ada Lovelace', email: 'ada@example.com', source: 'git' as const };
const AT = () => new Date('2026-03-01T10:00:00.000Z');

let dir: string;
let workRoot: string;

function put(file: string, content: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, content);
}

/** A finished run of `calendar/<id>` with its folder holding a script; saved on disk. */
async function finishedRun(id: string, status: RunRecord['status'] = 'verified'): Promise<{ run: RunRecord; folder: string }> {
  const folder = interactionFolder(workRoot, 'calendar', id);
  put(path.join(folder, 'calendar', 'actions', `${id}.ts`), `export default '${id}';\n`);
  put(path.join(folder, 'calendar', 'tests', `${id}.test.json`), '{}\n');
  const run: RunRecord = {
    ...newRunRecord({
      key: `calendar/${id}`,
      integrationId: 'calendar',
      interactionId: id,
      specFile: path.join(dir, 'interactions.json'),
      folder,
      demo: true,
      now: '2026-01-01T00:00:00.000Z',
    }),
    status,
  };
  await new RunStore(workRoot).save(run);
  return { run, folder };
}

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'ib-review-'));
  workRoot = path.join(dir, 'work');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('the folder hash', () => {
  it('is stable, changes with any file (content, name, added, removed, a link), and leaves node_modules out', async () => {
    const f = path.join(dir, 'f');
    put(path.join(f, 'a.ts'), 'a');
    put(path.join(f, 'sub', 'b.ts'), 'b');
    const h1 = await hashFolder(f);
    expect(h1).toMatchObject({ files: 2 });
    expect(await hashFolder(f)).toEqual(h1);
    put(path.join(f, 'node_modules', '.vite', 'cache.json'), 'x');
    expect(await hashFolder(f)).toEqual(h1);
    put(path.join(f, 'sub', 'b.ts'), 'B');
    const h2 = await hashFolder(f);
    expect(h2?.sha256).not.toBe(h1?.sha256);
    put(path.join(f, 'sub', 'b.ts'), 'b');
    expect(await hashFolder(f)).toEqual(h1);
    put(path.join(f, 'c.ts'), '');
    expect((await hashFolder(f))?.sha256).not.toBe(h1?.sha256);
    unlinkSync(path.join(f, 'c.ts'));
    symlinkSync('/etc/passwd', path.join(f, 'c.ts'));
    expect((await hashFolder(f))?.sha256).not.toBe(h1?.sha256);
    expect(await hashFolder(path.join(dir, 'absent'))).toBeUndefined();
  });
});

describe('accept and reject', () => {
  it('accepting records who, when and the folder hash in the run record; a change afterwards makes it stale, said why', async () => {
    const { folder } = await finishedRun('create-event');
    const app = new IntegrationBuilder(workRoot);
    const { review, state } = await app.accept('calendar/create-event', { by: BY, now: AT });
    expect(state.state).toBe('accepted');
    expect(review).toMatchObject({ decision: 'accepted', by: BY, at: '2026-03-01T10:00:00.000Z', attempt: 1, files: 2 });
    expect(review.folderSha256).toBe((await hashFolder(folder))?.sha256);
    // Kept in the record on disk.
    const onDisk = JSON.parse(readFileSync(app.runs.fileOf('calendar/create-event'), 'utf8')) as RunRecord;
    expect(onDisk.review).toEqual(review);
    const row = (await app.status(['calendar/create-event'])).rows[0];
    expect(row).toMatchObject({ accepted: true, review: 'accepted by Ada Lovelace <ada@example.com> at 2026-03-01T10:00:00.000Z' });

    put(path.join(folder, 'calendar', 'actions', 'create-event.ts'), '// edited after acceptance\n');
    const now = await app.review('calendar/create-event');
    expect(now).toMatchObject({ state: 'stale', reason: 'the interaction folder changed after it was accepted (2026-03-01T10:00:00.000Z)' });
    expect((await app.status(['calendar/create-event'])).rows[0]).toMatchObject({
      accepted: false,
      review: expect.stringMatching(/^not accepted: the interaction folder changed/),
    });
    // Put back byte for byte, the acceptance holds again: it is about the content, not the time.
    put(path.join(folder, 'calendar', 'actions', 'create-event.ts'), "export default 'create-event';\n");
    expect((await app.review('calendar/create-event'))?.state).toBe('accepted');
    rmSync(folder, { recursive: true });
    expect(await app.review('calendar/create-event')).toMatchObject({ state: 'stale', reason: expect.stringMatching(/folder is gone/) });
  });

  it('a new attempt starts without the acceptance and keeps it in the history; an old acceptance on a record is stale', async () => {
    const { run } = await finishedRun('create-event');
    const app = new IntegrationBuilder(workRoot);
    const { run: accepted } = await app.accept('calendar/create-event', { by: BY, now: AT });
    const next = nextAttempt(accepted, '2026-03-02T00:00:00.000Z');
    expect(next.review).toBeUndefined();
    expect(next.history.at(-1)?.review).toMatchObject({ decision: 'accepted', attempt: 1 });
    expect(await reviewState({ ...run, attempt: 2, review: accepted.review })).toMatchObject({
      state: 'stale',
      reason: 'it was accepted for attempt 1; attempt 2 is not',
    });
  });

  it('rejecting records who, when and why, and is not accepted; accepting again replaces it', async () => {
    await finishedRun('create-event', 'failed');
    const app = new IntegrationBuilder(workRoot);
    const { review, state } = await app.reject('calendar/create-event', { by: BY, now: AT, reason: '  pagination is wrong  ' });
    expect(review).toMatchObject({ decision: 'rejected', reason: 'pagination is wrong' });
    expect(review.folderSha256).toBeUndefined();
    expect(state.state).toBe('rejected');
    expect((await app.status(['calendar/create-event'])).rows[0]?.review).toBe(
      'rejected by Ada Lovelace <ada@example.com> at 2026-03-01T10:00:00.000Z: pagination is wrong',
    );
    expect((await app.accept('calendar/create-event', { by: BY })).state.state).toBe('accepted');
  });

  it('refuses what cannot be reviewed: never ran, still running, no folder', async () => {
    const app = new IntegrationBuilder(workRoot);
    await expect(app.accept('calendar/nothing', { by: BY })).rejects.toThrow(ReviewRefused);
    await expect(app.accept('calendar/nothing', { by: BY })).rejects.toThrow(/has not run/);
    const { run } = await finishedRun('running-one', 'running');
    // A running record of this very process (its owner alive) is still running.
    await new RunStore(workRoot).save({ ...run, owner: thisProcess() });
    await expect(app.accept('calendar/running-one', { by: BY })).rejects.toThrow(
      'calendar/running-one is still running: review it when its agent has finished',
    );
    const { folder } = await finishedRun('no-folder');
    rmSync(folder, { recursive: true });
    await expect(app.accept('calendar/no-folder', { by: BY })).rejects.toThrow(/is not there; there is nothing to accept/);
  });

  it('the reviewer is git’s user.name and user.email where set, else the OS user', async () => {
    const repo = path.join(dir, 'repo');
    mkdirSync(repo);
    const env = { ...process.env, GIT_CONFIG_GLOBAL: path.join(dir, 'no-global'), GIT_CONFIG_NOSYSTEM: '1' };
    execFileSync('git', ['init', '-q'], { cwd: repo, env });
    const saved = { ...process.env };
    Object.assign(process.env, { GIT_CONFIG_GLOBAL: env.GIT_CONFIG_GLOBAL, GIT_CONFIG_NOSYSTEM: '1' });
    try {
      expect(await currentReviewer(repo)).toMatchObject({ source: 'os' });
      execFileSync('git', ['config', 'user.name', 'Grace Hopper'], { cwd: repo, env });
      execFileSync('git', ['config', 'user.email', 'grace@example.com'], { cwd: repo, env });
      expect(await currentReviewer(repo)).toEqual({ name: 'Grace Hopper', email: 'grace@example.com', source: 'git' });
    } finally {
      process.env = saved;
    }
  });
});

describe('Assemble takes verified and accepted interactions by default', () => {
  it('an accepted one is in; one never reviewed, one rejected and one changed after acceptance are left out, each saying why; included when asked', async () => {
    for (const id of ['accepted', 'unreviewed', 'rejected', 'changed']) await finishedRun(id);
    const app = new IntegrationBuilder(workRoot);
    await app.accept('calendar/accepted', { by: BY, now: AT });
    await app.reject('calendar/rejected', { by: BY, now: AT, reason: 'wrong endpoint' });
    const { folder: changed } = { folder: interactionFolder(workRoot, 'calendar', 'changed') };
    await app.accept('calendar/changed', { by: BY, now: AT });
    put(path.join(changed, 'calendar', 'helper.ts'), 'export const x = 1;\n');

    const integration = {
      id: 'calendar',
      interactions: ['accepted', 'unreviewed', 'rejected', 'changed'].map((id) => ({ key: `calendar/${id}`, id, kind: 'action' as const })),
    };
    const { candidates } = await app.assemblyCandidates(integration);
    expect(candidates.map((c) => [c.key, c.acceptance?.accepted])).toEqual([
      ['calendar/accepted', true],
      ['calendar/unreviewed', false],
      ['calendar/rejected', false],
      ['calendar/changed', false],
    ]);
    const project = path.join(dir, 'project');
    const plan = await planAssembly({ projectDir: project, integrationId: 'calendar', candidates, compile: false });
    expect(plan.included.map((c) => c.key)).toEqual(['calendar/accepted']);
    expect(plan.refused).toEqual([
      { key: 'calendar/unreviewed', reason: 'it is not accepted (not reviewed)' },
      { key: 'calendar/rejected', reason: 'it is not accepted (rejected by Ada Lovelace <ada@example.com> at 2026-03-01T10:00:00.000Z: wrong endpoint)' },
      { key: 'calendar/changed', reason: expect.stringMatching(/^it is not accepted \(not accepted: the interaction folder changed after it was accepted/) },
    ]);
    // Not verified stays the first reason, said as before.
    const failed = candidates.map((c) => (c.key === 'calendar/unreviewed' ? { ...c, verdict: 'failed' as const } : c));
    expect((await planAssembly({ projectDir: project, integrationId: 'calendar', candidates: failed, compile: false })).refused[0]).toEqual({
      key: 'calendar/unreviewed',
      reason: 'its verification says failed',
    });
    const all = await planAssembly({ projectDir: project, integrationId: 'calendar', candidates, compile: false, includeUnaccepted: true });
    expect(all.included.map((c) => c.key)).toEqual(['calendar/accepted', 'calendar/unreviewed', 'calendar/rejected', 'calendar/changed']);
    expect(all.refused).toEqual([]);
  });
});

describe('what the agent changed, against the scaffold', () => {
  it('added, modified and deleted files, the script first and generated files last; the baseline copy is the "before" of a protected file; unchanged files and node_modules are not listed', async () => {
    const folder = path.join(dir, 'folder');
    const baseline = path.join(dir, 'baseline');
    const scaffold = new Map([
      ['index.ts', "import './c/actions/x.js';\n"],
      ['c/actions/x.ts', '// stub\n'],
      ['c/tests/.gitkeep', ''],
      ['tsconfig.json', '{}\n'],
    ]);
    put(path.join(folder, 'index.ts'), "import './c/actions/x.js';\n");
    put(path.join(folder, 'c/actions/x.ts'), '// the real thing\n');
    put(path.join(folder, 'c/mappers.ts'), 'export {};\n');
    put(path.join(folder, 'c/tests/.gitkeep'), '');
    put(path.join(folder, 'c/tests/x.test.json'), '{"recorded":true}\n');
    put(path.join(folder, 'node_modules/.vite/x'), '');
    // What the toolchain generated, and a test the agent wrote: listed after the code.
    put(path.join(folder, '.nango/nango.json'), '[]\n');
    put(path.join(folder, 'build/c_actions_x.cjs'), '// built\n');
    put(path.join(folder, 'c/tests/x.extra.test.ts'), '// a test\n');
    // The recorder wrote the fixture: in the baseline, the same in the folder, so not the agent's change.
    put(path.join(baseline, 'files', 'c/tests/x.test.json'), '{"recorded":true}\n');
    put(path.join(baseline, 'files', 'tsconfig.json'), '{}\n');
    const changes = await agentChanges(folder, scaffold, baseline);
    // In reading order: the script, the rest of the code, the tests, other files, generated files last.
    expect(changes).toEqual([
      { rel: 'c/actions/x.ts', status: 'modified', before: '// stub\n' },
      { rel: 'c/mappers.ts', status: 'added' },
      { rel: 'c/tests/x.extra.test.ts', status: 'added' },
      { rel: 'tsconfig.json', status: 'deleted', before: '{}\n' },
      { rel: '.nango/nango.json', status: 'added' },
      { rel: 'build/c_actions_x.cjs', status: 'added' },
    ]);
  });
});
