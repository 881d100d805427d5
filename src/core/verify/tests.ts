// Tests: the toolchain's tests of the interaction (Nango: the tests `nango generate:tests` writes,
// replaying the recorded fixture, run with vitest). No fixture, no generated test, a skipped, focused
// or failing test — each a finding. Generated tests are regenerated only when missing: when present, the
// fixture check has already proved them to be what the harness generated.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { testsDirOf } from '../guard/protectedPaths';
import { findBin, runTool, tail, type ToolRunOptions } from './toolchainRun';
import type { Finding } from './types';

export interface TestsOutcome {
  readonly ran: boolean;
  readonly findings: Finding[];
  readonly detail?: string;
  readonly passed: number;
}

interface VitestJson {
  numTotalTests?: number;
  numPassedTests?: number;
  numFailedTests?: number;
  numPendingTests?: number;
  numTodoTests?: number;
  testResults?: { name?: string; status?: string; message?: string; assertionResults?: { title?: string; fullName?: string; status?: string; failureMessages?: string[]; location?: { line: number } }[] }[];
}

const FOCUS = /\b(it|test|describe)\.(only|skip|todo)\s*\(|\b(xit|xdescribe|fit|fdescribe)\s*\(/g;

export async function testFindings(folder: string, integrationId: string, opts: ToolRunOptions): Promise<TestsOutcome> {
  const testsRel = testsDirOf(integrationId);
  const testsDir = path.join(folder, ...testsRel.split('/'));
  const list = await fs.readdir(testsDir).catch(() => [] as string[]);
  const fixtures = list.filter((f) => f.endsWith('.json'));
  const findings: Finding[] = [];
  for (const f of fixtures) {
    try {
      JSON.parse(await fs.readFile(path.join(testsDir, f), 'utf8'));
    } catch (err) {
      findings.push({ check: 'tests', rule: 'tests.broken-fixture', severity: 'error', message: `${f} is not valid JSON: ${(err as Error).message}`, location: { file: `${testsRel}/${f}` } });
    }
  }
  if (!fixtures.length) {
    findings.push({ check: 'tests', rule: 'tests.no-fixture', severity: 'error', message: 'nothing was recorded: there is no fixture to test against (record_fixture was never used successfully)' });
    return { ran: false, findings, passed: 0 };
  }
  if (findings.length) return { ran: false, findings, passed: 0 };
  const nango = findBin(folder, 'nango');
  const vitest = findBin(folder, 'vitest');
  if (!nango || !vitest) {
    const name = !nango ? 'nango' : 'vitest';
    return { ran: false, passed: 0, detail: `\`${name}\` was not found in node_modules/.bin above ${folder}`, findings: [{ check: 'tests', rule: 'toolchain.missing', severity: 'error', message: `\`${name}\` was not found: add it to the project's devDependencies and install it` }] };
  }
  let testFiles = list.filter((f) => /\.test\.ts$/.test(f));
  if (!testFiles.length) {
    const gen = await runTool(nango, ['generate:tests', '--no-interactive', '--auto-confirm'], folder, opts);
    testFiles = (await fs.readdir(testsDir).catch(() => [] as string[])).filter((f) => /\.test\.ts$/.test(f));
    if (gen.code !== 0 || !testFiles.length) {
      return { ran: false, passed: 0, findings: [{ check: 'tests', rule: 'tests.generate-failed', severity: 'error', message: 'nango generate:tests did not produce a test', quote: tail(gen.output, 6) }] };
    }
  }
  for (const f of testFiles) {
    const source = await fs.readFile(path.join(testsDir, f), 'utf8');
    for (const m of source.matchAll(FOCUS)) {
      const line = source.slice(0, m.index).split('\n').length;
      findings.push({ check: 'tests', rule: 'tests.skipped-or-focused', severity: 'error', message: `\`${m[0].replace(/\s*\($/, '')}\` leaves tests out`, location: { file: `${testsRel}/${f}`, line } });
    }
  }
  const report = path.join(folder, '.nango', `vitest-report-${process.pid}-${Date.now()}.json`);
  const run = await runTool(vitest, ['run', '--reporter=json', `--outputFile=${report}`], folder, opts);
  let json: VitestJson | undefined;
  try {
    json = JSON.parse(await fs.readFile(report, 'utf8')) as VitestJson;
  } catch {
    json = undefined;
  } finally {
    await fs.rm(report, { force: true });
  }
  if (!json) {
    findings.push({ check: 'tests', rule: run.timedOut ? 'tests.timeout' : 'tests.did-not-run', severity: 'error', message: run.timedOut ? 'the tests did not finish in time' : 'vitest did not report a result', quote: tail(run.output, 6) });
    return { ran: true, findings, passed: 0 };
  }
  for (const file of json.testResults ?? []) {
    const rel = file.name ? path.relative(folder, file.name).split(path.sep).join('/') : undefined;
    if (file.status === 'failed' && !(file.assertionResults ?? []).length) {
      findings.push({ check: 'tests', rule: 'tests.failed', severity: 'error', message: `the test file did not run: ${(file.message ?? '').split('\n')[0]}`, location: rel ? { file: rel } : undefined, quote: (file.message ?? '').slice(0, 300) });
    }
    for (const a of file.assertionResults ?? []) {
      if (a.status === 'failed') {
        findings.push({ check: 'tests', rule: 'tests.failed', severity: 'error', message: `${a.title ?? 'a test'} failed`, location: rel ? { file: rel, line: a.location?.line } : undefined, quote: (a.failureMessages ?? []).join('\n').split('\n').slice(0, 4).join(' ').slice(0, 300) });
      } else if (a.status === 'skipped' || a.status === 'pending' || a.status === 'todo') {
        findings.push({ check: 'tests', rule: 'tests.skipped-or-focused', severity: 'error', message: `${a.title ?? 'a test'} was ${a.status}`, location: rel ? { file: rel } : undefined });
      }
    }
  }
  if (!json.numTotalTests) findings.push({ check: 'tests', rule: 'tests.none', severity: 'error', message: 'no test ran' });
  return { ran: true, findings, passed: json.numPassedTests ?? 0 };
}
