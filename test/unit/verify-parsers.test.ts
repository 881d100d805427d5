// Parsers and formats of verification: real `nango compile` and `tsc` output (saved from the real tools
// on a broken copy of the sample action), the shell-path reader confinement uses, the verdict, the
// report on disk and the JUnit XML for CI.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseNangoCompile, parseTsc } from '../../src/core/toolchain/compile';
import { loadReport, reportFileFor, reportToJUnit, saveReport, verdictOf, type CheckResult, type VerifyReport } from '../../src/core/verify';
import { findBin } from '../../src/core/toolchain/tools';
import { shellPaths } from '../../src/core/verify/transcript';

const HERE = path.join(__dirname, '..', 'fixtures', 'verify');

describe('compiler output', () => {
  it('nango compile: file, line, column and message of each error (CRLF and all)', () => {
    expect(parseNangoCompile(readFileSync(path.join(HERE, 'nango-compile-errors.txt'), 'utf8'))).toEqual([
      { file: 'google-calendar/actions/create-event.ts', line: 54, column: 15, message: "Type 'string' is not assignable to type 'number'." },
      { file: 'google-calendar/actions/create-event.ts', line: 54, column: 15, message: "'n' is declared but its value is never read." },
    ]);
    expect(parseNangoCompile('✓ Compiled\n')).toEqual([]);
  });

  it('tsc --pretty false: one error per line with its code', () => {
    const errors = parseTsc(readFileSync(path.join(HERE, 'tsc-errors.txt'), 'utf8'));
    expect(errors).toHaveLength(5);
    expect(errors[0]).toEqual({
      file: 'google-calendar/actions/create-event.ts',
      line: 54,
      column: 15,
      code: 'TS2322',
      message: "Type 'string' is not assignable to type 'number'.",
    });
  });
});

describe('paths a shell command names', () => {
  it.each([
    ['cat /etc/passwd', ['/etc/passwd']],
    ['cd google-calendar && sed -i \'s/"summary": "x"/"summary": ""/\' tests/create-event.test.json', []],
    ['ls ../update-event && cat ../../x', ['../update-event', '../../x']],
    ['grep -r token ~/.config > out.txt', ['~/.config']],
    ['npx tsc --noEmit -p . --outDir=/tmp/x', ['/tmp/x']],
    ['HOME=/root node -e "require(\'/etc/hosts\')"', ['/root', '/etc/hosts']],
    ['echo "a b" | tee google-calendar/tests/x.json', []],
  ])('%s', (command, expected) => {
    expect(shellPaths(command)).toEqual(expected);
  });
});

const check = (c: Partial<CheckResult>): CheckResult => ({ check: 'tests', outcome: 'passed', findings: [], durationMs: 1, ...c });

describe('verdict, report file, JUnit', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ib-verify-report-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('verified only when every check passed with no finding; warnings need review; a failure or error fails', () => {
    expect(verdictOf([check({}), check({ check: 'lint' })])).toBe('verified');
    expect(verdictOf([check({ outcome: 'skipped', check: 'fixtures' })])).toBe('verified');
    expect(verdictOf([check({ outcome: 'warning', findings: [{ check: 'tests', rule: 'x', severity: 'warning', message: 'm' }] })])).toBe('needs-review');
    expect(verdictOf([check({ outcome: 'failed' }), check({ outcome: 'warning' })])).toBe('failed');
    expect(verdictOf([check({ outcome: 'error' })])).toBe('failed');
  });

  const report: VerifyReport = {
    version: 1,
    key: 'google-calendar/create-event',
    integrationId: 'google-calendar',
    interactionId: 'create-event',
    folder: '/w/google-calendar/create-event',
    attempt: 2,
    verdict: 'failed',
    startedAt: '2026-11-20T10:00:00.000Z',
    durationMs: 1234,
    checks: [
      check({ check: 'compile' }),
      check({
        outcome: 'failed',
        findings: [
          {
            check: 'tests',
            rule: 'tests.failed',
            severity: 'error',
            message: 'expected <a> & "b"',
            location: { file: 'google-calendar/tests/x.test.ts', line: 3 },
            step: { attempt: 2, line: 17 },
          },
        ],
      }),
      check({ check: 'lint', outcome: 'error', detail: 'eslint was not found' }),
      check({ check: 'fixtures', outcome: 'skipped', detail: 'no run' }),
    ],
  };

  it('saves next to the run record atomically and reads back; a broken or foreign file reads as none', async () => {
    const runFile = path.join(dir, '.runs', 'google-calendar', 'create-event.json');
    expect(reportFileFor(runFile)).toBe(path.join(dir, '.runs', 'google-calendar', 'create-event.verify.json'));
    await saveReport(report, runFile);
    expect(await loadReport(runFile)).toEqual(report);
    writeFileSync(reportFileFor(runFile), '{"version": 1, "key": ');
    expect(await loadReport(runFile)).toBeUndefined();
    writeFileSync(reportFileFor(runFile), '{"version": 9}');
    expect(await loadReport(runFile)).toBeUndefined();
    expect(await loadReport(path.join(dir, 'none.json'))).toBeUndefined();
  });

  it('JUnit: a suite per integration, a case per check, failures, errors and skips, escaped', () => {
    const xml = reportToJUnit([report]);
    expect(xml).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<testsuites [^>]*tests="4" failures="1" errors="1">/);
    expect(xml).toContain('<testsuite name="google-calendar" tests="4" failures="1" errors="1" skipped="1">');
    expect(xml).toContain('<failure message="expected &lt;a&gt; &amp; &quot;b&quot;">');
    expect(xml).toContain('(google-calendar/tests/x.test.ts:3) [transcript attempt 2 entry 18]');
    expect(xml).toContain('<error message="eslint was not found">');
    expect(xml).toContain('<skipped message="no run"/>');
    expect(reportToJUnit([])).toContain('<testsuites name="Integration Builder verification" tests="0" failures="0" errors="0">');
  });
});

describe('toolchain binaries', () => {
  it('an override wins; a missing override is "not found", never a spawn error', () => {
    expect(findBin(__dirname, 'nango', { nango: process.execPath })).toBe(process.execPath);
    expect(findBin(__dirname, 'nango', { nango: '/nonexistent/nango' })).toBeUndefined();
    expect(findBin(__dirname, 'vitest')).toMatch(/node_modules\/\.bin\/vitest$/);
  });
});
