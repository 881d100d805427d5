import { describe, expect, it } from 'vitest';
import { renderVerifySummary } from '../../src/core/runs/verifySummary';
import type { VerifyReport } from '../../src/core/verify/types';

const base = { version: 1 as const, integrationId: 'google-calendar', folder: '/w', attempt: 1, startedAt: '2026-11-22T10:00:00.000Z', durationMs: 2500 };
const good: VerifyReport = {
  ...base,
  key: 'google-calendar/good',
  interactionId: 'good',
  verdict: 'verified',
  checks: [
    { check: 'compile', outcome: 'passed', findings: [], durationMs: 1 },
    { check: 'tests', outcome: 'passed', findings: [], durationMs: 1 },
  ],
};
const bad: VerifyReport = {
  ...base,
  key: 'google-calendar/bad',
  interactionId: 'bad',
  verdict: 'failed',
  checks: [
    { check: 'compile', outcome: 'passed', findings: [], durationMs: 1 },
    {
      check: 'transcript',
      outcome: 'failed',
      durationMs: 1,
      findings: [{ check: 'transcript', rule: 'transcript.fixture-edit', severity: 'error', message: 'tried to edit a fixture', quote: "sed -i 's/a|b/' x", step: { attempt: 1, line: 6, step: 3 } }],
    },
    { check: 'lint', outcome: 'error', findings: [], durationMs: 1, detail: 'eslint was not found' },
  ],
};

describe('renderVerifySummary', () => {
  it('lists failures first, with check marks, findings, their step and what could not run', () => {
    const md = renderVerifySummary([good, bad]);
    const rows = md.split('\n').filter((l) => l.startsWith('| google-calendar/'));
    expect(rows[0]).toMatch(/^\| google-calendar\/bad \| 1 \| ✗ failed \| ✓ \| {2}\| ✗! \| {2}\| {2}\| ✗ 1 \| 2\.5 s \|$/);
    expect(rows[1]).toMatch(/^\| google-calendar\/good \| 1 \| ✓ verified \| ✓ \| ✓ \|/);
    expect(md).toContain('2 interaction(s): 1 verified, 1 failed, 0 need review');
    expect(md).toContain('- ✗ **transcript.fixture-edit**: tried to edit a fixture — transcript attempt 1, step 3, entry 7');
    expect(md).toContain('- **lint** error: eslint was not found');
    expect(md).not.toContain('## google-calendar/good');
  });
});
