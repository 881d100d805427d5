import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ZERO_TOKENS } from '../../src/core/agent/events';
import { newRunRecord, nextAttempt, type RunRecord } from '../../src/core/runs/record';
import { RunStore } from '../../src/core/runs/store';

let workRoot: string;
beforeEach(async () => {
  workRoot = await fsp.mkdtemp(path.join(os.tmpdir(), 'ib-runs-'));
});
afterEach(async () => {
  await fsp.rm(workRoot, { recursive: true, force: true });
});

const NOW = '2025-01-02T03:04:05.000Z';
const LATER = '2025-01-02T04:00:00.000Z';

function record(key = 'google-calendar/create-event', extra: Partial<RunRecord> = {}): RunRecord {
  const [integrationId, interactionId] = key.split('/') as [string, string];
  return {
    ...newRunRecord({
      key,
      integrationId,
      interactionId,
      specFile: '/ws/interactions.json',
      folder: path.join(workRoot, integrationId, interactionId),
      model: 'anthropic/claude-sonnet-4-5',
      demo: false,
      now: NOW,
    }),
    ...extra,
  };
}

/** Every file under a folder, relative, sorted. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await fsp.readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)).split(path.sep).join('/'))
    .sort();
}

describe('newRunRecord', () => {
  it('starts a queued first attempt with zero counters', () => {
    const r = record();
    expect(r).toMatchObject({
      version: 1,
      key: 'google-calendar/create-event',
      integrationId: 'google-calendar',
      interactionId: 'create-event',
      specFile: '/ws/interactions.json',
      folder: path.join(workRoot, 'google-calendar', 'create-event'),
      model: 'anthropic/claude-sonnet-4-5',
      demo: false,
      attempt: 1,
      status: 'queued',
      queuedAt: NOW,
      costUsd: 0,
      tokens: ZERO_TOKENS,
      steps: 0,
      toolCalls: 0,
      retries: 0,
      history: [],
    });
  });
});

describe('RunStore paths', () => {
  it('keeps records under <workRoot>/.runs/<integration>/<interaction>.json, transcripts beside them', () => {
    const store = new RunStore(workRoot);
    expect(store.dir).toBe(path.join(workRoot, '.runs'));
    expect(store.fileOf('google-calendar/create-event')).toBe(path.join(workRoot, '.runs', 'google-calendar', 'create-event.json'));
    expect(store.transcriptOf('google-calendar/create-event', 2)).toBe(path.join(workRoot, '.runs', 'google-calendar', 'create-event.attempt-2.jsonl'));
  });

  it('refuses a key whose parts are not two safe path segments, saying which part and why', async () => {
    const store = new RunStore(workRoot);
    const bad: [string, RegExp][] = [
      ['../escape', /integration id "\.\." is a relative folder name, so it cannot name a folder or file; run key "\.\.\/escape" cannot name a run record/],
      ['google-calendar/..', /interaction id "\.\." is a relative folder name/],
      ['google-calendar/.', /interaction id "\." is a relative folder name/],
      ['google-calendar/a/../../../x', /run key "google-calendar\/a\/\.\.\/\.\.\/\.\.\/x" is not <integration>\/<interaction>/],
      ['google-calendar', /is not <integration>\/<interaction>/],
      ['/etc/passwd', /is not <integration>\/<interaction>/],
      ['google-calendar/', /interaction id "" is empty/],
      ['google-calendar/..\\..\\x', /interaction id "\.\.\\\\\.\.\\\\x" holds a path character/],
      ['c:/x', /integration id "c:" holds a path character/],
      [`google-calendar/${'a'.repeat(65)}`, /is longer than 64 characters/],
    ];
    for (const [key, message] of bad) {
      expect(() => store.fileOf(key), key).toThrow(message);
      expect(() => store.transcriptOf(key, 1), key).toThrow(message);
      await expect(store.delete(key), key).rejects.toThrow(message);
    }
    await expect(store.save(record('google-calendar/create-event', { key: '../outside' }))).rejects.toThrow(/relative folder name/);
    await expect(store.appendTranscript('../outside', 1, [{ type: 'status' }])).rejects.toThrow(/relative folder name/);
    expect(await filesUnder(workRoot)).toEqual([]);
  });
});

describe('RunStore save and loadAll', () => {
  it('round-trips records, sorted by integration then interaction', async () => {
    const store = new RunStore(workRoot);
    const a = record('slack/send-message', { status: 'running', sessionId: 'ses_1', startedAt: NOW, costUsd: 0.42, steps: 3, toolCalls: 5 });
    const b = record('google-calendar/delete-event');
    const c = record('google-calendar/create-event', {
      status: 'needs-review',
      finalText: 'Done.\nWith "quotes" and ünïcode',
      tokens: { input: 1, output: 2, reasoning: 3, cacheRead: 4, cacheWrite: 5 },
    });
    await Promise.all([store.save(a), store.save(b), store.save(c)]);
    const errors: string[] = [];
    const loaded = await new RunStore(workRoot).loadAll((file) => errors.push(file));
    expect(errors).toEqual([]);
    expect(loaded.map((r) => r.key)).toEqual(['google-calendar/create-event', 'google-calendar/delete-event', 'slack/send-message']);
    expect(loaded).toEqual([c, b, a]);
  });

  it('writes readable, pretty JSON with a final newline', async () => {
    const store = new RunStore(workRoot);
    const r = record();
    await store.save(r);
    const text = await fsp.readFile(store.fileOf(r.key), 'utf8');
    expect(text).toBe(JSON.stringify(r, null, 2) + '\n');
  });

  it('overwrites a record on a later save', async () => {
    const store = new RunStore(workRoot);
    await store.save(record());
    await store.save(record(undefined, { status: 'verified' }));
    const loaded = await store.loadAll();
    expect(loaded.map((r) => r.status)).toEqual(['verified']);
  });

  it('concurrent saves of the same key end with the last one, and leave no .tmp file', async () => {
    const store = new RunStore(workRoot);
    const saves: Promise<void>[] = [];
    for (let i = 1; i <= 25; i++) saves.push(store.save(record(undefined, { steps: i, detail: `save ${i}` })));
    await Promise.all(saves);
    const loaded = await store.loadAll();
    expect(loaded).toHaveLength(1);
    expect(loaded[0]!.steps).toBe(25);
    expect(loaded[0]!.detail).toBe('save 25');
    expect(await filesUnder(store.dir)).toEqual(['google-calendar/create-event.json']);
  });

  it('saves what the record was at the time of the call, not later mutations', async () => {
    const store = new RunStore(workRoot);
    const r = record();
    const saving = store.save(r);
    r.status = 'failed';
    r.steps = 99;
    await saving;
    const [loaded] = await store.loadAll();
    expect(loaded!.status).toBe('queued');
    expect(loaded!.steps).toBe(0);
  });

  it('flush() waits for every pending write', async () => {
    const store = new RunStore(workRoot);
    for (let i = 0; i < 5; i++) void store.save(record(`integ/inter-${i}`));
    await store.flush();
    expect((await store.loadAll()).map((r) => r.key)).toEqual(['integ/inter-0', 'integ/inter-1', 'integ/inter-2', 'integ/inter-3', 'integ/inter-4']);
  });

  it('a failed save does not block the next save of the same key', async () => {
    const store = new RunStore(workRoot);
    // Make the integration folder a file: the first save cannot create its folder.
    await fsp.mkdir(store.dir, { recursive: true });
    await fsp.writeFile(path.join(store.dir, 'google-calendar'), 'not a folder');
    await expect(store.save(record())).rejects.toThrow();
    await fsp.rm(path.join(store.dir, 'google-calendar'));
    await store.save(record(undefined, { status: 'blocked' }));
    expect((await store.loadAll()).map((r) => r.status)).toEqual(['blocked']);
  });

  it('loadAll gives [] when there is no .runs folder yet', async () => {
    const errors: string[] = [];
    expect(await new RunStore(path.join(workRoot, 'nowhere')).loadAll((f) => errors.push(f))).toEqual([]);
    expect(errors).toEqual([]);
  });

  it('reports unreadable and foreign files through the callback and skips them', async () => {
    const store = new RunStore(workRoot);
    const good = record();
    await store.save(good);
    const dir = path.join(store.dir, 'google-calendar');
    const broken = path.join(dir, 'broken.json');
    const foreign = path.join(dir, 'foreign.json');
    const futureVersion = path.join(dir, 'future.json');
    const noKey = path.join(dir, 'no-key.json');
    const nullFile = path.join(dir, 'null.json');
    const folderNamedJson = path.join(dir, 'folder.json');
    await fsp.writeFile(broken, '{"version": 1, "key": ');
    await fsp.writeFile(foreign, JSON.stringify({ name: 'some other tool' }));
    await fsp.writeFile(futureVersion, JSON.stringify({ ...good, version: 2, key: 'google-calendar/future' }));
    await fsp.writeFile(noKey, JSON.stringify({ ...good, key: 42 }));
    await fsp.writeFile(nullFile, 'null');
    await fsp.mkdir(folderNamedJson);
    // Files that are not records at all are not even looked at.
    await fsp.writeFile(path.join(dir, 'notes.txt'), 'hello');
    await fsp.writeFile(path.join(dir, 'create-event.json.123.456.tmp'), '{"half":');
    await store.appendTranscript(good.key, 1, [{ type: 'status', status: 'busy' }]);
    // A stray file at the top of .runs is not an integration folder.
    await fsp.writeFile(path.join(store.dir, 'stray.json'), '{}');

    const errors: { file: string; err: Error }[] = [];
    const loaded = await store.loadAll((file, err) => errors.push({ file, err }));
    expect(loaded).toEqual([good]);
    expect(errors.map((e) => e.file).sort()).toEqual([broken, folderNamedJson, foreign, futureVersion, noKey, nullFile].sort());
    for (const e of errors) {
      expect(e.err).toBeInstanceOf(Error);
      expect(e.err.message).not.toBe('');
    }
    expect(errors.find((e) => e.file === foreign)!.err.message).toMatch(/not a run record/);
  });

  it("skips and reports a record whose key would name a file outside .runs/, or another record's file; nothing is written", async () => {
    const store = new RunStore(workRoot);
    const good = record();
    await store.save(good);
    const dir = path.join(store.dir, 'google-calendar');
    const climbing = path.join(dir, 'climbing.json');
    const tooDeep = path.join(dir, 'deep.json');
    const elsewhere = path.join(dir, 'elsewhere.json');
    await fsp.writeFile(climbing, JSON.stringify({ ...good, key: '../outside' }));
    await fsp.writeFile(tooDeep, JSON.stringify({ ...good, key: 'google-calendar/x/../../../../outside' }));
    await fsp.writeFile(elsewhere, JSON.stringify({ ...good, key: 'google-calendar/create-event' }));
    const before = await filesUnder(workRoot);

    const errors: { file: string; message: string }[] = [];
    const loaded = await store.loadAll((file, err) => errors.push({ file, message: err.message }));
    expect(loaded).toEqual([good]);
    expect(errors.sort((a, b) => a.file.localeCompare(b.file))).toEqual([
      {
        file: climbing,
        message: expect.stringMatching(
          /integration id "\.\." is a relative folder name, so it cannot name a folder or file; run key "\.\.\/outside" cannot name a run record/,
        ),
      },
      { file: tooDeep, message: expect.stringMatching(/run key ".*" is not <integration>\/<interaction>/) },
      { file: elsewhere, message: `its key "google-calendar/create-event" belongs in ${store.fileOf(good.key)}, not here; the record was skipped` },
    ]);
    expect(await filesUnder(workRoot)).toEqual(before);
    // Without a callback: skipped all the same, and no throw.
    expect(await store.loadAll()).toEqual([good]);
  });

  it('loadAll without a callback skips bad files silently', async () => {
    const store = new RunStore(workRoot);
    await store.save(record());
    await fsp.writeFile(path.join(store.dir, 'google-calendar', 'bad.json'), 'nope');
    await expect(store.loadAll()).resolves.toHaveLength(1);
  });

  it('delete() removes a record, and does not mind a missing one', async () => {
    const store = new RunStore(workRoot);
    await store.save(record());
    await store.save(record('google-calendar/delete-event'));
    await store.delete('google-calendar/create-event');
    await store.delete('google-calendar/create-event');
    await store.delete('nobody/nothing');
    expect((await store.loadAll()).map((r) => r.key)).toEqual(['google-calendar/delete-event']);
  });
});

describe('RunStore transcripts', () => {
  it('for the views: a transcript that cannot be read is one entry saying so, never an empty list; a missing one is empty only where it may be', async () => {
    const store = new RunStore(workRoot);
    const key = 'google-calendar/create-event';
    expect(await store.readTranscriptForView(key, 1, true)).toEqual([]);
    expect(await store.readTranscriptForView(key, 1, false)).toEqual([{ type: 'unreadable-file', error: expect.stringMatching(/ENOENT/) }]);
    await fsp.mkdir(store.transcriptOf(key, 1), { recursive: true });
    expect(await store.readTranscriptForView(key, 1, true)).toEqual([{ type: 'unreadable-file', error: expect.stringMatching(/EISDIR/) }]);
    await store.appendTranscript(key, 2, [{ type: 'prompt', text: 'x' }]);
    await fsp.appendFile(store.transcriptOf(key, 2), '{"type":"tool.sta');
    expect(await store.readTranscriptForView(key, 2, false)).toEqual([
      { type: 'prompt', text: 'x' },
      expect.objectContaining({ type: 'unreadable-line', line: 1 }),
    ]);
  });

  it('appends JSON lines in call order, per attempt, and reads them back', async () => {
    const store = new RunStore(workRoot);
    const key = 'google-calendar/create-event';
    const writes: Promise<void>[] = [];
    for (let i = 0; i < 20; i++) writes.push(store.appendTranscript(key, 1, [{ n: i }, { n: i, second: true }]));
    writes.push(store.appendTranscript(key, 2, [{ attempt: 2 }]));
    await Promise.all(writes);
    const lines = (await store.readTranscript(key, 1)) as { n: number; second?: boolean }[];
    expect(lines).toHaveLength(40);
    expect(lines.map((l) => l.n)).toEqual(Array.from({ length: 20 }, (_, i) => [i, i]).flat());
    expect(await store.readTranscript(key, 2)).toEqual([{ attempt: 2 }]);
    const text = await fsp.readFile(store.transcriptOf(key, 2), 'utf8');
    expect(text).toBe('{"attempt":2}\n');
  });

  it('transcripts are not run records', async () => {
    const store = new RunStore(workRoot);
    await store.appendTranscript('a/b', 1, [{ version: 1, key: 'a/b' }]);
    const errors: string[] = [];
    expect(await store.loadAll((f) => errors.push(f))).toEqual([]);
    expect(errors).toEqual([]);
  });
});

describe('nextAttempt', () => {
  const finished = (): RunRecord =>
    record(undefined, {
      attempt: 2,
      status: 'failed',
      detail: 'provider failed 5 times',
      sessionId: 'ses_2',
      serverUrl: 'http://127.0.0.1:4096',
      serverOwned: true,
      startedAt: '2025-01-02T03:05:00.000Z',
      promptSentAt: '2025-01-02T03:05:01.000Z',
      endedAt: '2025-01-02T03:10:00.000Z',
      costUsd: 1.25,
      tokens: { input: 100, output: 20, reasoning: 5, cacheRead: 7, cacheWrite: 3 },
      steps: 12,
      toolCalls: 30,
      retries: 5,
      finalText: 'I could not finish.',
      history: [{ attempt: 1, status: 'stopped', costUsd: 0.5, tokens: ZERO_TOKENS, endedAt: '2025-01-02T03:04:30.000Z' }],
    });

  it('moves the current attempt into the history and resets the counters', () => {
    const before = finished();
    const next = nextAttempt(before, LATER);
    expect(next.attempt).toBe(3);
    expect(next.status).toBe('queued');
    expect(next.queuedAt).toBe(LATER);
    expect(next.costUsd).toBe(0);
    expect(next.tokens).toEqual(ZERO_TOKENS);
    expect(next.steps).toBe(0);
    expect(next.toolCalls).toBe(0);
    expect(next.retries).toBe(0);
    for (const k of ['detail', 'sessionId', 'serverUrl', 'serverOwned', 'startedAt', 'promptSentAt', 'endedAt', 'finalText'] as const) {
      expect(next[k], k).toBeUndefined();
    }
    expect(next.history).toEqual([
      before.history[0],
      {
        attempt: 2,
        status: 'failed',
        detail: 'provider failed 5 times',
        sessionId: 'ses_2',
        startedAt: '2025-01-02T03:05:00.000Z',
        endedAt: '2025-01-02T03:10:00.000Z',
        costUsd: 1.25,
        tokens: { input: 100, output: 20, reasoning: 5, cacheRead: 7, cacheWrite: 3 },
      },
    ]);
  });

  it('keeps who and what the run is about', () => {
    const before = finished();
    const next = nextAttempt(before, LATER);
    for (const k of ['version', 'key', 'integrationId', 'interactionId', 'specFile', 'folder', 'model', 'demo'] as const) {
      expect(next[k], k).toEqual(before[k]);
    }
  });

  it('does not change the record it is given', () => {
    const before = finished();
    const copy = structuredClone(before);
    nextAttempt(before, LATER);
    expect(before).toEqual(copy);
  });

  it('closes an attempt that never ended at the given time', () => {
    const running = record(undefined, { status: 'running', startedAt: NOW, sessionId: 'ses_1', costUsd: 0.1 });
    const next = nextAttempt(running, LATER);
    expect(next.history).toEqual([
      { attempt: 1, status: 'running', detail: undefined, sessionId: 'ses_1', startedAt: NOW, endedAt: LATER, costUsd: 0.1, tokens: ZERO_TOKENS },
    ]);
  });

  it('round-trips through the store after several attempts', async () => {
    const store = new RunStore(workRoot);
    let r = record();
    r = nextAttempt({ ...r, status: 'failed', endedAt: NOW }, LATER);
    r = nextAttempt({ ...r, status: 'stopped' }, LATER);
    await store.save(r);
    const [loaded] = await store.loadAll();
    expect(loaded!.attempt).toBe(3);
    expect(loaded!.history.map((h) => [h.attempt, h.status])).toEqual([
      [1, 'failed'],
      [2, 'stopped'],
    ]);
    // Undefined fields are simply absent on disk.
    expect(loaded).toEqual(JSON.parse(JSON.stringify(r)));
  });
});

describe('RunStore bookkeeping', () => {
  it('keeps no write promises once writes have settled', async () => {
    const store = new RunStore(workRoot);
    const saves = Array.from({ length: 20 }, (_, i) => store.save(record(`google-calendar/i-${i}`)));
    const appends = Array.from({ length: 20 }, (_, i) => store.appendTranscript(`google-calendar/i-${i}`, 1, [{ type: 'x' }]));
    expect(store.pendingWrites).toBeGreaterThan(0);
    await Promise.all([...saves, ...appends]);
    await store.flush();
    expect(store.pendingWrites).toBe(0);
  });
});
