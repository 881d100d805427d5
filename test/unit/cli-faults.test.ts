// Bad input and damaged evidence through the CLI, in process (issue 14): each a clear message, exit 2 for
// bad input, and nothing written; a run record that cannot be used is said so, never "not started".
import { promises as fsp, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { main, parseArgs, saveUnsaved } from '../../src/cli/main';
import { newRunRecord } from '../../src/core/runs/record';
import { RunStore } from '../../src/core/runs/store';
import { capturedIo } from '../support/cliIo';

const REPO = path.resolve(__dirname, '../..');
let dir: string;
let out: string[];
let err: string[];
const io = capturedIo(() => ({ cwd: dir, out, err }));
const workRoot = () => path.join(dir, '.integration-builder', 'work');
/** Every path under `root`: what "nothing was written" is checked against. */
const tree = (root: string) => (readdirSync(root, { recursive: true }) as string[]).sort();

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'ib-cli-faults-'));
  out = [];
  err = [];
  cpSync(path.join(REPO, 'examples/product-integrations/interactions.json'), path.join(dir, 'interactions.json'));
});
afterEach(() => {
  vi.restoreAllMocks();
  rmSync(dir, { recursive: true, force: true });
});

async function finishedRun(id = 'create-event', extra: Record<string, unknown> = {}) {
  const store = new RunStore(workRoot());
  const run = newRunRecord({
    key: `google-calendar/${id}`,
    integrationId: 'google-calendar',
    interactionId: id,
    specFile: path.join(dir, 'interactions.json'),
    folder: path.join(workRoot(), 'google-calendar', id),
    demo: true,
    now: '2026-01-01T00:00:00.000Z',
  });
  await store.save({ ...run, status: 'needs-review', ...extra });
  return store;
}

describe('empty flag values', () => {
  it.each([['--spec='], ['--spec', ''], ['--work-root='], ['--junit='], ['--model', ' '], ['--project=']])(
    '%j is an error, never the default',
    async (...flag) => {
      expect(() => parseArgs(['status', ...flag])).toThrow(/needs a value, not an empty one/);
      expect(await main(['status', ...flag], io())).toBe(2);
      expect(out).toEqual([]);
    },
  );

  it('a switch given a value is refused', () => {
    expect(() => parseArgs(['status', '--json='])).toThrow('--json takes no value');
    expect(() => parseArgs(['generate', '--all=no'])).toThrow('--all takes no value');
    expect(() => parseArgs(['generate', '--no-verify=1'])).toThrow('--no-verify takes no value');
  });
});

describe('the work root', () => {
  const refused = async (args: string[], why: RegExp) => {
    const before = tree(dir);
    err = [];
    expect(await main(args, io()), args.join(' ')).toBe(2);
    expect(err.join('\n'), args.join(' ')).toMatch(why);
    expect(err.join('\n')).not.toMatch(/^Error: E[A-Z]+:/m);
    expect(tree(dir), args.join(' ')).toEqual(before);
  };

  it('the project itself, or a folder holding it: refused, nothing written', async () => {
    await finishedRun();
    for (const command of [['status'], ['verify', '--all'], ['generate', '--all', '--demo']]) {
      await refused([...command, '--work-root', '.'], /the work root .* is the project folder itself/);
      await refused([...command, '--work-root', '..'], /is a folder holding the project/);
    }
  });

  it("inside another work root (its interaction folders, their fixtures) or inside this project's own: refused", async () => {
    await finishedRun();
    await refused(['verify', '--all', '--work-root', '.integration-builder/work/google-calendar/create-event'], /is inside the project's work root/);
    const other = path.join(dir, 'elsewhere');
    mkdirSync(path.join(other, '.runs'), { recursive: true });
    mkdirSync(path.join(other, 'google-calendar', 'tests'), { recursive: true });
    await refused(
      ['status', '--work-root', 'elsewhere/google-calendar/tests'],
      new RegExp(`is inside the work root ${other.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} \\(it holds \\.runs/\\)`),
    );
  });

  it('/proc, /sys and /dev are refused without being touched', async () => {
    for (const p of ['/proc/x', '/proc/self/cwd/work', '/sys/x', '/dev/shm/work'])
      await refused(['status', '--work-root', p], /is under \/(proc|sys|dev), a system folder/);
  });

  it('a file in the path: a clear message, exit 2', async () => {
    await refused(['status', '--work-root', 'interactions.json/work'], /cannot be created: .*interactions\.json is a file, not a folder/);
    await refused(['verify', '--all', '--work-root', 'interactions.json'], /is a file, not a folder/);
  });

  it('a folder of its own elsewhere is fine', async () => {
    expect(await main(['status', '--work-root', path.join(dir, 'work-elsewhere')], io())).toBe(1);
    expect(err).toEqual([]);
  });
});

describe('--junit', () => {
  it('a file that cannot be written is refused before anything is verified', async () => {
    await finishedRun();
    const before = tree(dir);
    for (const junit of ['no-such-folder/verify.xml', 'interactions.json/verify.xml', '.']) {
      err = [];
      expect(await main(['verify', '--all', '--junit', junit], io()), junit).toBe(2);
      expect(err.join('\n')).toMatch(/--junit .* cannot be written: .*; nothing was verified/);
    }
    expect(tree(dir)).toEqual(before); // no report, no record changed
  });
});

describe('the same interaction in two spec files', () => {
  it('is a located error naming both files, exit 2, whichever file is used', async () => {
    const other = {
      integrations: [
        {
          id: 'google-calendar',
          connectionId: 'c',
          environment: 'dev',
          docs: 'https://developers.google.com/calendar',
          context: '',
          interactions: [{ id: 'create-event', displayName: 'X', description: 'd', prompt: '', comments: '' }],
        },
      ],
    };
    writeFileSync(path.join(dir, 'other.interactions.json'), JSON.stringify(other, null, 2));
    await finishedRun();
    for (const [spec, second] of [
      ['interactions.json', 'other.interactions.json'],
      ['other.interactions.json', 'interactions.json'],
    ]) {
      err = [];
      out = [];
      expect(await main(['status', 'google-calendar/create-event', '--spec', spec!], io())).toBe(2);
      const text = err.join('\n');
      expect(text).toMatch(
        new RegExp(
          `^${path.join(dir, spec!).replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:\\d+:\\d+: error: interaction "google-calendar/create-event" is defined both in .*${spec!.replace('.', '\\.')} \\(line \\d+\\) and in .*${second!.replace('.', '\\.')}`,
          'm',
        ),
      );
      expect(out).toEqual([]); // no verdict of the other file's run
    }
  });
});

describe('run records that cannot be used', () => {
  it('status: a truncated or unknown-status record is UNREADABLE with the reason, never "not started"', async () => {
    const store = await finishedRun();
    await finishedRun('sync-events');
    const file = store.fileOf('google-calendar/create-event');
    writeFileSync(file, readFileSync(file, 'utf8').slice(0, 40));
    const sync = store.fileOf('google-calendar/sync-events');
    writeFileSync(sync, readFileSync(sync, 'utf8').replace('"needs-review"', '"exploded"'));
    expect(await main(['status', '--json'], io())).toBe(1);
    const rows = JSON.parse(out.join('')) as { key: string; status: string; detail: string }[];
    expect(rows.find((r) => r.key === 'google-calendar/create-event')).toMatchObject({
      status: 'unreadable',
      detail: expect.stringContaining(`run record ${file}: the record is not valid JSON`),
    });
    expect(rows.find((r) => r.key === 'google-calendar/sync-events')).toMatchObject({
      status: 'unreadable',
      detail: expect.stringContaining('unknown status "exploded"'),
    });
    expect(err.join('\n')).toContain('2 run record(s) cannot be read');
    out = [];
    err = [];
    expect(await main(['status'], io())).toBe(1);
    expect(out.join('\n')).toMatch(/^google-calendar\/create-event\s+UNREADABLE\s.*not valid JSON/m);
  });

  it('verify: a record whose folder points elsewhere is refused; the other folder is never checked', async () => {
    const elsewhere = path.join(dir, 'decoy');
    mkdirSync(elsewhere);
    const store = await finishedRun('create-event', { folder: elsewhere });
    expect(await main(['verify', 'google-calendar/create-event'], io())).toBe(1);
    expect(err.join('\n')).toMatch(
      /google-calendar\/create-event: not verified: its run record .* cannot be used: its folder ".*decoy" is not the interaction's folder/,
    );
    expect(out.join('\n')).toContain('1 interaction(s) not verified: their run records cannot be used');
    expect(existsSync(store.fileOf('google-calendar/create-event').replace(/\.json$/, '.verify.json'))).toBe(false);
    expect(readdirSync(elsewhere)).toEqual([]);
    // --all too: a damaged record is not skipped as "never ran".
    err = [];
    writeFileSync(store.fileOf('google-calendar/create-event'), '{"version": 1, "key": "google');
    expect(await main(['verify', '--all'], io())).toBe(1);
    expect(err.join('\n')).toMatch(/google-calendar\/create-event: not verified: .*not valid JSON/);
  });
});

describe('after generate: no record left saying "running"', () => {
  it('a record whose last save failed is saved again from memory; one that still cannot be saved is said', async () => {
    const store = await finishedRun('create-event', { status: 'running' });
    const onDisk = (await store.loadAll())[0]!;
    const ended = { ...onDisk, status: 'needs-review' as const, detail: 'the agent says it is done' };
    // The orchestrator's own save of the end failed (disk full): the disk still says running.
    expect(await saveUnsaved(store, [ended])).toEqual([]);
    expect((await store.loadAll())[0]).toEqual(ended);
    // Nothing to do when the disk already agrees.
    const spy = vi.spyOn(fsp, 'writeFile');
    expect(await saveUnsaved(store, [ended])).toEqual([]);
    expect(spy).not.toHaveBeenCalled();
    // Still no space: said, with what the disk says.
    spy.mockRejectedValue(Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' }));
    const stopped = { ...ended, status: 'stopped' as const };
    expect(await saveUnsaved(store, [stopped])).toEqual([
      'the run record of google-calendar/create-event could not be saved (ENOSPC: no space left on device): the run ended stopped, but its record on disk says needs-review (attempt 1)',
    ]);
    expect(readdirSync(path.dirname(store.fileOf(ended.key)))).toEqual(['create-event.json']);
  });
});
