// FolderReconciler without a watcher: the test tells it what "the watcher saw", so the order of events
// is exact. Real files throughout.
import { promises as fsp, renameSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FolderReconciler } from '../../src/core/guard/folderReconciler';
import { checkAgainstManifest, createBaseline, isClean } from '../../src/core/guard/manifest';
import type { Violation } from '../../src/core/guard/violations';
import { scaffoldInteraction } from '../../src/core/workspace/scaffold';
import { targetsFor } from '../support/specs';

const INTEGRATION = 'google-calendar';
const TESTS = `${INTEGRATION}/tests`;
const FIXTURE = `${TESTS}/create-event.test.json`;
const RECORDED = '{"output": {"id": "evt_1"}}\n';

let root: string;
let folder: string;
let rec: FolderReconciler;
let violations: Violation[];
let rewatched: string[][];
let errors: Error[];
let activity: string | undefined;

beforeEach(async () => {
  root = await fsp.mkdtemp(path.join(os.tmpdir(), 'ib-reconciler-'));
  const [target] = targetsFor(INTEGRATION, ['create-event']);
  folder = path.join(root, 'work', INTEGRATION, 'create-event');
  await scaffoldInteraction(folder, target!.interaction);
  await fsp.writeFile(path.join(folder, FIXTURE), RECORDED);
  const baselineDir = path.join(root, 'work', '.runs', INTEGRATION, 'create-event.baseline');
  const manifest = await createBaseline(folder, baselineDir, { integrationId: INTEGRATION, scriptRel: `${INTEGRATION}/actions/create-event.ts` });
  violations = [];
  rewatched = [];
  errors = [];
  activity = undefined;
  rec = new FolderReconciler(
    { folder, key: target!.interaction.key, baselineDir },
    manifest,
    {
      violation: (v) => violations.push(v),
      rewatch: async (dirs) => void rewatched.push([...dirs]),
      error: (err) => errors.push(err),
    },
    {
      addedGraceMs: 5,
      recheckMs: 5,
      now: () => new Date('2025-05-06T07:08:09.000Z'),
      currentActivity: () => (activity ? { text: activity, callIds: [`id:${activity.split(':')[0]}`] } : undefined),
    },
  );
});
afterEach(async () => {
  await rec.dispose();
  await fsp.rm(root, { recursive: true, force: true });
  expect(errors).toEqual([]);
});

const at = (rel: string) => path.join(folder, ...rel.split('/'));
const clean = async () => isClean(await checkAgainstManifest(folder, rec.manifest));

describe('FolderReconciler', () => {
  it('reports the fixture, not the temp file, when a temp file is renamed over it within the grace period', async () => {
    activity = 'bash: sed -i s/evt_1/evt_2/ google-calendar/tests/create-event.test.json';
    writeFileSync(at(`${TESTS}/sedAbC123`), '{"output": {"id": "evt_2"}}\n');
    rec.notify(`${TESTS}/sedAbC123`);
    renameSync(at(`${TESTS}/sedAbC123`), at(FIXTURE));
    rec.notify(`${TESTS}/sedAbC123`);
    rec.notify(FIXTURE);
    activity = undefined;
    await rec.idle();
    expect(violations).toEqual([
      {
        time: '2025-05-06T07:08:09.000Z',
        folder,
        key: 'google-calendar/create-event',
        file: FIXTURE,
        kind: 'changed',
        restored: true,
        activity: 'bash: sed -i s/evt_1/evt_2/ google-calendar/tests/create-event.test.json',
        callIds: ['id:bash'],
        detail: expect.stringMatching(
          /^google-calendar\/tests\/create-event\.test\.json changed \(sha256 [0-9a-f]{12}… → [0-9a-f]{12}…, same size\); restored from the baseline; during bash: sed -i /,
        ),
      },
    ]);
    expect(await fsp.readFile(at(FIXTURE), 'utf8')).toBe(RECORDED);
    expect(await clean()).toBe(true);
  });

  it('deletes a new file still there after the grace period, and names the activity when it was seen', async () => {
    activity = 'bash: echo {} > google-calendar/tests/fake.json';
    writeFileSync(at(`${TESTS}/fake.json`), '{}');
    rec.notify(`${TESTS}/fake.json`);
    activity = 'read: something else';
    await rec.idle();
    expect(violations.map((v) => [v.file, v.kind, v.restored, v.activity])).toEqual([
      [`${TESTS}/fake.json`, 'added', true, 'bash: echo {} > google-calendar/tests/fake.json'],
    ]);
    await expect(fsp.stat(at(`${TESTS}/fake.json`))).rejects.toThrow();
  });

  it('ignores the agent’s own files and events whose file is already as the baseline has it', async () => {
    writeFileSync(at(`${INTEGRATION}/actions/create-event.ts`), '// mine\n');
    rec.notify(`${INTEGRATION}/actions/create-event.ts`);
    rec.notify('NOTES.md');
    rec.notify(FIXTURE);
    rec.notify('index.ts');
    await rec.idle();
    expect(violations).toEqual([]);
  });

  it('a sweep finds what no event reported', async () => {
    await rec.sweep();
    await rec.idle();
    writeFileSync(at('package.json'), '{}');
    await rec.sweep();
    await rec.idle();
    expect(violations.map((v) => [v.file, v.kind])).toEqual([['package.json', 'changed']]);
    expect(violations[0]!.detail).toContain('while no tool call was running');
    expect(await clean()).toBe(true);
  });

  it('recreates a removed tests folder and asks for it to be watched again', async () => {
    await fsp.rm(at(TESTS), { recursive: true });
    rec.notify(TESTS);
    await rec.idle();
    expect(violations.map((v) => [v.file, v.kind])).toEqual([
      [`${TESTS}/.gitkeep`, 'deleted'],
      [FIXTURE, 'deleted'],
    ]);
    expect(violations[0]!.detail).toContain(`${TESTS} was removed`);
    expect(rewatched).toContainEqual([TESTS]);
    expect(await clean()).toBe(true);
  });

  it('recording: takes the listed files in, reverts the rest as violations, holds checks meanwhile', async () => {
    const result = await rec.recording(
      async () => {
        writeFileSync(at(FIXTURE), '{"output": {"id": "evt_9"}}\n');
        writeFileSync(at(`${TESTS}/smuggled.json`), '{}');
        writeFileSync(at('index.ts'), '// changed during the recording\n');
        rec.notify(FIXTURE);
        rec.notify(`${TESTS}/smuggled.json`);
        rec.notify('index.ts');
        await new Promise((r) => setTimeout(r, 20));
        // Nothing was acted on while the recorder ran.
        expect(violations).toEqual([]);
        return 'recorded';
      },
      { paths: [FIXTURE] },
    );
    expect(result).toBe('recorded');
    await rec.idle();
    expect(rec.manifest.files.find((e) => e.path === FIXTURE)?.source).toBe('recorder');
    expect(await fsp.readFile(at(FIXTURE), 'utf8')).toBe('{"output": {"id": "evt_9"}}\n');
    expect(violations.map((v) => [v.file, v.kind]).sort()).toEqual([
      [`${TESTS}/smuggled.json`, 'added'],
      ['index.ts', 'changed'],
    ]);
    expect(await clean()).toBe(true);
  });
});
