// FixtureGuard against real tampering: every attack is a real child process (bash, sed, tee, cp, mv,
// node, python3) on real files, watched by the real chokidar. One guard watches every folder of the
// file, as in the product. The sweep is off, so whatever is restored here was restored by the watcher.
// No timed assertions: each test waits (polls) until the folder is back, with a generous limit.
import { spawn } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FixtureGuard, type GuardError } from '../../src/core/guard/fixtureGuard';
import { baselineDirFor, checkAgainstManifest, createBaseline, isClean, type ManifestCheck } from '../../src/core/guard/manifest';
import { ViolationLog, violationLogFor, type Violation, type ViolationLimitReached } from '../../src/core/guard/violations';
import { scaffoldInteraction, scriptRelativePath } from '../../src/core/workspace/scaffold';
import { targetsFor } from '../support/specs';

const INTEGRATION = 'google-calendar';
const TESTS = `${INTEGRATION}/tests`;

let root: string;
let guard: FixtureGuard;
const violations: Violation[] = [];
const errors: GuardError[] = [];
const activity = new Map<string, string>();
let counter = 0;

interface Ctx {
  readonly folder: string;
  readonly key: string;
  readonly baselineDir: string;
  readonly runRecord: string;
  readonly script: string;
  /** The recorded fixture, e.g. google-calendar/tests/create-event-3.test.json */
  readonly fixture: string;
  /** The test `nango generate:tests` wrote. */
  readonly generatedTest: string;
  readonly recordedText: string;
}

/** Runs a shell command in `cwd` as a separate process; resolves with its exit code (attacks may fail half-way). */
function sh(cwd: string, command: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', command], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

async function waitFor(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
const at = (ctx: Ctx, rel: string) => path.join(ctx.folder, ...rel.split('/'));
const of = (ctx: Ctx) => violations.filter((v) => v.folder === ctx.folder);

function fixtureText(id: string): string {
  const events = Array.from({ length: 40 }, (_, i) => ({
    id: `evt_${id}_${i}`,
    summary: `Meeting ${i}`,
    start: { dateTime: `2025-03-${String((i % 28) + 1).padStart(2, '0')}T10:00:00Z` },
    status: 'confirmed',
  }));
  return JSON.stringify({ input: { calendarId: 'primary', summary: 'Standup' }, output: { kind: 'calendar#events', items: events } }, null, 2) + '\n';
}

/** A scaffolded, baselined, guarded folder whose first fixture and generated test were written by "the recorder" (a child process). */
async function setup(): Promise<Ctx> {
  const id = `create-event-${++counter}`;
  const [target] = targetsFor(INTEGRATION, [id]);
  const interaction = target!.interaction;
  const folder = path.join(root, 'work', INTEGRATION, id);
  await scaffoldInteraction(folder, interaction);
  const runRecord = path.join(root, 'work', '.runs', INTEGRATION, `${id}.json`);
  const baselineDir = baselineDirFor(runRecord);
  const script = scriptRelativePath(interaction);
  await createBaseline(folder, baselineDir, { integrationId: INTEGRATION, scriptRel: script });
  await guard.watch({ folder, key: interaction.key, baselineDir });
  const ctx: Ctx = {
    folder,
    key: interaction.key,
    baselineDir,
    runRecord,
    script,
    fixture: `${TESTS}/${id}.test.json`,
    generatedTest: `${TESTS}/${id}.test.ts`,
    recordedText: fixtureText(id),
  };
  const source = path.join(root, `${id}.recorded.json`);
  await fsp.writeFile(source, ctx.recordedText);
  activity.set(ctx.key, 'record_fixture');
  await guard.recording(folder, () =>
    sh(folder, `cp ${q(source)} ${q(ctx.fixture)} && printf '%s\\n' "import { it } from 'vitest';" "it('replays', () => {});" > ${q(ctx.generatedTest)}`),
  );
  activity.delete(ctx.key);
  return ctx;
}

async function check(ctx: Ctx): Promise<ManifestCheck> {
  return checkAgainstManifest(ctx.folder, guard.manifestOf(ctx.folder));
}

/** Every baseline file is in the folder byte for byte, as a single plain file, and nothing else is. */
async function expectBaseline(ctx: Ctx): Promise<void> {
  for (const entry of guard.manifestOf(ctx.folder).files) {
    const st = await fsp.lstat(at(ctx, entry.path));
    expect(st.isFile() && st.nlink === 1, entry.path).toBe(true);
    const actual = await fsp.readFile(at(ctx, entry.path));
    const baseline = await fsp.readFile(path.join(ctx.baselineDir, 'files', ...entry.path.split('/')));
    expect(actual.equals(baseline), entry.path).toBe(true);
  }
  expect(await check(ctx)).toEqual({ changed: [], missing: [], unexpected: [] });
}

/** Runs an attack as a tool call would, then waits until it was reported and the folder is back. */
async function attack(ctx: Ctx, command: string, reported: (v: Violation) => boolean): Promise<Violation[]> {
  const start = violations.length;
  const now = () => violations.slice(start).filter((v) => v.folder === ctx.folder);
  activity.set(ctx.key, `bash: ${command}`);
  try {
    await sh(ctx.folder, command);
    await waitFor(`a violation for: ${command}`, () => now().some(reported));
    await waitFor(`the folder restored after: ${command}`, async () => isClean(await check(ctx)));
    await guard.idle();
  } finally {
    activity.delete(ctx.key);
  }
  await expectBaseline(ctx);
  const seen = now();
  expect(seen.length).toBeGreaterThan(0);
  for (const v of seen) {
    expect(v.restored, v.detail).toBe(true);
    expect(v.key).toBe(ctx.key);
    expect(Number.isNaN(Date.parse(v.time))).toBe(false);
    expect(v.activity).toBe(`bash: ${command}`);
    expect(v.callIds).toEqual([`call:bash: ${command}`]);
    expect(v.detail).toContain(`during bash: ${command}`);
  }
  return seen;
}

/**
 * Proves nothing was reported for what came before: a tampering write made now is reported, and it is
 * the only report (the guard handles a folder's events in order).
 */
async function expectOnlySentinel(ctx: Ctx): Promise<void> {
  await guard.idle();
  const sentinel = `${TESTS}/sentinel-${Date.now()}.json`;
  await sh(ctx.folder, `echo '{}' > ${q(sentinel)}`);
  await waitFor('the sentinel violation', () => of(ctx).some((v) => v.file === sentinel));
  await waitFor('the sentinel removed', async () => isClean(await check(ctx)));
  expect(of(ctx).map((v) => [v.file, v.kind])).toEqual([[sentinel, 'added']]);
}

beforeAll(async () => {
  root = await fsp.mkdtemp(path.join(os.tmpdir(), 'ib-guard-'));
  guard = new FixtureGuard({
    currentActivity: (key) => (activity.has(key) ? { text: activity.get(key) as string, callIds: [`call:${activity.get(key)}`] } : undefined),
    sweepMs: 0,
  });
  guard.onViolation((v) => violations.push(v));
  guard.onError((e) => errors.push(e));
});

afterAll(async () => {
  await guard?.dispose();
  await fsp.rm(root, { recursive: true, force: true });
  expect(errors.map((e) => `${e.folder}: ${e.error.message}`)).toEqual([]);
});

describe('FixtureGuard: the recorder', () => {
  it('takes what the recorder wrote into the baseline and raises nothing', async () => {
    const ctx = await setup();
    const manifest = guard.manifestOf(ctx.folder);
    expect(manifest.files.find((e) => e.path === ctx.fixture)).toMatchObject({ source: 'recorder', size: Buffer.byteLength(ctx.recordedText) });
    expect(manifest.files.find((e) => e.path === ctx.generatedTest)?.source).toBe('recorder');
    expect(manifest.files.find((e) => e.path === 'index.ts')?.source).toBe('scaffold');
    expect(await fsp.readFile(at(ctx, ctx.fixture), 'utf8')).toBe(ctx.recordedText);
    await expectBaseline(ctx);

    // A second recording replaces the fixture and adds nested mocks.
    const again = ctx.recordedText.replace('Standup', 'Retro');
    await guard.recording(ctx.folder, () =>
      sh(ctx.folder, `printf %s ${q(again)} > ${q(ctx.fixture)} && mkdir -p ${TESTS}/mocks/list && echo '[]' > ${TESTS}/mocks/list/page-1.json`),
    );
    expect(guard.manifestOf(ctx.folder).files.map((e) => e.path)).toContain(`${TESTS}/mocks/list/page-1.json`);
    expect(await fsp.readFile(at(ctx, ctx.fixture), 'utf8')).toBe(again);
    await expectBaseline(ctx);
    await expectOnlySentinel(ctx);

    // What the recorder wrote is now what tampering is reverted to, in the new nested folder too.
    violations.length = 0;
    await attack(ctx, `echo '[{"id": "fake"}]' > ${TESTS}/mocks/list/page-1.json`, (v) => v.file === `${TESTS}/mocks/list/page-1.json`);
    await attack(ctx, `sed -i 's/Retro/Faked/' ${ctx.fixture}`, () => true);
    expect(await fsp.readFile(at(ctx, ctx.fixture), 'utf8')).toBe(again);
  });

  it('only takes in the paths it is told the recorder wrote', async () => {
    const ctx = await setup();
    violations.length = 0;
    const smuggled = `${TESTS}/smuggled.test.json`;
    await guard.recording(ctx.folder, () => sh(ctx.folder, `echo '{"a": 1}' > ${TESTS}/other.test.json && echo '{"b": 2}' > ${smuggled}`), {
      paths: [`${TESTS}/other.test.json`],
    });
    expect(guard.manifestOf(ctx.folder).files.map((e) => e.path)).toContain(`${TESTS}/other.test.json`);
    await waitFor('the smuggled file reported', () => of(ctx).some((v) => v.file === smuggled && v.kind === 'added'));
    await guard.idle();
    await expectBaseline(ctx);
  });

  it('reverts, quietly, what a failed recording left behind', async () => {
    const ctx = await setup();
    violations.length = 0;
    await expect(
      guard.recording(ctx.folder, async () => {
        await sh(ctx.folder, `echo partial > ${TESTS}/half-written.test.json && echo '{' > ${ctx.fixture}`);
        throw new Error('the recorder failed');
      }),
    ).rejects.toThrow('the recorder failed');
    await guard.idle();
    await expectBaseline(ctx);
    await expectOnlySentinel(ctx);
  });
});

describe('FixtureGuard: tampering with a fixture', () => {
  it('sed -i', async () => {
    const ctx = await setup();
    violations.length = 0;
    // sed writes a temp file next to the fixture and renames it over: normally the fixture is reported
    // as changed; if sed was slow, its temp file is deleted as added first (and sed fails). Both are fine.
    const seen = await attack(
      ctx,
      `sed -i 's/Standup/Faked/' ${ctx.fixture}`,
      (v) => (v.file === ctx.fixture && v.kind === 'changed') || (v.file.startsWith(`${TESTS}/sed`) && v.kind === 'added'),
    );
    expect(seen.every((v) => v.file === ctx.fixture || v.file.startsWith(`${TESTS}/sed`))).toBe(true);
  });

  // [name, command]: each is reported as a change, and only as one.
  const changedBy: Array<[string, (c: Ctx) => string]> = [
    ['a shell > redirect', (c) => `echo '{"faked": true}' > ${c.fixture}`],
    ['a >> append', (c) => `echo ' ' >> ${c.fixture}`],
    ['tee', (c) => `echo '{"faked": true}' | tee ${c.fixture} > /dev/null`],
    ['a node -e one-liner', (c) => `node -e "require('fs').writeFileSync('${c.fixture}', JSON.stringify({ faked: true }))"`],
    ['python3 -c', (c) => `python3 -c "open('${c.fixture}', 'w').write('{\\"faked\\": true}')"`],
    [
      'cp over it',
      (c) => `echo '{"faked": true}' > /tmp/ib-guard-fake-$$.json && cp /tmp/ib-guard-fake-$$.json ${c.fixture}; rm -f /tmp/ib-guard-fake-$$.json`,
    ],
    ['mv over it', (c) => `echo '{"faked": true}' > faked.json && mv faked.json ${c.fixture}`],
    ['truncate', (c) => `truncate -s 0 ${c.fixture}`],
    ['a hard link, then a write through it', (c) => `ln ${c.fixture} second-name.json && echo '{"faked": true}' > second-name.json`],
    ['the generated test edited', (c) => `echo "it('passes', () => {});" >> ${c.generatedTest}`],
    ['20 quick writes in a row', (c) => `for i in $(seq 1 20); do echo "{\\"n\\": $i}" > ${c.fixture}; done`],
  ];
  it.each(changedBy)('%s', async (_name, command) => {
    const ctx = await setup();
    violations.length = 0;
    const seen = await attack(ctx, command(ctx), (v) => v.kind === 'changed' && (v.file === ctx.fixture || v.file === ctx.generatedTest));
    expect(seen.filter((v) => v.kind !== 'changed')).toEqual([]);
  });

  it('a symlink in its place', async () => {
    const ctx = await setup();
    violations.length = 0;
    // GNU ln -sf makes the symlink under a temporary name next to the fixture and renames it over: the
    // fixture is reported as changed (or deleted, then changed); if ln was slow, its temporary symlink is
    // deleted as added first (and ln fails). Both are fine; the fixture is as recorded either way.
    const original = new Set(await fsp.readdir(at(ctx, TESTS)));
    const stray = (v: Violation) => v.kind === 'added' && v.file.startsWith(`${TESTS}/`) && !original.has(v.file.slice(TESTS.length + 1));
    const seen = await attack(
      ctx,
      `echo '{"faked": true}' > faked.json && ln -sf "$PWD/faked.json" ${ctx.fixture}`,
      (v) => (v.file === ctx.fixture && (v.kind === 'changed' || v.kind === 'deleted')) || stray(v),
    );
    expect(seen.filter((v) => !(v.file === ctx.fixture && (v.kind === 'changed' || v.kind === 'deleted')) && !stray(v))).toEqual([]);
  });

  it('rm of the fixture', async () => {
    const ctx = await setup();
    violations.length = 0;
    await attack(ctx, `rm ${ctx.fixture}`, (v) => v.file === ctx.fixture && v.kind === 'deleted');
  });

  it('a new, invented fixture file', async () => {
    const ctx = await setup();
    violations.length = 0;
    const seen = await attack(ctx, `echo '{"output": {"id": "made-up"}}' > ${TESTS}/invented.test.json`, (v) => v.file === `${TESTS}/invented.test.json`);
    expect(seen.map((v) => v.kind)).toEqual(['added']);
    await expect(fsp.stat(at(ctx, `${TESTS}/invented.test.json`))).rejects.toThrow();
  });

  it('a new folder of invented mocks', async () => {
    const ctx = await setup();
    violations.length = 0;
    await attack(ctx, `mkdir -p ${TESTS}/mocks/deep && echo '[]' > ${TESTS}/mocks/deep/list.json`, (v) => v.file === `${TESTS}/mocks` && v.kind === 'added');
  });
});

describe('FixtureGuard: tampering with the tests folder', () => {
  it('mv of the tests folder out of the folder; the recreated folder is watched again', async () => {
    const ctx = await setup();
    violations.length = 0;
    const away = path.join(root, `moved-${counter}`);
    const seen = await attack(ctx, `mv ${TESTS} ${q(away)}`, (v) => v.file === ctx.fixture && v.kind === 'deleted');
    expect(seen.every((v) => v.kind === 'deleted')).toBe(true);
    // The moved folder is the agent's business now; ours is back, and guarded.
    violations.length = 0;
    await attack(ctx, `echo '{"faked": true}' > ${ctx.fixture}`, (v) => v.file === ctx.fixture && v.kind === 'changed');
    violations.length = 0;
    await attack(ctx, `echo '{}' > ${TESTS}/new.json`, (v) => v.file === `${TESTS}/new.json` && v.kind === 'added');
  });

  it('rm -rf of the tests folder; the recreated folder is watched again', async () => {
    const ctx = await setup();
    violations.length = 0;
    await attack(ctx, `rm -rf ${TESTS}`, (v) => v.kind === 'deleted');
    violations.length = 0;
    await attack(ctx, `rm -rf ${TESTS}`, (v) => v.kind === 'deleted');
    violations.length = 0;
    await attack(ctx, `echo '{"faked": true}' > ${ctx.fixture}`, (v) => v.file === ctx.fixture && v.kind === 'changed');
  });

  it('the tests folder swapped for a symlink to a doctored copy', async () => {
    const ctx = await setup();
    violations.length = 0;
    const copy = path.join(root, `doctored-${counter}`);
    await attack(
      ctx,
      `cp -r ${TESTS} ${q(copy)} && echo '{"faked": true}' > ${q(copy)}/$(basename ${ctx.fixture}) && rm -rf ${TESTS} && ln -s ${q(copy)} ${TESTS}`,
      (v) => v.file === ctx.fixture,
    );
    expect((await fsp.lstat(at(ctx, TESTS))).isDirectory()).toBe(true);
    // What the symlink pointed to is left alone.
    expect(await fsp.readFile(path.join(copy, path.basename(ctx.fixture)), 'utf8')).toBe('{"faked": true}\n');
  });

  it('the whole integration folder removed (script included): the protected part comes back', async () => {
    const ctx = await setup();
    violations.length = 0;
    await attack(ctx, `rm -rf ${INTEGRATION}`, (v) => v.kind === 'deleted');
    violations.length = 0;
    await attack(ctx, `echo '{"faked": true}' > ${ctx.fixture}`, (v) => v.file === ctx.fixture && v.kind === 'changed');
  });
});

describe('FixtureGuard: the generated files', () => {
  const edits: Array<[string, string]> = [
    ['index.ts', `echo "import './evil.js';" >> index.ts`],
    [
      'package.json',
      `node -e "const f='package.json'; const p=JSON.parse(require('fs').readFileSync(f,'utf8')); p.scripts.test='true'; require('fs').writeFileSync(f, JSON.stringify(p))"`,
    ],
    ['tsconfig.json', `sed -i 's/"strict": true/"strict": false/' tsconfig.json`],
    ['tsconfig.json', `rm tsconfig.json`],
  ];
  it.each(edits)('%s: %s', async (file, command) => {
    const ctx = await setup();
    violations.length = 0;
    await attack(ctx, command, (v) => v.file === file);
  });
});

describe('FixtureGuard: what the agent may do', () => {
  it('edits of its own script, and new files of its own, raise nothing', async () => {
    const ctx = await setup();
    violations.length = 0;
    await sh(ctx.folder, `sed -i 's/not implemented yet/done/' ${ctx.script}`);
    await sh(ctx.folder, `echo '// more' >> ${ctx.script} && echo 'export const x = 1;' > ${INTEGRATION}/actions/helper.ts`);
    await sh(ctx.folder, `node -e "require('fs').writeFileSync('${ctx.script}', '// rewritten\\n')"`);
    await sh(ctx.folder, `echo notes > NOTES.md && mkdir -p scratch && echo x > scratch/a.txt && mkdir -p .nango && echo '{}' > .nango/schema.json`);
    expect(await fsp.readFile(at(ctx, ctx.script), 'utf8')).toBe('// rewritten\n');
    await expectOnlySentinel(ctx);
    expect(await fsp.readFile(at(ctx, ctx.script), 'utf8')).toBe('// rewritten\n');
    expect(await fsp.readFile(at(ctx, 'NOTES.md'), 'utf8')).toBe('notes\n');
  });
});

describe('FixtureGuard: folders come and go', () => {
  it('guards a folder again after it was unwatched (restart from scratch), and the others all along', async () => {
    const a = await setup();
    const b = await setup();
    await guard.unwatch(a.folder);
    expect(guard.folders).not.toContain(a.folder);
    expect(guard.folders).toContain(b.folder);
    violations.length = 0;
    await attack(b, `echo '{"faked": true}' > ${b.fixture}`, (v) => v.file === b.fixture);
    await guard.watch({ folder: a.folder, key: a.key, baselineDir: a.baselineDir });
    violations.length = 0;
    await attack(a, `echo '{"faked": true}' > ${a.fixture}`, (v) => v.file === a.fixture);
    violations.length = 0;
    await attack(b, `rm ${b.fixture}`, (v) => v.file === b.fixture);
  });

  it('puts right on watch() what was tampered with while it was not watching', async () => {
    const ctx = await setup();
    await guard.unwatch(ctx.folder);
    await sh(ctx.folder, `echo '{"faked": true}' > ${ctx.fixture} && echo x > ${TESTS}/added.json`);
    violations.length = 0;
    await guard.watch({ folder: ctx.folder, key: ctx.key, baselineDir: ctx.baselineDir });
    expect(
      of(ctx)
        .map((v) => [v.file, v.kind])
        .sort(),
    ).toEqual([
      [`${TESTS}/added.json`, 'added'],
      [ctx.fixture, 'changed'],
    ]);
    await expectBaseline(ctx);
  });
});

describe('FixtureGuard with a ViolationLog', () => {
  it('logs each violation as a JSON line and says when the limit is reached', async () => {
    const ctx = await setup();
    violations.length = 0;
    const log = new ViolationLog(violationLogFor(ctx.runRecord), 3);
    const reached: ViolationLimitReached[] = [];
    log.onLimitReached((e) => reached.push(e));
    const sub = guard.onViolation((v) => {
      if (v.key === ctx.key) void log.append(v);
    });
    try {
      await attack(ctx, `echo 1 > ${ctx.fixture}`, (v) => v.file === ctx.fixture);
      expect(reached).toEqual([]);
      await attack(ctx, `echo 2 > index.ts`, (v) => v.file === 'index.ts');
      await attack(ctx, `echo 3 > ${TESTS}/x.json`, (v) => v.file === `${TESTS}/x.json`);
    } finally {
      sub.dispose();
    }
    expect(reached).toHaveLength(1);
    expect(reached[0]).toMatchObject({ count: 3, limit: 3 });
    const logged = await log.read();
    expect(logged).toEqual(of(ctx));
    expect(logged.map((v) => v.file)).toEqual([ctx.fixture, 'index.ts', `${TESTS}/x.json`]);
    expect(path.basename(log.file)).toBe(`${path.basename(ctx.folder)}.violations.jsonl`);
  });
});
