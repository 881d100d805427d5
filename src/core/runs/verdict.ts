// A verification's verdict applied to a run record: the status the tree shows, and one line saying why.
import type { VerifyReport } from '../verify/types';
import type { RunRecord } from './record';
import type { InteractionStatus } from './status';

/** One line for the tree: the first error (or warning) finding, and how many there are. */
export function verdictDetail(report: VerifyReport): string {
  const findings = report.checks.flatMap((c) => c.findings);
  if (report.verdict === 'verified') return `verified: ${report.checks.filter((c) => c.outcome === 'passed').length} checks passed`;
  const first = findings.find((f) => f.severity === 'error') ?? findings.find((f) => f.severity === 'warning');
  const failedChecks = report.checks.filter((c) => c.outcome === 'failed' || c.outcome === 'error').map((c) => c.check);
  const head = first ? `${first.rule}: ${first.message}` : failedChecks.length ? `${failedChecks.join(', ')} did not pass` : 'needs review';
  const more = findings.length > 1 ? ` (+${findings.length - 1} more)` : '';
  return `${head}${more}`;
}

/**
 * Statuses that say how a run ended without its agent finishing: the API refused (blocked), a person or
 * a policy stopped it, the window or the server went away. A verdict on what such a run left does not
 * replace that: the status stays, the detail adds the verdict.
 */
const LIFECYCLE_KEPT: ReadonlySet<InteractionStatus> = new Set(['blocked', 'stopped', 'interrupted']);
const VERDICT_SUFFIX = ' · verification: ';

/**
 * The run's status becomes the verdict (verified / failed / needs review), its detail the first finding —
 * except for a run that was blocked, stopped or interrupted: its status stays and its detail says the verdict.
 */
export function applyVerdict(run: RunRecord, report: VerifyReport): void {
  if (LIFECYCLE_KEPT.has(run.status)) {
    const base = (run.detail ?? '').split(VERDICT_SUFFIX)[0];
    run.detail = `${base}${VERDICT_SUFFIX}${report.verdict === 'verified' ? 'verified' : `${report.verdict} (${verdictDetail(report)})`}`;
    return;
  }
  run.status = report.verdict;
  run.detail = verdictDetail(report);
}
