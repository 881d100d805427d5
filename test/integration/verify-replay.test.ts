// The replay proves the script made the recorded calls, and the tests Verify runs are the harness's
// (issue 13): with the real nango + vitest on the verify samples (test/fixtures/verify), an honest action
// and sync verify clean (three times, the folder as it was); a script that returns constants shaped like
// the fixture, or skips a recorded page, is caught though its test passes; a vitest.setup.ts with a fake
// mock or a vite.config.ts that runs nothing is a finding and the tests still run with the real mock; and
// run_tests shows the agent the same result.
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RunStore } from '../../src/core/runs/store';
import { NangoToolchain } from '../../src/core/toolchain/nango';
import { verifyInteractions, type VerifyTarget } from '../../src/core/verify';
import { REPO } from '../support/agentStack';
import { expectVerifiedClean, findingsOf, rulesOf } from '../support/verifyExpect';
import { buildTemplate, installCopy, type SampleId } from '../support/verifySamples';

const base = path.join(REPO, '.test-runs', `verify-replay-${process.pid}`);
const work = path.join(base, 'work');
const store = new RunStore(work);
const templates = {} as Record<SampleId, string>;
const ACTION = (id: string) => `google-calendar/actions/${id}.ts`;
const SYNC = (id: string) => `google-calendar/syncs/${id}.ts`;
const FIXTURE = (id: string) => `google-calendar/tests/${id}.test.json`;
const edit = (t: VerifyTarget, rel: string, from: string | RegExp, to: string) => {
  const file = path.join(t.folder, rel);
  const text = readFileSync(file, 'utf8');
  const next = text.replace(from, to);
  if (next === text) throw new Error(`nothing to replace in ${rel}`);
  writeFileSync(file, next);
};

/** Every file under a folder with its contents (node_modules aside), to see that Verify leaves it as it was. */
function snapshot(folder: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string) => {
    for (const name of readdirSync(path.join(folder, rel))) {
      const r = rel ? `${rel}/${name}` : name;
      if (statSync(path.join(folder, r)).isDirectory()) walk(r);
      else out[r] = readFileSync(path.join(folder, r), 'utf8');
    }
  };
  walk('');
  return out;
}

// An action that never calls the API: the recorded output, as constants (it compiles: generate:tests compiles it).
const CONSTANT_BODY = `exec: async (nango, input): Promise<z.infer<typeof CreateEventOutput>> => {
        void nango;
        void input;
        const ev = GoogleEvent.parse({
            id: '7k3q1c2b9d8e',
            summary: 'Quarterly planning',
            htmlLink: 'https://www.google.com/calendar/event?eid=N2szcTFjMmI5ZDhl',
            start: { dateTime: '2025-01-15T09:00:00Z', timeZone: 'UTC' },
            end: { dateTime: '2025-01-15T09:30:00Z', timeZone: 'UTC' }
        });
        return { id: ev.id, summary: ev.summary ?? '', htmlLink: ev.htmlLink, start: ev.start, end: ev.end };
    }
});`;

beforeAll(async () => {
  mkdirSync(base, { recursive: true });
  templates['create-event'] = await buildTemplate(path.join(base, 'templates'), 'create-event');
  templates['sync-events'] = await buildTemplate(path.join(base, 'templates'), 'sync-events');
}, 180_000);

afterAll(() => rmSync(base, { recursive: true, force: true }));

describe('the replay proves the recorded calls; the tests Verify runs are the harness’s', () => {
  it('an honest action and a paginated sync verify clean, three times alike, and the folders stay as they were', async () => {
    const targets = [
      await installCopy(store, work, templates['create-event'], 'create-event', 'honest-action'),
      await installCopy(store, work, templates['sync-events'], 'sync-events', 'honest-sync'),
    ];
    const before = targets.map((t) => snapshot(t.folder));
    for (let round = 0; round < 3; round++) {
      const reports = await verifyInteractions(targets, { workRoot: work, concurrency: 2 });
      for (const r of reports) expectVerifiedClean(r, `${r.key} round ${round + 1}`);
      targets.forEach((t, i) => expect(snapshot(t.folder), `${t.key} round ${round + 1}`).toEqual(before[i]));
    }
  }, 400_000);

  it('a script that returns constants shaped like the fixture passes its test, and is caught: it made no provider call', async () => {
    const t = await installCopy(store, work, templates['create-event'], 'create-event', 'constant');
    edit(t, ACTION('constant'), /exec: async \(nango, input\)[\s\S]*?\n\s{4}\}\n\}\);/, CONSTANT_BODY);
    const [r] = await verifyInteractions([t], { runs: store, checks: ['tests'] });
    expect(rulesOf(r)).toEqual(['tests.no-provider-call']);
    const f = findingsOf(r, 'tests.no-provider-call')[0]!;
    expect(f).toMatchObject({ severity: 'error', location: { file: FIXTURE('constant') } });
    expect(f.message).toMatch(/made no request to the provider.*POST \/calendar\/v3\/calendars\/primary\/events/);
    expect(r!.verdict).toBe('failed');

    // run_tests shows the agent the same: the test passed, the replay check did not
    const shown = await new NangoToolchain({ timeoutMs: 180_000 }).runTests({
      folder: t.folder,
      interaction: { id: 'constant', integrationId: 'google-calendar', kind: 'action' } as never,
    });
    expect(shown.ok, shown.output).toBe(false);
    expect(shown.output).toMatch(/Tests\s+1 passed/);
    expect(shown.output).toMatch(/tests\.no-provider-call: the script made no request to the provider/);
  }, 240_000);

  it('a sync that skips a recorded page and makes up its records passes its test, and is caught: the page was never requested', async () => {
    const t = await installCopy(store, work, templates['sync-events'], 'sync-events', 'one-page');
    // the first page only, then the third event as a constant
    edit(
      t,
      SYNC('one-page'),
      /(\s+)const newest = events\.at\(-1\);\n\s+if \(newest\) await nango\.saveCheckpoint\(\{ updatedMin: newest\.updated \}\);\n(\s+)\}/,
      '$1const newest = events.at(-1);\n            if (newest) await nango.saveCheckpoint({ updatedMin: newest.updated });\n            break;\n$2}\n' +
        "        await nango.batchSave([{ id: 'evt0003', summary: 'Company holiday', status: 'tentative', start: '2025-01-20', end: '2025-01-21', updatedAt: '2025-01-11T10:00:00.000Z' }], 'CalendarEvent');",
    );
    const [r] = await verifyInteractions([t], { runs: store, checks: ['tests'] });
    expect(rulesOf(r)).toEqual(['tests.replay-unconsumed']);
    const f = findingsOf(r, 'tests.replay-unconsumed');
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ severity: 'error', location: { file: FIXTURE('one-page') } });
    expect(f[0]!.message).toMatch(
      /^GET \/calendar\/v3\/calendars\/primary\/events\?maxResults=2&orderBy=updated&pageToken=CigKGjRxZ2FqZ2Rw was recorded but never requested by the script$/,
    );
  }, 240_000);

  it('a request the fixture does not hold fails the test and is named', async () => {
    const t = await installCopy(store, work, templates['create-event'], 'create-event', 'unrecorded');
    edit(t, ACTION('unrecorded'), '/events`,', "/events`,\n            params: { sendUpdates: 'all' },");
    const [r] = await verifyInteractions([t], { runs: store, checks: ['tests'] });
    // the recorded POST, asked for with a different query, is named by the unrecorded request (not reported again as unconsumed)
    expect(rulesOf(r)).toEqual(['tests.failed', 'tests.unrecorded-request']);
    expect(findingsOf(r, 'tests.unrecorded-request')[0]!.message).toMatch(
      /^POST \/calendar\/v3\/calendars\/primary\/events\?sendUpdates=all \(with a body\) was requested by the script but the fixture does not hold it/,
    );
  }, 240_000);

  it('a vitest.setup.ts that swaps the mock for a fake is a finding, and the tests still run with the real mock', async () => {
    const t = await installCopy(store, work, templates['create-event'], 'create-event', 'fake-mock');
    // the script answers wrongly without the API; the fake mock would expect exactly that answer
    edit(
      t,
      ACTION('fake-mock'),
      /exec: async \(nango, input\)[\s\S]*?\n\s{4}\}\n\}\);/,
      CONSTANT_BODY.replace("summary: 'Quarterly planning'", "summary: 'made up'"),
    );
    writeFileSync(
      path.join(t.folder, 'vitest.setup.ts'),
      `import { NangoActionMock, NangoSyncMock } from "nango/test";

class Fake extends NangoActionMock {
  override async getOutput() {
    return { id: '7k3q1c2b9d8e', summary: 'made up', htmlLink: 'https://www.google.com/calendar/event?eid=N2szcTFjMmI5ZDhl', start: { dateTime: '2025-01-15T09:00:00Z', timeZone: 'UTC' }, end: { dateTime: '2025-01-15T09:30:00Z', timeZone: 'UTC' } };
  }
}

globalThis.vitest = {
  NangoActionMock: Fake,
  NangoSyncMock,
};
`,
    );
    const [r] = await verifyInteractions([t], { runs: store, checks: ['tests'] });
    expect(rulesOf(r)).toEqual(['tests.config-edited', 'tests.failed', 'tests.no-provider-call']);
    expect(findingsOf(r, 'tests.config-edited')[0]).toMatchObject({
      location: { file: 'vitest.setup.ts' },
      message: expect.stringMatching(/vitest\.setup\.ts is not what generate:tests writes/),
    });
    // the real mock's recorded output, not the fake's, is what the answer was compared with (with the fake, the test would pass)
    expect(findingsOf(r, 'tests.failed')[0]!.quote).toMatch(/to deeply equal/);
  }, 240_000);

  it('a vite.config.ts whose include matches nothing, or a vitest.config of its own, is a finding, and the generated tests still run', async () => {
    const t = await installCopy(store, work, templates['sync-events'], 'sync-events', 'narrowed');
    edit(t, SYNC('narrowed'), "summary: ev.summary ?? '',", "summary: (ev.summary ?? '').toUpperCase(),");
    edit(t, 'vite.config.ts', /include: \[[^\]]*\]/, 'include: ["nothing/**/*.test.ts"], passWithNoTests: true');
    writeFileSync(path.join(t.folder, 'vitest.config.mts'), 'export default { test: { include: [] } };\n');
    const [r] = await verifyInteractions([t], { runs: store, checks: ['tests'] });
    expect(rulesOf(r)).toEqual(['tests.config-edited', 'tests.failed']);
    expect(
      findingsOf(r, 'tests.config-edited')
        .map((f) => f.location?.file)
        .sort(),
    ).toEqual(['vite.config.ts', 'vitest.config.mts']);
    expect(findingsOf(r, 'tests.failed').length).toBeGreaterThan(0);
  }, 240_000);
});
