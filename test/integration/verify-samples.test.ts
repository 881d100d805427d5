// Verification with the real tools (nango compile / generate:tests, tsc, vitest, eslint with Nango's
// rules) on real Nango scripts with hand-written fixtures (test/fixtures/verify): an action with retries
// and zod models and a paginated sync verify clean after an honest run; broken variants fail with the
// right findings; bad inputs are clear findings, never a crash.
import { appendFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RunStore } from '../../src/core/runs/store';
import { verifyInteractions, type CheckId, type CheckProgress, type VerifyTarget } from '../../src/core/verify';
import { REPO } from '../support/agentStack';
import { expectVerifiedClean, findingsOf, rulesOf } from '../support/verifyExpect';
import { buildTemplate, installCopy, type SampleId } from '../support/verifySamples';

const base = path.join(REPO, '.test-runs', `verify-samples-${process.pid}`);
const work = path.join(base, 'work');
const store = new RunStore(work);
const templates = {} as Record<SampleId, string>;
const edit = (t: VerifyTarget, rel: string, from: string | RegExp, to: string) => {
  const file = path.join(t.folder, rel);
  const text = readFileSync(file, 'utf8');
  const next = text.replace(from, to);
  if (next === text) throw new Error(`nothing to replace in ${rel}`);
  writeFileSync(file, next);
};
const ACTION = (id: string) => `google-calendar/actions/${id}.ts`;

beforeAll(async () => {
  mkdirSync(base, { recursive: true });
  templates['create-event'] = await buildTemplate(path.join(base, 'templates'), 'create-event');
  templates['sync-events'] = await buildTemplate(path.join(base, 'templates'), 'sync-events');
}, 180_000);

afterAll(() => rmSync(base, { recursive: true, force: true }));

describe('verify the samples with the real toolchain', () => {
  it('an honest action (retries, zod) and a paginated sync verify clean: every check passed, no finding', async () => {
    const targets = [
      await installCopy(store, work, templates['create-event'], 'create-event', 'create-event'),
      await installCopy(store, work, templates['sync-events'], 'sync-events', 'sync-events'),
    ];
    const progress: [string, CheckId, CheckProgress][] = [];
    const finished: string[] = [];
    const reports = await verifyInteractions(targets, {
      workRoot: work,
      concurrency: 2,
      onProgress: (k, c, o) => progress.push([k, c, o]),
      onReport: (r) => {
        // an interaction's report arrives once, after every one of its checks has ended
        expect(
          progress
            .filter(([k]) => k === r.key)
            .map(([, , o]) => o)
            .filter((o) => o === 'running'),
        ).toHaveLength(7);
        expect(progress.filter(([k, , o]) => k === r.key && o !== 'running')).toHaveLength(7);
        finished.push(r.key);
      },
    });
    expect(finished.sort()).toEqual(targets.map((t) => t.key).sort());
    for (const r of reports) expectVerifiedClean(r);
    // every check of each interaction was announced and then ended with its outcome
    for (const t of targets) {
      for (const check of ['fixtures', 'compile', 'assemble', 'tests', 'lint', 'confinement', 'transcript'] as const) {
        expect(progress.filter(([k, c]) => k === t.key && c === check).map(([, , o]) => o)).toEqual(['running', 'passed']);
      }
    }
  }, 180_000);

  it('broken variants fail with the right findings', async () => {
    const typeError = await installCopy(store, work, templates['create-event'], 'create-event', 'bad-type');
    edit(
      typeError,
      ACTION('bad-type'),
      'const ev = GoogleEvent.parse(res.data);',
      'const ev = GoogleEvent.parse(res.data);\n        const when: number = ev.id;\n        void when;',
    );
    const cast = await installCopy(store, work, templates['create-event'], 'create-event', 'bad-cast');
    edit(cast, ACTION('bad-cast'), 'const ev = GoogleEvent.parse(res.data);', 'const ev = GoogleEvent.parse(res.data as any);');
    const focused = await installCopy(store, work, templates['create-event'], 'create-event', 'bad-focus');
    // Not a skipped test of ours: the sample's generated test is given an `it.skip(`, which Verify must catch.
    edit(focused, 'google-calendar/tests/google-calendar-bad-focus.test.ts', /\bit\(/, 'it.skip(');
    const fixture = await installCopy(store, work, templates['create-event'], 'create-event', 'bad-fixture');
    edit(
      fixture,
      'google-calendar/tests/bad-fixture.test.json',
      '"id": "7k3q1c2b9d8e",\n        "summary"',
      '"id": "7k3q1c2b9d8e",\n        "summary": "changed by the agent",\n        "x"',
    );
    const extra = await installCopy(store, work, templates['sync-events'], 'sync-events', 'bad-extra');
    writeFileSync(path.join(extra.folder, 'google-calendar/tests/bad-extra-page3.test.json'), '{}\n');
    const syncType = await installCopy(store, work, templates['sync-events'], 'sync-events', 'bad-sync');
    edit(syncType, 'google-calendar/syncs/bad-sync.ts', "summary: ev.summary ?? '',", "summary: (ev.summary ?? '').toUpperCase(),");

    const [t, c, f, x, e, s] = await verifyInteractions([typeError, cast, focused, fixture, extra, syncType], { runs: store, concurrency: 2 });
    for (const r of [t, c, f, x, e, s]) expect(r!.verdict, r!.key).toBe('failed');

    expect(rulesOf(t)).toEqual(['compile.error']);
    expect(findingsOf(t, 'compile.error')[0]).toMatchObject({
      location: { file: ACTION('bad-type'), line: 54 },
      message: expect.stringMatching(/TS2322.*not assignable to type 'number'/),
    });

    // `as any`: the transcript rule, not counted again by the lint rule on the same line
    expect(rulesOf(c)).toEqual(['code.as-any']);

    // a generated test edited to skip: the baseline sees the change, the tests check sees the skip and the edit
    expect(rulesOf(f)).toEqual(['fixtures.changed', 'tests.edited', 'tests.skipped-or-focused']);
    expect(findingsOf(f, 'tests.edited')[0]!.quote).toMatch(/it\.skip\(.*generated: it\(/);

    // a fixture changed after recording: the baseline says so, and the replayed test no longer matches
    expect(rulesOf(x)).toEqual(['fixtures.changed', 'tests.failed']);
    expect(findingsOf(x, 'fixtures.changed')[0]!.location).toEqual({ file: 'google-calendar/tests/bad-fixture.test.json' });

    // a fixture that appeared without the recorder
    expect(rulesOf(e)).toContain('fixtures.unexpected');
    expect(findingsOf(e, 'fixtures.unexpected')[0]!.message).toMatch(/bad-extra-page3\.test\.json appeared without the recorder/);

    // the sync maps its records differently from what was recorded: the replayed test fails
    expect(rulesOf(s)).toEqual(['tests.failed']);
  }, 400_000);

  it('without a harness run, an edited generated test is caught by comparing with a fresh generate:tests', async () => {
    const t = await installCopy(store, work, templates['sync-events'], 'sync-events', 'norun-sync', { transcript: false });
    edit(
      t,
      'google-calendar/tests/google-calendar-norun-sync.test.ts',
      'expect(spied).toStrictEqual(expectedBatchSaveData);',
      'expect(spied.length).toBeGreaterThan(0);',
    );
    const [r] = await verifyInteractions([t], { runs: store, checks: ['tests'] });
    expect(rulesOf(r)).toEqual(['tests.edited']);
    expect(findingsOf(r, 'tests.edited')[0]).toMatchObject({
      location: { file: 'google-calendar/tests/google-calendar-norun-sync.test.ts', line: expect.any(Number) },
    });
  }, 120_000);

  it('bad inputs are clear findings, never a crash', async () => {
    // a folder with no script
    const empty = path.join(work, 'google-calendar', 'no-script');
    mkdirSync(path.join(empty, 'google-calendar'), { recursive: true });
    // a broken fixture JSON
    const broken = await installCopy(store, work, templates['create-event'], 'create-event', 'broken-json');
    writeFileSync(path.join(broken.folder, 'google-calendar/tests/broken-json.test.json'), '{ "input": { "calendarId": ');
    // missing toolchain binaries (overrides pointing nowhere)
    const bare = await installCopy(store, work, templates['create-event'], 'create-event', 'no-tools');
    // a transcript that cannot be read
    const torn = await installCopy(store, work, templates['create-event'], 'create-event', 'torn');
    rmSync(store.transcriptOf(torn.key, 1));
    mkdirSync(store.transcriptOf(torn.key, 1));
    appendFileSync(path.join(store.transcriptOf(torn.key, 1), 'x'), 'not a file');

    const [none, json] = await verifyInteractions(
      [{ key: 'google-calendar/no-script', integrationId: 'google-calendar', interactionId: 'no-script', kind: 'action', folder: empty }, broken],
      { runs: store, checks: ['fixtures', 'tests'] },
    );
    expect(rulesOf(none)).toEqual(['folder.no-script']);
    expect(findingsOf(none, 'folder.no-script')[0]!.message).toMatch(/google-calendar\/actions\/no-script\.ts does not exist/);
    expect(rulesOf(json)).toEqual(['fixtures.changed', 'tests.broken-fixture']);
    expect(findingsOf(json, 'tests.broken-fixture')[0]!.message).toMatch(/broken-json\.test\.json is not valid JSON/);

    const missing = {
      nango: path.join(base, 'no', 'nango'),
      tsc: path.join(base, 'no', 'tsc'),
      vitest: path.join(base, 'no', 'vitest'),
      eslint: path.join(base, 'no', 'eslint'),
    };
    const [alone] = await verifyInteractions([bare], { runs: store, checks: ['compile', 'tests', 'lint'], bins: missing, sharedCompile: false });
    const [shared] = await verifyInteractions([bare], { runs: store, checks: ['compile'], bins: missing, sharedCompile: true });
    for (const r of [alone, shared]) {
      for (const c of r!.checks) {
        expect(
          c.findings.map((x) => x.rule),
          c.check,
        ).toEqual(['toolchain.missing']);
        expect(c.outcome).not.toBe('passed');
      }
    }
    expect(alone!.checks.map((c) => c.check)).toEqual(['compile', 'tests', 'lint']);

    const [unreadable] = await verifyInteractions([torn], { runs: store, checks: ['confinement', 'transcript'] });
    expect(rulesOf(unreadable)).toEqual(['transcript.unreadable']);
    expect(unreadable!.verdict).toBe('failed');
  }, 240_000);
});
