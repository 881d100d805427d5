import { describe, expect, it } from 'vitest';
import { CHECK_ORDER, renderVerifySummary } from '../../src/core/runs/verifySummary';
import { ALL_CHECKS } from '../../src/core/verify';
import type { VerifyReport } from '../../src/core/verify/types';

const base = { version: 1 as const, integrationId: 'google-calendar', folder: '/w', attempt: 1, startedAt: '2026-11-22T10:00:00.000Z', durationMs: 2500 };
const good: VerifyReport = {
  ...base,
  key: 'google-calendar/good',
  interactionId: 'good',
  verdict: 'verified',
  checks: [
    { check: 'compile', outcome: 'passed', findings: [], durationMs: 1 },
    { check: 'assemble', outcome: 'passed', findings: [], durationMs: 1 },
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
      findings: [
        {
          check: 'transcript',
          rule: 'transcript.fixture-edit',
          severity: 'error',
          message: 'tried to edit a fixture',
          quote: "sed -i 's/a|b/' x",
          step: { attempt: 1, line: 6, step: 3 },
        },
      ],
    },
    { check: 'lint', outcome: 'error', findings: [], durationMs: 1, detail: 'eslint was not found' },
  ],
};
const unshippable: VerifyReport = {
  ...base,
  key: 'google-calendar/unshippable',
  interactionId: 'unshippable',
  verdict: 'failed',
  checks: [
    { check: 'compile', outcome: 'passed', findings: [], durationMs: 1 },
    {
      check: 'assemble',
      outcome: 'failed',
      durationMs: 1,
      findings: [
        {
          check: 'assemble',
          rule: 'assemble.import-outside-folder',
          severity: 'error',
          message: 'imports ../../shared/helpers.js, which is outside the interaction folder',
          location: { file: 'google-calendar/actions/unshippable.ts', line: 3 },
        },
      ],
    },
  ],
};

describe('renderVerifySummary', () => {
  it('lists failures first, with check marks, findings, their step and what could not run', () => {
    const md = renderVerifySummary([good, bad]);
    const rows = md.split('\n').filter((l) => l.startsWith('| google-calendar/'));
    expect(md).toContain('| Interaction | Attempt | Verdict | compile | assemble | tests | lint | fixtures | confinement | transcript | Time |');
    expect(rows[0]).toMatch(/^\| google-calendar\/bad \| 1 \| ✗ failed \| ✓ \| {2}\| {2}\| ✗! \| {2}\| {2}\| ✗ 1 \| 2\.5 s \|$/);
    expect(rows[1]).toMatch(/^\| google-calendar\/good \| 1 \| ✓ verified \| ✓ \| ✓ \| ✓ \|/);
    expect(md).toContain('2 interaction(s): 1 verified, 1 failed, 0 need review');
    expect(md).toContain('- ✗ **transcript.fixture-edit**: tried to edit a fixture — transcript attempt 1, step 3, entry 7');
    expect(md).toContain('- **lint** error: eslint was not found');
    expect(md).not.toContain('## google-calendar/good');
  });

  it('has a column for the assemble check, right after compile, with its findings located', () => {
    const md = renderVerifySummary([unshippable]);
    expect(md).toMatch(/^\| google-calendar\/unshippable \| 1 \| ✗ failed \| ✓ \| ✗ 1 \| {2}\| {2}\| {2}\| {2}\| {2}\| 2\.5 s \|$/m);
    expect(md).toContain(
      '- ✗ **assemble.import-outside-folder**: imports ../../shared/helpers.js, which is outside the interaction folder — `google-calendar/actions/unshippable.ts:3`',
    );
  });

  it('has a column for every check Verify runs', () => {
    expect([...CHECK_ORDER].sort()).toEqual([...ALL_CHECKS].sort());
  });
});
