// A verdict on a run whose shell commands ran without the OS sandbox says so: in the report and the summary.
import { describe, expect, it } from 'vitest';
import { renderVerifySummary } from '../../src/core/runs/verifySummary';
import type { VerifyReport } from '../../src/core/verify/types';

const report = (unsandboxed: boolean): VerifyReport => ({
  version: 1,
  key: 'api/one',
  integrationId: 'api',
  interactionId: 'one',
  folder: '/w',
  attempt: 1,
  verdict: 'verified',
  checks: [{ check: 'compile', outcome: 'passed', findings: [], durationMs: 1 }],
  startedAt: '2026-12-02T10:00:00.000Z',
  durationMs: 1000,
  ...(unsandboxed ? { unsandboxed: true } : {}),
});

describe('an unsandboxed verdict', () => {
  it('says unsandboxed next to the verdict', () => {
    expect(renderVerifySummary([report(true)])).toMatch(/\| api\/one \| 1 \| ✓ verified \(unsandboxed\) \|/);
    expect(renderVerifySummary([report(false)])).not.toMatch(/unsandboxed/);
  });
});
