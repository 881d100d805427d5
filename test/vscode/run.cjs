#!/usr/bin/env node
// Runs the extension-host tests (out/test/vscode/index.js, built from test/vscode/*.ts) inside a real
// VS Code: code-server from npm on 127.0.0.1, workbench in headless chromium. Offline.
//
//   npm run test:vscode            (after `npm run build`)
//   node test/vscode/run.cjs
//
// Each run gets a fresh dir .test-runs/vscode-<time>-<rand>/ holding: workspace/ (a git copy of the
// example workspace), test-output.log (everything the extension host printed), results.json,
// browser-console.log, test-logs/ (workbench logs), code-server.log, user-data/ (VS Code logs).
// Exit code: 0 all passed; 1 tests failed or timed out; 2 harness error (tools, build output, start-up).
//
// Env: IB_EXT_DEV_PATH   extension folder to load (default: the repo root)
//      IB_TESTS_PATH     extensionTestsPath (default: out/test/vscode/index.js)
//      IB_WORKSPACE_SRC  workspace to copy (default: examples/google-workspace, else the first examples/ dir)
//      IB_TEST_TIMEOUT_MS whole run (default 900000: loaded mode included); IB_TEST_TIMEOUT per test (ms, read by index.js)
//      IB_TEST_GREP      only tests whose full title matches
//      IB_TEST_VERBOSE=1 do not filter workbench noise; IB_SKIP_TOOLS=1 do not run scripts/vscode-tools.sh
//      IB_KEEP_RUNS      how many vscode-* run dirs to keep (default 10)
//      IB_LOAD           loaded mode: busy loops on this many cores (`cores`: all) while the tests run (test/support/load.cjs)
// The extension host sees IB_TEST_WORKSPACE (the copied workspace), IB_TEST_RUN_DIR, IB_TEST_RESULTS.
'use strict';
const path = require('path');
const fs = require('fs');
const cs = require('../support/code-server.cjs');

const REPO = path.resolve(__dirname, '..', '..');
const RUNS = path.join(REPO, '.test-runs');
const t0 = Date.now();
const secs = (ms) => `${(ms / 1000).toFixed(1)}s`;
const log = (msg) => console.log(`[test:vscode] ${msg}`);
const rel = (p) => path.relative(process.cwd(), p) || '.';

function summaryFromResults(file, outputFile) {
  try {
    const r = JSON.parse(fs.readFileSync(file, 'utf8'));
    return { passed: r.passed, failed: r.failed, pending: r.pending, failures: r.failures || [] };
  } catch {
    /* index.js did not get that far: fall back to its closing line */
  }
  try {
    const m = [...fs.readFileSync(outputFile, 'utf8').matchAll(/(\d+) passed, (\d+) failed/g)].pop();
    if (m) return { passed: +m[1], failed: +m[2], pending: 0, failures: [] };
  } catch {
    /* no output */
  }
  return null;
}

let server = null;
let stopping = false;
async function shutdown(signal) {
  if (stopping) return;
  stopping = true;
  log(`${signal}: stopping code-server`);
  if (server) await server.stop();
  process.exit(130);
}
process.on('SIGINT', () => shutdown('SIGINT'));
process.on('SIGTERM', () => shutdown('SIGTERM'));

async function main() {
  // 1. tools (idempotent; one line when installed)
  if (!process.env.IB_SKIP_TOOLS) cs.ensureTools();
  else cs.assertTools();
  // Loaded mode starts once the tools are in place: it loads the tests, not the install.
  require('../support/load.cjs').startLoad(log);

  // 2. what to test
  const devPath = path.resolve(process.env.IB_EXT_DEV_PATH || REPO);
  const testsPath = path.resolve(process.env.IB_TESTS_PATH || path.join(REPO, 'out', 'test', 'vscode', 'index.js'));
  if (!fs.existsSync(testsPath)) {
    throw new Error(`${rel(testsPath)} not found: build first (npm run build; it must compile test/vscode/*.ts to out/test/vscode/)`);
  }
  const manifest = JSON.parse(fs.readFileSync(path.join(devPath, 'package.json'), 'utf8'));
  if (manifest.main && !fs.existsSync(path.resolve(devPath, manifest.main)) && !fs.existsSync(path.resolve(devPath, `${manifest.main}.js`))) {
    throw new Error(`the extension's main (${manifest.main}) is missing in ${devPath}: build first (npm run build)`);
  }

  // 3. fresh run dir + workspace copy (a git repository with one commit)
  cs.pruneRuns(RUNS, 'vscode-', Math.max(1, Number(process.env.IB_KEEP_RUNS) || 10) - 1);
  const run = cs.newRunDir(RUNS, 'vscode-');
  const workspace = path.join(run, 'workspace');
  const { src } = cs.prepareWorkspace(REPO, workspace);
  const resultsFile = path.join(run, 'results.json');
  log(`extension ${rel(devPath)}, tests ${rel(testsPath)}, workspace ${src ? rel(src) : '(empty interactions.json)'} -> ${rel(workspace)}`);

  // 4. code-server + tests
  server = await cs.startCodeServer({
    run,
    folder: workspace,
    env: { IB_TEST_WORKSPACE: workspace, IB_TEST_RUN_DIR: run, IB_TEST_RESULTS: resultsFile },
  });
  log(`code-server ${server.authority} up in ${secs(server.startupMs)} (pid ${server.pid})`);
  const timeoutMs = Number(process.env.IB_TEST_TIMEOUT_MS) || 900000;
  let result;
  try {
    result = await cs.runExtensionTests(server, {
      devPaths: [devPath],
      testsPath,
      folder: workspace,
      timeoutMs,
      verbose: !!process.env.IB_TEST_VERBOSE,
      out: (line) => {
        const text = line.replace(/^\[(log|info)\] /, '');
        // index.js's closing "N passed, N failed" stays on a line of its own, unindented, for CI
        console.log(/^\d+ passed, \d+ failed$/.test(text) ? text : `  ${text}`);
      },
    });
  } finally {
    await server.stop();
  }

  // 5. summary
  const s = summaryFromResults(resultsFile, result.outputFile);
  let code = result.code === 0 ? 0 : 1;
  if (code === 0 && (!s || s.failed > 0 || s.passed === 0)) code = 1; // never report green without passing tests
  const counts = s ? `${s.passed} passed, ${s.failed} failed${s.pending ? `, ${s.pending} pending` : ''}` : 'no test results';
  const why = result.reason === 'exit' ? '' : ` (${result.reason === 'timeout' ? `timed out after ${secs(timeoutMs)}` : result.reason})`;
  if (s && s.failures.length) {
    log('failures:');
    for (const f of s.failures) {
      const lines = String(f.error).split('\n');
      const message = lines.filter((l) => l.trim() && !/^\s+at /.test(l)).slice(0, 6);
      const where = lines.find((l) => /^\s+at .*\.test\.js:\d+/.test(l));
      console.log(`  - ${f.title}\n      ${[...message, ...(where ? [where.trim()] : [])].join('\n      ')}`);
    }
  }
  log(`${code === 0 ? 'PASSED' : 'FAILED'}: ${counts}${why}; tests ${secs(result.durationMs)}, total ${secs(Date.now() - t0)}; logs in ${rel(run)}`);
  return code;
}

main().then(
  (code) => process.exit(code),
  async (err) => {
    console.error(`[test:vscode] ERROR: ${err && err.message ? err.message : err}`);
    if (server) await server.stop();
    log(`FAILED: harness error after ${secs(Date.now() - t0)}`);
    process.exit(2);
  },
);
