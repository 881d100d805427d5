// A verification's verdict applied to a run record: the status the tree shows, and one line saying why.
import type { VerifyReport } from './report';
import { LIFECYCLE_KEPT, type RunRecord } from './record';

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
 * Records the verification beside the run's lifecycle (`run.verification`, always). A run whose agent
 * finished takes the verdict as its status (verified / failed / needs review) and the first finding as
 * its detail; a run that was blocked, stopped or interrupted keeps its status and detail.
 */
export function applyVerdict(run: RunRecord, report: VerifyReport): void {
  const detail = verdictDetail(report);
  run.verification = { verdict: report.verdict, detail, at: report.startedAt, attempt: report.attempt };
  if (LIFECYCLE_KEPT.has(run.status)) return;
  run.status = report.verdict;
  run.detail = detail;
}
