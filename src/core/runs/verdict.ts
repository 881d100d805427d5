// A verification's verdict applied to a run record: the status the tree shows, and one line saying why.
import type { VerifyReport } from '../verify/types';
import type { RunRecord } from './record';

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

/** The run's status becomes the verdict (verified / failed / needs review), its detail the first finding. */
export function applyVerdict(run: RunRecord, report: VerifyReport): void {
  run.status = report.verdict;
  run.detail = verdictDetail(report);
}
