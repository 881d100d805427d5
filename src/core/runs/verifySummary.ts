// The summary table of a verification, as Markdown: one row per interaction, then its findings with
// where they are and the transcript step that led to them. The extension shows it as a document;
// the CLI prints the same.
import type { CheckId, VerifyReport } from './report';

/**
 * The table's check columns, in the order a reader takes them: does it build, does it still build as
 * Assemble would ship it, do its tests pass, then style, evidence and conduct. Every check Verify runs
 * has a column (the unit test holds this to ALL_CHECKS), so none is dropped from the table silently.
 */
export const CHECK_ORDER: readonly CheckId[] = ['compile', 'assemble', 'tests', 'lint', 'fixtures', 'confinement', 'transcript'];
const MARK: Record<string, string> = { passed: '✓', failed: '✗', warning: '⚠', skipped: '–', error: '✗!' };
const VERDICT: Record<string, string> = { verified: '✓ verified', failed: '✗ failed', 'needs-review': '⚠ needs review' };

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function renderVerifySummary(reports: readonly VerifyReport[], opts: { title?: string; at?: string } = {}): string {
  const out: string[] = [];
  const sorted = [...reports].sort((a, b) => rank(a.verdict) - rank(b.verdict) || a.key.localeCompare(b.key));
  const count = (v: string) => reports.filter((r) => r.verdict === v).length;
  out.push(`# ${opts.title ?? 'Verification'}`, '');
  out.push(
    `${reports.length} interaction(s): ${count('verified')} verified, ${count('failed')} failed, ${count('needs-review')} need review${opts.at ? ` · ${opts.at}` : ''}`,
    '',
  );
  out.push(`| Interaction | Attempt | Verdict | ${CHECK_ORDER.join(' | ')} | Time |`);
  out.push(`|---|---|---|${CHECK_ORDER.map(() => ':-:').join('|')}|--:|`);
  for (const r of sorted) {
    const marks = CHECK_ORDER.map((c) => {
      const check = r.checks.find((x) => x.check === c);
      if (!check) return '';
      const n = check.findings.length;
      return `${MARK[check.outcome] ?? check.outcome}${n ? ` ${n}` : ''}`;
    });
    out.push(
      `| ${cell(r.key)} | ${r.attempt} | ${VERDICT[r.verdict] ?? r.verdict}${r.unsandboxed ? ' (unsandboxed)' : ''} | ${marks.join(' | ')} | ${(r.durationMs / 1000).toFixed(1)} s |`,
    );
  }
  for (const r of sorted) {
    const findings = r.checks.flatMap((c) => c.findings);
    const trouble = r.checks.filter((c) => c.outcome === 'error' || (c.outcome === 'skipped' && c.detail));
    if (!findings.length && !trouble.length) continue;
    out.push('', `## ${r.key} — ${VERDICT[r.verdict] ?? r.verdict}${r.unsandboxed ? ' (unsandboxed: its shell commands ran without the OS sandbox)' : ''}`, '');
    for (const c of trouble) out.push(`- **${c.check}** ${c.outcome}: ${c.detail ?? ''}`);
    for (const f of findings) {
      const where = f.location ? ` — \`${f.location.file}${f.location.line ? `:${f.location.line}` : ''}\`` : '';
      const step = f.step ? ` — transcript attempt ${f.step.attempt}, ${f.step.step ? `step ${f.step.step}, ` : ''}entry ${f.step.line + 1}` : '';
      out.push(`- ${f.severity === 'error' ? '✗' : f.severity === 'warning' ? '⚠' : 'ℹ'} **${f.rule}**: ${f.message}${where}${step}`);
      if (f.quote) out.push(`  > \`${f.quote.replace(/`/g, "'").replace(/\n/g, ' ').slice(0, 240)}\``);
    }
  }
  return out.join('\n') + '\n';
}

function rank(v: string): number {
  return v === 'failed' ? 0 : v === 'needs-review' ? 1 : 2;
}
