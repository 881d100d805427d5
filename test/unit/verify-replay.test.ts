// The replay's consumption comparison, the detection of test configuration an agent wrote, and the
// runner's report line (src/core/toolchain/replay).
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { configFindings, packageJsonFindings, sameAsGenerated } from '../../src/core/toolchain/replay/config';
import { callsProviderApi, compareReplay, describeRequest, recordedRequests, type ReplayRecord } from '../../src/core/toolchain/replay/consumption';
import { REPORT_MARKER } from '../../src/core/toolchain/replay/harnessCode';
import { exportedFile, packageDirOf, parseReplayOutput } from '../../src/core/toolchain/replay/run';
import { loadTypeScript } from '../../src/core/toolchain/typescript';

const REPO = path.join(__dirname, '..', '..');
const SAMPLES = path.join(REPO, 'test', 'fixtures', 'verify', 'google-calendar');
const syncFixture = JSON.parse(readFileSync(path.join(SAMPLES, 'sync-events', 'google-calendar', 'tests', 'sync-events.test.json'), 'utf8')) as unknown;
const actionFixture = JSON.parse(readFileSync(path.join(SAMPLES, 'create-event', 'google-calendar', 'tests', 'create-event.test.json'), 'utf8')) as unknown;
const TESTS = 'google-calendar/tests';
const AT = (name: string) => `/f/${TESTS}/${name}`;
const EP = '/calendar/v3/calendars/primary/events';
const nameOf = (p: string) => (p.startsWith(`/f/${TESTS}/`) ? p.slice(`/f/${TESTS}/`.length) : undefined);

function record(name: string, consumed: [string, string, number][], unrecorded: ReplayRecord['unrecorded'] = [], unified = true): ReplayRecord {
  return {
    loads: [{ fixture: AT(name), unified }],
    consumed: consumed.map(([method, endpoint, index]) => ({ fixture: AT(name), method, endpoint, index })),
    unrecorded,
  };
}
const compare = (fixtures: Record<string, unknown>, records: ReplayRecord[], extra: { scriptCallsApi?: boolean; testsPassed?: boolean } = {}) =>
  compareReplay({
    testsRel: TESTS,
    fixtures: new Map(Object.entries(fixtures)),
    records,
    nameOf,
    scriptCallsApi: extra.scriptCallsApi,
    testsPassed: extra.testsPassed ?? true,
  });
const rules = (r: { findings: { rule: string }[] }) => r.findings.map((f) => f.rule);

describe('the recorded requests of a fixture', () => {
  it('lists every entry, a single one or a list, described as the request was made', () => {
    expect(recordedRequests(syncFixture).map((r) => [r.method, r.endpoint, r.index, r.description])).toEqual([
      ['get', EP, 0, `GET ${EP}?maxResults=2&orderBy=updated`],
      ['get', EP, 1, `GET ${EP}?maxResults=2&orderBy=updated&pageToken=CigKGjRxZ2FqZ2Rw`],
    ]);
    expect(recordedRequests(actionFixture).map((r) => [r.method, r.index, r.description])).toEqual([['post', 0, `POST ${EP} (with a body)`]]);
    expect(recordedRequests({})).toEqual([]);
    expect(recordedRequests({ api: { get: { x: 'not an entry' } } })).toEqual([]);
  });

  it('shortens long values and adds the leading slash', () => {
    expect(describeRequest('get', 'v1/items', [['cursor', 'a'.repeat(60)]])).toBe(`GET /v1/items?cursor=${'a'.repeat(12)}…`);
  });
});

describe('what the replay consumed against the fixture', () => {
  it('every recorded request asked for: no finding (the sync asks for both pages in each of its two tests)', () => {
    const r = record('sync-events.test.json', [
      ['get', EP, 0],
      ['get', EP, 1],
    ]);
    expect(compare({ 'sync-events.test.json': syncFixture }, [r, r]).findings).toEqual([]);
  });

  it('consumption is the union over the tests', () => {
    expect(
      compare({ 'sync-events.test.json': syncFixture }, [record('sync-events.test.json', [['get', EP, 0]]), record('sync-events.test.json', [['get', EP, 1]])])
        .findings,
    ).toEqual([]);
  });

  it('a page never asked for is named, with its query', () => {
    const r = compare({ 'sync-events.test.json': syncFixture }, [record('sync-events.test.json', [['get', EP, 0]])]);
    expect(r.findings).toEqual([
      {
        check: 'tests',
        rule: 'tests.replay-unconsumed',
        severity: 'error',
        message: `GET ${EP}?maxResults=2&orderBy=updated&pageToken=CigKGjRxZ2FqZ2Rw was recorded but never requested by the script`,
        location: { file: `${TESTS}/sync-events.test.json` },
      },
    ]);
  });

  it("a fixture migrated from Nango's legacy format is not held to every request it keeps (it gathers every mock of an endpoint); no request at all still is a finding", () => {
    const migrated = { ...(syncFixture as Record<string, unknown>), _migrated: true };
    const some = compare({ 'sync-events.test.json': migrated }, [record('sync-events.test.json', [['get', EP, 0]])]);
    expect(some.findings).toEqual([]);
    expect(some.notes.join('\n')).toMatch(/migrated from Nango's legacy mock format/);
    expect(rules(compare({ 'sync-events.test.json': migrated }, [record('sync-events.test.json', [])]))).toEqual(['tests.no-provider-call']);
  });

  it('no request at all is one finding: no provider call', () => {
    const r = compare({ 'create-event.test.json': actionFixture }, [record('create-event.test.json', [])]);
    expect(rules(r)).toEqual(['tests.no-provider-call']);
    expect(r.findings[0]).toMatchObject({
      severity: 'error',
      location: { file: `${TESTS}/create-event.test.json` },
      message: expect.stringMatching(/made no request to the provider: create-event\.test\.json records 1 \(POST \/calendar/),
    });
  });

  it('a request the fixture lacks is named, and the recorded request it stood for is not reported again', () => {
    const refused = {
      fixture: AT('create-event.test.json'),
      method: 'post',
      endpoint: EP.slice(1),
      params: [['sendUpdates', 'all']] as [string, string][],
      body: true,
    };
    const r = compare({ 'create-event.test.json': actionFixture }, [record('create-event.test.json', [], [refused, refused])]);
    expect(rules(r)).toEqual(['tests.unrecorded-request']);
    expect(r.findings[0]!.message).toBe(
      `POST ${EP}?sendUpdates=all (with a body) was requested by the script but the fixture does not hold it (the replay refused it)`,
    );
  });

  it('the same request recorded twice is consumed by asking once', () => {
    const entry = { request: { params: { a: '1' } }, response: {} };
    const fixture = { api: { get: { '/x': [entry, { ...entry }, { request: { params: { a: '2' } }, response: {} }] } } };
    expect(
      rules(
        compare({ 'f.test.json': fixture }, [
          record('f.test.json', [
            ['get', '/x', 0],
            ['get', '/x', 2],
          ]),
        ]),
      ),
    ).toEqual([]);
  });

  it('a fixture with no API request: an error when the script calls no provider method, else a warning', () => {
    const empty = { input: {}, output: { ok: true } };
    const none = compare({ 'a.test.json': empty }, [record('a.test.json', [])], { scriptCallsApi: false });
    expect(none.findings.map((f) => [f.rule, f.severity])).toEqual([['tests.no-provider-call', 'error']]);
    const some = compare({ 'a.test.json': empty }, [record('a.test.json', [])], { scriptCallsApi: true });
    expect(some.findings.map((f) => [f.rule, f.severity])).toEqual([['tests.no-provider-call', 'warning']]);
  });

  it('a legacy fixture is not compared, and says so', () => {
    const r = compare({}, [record('create-event.test.json', [], [], false)]);
    expect(r.findings).toEqual([]);
    expect(r.notes[0]).toMatch(/legacy fixture/);
  });

  it("passing tests that loaded no fixture through the harness's mock are a finding; a fixture outside the tests folder is ignored", () => {
    expect(rules(compare({ 'a.test.json': actionFixture }, []))).toEqual(['tests.replay-missing']);
    expect(rules(compare({ 'a.test.json': actionFixture }, [], { testsPassed: false }))).toEqual([]);
    expect(compare({}, [{ loads: [{ fixture: '/elsewhere/x.test.json', unified: true }], consumed: [], unrecorded: [] }]).findings).toEqual([]);
  });

  it('tells a script with a provider call from one without', () => {
    expect(callsProviderApi('const r = await nango.get({ endpoint: "/x" });')).toBe(true);
    expect(callsProviderApi('for await (const p of nango.paginate<T>({ endpoint })) {}')).toBe(true);
    expect(callsProviderApi('const r = await nango.proxy({ method: "POST" });')).toBe(true);
    expect(callsProviderApi('// nango.get({})\n/* nango.post({}) */ return { id: "1" };')).toBe(false);
    expect(callsProviderApi('const c = await nango.getConnection(); const m = await nango.getMetadata();')).toBe(false);
  });
});

describe('test configuration the agent wrote', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  const nangoDir = packageDirOf(path.join(REPO, 'node_modules', '.bin', 'nango'), 'nango')!;
  const templates = path.join(nangoDir, 'dist', 'templates');
  const folder = (files: Record<string, string>) => {
    const d = mkdtempSync(path.join(os.tmpdir(), 'replay-config-'));
    dirs.push(d);
    for (const [rel, text] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(d, rel)), { recursive: true });
      writeFileSync(path.join(d, rel), text);
    }
    return d;
  };
  const viteTemplate = readFileSync(path.join(templates, 'vite.config.ejs'), 'utf8');
  const setupTemplate = readFileSync(path.join(templates, 'vitest.setup.ejs'), 'utf8');
  const scaffoldPackage = JSON.stringify({ name: 'x', type: 'module', scripts: { compile: 'nango compile', test: 'vitest run' } }, null, 2);

  it('what generate:tests writes, formatted or not, and the package.json nango injects into, are no finding', async () => {
    const ts = loadTypeScript(REPO);
    const d = folder({
      'vite.config.ts': viteTemplate.replace(/"/g, "'"),
      'vitest.setup.ts': setupTemplate,
      'package.json': JSON.stringify({ name: 'x', scripts: { compile: 'nango compile', test: 'vitest' }, devDependencies: { vitest: '5.1.2' } }),
    });
    expect(await configFindings(d, templates, ts)).toEqual([]);
    expect(sameAsGenerated(ts, viteTemplate.replace(/"/g, "'"), viteTemplate)).toBe(true);
    expect(await configFindings(folder({ 'package.json': scaffoldPackage }), templates, ts)).toEqual([]);
  });

  it('an edited vite.config.ts or vitest.setup.ts, another config or setup file anywhere, a vitest field: each a finding naming the file', async () => {
    const d = folder({
      'vite.config.ts': viteTemplate.replace('"**/*.{test,spec}.?(c|m)[jt]s?(x)"', '"nothing/*.ts"'),
      'vitest.setup.ts': `${setupTemplate}\nglobalThis.vitest.NangoActionMock = class {};\n`,
      'vitest.config.mts': 'export default {};',
      'vitest.workspace.json': '[]',
      'google-calendar/setupTests.ts': '',
      'google-calendar/vite.config.js': '',
      'node_modules/x/vite.config.ts': '',
      'package.json': JSON.stringify({ name: 'x', vitest: { include: [] }, scripts: { test: 'vitest run --config other.ts' } }),
    });
    const f = await configFindings(d, templates, loadTypeScript(REPO));
    expect(f.every((x) => x.rule === 'tests.config-edited' && x.severity === 'error' && x.check === 'tests')).toBe(true);
    expect(f.map((x) => x.location?.file).sort()).toEqual([
      'google-calendar/setupTests.ts',
      'google-calendar/vite.config.js',
      'package.json',
      'package.json',
      'vite.config.ts',
      'vitest.config.mts',
      'vitest.setup.ts',
      'vitest.workspace.json',
    ]);
    expect(f.find((x) => x.location?.file === 'vite.config.ts')!.message).toMatch(/not what generate:tests writes/);
  });

  // Skipped as root (CI runs as root): root reads a folder whatever its mode, so nothing is unreadable.
  it.runIf(process.getuid?.() !== 0)('a directory the check cannot read is a finding, never "no config there"', async () => {
    const d = folder({ 'google-calendar/hidden/vite.config.ts': '' });
    chmodSync(path.join(d, 'google-calendar', 'hidden'), 0o000);
    try {
      expect((await configFindings(d, templates, loadTypeScript(REPO))).map((x) => x.rule)).toEqual(['tests.config-unchecked']);
    } finally {
      chmodSync(path.join(d, 'google-calendar', 'hidden'), 0o755);
    }
  });

  it('a folder path the check cannot list (here a file) is a finding too', async () => {
    const d = folder({ 'package.json': scaffoldPackage });
    mkdirSync(path.join(d, 'google-calendar'));
    // readdir fails (ENOTDIR): that must not read as an empty folder
    writeFileSync(path.join(d, 'google-calendar', 'f'), '');
    expect((await configFindings(path.join(d, 'google-calendar', 'f'), templates, loadTypeScript(REPO))).map((x) => x.rule)).toEqual([
      'tests.config-unchecked',
    ]);
  });

  it("nango's template that cannot be read leaves the comparison undone, and says so (never a pass)", async () => {
    const d = folder({ 'vite.config.ts': viteTemplate });
    const f = await configFindings(d, path.join(d, 'no-templates-here'), loadTypeScript(REPO));
    expect(f.map((x) => [x.rule, x.location?.file])).toEqual([['tests.config-unchecked', 'vite.config.ts']]);
    expect(f[0]!.message).toMatch(/vite\.config\.ejs cannot be read/);
  });

  it('package.json: only vitest-related fields the scaffold and nango do not write', () => {
    expect(packageJsonFindings(scaffoldPackage)).toEqual([]);
    expect(packageJsonFindings('not json')).toEqual([]);
    expect(packageJsonFindings(JSON.stringify({ scripts: { test: 'vitest --run' }, devDependencies: { vitest: 'latest' } }))).toEqual([]);
    expect(packageJsonFindings(JSON.stringify({ scripts: { check: 'vitest run -t nothing' } })).map((x) => x.quote)).toEqual(['vitest run -t nothing']);
  });
});

describe("the runner's report", () => {
  const line = (nonce: string, report: unknown) => `${REPORT_MARKER} ${nonce} ${Buffer.from(JSON.stringify(report)).toString('base64')}`;

  it('is the last line with the nonce; lines with another nonce are dropped, not believed', () => {
    const out = [
      'RUN v4',
      line('forged', { numTotalTests: 9 }),
      line('n1', { numTotalTests: 1 }),
      ' Tests 1 passed',
      line('n1', { numTotalTests: 2 }),
      '',
    ].join('\n');
    const r = parseReplayOutput(out, 'n1');
    expect(r.report).toEqual({ numTotalTests: 2 });
    expect(r.output).toBe('RUN v4\n Tests 1 passed');
    expect(parseReplayOutput(out, 'other').report).toBeUndefined();
    expect(parseReplayOutput(`${REPORT_MARKER} n1 %%%`, 'n1').report).toBeUndefined();
  });

  it("finds vitest's Node API and nango/test in the installed packages", () => {
    const vitestDir = packageDirOf(path.join(REPO, 'node_modules', '.bin', 'vitest'), 'vitest')!;
    expect(exportedFile(vitestDir, './node')).toMatch(/vitest[/\\]dist[/\\]node\.js$/);
    expect(exportedFile(vitestDir, '.')).toMatch(/vitest[/\\]dist[/\\]index\.js$/);
    expect(exportedFile(packageDirOf(path.join(REPO, 'node_modules', '.bin', 'nango'), 'nango')!, './test')).toMatch(/testMocks[/\\]utils\.js$/);
    expect(exportedFile(vitestDir, './nothing')).toBeUndefined();
    expect(packageDirOf(path.join(REPO, 'no', 'such', 'bin'), 'vitest')).toBeUndefined();
  });
});
