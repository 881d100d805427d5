// One first bad step for the notification and the Agents panel: errors before warnings, a note never,
// the earliest step among them; findings that point at no step are not a place to jump to.
import { describe, expect, it } from 'vitest';
import { firstBad, firstBadStep } from '../../src/shared/firstBad';
import type { VerifyReport, Finding } from '../../src/core/verify/types';

const f = (severity: Finding['severity'], line?: number, attempt = 1): Finding => ({
  check: 'transcript',
  rule: `r.${severity}.${line}`,
  severity,
  message: 'm',
  ...(line !== undefined ? { step: { attempt, line } } : {}),
});
const report = (findings: Finding[]): VerifyReport => ({
  version: 1,
  key: 'a/b',
  integrationId: 'a',
  interactionId: 'b',
  folder: '/x',
  attempt: 1,
  verdict: 'failed',
  startedAt: '',
  durationMs: 0,
  checks: [{ check: 'transcript', outcome: 'failed', durationMs: 0, findings }],
});

describe('the first bad step', () => {
  it('an error wins over an earlier warning; a note never counts', () => {
    const items = [f('info', 1), f('warning', 3), f('error', 9), f('error', 7)];
    expect(firstBad(items.map((x) => ({ severity: x.severity, line: x.step?.line })))?.line).toBe(7);
    expect(firstBadStep(report(items))?.line).toBe(7);
  });

  it('warnings only: the earliest warning; notes only: none', () => {
    expect(firstBadStep(report([f('warning', 5), f('warning', 2), f('info', 1)]))?.line).toBe(2);
    expect(firstBadStep(report([f('info', 1)]))).toBeUndefined();
  });

  it('a finding at no step, or at a step of another attempt, is not a place to jump to', () => {
    expect(firstBadStep(report([f('error'), f('error', 4, 2), f('warning', 6)]))?.line).toBe(6);
  });
});
