// Run records and transcripts when things go wrong (issue 14): a torn or unknown record is reported,
// never read as "not started"; a record cannot point at another folder; a torn transcript line costs
// only itself; a failed write leaves no temp file and the last good record in place.
import { promises as fsp, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { newRunRecord, type RunRecord } from '../../src/core/runs/record';
import { parseTranscriptLines, RunStore } from '../../src/core/runs/store';
import { renderTranscriptWithLines } from '../../src/core/runs/transcript';

let workRoot: string;
beforeEach(() => {
  workRoot = mkdtempSync(path.join(tmpdir(), 'ib-store-faults-'));
});
afterEach(() => {
  vi.restoreAllMocks();
  rmSync(workRoot, { recursive: true, force: true });
});

const KEY = 'google-calendar/create-event';
function record(extra: Partial<RunRecord> = {}): RunRecord {
  return {
    ...newRunRecord({
      key: KEY,
      integrationId: 'google-calendar',
      interactionId: 'create-event',
      specFile: '/w/interactions.json',
      folder: path.join(workRoot, 'google-calendar', 'create-event'),
      demo: true,
      now: '2026-01-01T00:00:00.000Z',
    }),
    ...extra,
  };
}
const filesIn = (dir: string) => readdirSync(dir).sort();

describe('records that cannot be used', () => {
  it.each<[string, (good: string) => string, RegExp]>([
    ['truncated', (good) => good.slice(0, good.length / 2), /not valid JSON \(truncated or corrupt\)/],
    ['empty', () => '', /empty \(a write cut short\)/],
    ['an unknown status', (good) => good.replace('"status": "needs-review"', '"status": "exploded"'), /unknown status "exploded"/],
    ['ids that are not its key', (good) => good.replace('"interactionId": "create-event"', '"interactionId": "delete-event"'), /do not match its key/],
    ['no attempt', (good) => good.replace('"attempt": 1', '"attempt": "one"'), /no valid attempt number/],
  ])('%s: a problem for its key, not a record', async (_what, damage, why) => {
    const store = new RunStore(workRoot);
    await store.save(record({ status: 'needs-review' }));
    const file = store.fileOf(KEY);
    writeFileSync(file, damage(readFileSync(file, 'utf8')));
    const { records, problems } = await store.loadAllChecked();
    expect(records).toEqual([]);
    expect(problems).toEqual([{ file, key: KEY, message: expect.stringMatching(why) }]);
    const errors: string[] = [];
    expect(await store.loadAll((f, err) => errors.push(`${f}: ${err.message}`))).toEqual([]);
    expect(errors).toEqual([expect.stringMatching(why)]);
  });

  it('a folder rewritten to point outside the work root is refused: nothing would check that folder', async () => {
    const store = new RunStore(workRoot);
    const elsewhere = path.join(workRoot, '..', 'someone-elses-folder');
    await store.save(record({ folder: elsewhere, status: 'needs-review' }));
    const { records, problems } = await store.loadAllChecked();
    expect(records).toEqual([]);
    expect(problems).toEqual([
      {
        file: store.fileOf(KEY),
        key: KEY,
        message: expect.stringContaining(
          `its folder ${JSON.stringify(elsewhere)} is not the interaction's folder ${path.join(workRoot, 'google-calendar', 'create-event')}`,
        ),
      },
    ]);
    // Another interaction's folder under the same work root is just as wrong.
    await store.save(record({ folder: path.join(workRoot, 'google-calendar', 'delete-event') }));
    expect((await store.loadAllChecked()).problems).toHaveLength(1);
    // Its own folder, spelled with a trailing separator or `.`: fine.
    await store.save(record({ folder: `${path.join(workRoot, 'google-calendar', '.', 'create-event')}${path.sep}` }));
    expect((await store.loadAllChecked()).records).toHaveLength(1);
  });

  it('a .runs/ that cannot be read is a problem, not "no runs"; our own dot-folders in it are not integrations', async () => {
    const store = new RunStore(workRoot);
    await store.save(record());
    await fsp.mkdir(path.join(store.dir, '.demo-opencode'), { recursive: true });
    writeFileSync(path.join(store.dir, '.demo-opencode', 'auth.json'), '{}');
    expect(await store.loadAllChecked()).toEqual({ records: [record()], problems: [] });
    rmSync(store.dir, { recursive: true });
    writeFileSync(store.dir, 'a file where .runs/ should be');
    const { records, problems } = await store.loadAllChecked();
    expect(records).toEqual([]);
    expect(problems).toEqual([{ file: store.dir, message: expect.stringMatching(/^the run records cannot be read: ENOTDIR/) }]);
  });
});

describe('transcripts', () => {
  it('one torn line costs only itself: it is kept in its place as an unreadable-line entry, and shown', async () => {
    const store = new RunStore(workRoot);
    await store.appendTranscript(KEY, 1, [
      { type: 'prompt', text: 'build it' },
      { type: 'text.done', text: 'first' },
    ]);
    await fsp.appendFile(store.transcriptOf(KEY, 1), '{"type":"tool.finished","tool":"ba\n');
    await store.appendTranscript(KEY, 1, [{ type: 'text.done', text: 'after the tear' }]);
    const entries = await store.readTranscript(KEY, 1);
    expect(entries).toEqual([
      { type: 'prompt', text: 'build it' },
      { type: 'text.done', text: 'first' },
      { type: 'unreadable-line', line: 2, error: expect.any(String), text: '{"type":"tool.finished","tool":"ba' },
      { type: 'text.done', text: 'after the tear' },
    ]);
    const md = renderTranscriptWithLines(record(), entries).markdown;
    expect(md).toContain('first');
    expect(md).toContain('after the tear');
    expect(md).toMatch(/line 3 of the transcript file could not be read/);
    expect(parseTranscriptLines('[1]\nnull\n{"type":"x"}\n')).toEqual([
      { type: 'unreadable-line', line: 0, error: 'not a JSON object', text: '[1]' },
      { type: 'unreadable-line', line: 1, error: 'not a JSON object', text: 'null' },
      { type: 'x' },
    ]);
  });

  it('after an append cut short (disk full), the next append starts on a line of its own', async () => {
    const store = new RunStore(workRoot);
    await store.appendTranscript(KEY, 1, [{ type: 'text.done', text: 'one' }]);
    const real = fsp.appendFile;
    vi.spyOn(fsp, 'appendFile').mockImplementationOnce(async (file, data) => {
      await real(file as string, String(data).slice(0, 10)); // half of it reached the disk
      throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
    });
    await expect(store.appendTranscript(KEY, 1, [{ type: 'text.done', text: 'two' }])).rejects.toThrow(/ENOSPC/);
    await store.appendTranscript(KEY, 1, [{ type: 'text.done', text: 'three' }]);
    const entries = (await store.readTranscript(KEY, 1)) as { type: string; text?: string }[];
    expect(entries.map((e) => (e.type === 'unreadable-line' ? 'torn' : e.text))).toEqual(['one', 'torn', 'three']);
  });
});

describe('a failed write', () => {
  it('disk full: no temp file is left, and the record on disk is the last one written in full', async () => {
    const store = new RunStore(workRoot);
    await store.save(record({ status: 'running' }));
    const dir = path.dirname(store.fileOf(KEY));
    const real = fsp.writeFile;
    vi.spyOn(fsp, 'writeFile').mockImplementationOnce(async (file, _data, options) => {
      await real(file as string, '', options as object); // the temp file is created, nothing fits in it
      throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
    });
    await expect(store.save(record({ status: 'needs-review' }))).rejects.toThrow(/ENOSPC/);
    expect(filesIn(dir)).toEqual(['create-event.json']);
    expect((await store.loadAll())[0]!.status).toBe('running');
    // The next save goes through.
    await store.save(record({ status: 'stopped' }));
    expect((await store.loadAll())[0]!.status).toBe('stopped');
    expect(filesIn(dir)).toEqual(['create-event.json']);
  });

  it('a rename that fails removes the temp file too', async () => {
    const store = new RunStore(workRoot);
    await fsp.mkdir(store.fileOf(KEY), { recursive: true }); // a folder where the record goes
    await expect(store.save(record())).rejects.toThrow();
    expect(filesIn(path.dirname(store.fileOf(KEY)))).toEqual(['create-event.json']);
  });
});
