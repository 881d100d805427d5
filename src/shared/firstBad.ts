// The first bad step: one rule for the notification's "Jump to first bad step" and the Agents panel's
// button (they used to pick different steps). Of the findings that point at a step of the attempt shown,
// the errors if there are any, else the warnings (a note holds nothing); of those, the earliest step.
import type { TranscriptRef, VerifyReport } from '../core/verify/types';

export interface StepPointer {
  readonly severity: 'error' | 'warning' | 'info';
  /** The transcript line the finding points at; undefined when it points at none. */
  readonly line?: number;
}

export function firstBad<T extends StepPointer>(items: readonly T[]): T | undefined {
  const placed = items.filter((i) => i.line !== undefined);
  const errors = placed.filter((i) => i.severity === 'error');
  const pool = errors.length ? errors : placed.filter((i) => i.severity === 'warning');
  return [...pool].sort((a, b) => (a.line as number) - (b.line as number))[0];
}

/** The first bad step of a verification: the step its first bad finding of the attempt points at. */
export function firstBadStep(report: VerifyReport): TranscriptRef | undefined {
  const pointers = report.checks
    .flatMap((c) => c.findings)
    .filter((f) => f.step && f.step.attempt === report.attempt)
    .map((f) => ({ severity: f.severity, line: (f.step as TranscriptRef).line, step: f.step as TranscriptRef }));
  return firstBad(pointers)?.step;
}
