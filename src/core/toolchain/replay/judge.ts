// Judging a replay run (Verify's tests check and the run_tests tool alike): vitest's results, and what
// the replay consumed against the fixtures.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { relativeTo } from '../../guard/protectedPaths';
import type { Finding } from '../../runs/report';
import { callsProviderApi, compareReplay, type ReplayComparison } from './consumption';
import type { ReplayReport, ReplayRun } from './run';

/** The findings of vitest's results: failed, skipped or missing tests, errors outside any test. */
export function resultFindings(folder: string, json: ReplayReport): Finding[] {
  const findings: Finding[] = [];
  for (const file of json.testResults ?? []) {
    const rel = file.name ? path.relative(folder, file.name).split(path.sep).join('/') : undefined;
    if (file.status === 'failed' && !(file.assertionResults ?? []).length) {
      findings.push({
        check: 'tests',
        rule: 'tests.failed',
        severity: 'error',
        message: `the test file did not run: ${(file.message ?? '').split('\n')[0]}`,
        location: rel ? { file: rel } : undefined,
        quote: (file.message ?? '').slice(0, 300),
      });
    }
    for (const a of file.assertionResults ?? []) {
      if (a.status === 'failed') {
        findings.push({
          check: 'tests',
          rule: 'tests.failed',
          severity: 'error',
          message: `${a.title ?? 'a test'} failed`,
          location: rel ? { file: rel, line: a.location?.line } : undefined,
          quote: (a.failureMessages ?? []).join('\n').split('\n').slice(0, 4).join(' ').slice(0, 300),
        });
      } else if (a.status === 'skipped' || a.status === 'pending' || a.status === 'todo') {
        findings.push({
          check: 'tests',
          rule: 'tests.skipped-or-focused',
          severity: 'error',
          message: `${a.title ?? 'a test'} was ${a.status}`,
          location: rel ? { file: rel } : undefined,
        });
      }
    }
  }
  for (const e of json.unhandledErrors ?? []) {
    findings.push({
      check: 'tests',
      rule: 'tests.failed',
      severity: 'error',
      message: `an error escaped the tests: ${e.split('\n')[0]}`,
      quote: e.slice(0, 300),
    });
  }
  if (!json.numTotalTests) findings.push({ check: 'tests', rule: 'tests.none', severity: 'error', message: 'no test ran' });
  return findings;
}

/** What the replay consumed against the fixtures (replay/consumption.ts), with the script's source for a fixture with no request. */
export async function replayComparison(
  folder: string,
  testsRel: string,
  json: ReplayReport,
  fixtures: ReadonlyMap<string, unknown>,
): Promise<ReplayComparison> {
  const records = (json.testResults ?? []).flatMap((f) => (f.assertionResults ?? []).flatMap((a) => (a.meta?.ibReplay ? [a.meta.ibReplay] : [])));
  const integration = testsRel.split('/')[0] as string;
  let scriptCallsApi: boolean | undefined;
  for (const dir of ['actions', 'syncs']) {
    for (const f of (await fs.readdir(path.join(folder, integration, dir)).catch(() => [] as string[])).filter((n) => n.endsWith('.ts'))) {
      const source = await fs.readFile(path.join(folder, integration, dir, f), 'utf8').catch(() => '');
      scriptCallsApi = (scriptCallsApi ?? false) || callsProviderApi(source);
    }
  }
  const real = await fs.realpath(folder).catch(() => folder);
  const nameOf = (fixture: string) => {
    const rel = relativeTo(folder, fixture) ?? relativeTo(real, fixture);
    if (!rel?.startsWith(`${testsRel}/`)) return undefined;
    const name = rel.slice(testsRel.length + 1);
    return name.includes('/') ? undefined : name;
  };
  return compareReplay({ testsRel, fixtures, records, nameOf, scriptCallsApi, testsPassed: (json.numPassedTests ?? 0) > 0 });
}

/** The fixtures of a tests folder, parsed (a file that is not JSON is left out: the caller reports it). */
export async function readFixtures(testsDir: string): Promise<Map<string, unknown>> {
  const out = new Map<string, unknown>();
  for (const f of (await fs.readdir(testsDir).catch(() => [] as string[])).filter((n) => n.endsWith('.json'))) {
    try {
      out.set(f, JSON.parse(await fs.readFile(path.join(testsDir, f), 'utf8')) as unknown);
    } catch {
      // not JSON
    }
  }
  return out;
}

export interface ReplayJudgement {
  /** Whether vitest reported a result at all. */
  readonly reported: boolean;
  readonly findings: Finding[];
  readonly passed: number;
  /** What was not compared (legacy fixtures). */
  readonly notes: string[];
}

/** Everything a replay run says: no result, the tests' results, what the replay consumed. */
export async function judgeReplay(folder: string, testsRel: string, replay: ReplayRun, fixtures?: ReadonlyMap<string, unknown>): Promise<ReplayJudgement> {
  const json = replay.report;
  if (!json || json.crash) {
    const timedOut = replay.run.timedOut;
    const quote = (json?.crash ?? replay.output)
      // eslint-disable-next-line no-control-regex -- terminal colour codes are what this removes
      .replace(/\u001b\[[0-9;]*[A-Za-z]/g, '')
      .trim()
      .split('\n')
      .slice(-6)
      .join('\n');
    return {
      reported: false,
      passed: 0,
      notes: [],
      findings: [
        {
          check: 'tests',
          rule: timedOut ? 'tests.timeout' : 'tests.did-not-run',
          severity: 'error',
          message: timedOut ? 'the tests did not finish in time' : 'vitest did not report a result',
          quote,
        },
      ],
    };
  }
  const replayed = await replayComparison(folder, testsRel, json, fixtures ?? (await readFixtures(path.join(folder, ...testsRel.split('/')))));
  return { reported: true, passed: json.numPassedTests ?? 0, notes: replayed.notes, findings: [...resultFindings(folder, json), ...replayed.findings] };
}

/** The findings as lines for the agent (the run_tests tool), or '' when there are none. */
export function describeFindings(findings: readonly Finding[]): string {
  return findings
    .map(
      (f) =>
        `${f.severity === 'error' ? '✗' : '!'} ${f.rule}: ${f.message}${f.location ? ` (${f.location.file}${f.location.line ? `:${f.location.line}` : ''})` : ''}`,
    )
    .join('\n');
}
