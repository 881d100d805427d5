// Verification results in the editor: findings on files go to the Problems panel (findings about the
// transcript sit on the interaction's entry in the spec, so they are listed too), and a read-only
// summary document holds the table of the last verification.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { renderVerifySummary } from '../core/runs/verifySummary';
import type { TextRange } from '../core/spec/diagnostics';
import type { InteractionModel } from '../core/spec/model';
import type { Finding, VerifyReport } from '../core/verify/types';
import { COMMANDS } from './commandIds';

export const REPORT_SCHEME = 'integration-builder-report';
export const REPORT_URI = vscode.Uri.from({ scheme: REPORT_SCHEME, path: '/Verification.md' });

const SEVERITY: Record<Finding['severity'], vscode.DiagnosticSeverity> = {
  error: vscode.DiagnosticSeverity.Error,
  warning: vscode.DiagnosticSeverity.Warning,
  info: vscode.DiagnosticSeverity.Information,
};

export class VerifyResults implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly diagnostics = vscode.languages.createDiagnosticCollection('integration-builder-verify');
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;
  /** The latest report per interaction, and the files each put diagnostics on. */
  private readonly reports = new Map<string, VerifyReport>();
  private readonly filesOf = new Map<string, string[]>();
  private readonly onSpec = new Map<string, Map<string, vscode.Diagnostic[]>>();

  constructor(private readonly interactionOf: (key: string) => InteractionModel | undefined) {}

  /** Shows these reports (replacing earlier ones of the same interactions). */
  show(reports: readonly VerifyReport[]): void {
    for (const report of reports) {
      this.reports.set(report.key, report);
      for (const file of this.filesOf.get(report.key) ?? []) this.diagnostics.delete(vscode.Uri.file(file));
      const byFile = new Map<string, vscode.Diagnostic[]>();
      const onSpec: vscode.Diagnostic[] = [];
      for (const f of report.checks.flatMap((c) => c.findings)) {
        const d = this.diagnostic(report, f);
        if (f.location) {
          const file = path.join(report.folder, ...f.location.file.split('/'));
          byFile.set(file, [...(byFile.get(file) ?? []), d]);
        } else onSpec.push(d);
      }
      for (const [file, list] of byFile) this.diagnostics.set(vscode.Uri.file(file), list);
      this.filesOf.set(report.key, [...byFile.keys()]);
      const interaction = this.interactionOf(report.key);
      if (interaction) {
        const perKey = this.onSpec.get(interaction.file) ?? new Map<string, vscode.Diagnostic[]>();
        perKey.set(
          report.key,
          onSpec.map((d) => ((d.range = toRange(interaction.idRange)), d)),
        );
        this.onSpec.set(interaction.file, perKey);
        this.diagnostics.set(vscode.Uri.file(interaction.file), [...perKey.values()].flat());
      }
    }
    this.changed.fire(REPORT_URI);
  }

  private diagnostic(report: VerifyReport, f: Finding): vscode.Diagnostic {
    const line = Math.max(0, (f.location?.line ?? 1) - 1);
    const col = Math.max(0, (f.location?.column ?? 1) - 1);
    const range = new vscode.Range(line, col, line, f.location?.line ? col + 1 : 0);
    const d = new vscode.Diagnostic(range, `${report.key}: ${f.message}${f.quote ? ` — ${f.quote.slice(0, 120)}` : ''}`, SEVERITY[f.severity]);
    d.source = 'Integration Builder';
    // The code links to the transcript step that led to the finding.
    d.code = f.step
      ? {
          value: f.rule,
          target: vscode.Uri.parse(
            `command:${COMMANDS.openTranscript}?${encodeURIComponent(JSON.stringify([{ key: report.key, line: f.step.line, attempt: f.step.attempt }]))}`,
          ),
        }
      : f.rule;
    return d;
  }

  report(key: string): VerifyReport | undefined {
    return this.reports.get(key);
  }

  provideTextDocumentContent(): string {
    const reports = [...this.reports.values()];
    if (!reports.length) return '# Verification\n\nNothing verified yet in this window. Run **Integration Builder: Verify All**.\n';
    return renderVerifySummary(reports, { at: new Date().toLocaleString() });
  }

  async open(): Promise<void> {
    const doc = await vscode.workspace.openTextDocument(REPORT_URI);
    await vscode.languages.setTextDocumentLanguage(doc, 'markdown');
    await vscode.window.showTextDocument(doc, { preview: false });
  }

  dispose(): void {
    this.diagnostics.dispose();
    this.changed.dispose();
  }
}

function toRange(r: TextRange): vscode.Range {
  return new vscode.Range(r.start.line, r.start.column, r.end.line, r.end.column);
}
