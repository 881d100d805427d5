// Mocha entry for the extension-host tests (extensionTestsPath = out/test/vscode/index.js).
// VS Code's test runner calls run() inside the extension host; it loads every *.test.js next to this
// file (TDD ui: suite/test/suiteSetup/setup/...), and ends with a line "N passed, N failed" that CI reads.
// Env: IB_TEST_GREP (only tests whose full title matches), IB_TEST_TIMEOUT (ms per test, default 20000),
//      IB_TEST_RESULTS (write a JSON summary there; set by test/vscode/run.cjs).
import * as fs from 'fs';
import * as path from 'path';
import Mocha from 'mocha';

interface Results {
  passed: number;
  failed: number;
  pending: number;
  passes: string[];
  failures: { title: string; error: string }[];
  files: string[];
  durationMs: number;
}

function writeResults(results: Results): void {
  const file = process.env.IB_TEST_RESULTS;
  if (!file) return;
  try {
    fs.writeFileSync(file, JSON.stringify(results, null, 2));
  } catch (e) {
    console.error(`could not write ${file}: ${String(e)}`);
  }
}

export function run(): Promise<void> {
  const t0 = Date.now();
  const mocha = new Mocha({
    ui: 'tdd',
    color: false,
    reporter: 'spec',
    timeout: Number(process.env.IB_TEST_TIMEOUT) || 20000,
  });
  if (process.env.IB_TEST_GREP) mocha.grep(process.env.IB_TEST_GREP);
  const files = fs
    .readdirSync(__dirname)
    .filter((f) => f.endsWith('.test.js'))
    .sort();
  for (const f of files) mocha.addFile(path.join(__dirname, f));
  const results: Results = { passed: 0, failed: 0, pending: 0, passes: [], failures: [], files, durationMs: 0 };

  return new Promise<void>((resolve, reject) => {
    const finish = (error?: Error): void => {
      results.durationMs = Date.now() - t0;
      writeResults(results);
      console.log(`${results.passed} passed, ${results.failed} failed`);
      if (error) reject(error);
      else resolve();
    };
    if (files.length === 0) {
      results.failed = 1;
      results.failures.push({ title: 'load', error: `no *.test.js files in ${__dirname}` });
      finish(new Error(`no *.test.js files in ${__dirname}`));
      return;
    }
    try {
      const runner = mocha.run((failures) => {
        results.failed = Math.max(failures, results.failed);
        finish(failures > 0 ? new Error(`${failures} test(s) failed`) : undefined);
      });
      runner.on('pass', (t) => {
        results.passed++;
        results.passes.push(t.fullTitle());
      });
      runner.on('pending', () => {
        results.pending++;
      });
      runner.on('fail', (t, err: unknown) => {
        results.failed++;
        results.failures.push({ title: t.fullTitle(), error: err instanceof Error ? err.stack || err.message : String(err) });
      });
    } catch (e) {
      // a test file that throws while loading (syntax error, failing import)
      const err = e instanceof Error ? e : new Error(String(e));
      console.error(err.stack || err.message);
      results.failed = Math.max(results.failed, 1);
      results.failures.push({ title: 'load', error: err.stack || err.message });
      finish(err);
    }
  });
}
