// The code the harness runs the generated tests with (plain JavaScript, as strings: it runs inside the
// sandbox, where only the interaction folder, the toolchain and a private /tmp exist, so nothing of the
// extension's bundle can be imported there).
//
// RUNNER is `node --input-type=module -e RUNNER -- <key file> <options JSON>`. It reads and deletes the
// key file (the report's nonce) before anything of the agent's runs, writes SETUP into a fresh private
// temp folder, and starts vitest through its Node API with `config: false`: no vitest/vite config, no
// setup file, no `.env` and no cache of the folder count — only the harness's include (the folder's
// `<integration>/tests/*.test.ts`) and SETUP. When vitest is done it prints one line,
// `IB-REPLAY <nonce> <base64 JSON>`, with the results (in the shape of vitest's JSON reporter) and what
// each test's replay consumed.
//
// SETUP gives the generated tests `globalThis.vitest = { NangoActionMock, NangoSyncMock }` from the
// installed `nango/test`, instrumented: every request the script makes through the mock is recorded as
// the fixture entry it was answered with, or as a request the fixture does not hold. The record travels
// to the runner in each test's `meta` (vitest's own channel from the worker), written by an `afterEach`
// registered before the test file is imported (so it runs after any hook the file or the script adds).
//
// What this defends against, and what not. The script under test runs in the same worker process as
// SETUP, so it is not a security boundary against a determined attacker; it keeps the cheap forgeries out:
// - a report written by the script: the report is a stdout line carrying a nonce that was only ever in a
//   file deleted before vitest started (never in argv or the environment, which /proc shows), and the
//   harness takes the last such line;
// - a fake mock (a setup file, a config, or the script replacing `globalThis.vitest` or patching the mock
//   classes when it is imported): `globalThis.vitest` is a frozen, non-writable, non-configurable
//   property, the classes and their prototypes are frozen;
// - a script rewriting the expected output (`mockData.output`, batchSave data) or its own mock's
//   `getOutput`: the expected values are cloned when the fixture loads, the getters are locked;
// - a script patching globals the recorder uses (Array.prototype.push, Map.prototype.get, Reflect…):
//   every such function is captured when SETUP loads, before the test file and the script are imported.
// It does not defend against code that reads the runner's memory (ptrace, /proc/<pid>/mem where the
// kernel allows it), or that reaches into vitest's internals to rewrite a test's `meta`, or a concurrent
// process rewriting SETUP in the sandbox's private /tmp (there is none: /tmp is the command's own).

/** The marker the runner prints its report after. */
export const REPORT_MARKER = 'IB-REPLAY';

export const SETUP = String.raw`
import { NangoActionMock as BaseAction, NangoSyncMock as BaseSync } from __NANGO_TEST__;
import { afterEach } from __VITEST__;
import { existsSync as exists } from 'node:fs';
import { resolve as resolvePath } from 'node:path';

const apply = Reflect.apply;
const define = Object.defineProperty;
const freeze = Object.freeze;
const keys = Object.keys;
const isArray = Array.isArray;
const push = Array.prototype.push;
const MapCtor = Map;
const mapGet = Map.prototype.get;
const mapSet = Map.prototype.set;
const clone = structuredClone;
const ErrorCtor = Error;
const strIncludes = String.prototype.includes;
const strMatch = String.prototype.match;
const strSplit = String.prototype.split;
const strReplace = String.prototype.replace;
const stringify = JSON.stringify;
const parse = JSON.parse;
const protoAction = BaseAction.prototype;

// What this test file's replays did: fixtures loaded, entries consumed, requests the fixture lacks.
const loads = [];
const consumed = [];
const unrecorded = [];

const lock = (obj, key, value) => define(obj, key, { value, writable: false, configurable: false, enumerable: true });

// The fixture file nango/test reads for this mock (the same lookup: the test file's name from the stack, then the mock's name).
function fixtureOf(dirname, name) {
  let testName = name;
  const stack = new ErrorCtor().stack;
  if (typeof stack === 'string') {
    for (const line of apply(strSplit, stack, ['\n'])) {
      if (apply(strIncludes, line, [dirname]) && apply(strIncludes, line, ['.test.ts'])) {
        const m = apply(strMatch, line, [/\/([^/]+\.test\.ts)/]);
        if (m && m[1]) {
          testName = apply(strReplace, m[1], ['.test.ts', '']);
          break;
        }
      }
    }
  }
  const first = resolvePath(dirname, testName + '.test.json');
  if (exists(first)) return first;
  const second = resolvePath(dirname, name + '.test.json');
  return exists(second) ? second : undefined;
}

function instrument(provider, fixture) {
  const unified = !!provider && typeof provider.isUnifiedMocks === 'function' && apply(provider.isUnifiedMocks, provider, []) === true && !!provider.mockData;
  apply(push, loads, [{ fixture: fixture ?? null, unified }]);
  if (!unified) return provider;
  const data = provider.mockData;
  // Every recorded entry, by object: the mock answers with the entry itself.
  const entries = new MapCtor();
  const api = data.api && typeof data.api === 'object' ? data.api : {};
  for (const method of keys(api)) {
    const byEndpoint = api[method] && typeof api[method] === 'object' ? api[method] : {};
    for (const endpoint of keys(byEndpoint)) {
      const list = isArray(byEndpoint[endpoint]) ? byEndpoint[endpoint] : [byEndpoint[endpoint]];
      for (let i = 0; i < list.length; i++) if (list[i] && typeof list[i] === 'object') apply(mapSet, entries, [list[i], [method, endpoint, i]]);
    }
  }
  // What the test compares with, as it was recorded (the script cannot rewrite it through mockData).
  const expected = { input: clone(data.input), output: clone(data.output), save: clone(data.nango?.batchSave), del: clone(data.nango?.batchDelete) };
  const original = provider.getCachedResponse;
  lock(provider, 'getCachedResponse', async function (identity) {
    let hit;
    try {
      hit = await apply(original, provider, [identity]);
    } catch (err) {
      const params = identity && identity.requestIdentity && isArray(identity.requestIdentity.params) ? identity.requestIdentity.params : [];
      apply(push, unrecorded, [{ fixture: fixture ?? null, method: String(identity?.method ?? ''), endpoint: String(identity?.endpoint ?? ''), params: parse(stringify(params)), body: identity?.requestIdentity?.data !== undefined }]);
      throw err;
    }
    const at = apply(mapGet, entries, [hit]);
    if (at) apply(push, consumed, [{ fixture: fixture ?? null, method: at[0], endpoint: at[1], index: at[2] }]);
    return hit;
  });
  lock(provider, 'getInput', async () => clone(expected.input));
  lock(provider, 'getOutput', async () => {
    if (expected.output === undefined) throw new ErrorCtor('Missing mock data for output');
    return clone(expected.output);
  });
  lock(provider, 'getBatchSaveData', async (model) => clone(expected.save?.[model]));
  lock(provider, 'getBatchDeleteData', async (model) => clone(expected.del?.[model]));
  return provider;
}

function harden(mock) {
  const fixture = fixtureOf(mock.dirname, mock.name);
  lock(mock, 'fixtureProvider', mock.fixtureProvider.then((p) => instrument(p, fixture)));
  for (const k of ['getInput', 'getOutput', 'getBatchSaveData', 'getBatchDeleteData']) {
    const fn = protoAction[k];
    lock(mock, k, (...args) => apply(fn, mock, args));
  }
}

class NangoActionMock extends BaseAction {
  constructor(args) {
    super(args);
    harden(this);
  }
}
class NangoSyncMock extends BaseSync {
  constructor(args) {
    super(args);
    harden(this);
  }
}
for (const c of [BaseAction, BaseSync, NangoActionMock, NangoSyncMock]) {
  freeze(c.prototype);
  freeze(c);
}
define(globalThis, 'vitest', { value: freeze({ NangoActionMock, NangoSyncMock }), writable: false, configurable: false, enumerable: false });

afterEach((context) => {
  context.task.meta.ibReplay = parse(stringify({ loads, consumed, unrecorded }));
});
`;

export const RUNNER = String.raw`
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const [keyFile, raw] = process.argv.slice(1);
const nonce = readFileSync(keyFile, 'utf8').trim();
rmSync(keyFile, { force: true });
const o = JSON.parse(raw);
const dir = mkdtempSync(join(tmpdir(), 'ib-replay-'));
const setup = join(dir, 'replay.setup.mjs');
writeFileSync(setup, o.setup.replace('__NANGO_TEST__', JSON.stringify(pathToFileURL(o.nangoTest).href)).replace('__VITEST__', JSON.stringify(pathToFileURL(o.vitestIndex).href)), { mode: 0o400 });
mkdirSync(join(dir, 'env'));

const STATUS = { fail: 'failed', only: 'pending', pass: 'passed', run: 'pending', skip: 'skipped', todo: 'todo', queued: 'pending' };
const clip = (s, n) => (typeof s === 'string' && s.length > n ? s.slice(0, n) + '…' : s);
const errorsOf = (r) => (r && Array.isArray(r.errors) ? r.errors : []).map((e) => clip(String((e && (e.stack || e.message)) || e), 4000));
let ctx;
let crash;
try {
  const { startVitest } = await import(pathToFileURL(o.vitestNode).href);
  ctx = await startVitest(
    'test',
    [],
    { config: false, root: o.root, dir: o.root, include: o.include, setupFiles: [setup], watch: false, run: true, reporters: o.reporters, passWithNoTests: true, globals: false },
    { configFile: false, envDir: join(dir, 'env'), cacheDir: join(dir, 'cache'), server: { watch: null } },
  );
} catch (err) {
  crash = String((err && (err.stack || err.message)) || err);
  console.error(crash);
}
const report = { numTotalTests: 0, numPassedTests: 0, numFailedTests: 0, numPendingTests: 0, numTodoTests: 0, testResults: [], unhandledErrors: [], crash: crash ? clip(crash, 4000) : undefined };
if (ctx) {
  for (const file of ctx.state.getFiles()) {
    const tests = [];
    const walk = (t) => {
      if (t.type === 'test') tests.push(t);
      else for (const c of t.tasks || []) walk(c);
    };
    walk(file);
    const assertionResults = tests.map((t) => {
      const status = STATUS[(t.result && t.result.state) || t.mode] || 'skipped';
      report.numTotalTests++;
      if (status === 'passed') report.numPassedTests++;
      else if (status === 'failed') report.numFailedTests++;
      else if (status === 'todo') report.numTodoTests++;
      else report.numPendingTests++;
      const names = [];
      for (let p = t; p && p.type !== undefined && p !== file; p = p.suite) names.unshift(p.name);
      return { title: t.name, fullName: names.join(' '), status, failureMessages: errorsOf(t.result), location: t.location, meta: t.meta && t.meta.ibReplay ? { ibReplay: t.meta.ibReplay } : {} };
    });
    const fileErrors = errorsOf(file.result);
    const failed = (file.result && file.result.state === 'fail') || assertionResults.some((a) => a.status === 'failed');
    report.testResults.push({ name: file.filepath, status: failed ? 'failed' : 'passed', message: fileErrors.join('\n'), assertionResults });
  }
  report.unhandledErrors = ctx.state.getUnhandledErrors().map((e) => clip(String((e && (e.stack || e.message)) || e), 4000));
}
rmSync(dir, { recursive: true, force: true });
const failed = !!crash || report.numFailedTests > 0 || report.unhandledErrors.length > 0 || report.testResults.some((f) => f.status === 'failed');
process.stdout.write('\n' + '__MARKER__' + ' ' + nonce + ' ' + Buffer.from(JSON.stringify(report)).toString('base64') + '\n', () => process.exit(failed ? 1 : 0));
`.replace("'__MARKER__'", JSON.stringify(REPORT_MARKER));
