// A verdict becomes a finished run's status; a run that was blocked, stopped or interrupted keeps its
// status and detail (Verify All must not turn "the API refused" into "failed"); the verification is
// recorded beside them (run.verification) and shown with them (describeRun).
import { describe, expect, it } from 'vitest';
import { describeRun, newRunRecord, nextAttempt, runSummary, type RunRecord } from '../../src/core/runs/record';
import { applyVerdict } from '../../src/core/runs/verdict';
import type { VerifyReport } from '../../src/core/verify/types';

const run = (status: RunRecord['status'], detail?: string): RunRecord => ({
  ...newRunRecord({
    key: 'api/one',
    integrationId: 'api',
    interactionId: 'one',
    specFile: '/s.json',
    folder: '/w/api/one',
    demo: false,
    now: '2026-12-02T10:00:00.000Z',
  }),
  status,
  detail,
});
const report = (verdict: VerifyReport['verdict']): VerifyReport => ({
  version: 1,
  key: 'api/one',
  integrationId: 'api',
  interactionId: 'one',
  folder: '/w/api/one',
  attempt: 1,
  verdict,
  startedAt: '2026-12-02T10:01:00.000Z',
  durationMs: 1,
  checks: [
    {
      check: 'tests',
      outcome: verdict === 'failed' ? 'failed' : 'passed',
      durationMs: 1,
      findings: verdict === 'failed' ? [{ check: 'tests', rule: 'tests.no-fixture', severity: 'error', message: 'nothing was recorded' }] : [],
    },
  ],
});

describe('applyVerdict', () => {
  it('a finished run takes the verdict as its status', () => {
    const r = run('needs-review', 'the agent says it is done');
    applyVerdict(r, report('failed'));
    expect(r.status).toBe('failed');
    expect(r.detail).toMatch(/tests.no-fixture/);
  });

  it.each(['blocked', 'stopped', 'interrupted'] as const)(
    'a %s run keeps its status and detail; the verification is recorded beside them, the latest one only',
    (status) => {
      const r = run(status, 'the API answered 403');
      applyVerdict(r, report('failed'));
      expect(r.status).toBe(status);
      expect(r.detail).toBe('the API answered 403');
      expect(r.verification).toMatchObject({ verdict: 'failed', detail: 'tests.no-fixture: nothing was recorded', attempt: r.attempt });
      expect(describeRun(r)).toBe('the API answered 403 · verification: failed (tests.no-fixture: nothing was recorded)');
      expect(runSummary(r)).toMatchObject({ status, detail: 'the API answered 403 · verification: failed (tests.no-fixture: nothing was recorded)' });
      applyVerdict(r, report('verified'));
      expect(r.detail).toBe('the API answered 403');
      expect(describeRun(r)).toBe('the API answered 403 · verification: verified');
    },
  );

  it('a finished run keeps its verification too; a new attempt starts without one, and the history keeps it', () => {
    const r = run('needs-review', 'the agent says it is done');
    applyVerdict(r, report('failed'));
    expect(r.verification?.verdict).toBe('failed');
    const next = nextAttempt(r, '2026-12-02T11:00:00.000Z');
    expect(next.verification).toBeUndefined();
    expect(next.history.at(-1)?.verification).toMatchObject({ verdict: 'failed', attempt: r.attempt });
    expect(describeRun({ ...next, status: 'stopped', detail: 'stopped by the user' })).toBe('stopped by the user');
  });
});
