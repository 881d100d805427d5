// What verification says about one interaction. Every front end (tree, Problems panel, Agents panel,
// CLI JSON/JUnit) reads this one shape; every check module returns a CheckResult. The report is kept
// with the run it judged (the run store writes it beside the record), so its types live in runs, the
// lower module: runs never imports verify.

export type CheckId = 'compile' | 'assemble' | 'tests' | 'lint' | 'fixtures' | 'confinement' | 'transcript';

export type Severity = 'error' | 'warning' | 'info';

/** Where in the agent's transcript a finding comes from (the earliest step that led to it). */
export interface TranscriptRef {
  /** The attempt whose transcript it is (`.attempt-N.jsonl`). */
  readonly attempt: number;
  /** 0-based line in the attempt's transcript file. */
  readonly line: number;
  /** 1-based step (assistant step / tool call order) for people. */
  readonly step?: number;
  readonly messageId?: string;
  readonly partId?: string;
  readonly callId?: string;
  readonly tool?: string;
}

export interface FileLocation {
  /** Relative to the interaction folder, posix. */
  readonly file: string;
  /** 1-based; absent when the finding is about the whole file. */
  readonly line?: number;
  readonly column?: number;
}

export interface Finding {
  readonly check: CheckId;
  /** Stable rule id, e.g. `compile.error`, `transcript.hallucinated-command`, `fixtures.changed`. */
  readonly rule: string;
  readonly severity: Severity;
  /** One line for people. */
  readonly message: string;
  readonly location?: FileLocation;
  /** A short quote of the evidence (command, output line, code). */
  readonly quote?: string;
  /** The first step of the transcript that led to it. */
  readonly step?: TranscriptRef;
}

export type CheckOutcome = 'passed' | 'failed' | 'warning' | 'skipped' | 'error';

export interface CheckResult {
  readonly check: CheckId;
  readonly outcome: CheckOutcome;
  readonly findings: readonly Finding[];
  readonly durationMs: number;
  /** Why it was skipped, or what went wrong running it (a missing binary…). */
  readonly detail?: string;
}

/** verified: every check passed; failed: an error finding; needs-review: warnings only. */
export type Verdict = 'verified' | 'failed' | 'needs-review';

export interface VerifyReport {
  readonly version: 1;
  readonly key: string;
  readonly integrationId: string;
  readonly interactionId: string;
  readonly folder: string;
  /** The attempt verified. */
  readonly attempt: number;
  readonly verdict: Verdict;
  readonly checks: readonly CheckResult[];
  readonly startedAt: string;
  readonly durationMs: number;
  /** The run's shell commands ran without the OS sandbox (the user accepted that): the verdict says so. */
  readonly unsandboxed?: boolean;
}
