// The baseline manifest on real files: what is protected, what a check finds, what a restore puts back.
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  baselineDirFor,
  checkAgainstManifest,
  createBaseline,
  isClean,
  listProtectedFiles,
  loadManifest,
  MANIFEST_FILE,
  restoreFile,
  updateBaseline,
} from '../../src/core/guard/manifest';
import { isProtected, normalizeRel } from '../../src/core/guard/protectedPaths';
import { scaffoldInteraction, scriptRelativePath } from '../../src/core/workspace/scaffold';
import { targetsFor } from '../support/specs';

const INTEGRATION = 'google-calendar';
const FIXTURE = `${INTEGRATION}/tests/create-event.test.json`;
const SCRIPT = `${INTEGRATION}/actions/create-event.ts`;
const SCOPE = { integrationId: INTEGRATION, scriptRel: SCRIPT };
const sha = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const FIXTURE_TEXT = JSON.stringify({ input: { summary: 'Standup' }, output: { id: 'evt_1', status: 'confirmed' } }, null, 2) + '\n';

let root: string;
let folder: string;
let baselineDir: string;

beforeEach(async () => {
  root = await fsp.mkdtemp(path.join(os.tmpdir(), 'ib-guard-manifest-'));
  const [target] = targetsFor(INTEGRATION, ['create-event']);
  folder = path.join(root, 'work', INTEGRATION, 'create-event');
  await scaffoldInteraction(folder, target!.interaction);
  expect(scriptRelativePath(target!.interaction)).toBe(SCRIPT);
  await fsp.writeFile(path.join(folder, FIXTURE), FIXTURE_TEXT);
  baselineDir = baselineDirFor(path.join(root, 'work', '.runs', INTEGRATION, 'create-event.json'));
});
afterEach(async () => {
  await fsp.rm(root, { recursive: true, force: true });
});

const at = (rel: string) => path.join(folder, ...rel.split('/'));

describe('protected paths', () => {
  it('protects everything under <integration>/tests and the generated root files, not the script', () => {
    for (const rel of [
      FIXTURE,
      `${INTEGRATION}/tests/create-event.test.ts`,
      `${INTEGRATION}/tests/new-file.json`,
      `${INTEGRATION}/tests/deep/er.json`,
      'index.ts',
      'package.json',
      'tsconfig.json',
      `./${INTEGRATION}/tests/x`,
    ]) {
      expect(isProtected(rel, INTEGRATION, SCRIPT), rel).toBe(true);
    }
    for (const rel of [
      SCRIPT,
      `${INTEGRATION}/actions/helper.ts`,
      `${INTEGRATION}/tests`,
      'notes.md',
      '.nango/schema.json',
      `other/tests/x.json`,
      `../${INTEGRATION}/tests/x.json`,
      '/abs/index.ts',
      `${INTEGRATION}/tests/../actions/x.ts`,
    ]) {
      expect(isProtected(rel, INTEGRATION, SCRIPT), rel).toBe(false);
    }
    expect(normalizeRel('a/./b/../c/')).toBe('a/c');
    expect(normalizeRel('../x')).toBeUndefined();
  });

  it('lists the protected files of a scaffolded folder', async () => {
    expect(await listProtectedFiles(folder, SCOPE)).toEqual([`${INTEGRATION}/tests/.gitkeep`, FIXTURE, 'index.ts', 'package.json', 'tsconfig.json']);
  });
});

describe('createBaseline / loadManifest', () => {
  it('records path, sha256, size and source of each protected file, with copies outside the folder', async () => {
    const manifest = await createBaseline(folder, baselineDir, SCOPE);
    expect(manifest.integrationId).toBe(INTEGRATION);
    expect(manifest.scriptRel).toBe(SCRIPT);
    expect(manifest.files.map((e) => e.path)).toEqual([`${INTEGRATION}/tests/.gitkeep`, FIXTURE, 'index.ts', 'package.json', 'tsconfig.json']);
    const fixture = manifest.files.find((e) => e.path === FIXTURE)!;
    expect(fixture).toMatchObject({ sha256: sha(FIXTURE_TEXT), size: Buffer.byteLength(FIXTURE_TEXT), source: 'scaffold' });
    expect(await fsp.readFile(path.join(baselineDir, 'files', ...FIXTURE.split('/')), 'utf8')).toBe(FIXTURE_TEXT);
    expect(await loadManifest(baselineDir)).toEqual(manifest);
    expect(isClean(await checkAgainstManifest(folder, manifest))).toBe(true);
  });

  it('refuses a baseline inside the folder and paths that are not protected', async () => {
    await expect(createBaseline(folder, path.join(folder, '.baseline'), SCOPE)).rejects.toThrow(/outside the interaction folder/);
    await expect(createBaseline(folder, baselineDir, SCOPE, [SCRIPT])).rejects.toThrow(/not a protected path/);
    await expect(createBaseline(folder, baselineDir, SCOPE, ['../elsewhere/index.ts'])).rejects.toThrow(/not a protected path/);
  });

  it('rejects a file that is not a baseline manifest', async () => {
    await fsp.mkdir(baselineDir, { recursive: true });
    await fsp.writeFile(path.join(baselineDir, MANIFEST_FILE), '{"version": 2}');
    await expect(loadManifest(baselineDir)).rejects.toThrow(/not a baseline manifest/);
  });
});

describe('checkAgainstManifest', () => {
  it('finds a changed hash even when the size is the same', async () => {
    const manifest = await createBaseline(folder, baselineDir, SCOPE);
    await fsp.writeFile(at(FIXTURE), FIXTURE_TEXT.replace('confirmed', 'tentative'));
    expect(Buffer.byteLength(FIXTURE_TEXT.replace('confirmed', 'tentative'))).toBe(Buffer.byteLength(FIXTURE_TEXT));
    expect(await checkAgainstManifest(folder, manifest)).toEqual({ changed: [FIXTURE], missing: [], unexpected: [] });
  });

  it('finds changed generated files, missing fixtures and unexpected new files and folders', async () => {
    const manifest = await createBaseline(folder, baselineDir, SCOPE);
    await fsp.appendFile(at('tsconfig.json'), ' ');
    await fsp.rm(at(FIXTURE));
    await fsp.writeFile(at(`${INTEGRATION}/tests/invented.test.json`), '{}');
    await fsp.mkdir(at(`${INTEGRATION}/tests/mocks/deep`), { recursive: true });
    await fsp.writeFile(at(`${INTEGRATION}/tests/mocks/deep/x.json`), '{}');
    // The agent's own files are not the manifest's business.
    await fsp.writeFile(at(SCRIPT), '// my code\n');
    await fsp.writeFile(at(`${INTEGRATION}/actions/helper.ts`), '// mine\n');
    await fsp.writeFile(at('NOTES.md'), 'mine\n');
    expect(await checkAgainstManifest(folder, manifest)).toEqual({
      changed: ['tsconfig.json'],
      missing: [FIXTURE],
      unexpected: [`${INTEGRATION}/tests/invented.test.json`, `${INTEGRATION}/tests/mocks`],
    });
  });

  it('does not take a symlink, a hard link or a symlinked tests folder for the fixture', async () => {
    const manifest = await createBaseline(folder, baselineDir, SCOPE);
    const elsewhere = path.join(root, 'elsewhere.json');
    await fsp.writeFile(elsewhere, FIXTURE_TEXT);
    await fsp.rm(at(FIXTURE));
    await fsp.symlink(elsewhere, at(FIXTURE));
    expect((await checkAgainstManifest(folder, manifest)).changed).toEqual([FIXTURE]);

    await fsp.rm(at(FIXTURE));
    await fsp.writeFile(at(FIXTURE), FIXTURE_TEXT);
    await fsp.link(at(FIXTURE), path.join(root, 'second-name.json'));
    expect((await checkAgainstManifest(folder, manifest)).changed).toEqual([FIXTURE]);
    await fsp.rm(path.join(root, 'second-name.json'));

    // The whole tests folder swapped for a symlink to an identical copy: its files are not really there.
    const copy = path.join(root, 'tests-copy');
    await fsp.cp(at(`${INTEGRATION}/tests`), copy, { recursive: true });
    await fsp.rm(at(`${INTEGRATION}/tests`), { recursive: true });
    await fsp.symlink(copy, at(`${INTEGRATION}/tests`));
    expect(await checkAgainstManifest(folder, manifest)).toEqual({ changed: [], missing: [`${INTEGRATION}/tests/.gitkeep`, FIXTURE], unexpected: [] });
  });
});

describe('restoreFile', () => {
  it('puts a changed file back byte for byte, as a fresh plain file', async () => {
    const manifest = await createBaseline(folder, baselineDir, SCOPE);
    await fsp.writeFile(at(FIXTURE), '{"faked": true}');
    expect(await restoreFile(folder, baselineDir, FIXTURE)).toEqual({ action: 'restored', createdDirs: [] });
    expect(await fsp.readFile(at(FIXTURE), 'utf8')).toBe(FIXTURE_TEXT);
    expect(isClean(await checkAgainstManifest(folder, manifest))).toBe(true);
  });

  it('recreates a deleted tests folder and deletes what the baseline does not have', async () => {
    const manifest = await createBaseline(folder, baselineDir, SCOPE);
    await fsp.rm(at(`${INTEGRATION}/tests`), { recursive: true });
    expect(await restoreFile(folder, baselineDir, FIXTURE, manifest)).toEqual({ action: 'restored', createdDirs: [`${INTEGRATION}/tests`] });
    await restoreFile(folder, baselineDir, `${INTEGRATION}/tests/.gitkeep`, manifest);
    await fsp.mkdir(at(`${INTEGRATION}/tests/mocks`));
    await fsp.writeFile(at(`${INTEGRATION}/tests/mocks/x.json`), '{}');
    expect(await restoreFile(folder, baselineDir, `${INTEGRATION}/tests/mocks`, manifest)).toEqual({ action: 'removed', createdDirs: [] });
    expect(await checkAgainstManifest(folder, manifest)).toEqual({ changed: [], missing: [], unexpected: [] });
  });

  it('says `gone` for a file the baseline does not have that vanished before it could be deleted', async () => {
    const manifest = await createBaseline(folder, baselineDir, SCOPE);
    const temp = `${INTEGRATION}/tests/CuTmp123`;
    await fsp.symlink('/nowhere', at(temp));
    expect(await restoreFile(folder, baselineDir, temp, manifest)).toEqual({ action: 'removed', createdDirs: [] });
    expect(await restoreFile(folder, baselineDir, temp, manifest)).toEqual({ action: 'gone', createdDirs: [] });
  });

  it('replaces a symlinked tests folder without touching what it points to', async () => {
    const manifest = await createBaseline(folder, baselineDir, SCOPE);
    const outside = path.join(root, 'outside');
    await fsp.mkdir(outside);
    await fsp.writeFile(path.join(outside, 'create-event.test.json'), 'outside data');
    await fsp.rm(at(`${INTEGRATION}/tests`), { recursive: true });
    await fsp.symlink(outside, at(`${INTEGRATION}/tests`));
    // Deleting "an unexpected file" through the symlink would delete outside the folder: it must not.
    await restoreFile(folder, baselineDir, `${INTEGRATION}/tests/create-event.test.json.bak`, manifest);
    await fsp.writeFile(path.join(outside, 'create-event.test.json.bak'), 'outside too');
    await restoreFile(folder, baselineDir, `${INTEGRATION}/tests/create-event.test.json.bak`, manifest);
    expect(await fsp.readFile(path.join(outside, 'create-event.test.json.bak'), 'utf8')).toBe('outside too');
    await restoreFile(folder, baselineDir, FIXTURE, manifest);
    expect((await fsp.lstat(at(`${INTEGRATION}/tests`))).isDirectory()).toBe(true);
    expect(await fsp.readFile(at(FIXTURE), 'utf8')).toBe(FIXTURE_TEXT);
    expect(await fsp.readFile(path.join(outside, 'create-event.test.json'), 'utf8')).toBe('outside data');
  });

  it('refuses the agent’s script and a tampered baseline copy', async () => {
    const manifest = await createBaseline(folder, baselineDir, SCOPE);
    await expect(restoreFile(folder, baselineDir, SCRIPT, manifest)).rejects.toThrow(/not a protected path/);
    await fsp.writeFile(path.join(baselineDir, 'files', ...FIXTURE.split('/')), 'not the recorded data');
    await expect(restoreFile(folder, baselineDir, FIXTURE, manifest)).rejects.toThrow(/does not match its manifest entry/);
  });
});

describe('updateBaseline', () => {
  it('adds and replaces what the recorder wrote, drops what it removed', async () => {
    await createBaseline(folder, baselineDir, SCOPE, undefined, 'scaffold', new Date('2025-01-01T00:00:00Z'));
    const recorded = '{"recorded": "again"}\n';
    await fsp.writeFile(at(FIXTURE), recorded);
    await fsp.mkdir(at(`${INTEGRATION}/tests/mocks`));
    await fsp.writeFile(at(`${INTEGRATION}/tests/mocks/list.json`), '[]');
    await fsp.rm(at(`${INTEGRATION}/tests/.gitkeep`));
    const next = await updateBaseline(
      folder,
      baselineDir,
      { written: [FIXTURE, `${INTEGRATION}/tests/mocks/list.json`], removed: [`${INTEGRATION}/tests/.gitkeep`] },
      'recorder',
      new Date('2025-01-02T00:00:00Z'),
    );
    expect(next.files.map((e) => [e.path, e.source])).toEqual([
      [FIXTURE, 'recorder'],
      [`${INTEGRATION}/tests/mocks/list.json`, 'recorder'],
      ['index.ts', 'scaffold'],
      ['package.json', 'scaffold'],
      ['tsconfig.json', 'scaffold'],
    ]);
    expect(next.files.find((e) => e.path === FIXTURE)).toMatchObject({
      sha256: sha(recorded),
      size: Buffer.byteLength(recorded),
      at: '2025-01-02T00:00:00.000Z',
    });
    expect(next.files.find((e) => e.path === 'index.ts')?.at).toBe('2025-01-01T00:00:00.000Z');
    expect(await loadManifest(baselineDir)).toEqual(next);
    expect(isClean(await checkAgainstManifest(folder, next))).toBe(true);
    await expect(updateBaseline(folder, baselineDir, { written: [SCRIPT] })).rejects.toThrow(/not a protected path/);
  });
});
