// The first bad step: one rule for the notification's "Jump to first bad step" and the Agents panel's
// button (they used to pick different steps). Of the findings that point at a step of the attempt shown,
// the errors if there are any, else the warnings (a note holds nothing); of those, the earliest step.
// Shared code imports nothing from the core: the report is described here by the fields the rule
// reads, which the core's VerifyReport (and its TranscriptRef) has.

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

/** A transcript step a finding points at (the core's TranscriptRef). */
interface StepRef {
  readonly attempt: number;
  readonly line: number;
}

/** What the rule reads of a verification report (the core's VerifyReport). */
interface ReportSteps<S extends StepRef> {
  readonly attempt: number;
  readonly checks: readonly { readonly findings: readonly { readonly severity: StepPointer['severity']; readonly step?: S }[] }[];
}

/** The first bad step of a verification: the step its first bad finding of the attempt points at. */
export function firstBadStep<S extends StepRef>(report: ReportSteps<S>): S | undefined {
  const pointers = report.checks
    .flatMap((c) => c.findings)
    .filter((f) => f.step && f.step.attempt === report.attempt)
    .map((f) => ({ severity: f.severity, line: (f.step as S).line, step: f.step as S }));
  return firstBad(pointers)?.step;
}
