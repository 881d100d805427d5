// What Verify is asked (a target) and what a front end hears while it runs. The report it returns
// (VerifyReport, CheckResult, Finding…) is defined in runs/report.ts, beside the records, and
// re-exported here for the check modules and the front ends.
import type { RunRecord } from '../runs/record';
import type { CheckId, CheckOutcome, VerifyReport } from '../runs/report';

export type { CheckId, Severity, TranscriptRef, Finding, CheckOutcome, CheckResult, Verdict, VerifyReport } from '../runs/report';

/** One interaction to verify: its folder plus what the harness knows about its run. */
export interface VerifyTarget {
  readonly key: string;
  readonly integrationId: string;
  readonly interactionId: string;
  readonly kind: 'action' | 'sync';
  readonly folder: string;
  /** The run record, when there was a run (transcript, violations, baseline are found from it). */
  readonly run?: RunRecord;
}

/** What progress says about a check: it started, or how it ended. */
export type CheckProgress = 'running' | CheckOutcome;

/** What a front end hears while a verification runs. */
export interface VerifyListeners {
  /**
   * Called as each check of an interaction starts (`running`) and ends (its outcome), e.g.
   * ("google-calendar/create-event", "tests", "running") then (…, "tests", "passed").
   */
  readonly onProgress?: (key: string, check: CheckId, outcome: CheckProgress) => void;
  /** Called as each interaction's report is complete, before the others are. */
  readonly onReport?: (report: VerifyReport) => void;
}
