// Assemble integration in the editor: pick the API, confirm unverified interactions (refused unless the
// user says so), show each conflicting file as a diff and ask, write, compile, and show the report.
// An assembly the core refuses before writing (a nango.yaml project, no toolchain, an import out of a
// folder, two versions of one helper) is shown as what it is: bad input the user must fix, each problem
// at its file, a helper conflict as a diff of the two copies — never a bare error toast.
import * as path from 'node:path';
import * as vscode from 'vscode';
import {
  AssemblyCancelled,
  AssemblyRefused,
  locateRefusal,
  renderAssemblyReport,
  renderRefusalMarkdown,
  type AssemblyPlan,
  type AssemblyRefusal,
  type AssemblyReport,
  type PlannedFile,
} from '../core/assemble';
import type { IntegrationModel } from '../core/spec/model';
import type { ExtensionCtx } from './context';

export const PROPOSED_SCHEME = 'integration-builder-proposed';

/** Read-only documents: a file as Assemble would write it (the right side of a conflict's diff), and reports. */
export class ProposedFiles implements vscode.TextDocumentContentProvider {
  private readonly contents = new Map<string, string>();
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;

  put(docPath: string, content: string): vscode.Uri {
    this.contents.set(docPath, content);
    const uri = vscode.Uri.from({ scheme: PROPOSED_SCHEME, path: docPath });
    this.changed.fire(uri);
    return uri;
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.contents.get(uri.path) ?? '';
  }
}

/** The user's Nango project: the setting, relative to the workspace root. */
export function nangoProjectDir(ctx: ExtensionCtx): string {
  const root = ctx.workspaceRoot();
  if (!root) throw new Error('Open a folder first: the Nango project lives in the workspace.');
  return path.resolve(root, ctx.config.nangoProject);
}

/**
 * Returns the report when the files were written, the refusal when Assemble refused before writing, a
 * message when there was nothing to assemble, undefined when the user cancelled.
 */
export async function assembleIntegration(
  ctx: ExtensionCtx,
  integration: IntegrationModel,
  proposed: ProposedFiles,
): Promise<AssemblyReport | AssemblyRefusal | string | undefined> {
  const projectDir = nangoProjectDir(ctx);
  // Which runs Assemble may take: one implementation with the CLI's (src/core/app/integrationBuilder.ts).
  const { candidates, leftOut } = await ctx.agents.builder().assemblyCandidates(integration);
  for (const l of leftOut) ctx.log.warn(`assembling ${integration.id}: left out ${l.key}: ${l.message}`);
  if (!candidates.length) {
    const message = `Nothing to assemble for ${integration.id}: none of its interactions has finished a run.`;
    void vscode.window.showInformationMessage(message);
    return message;
  }
  // Assemble takes verified and accepted interactions; the others only when the user says so.
  const notReady = candidates.filter((c) => c.verdict !== 'verified' || !c.acceptance?.accepted);
  let includeOthers = false;
  if (notReady.length) {
    const why = (c: (typeof candidates)[number]) =>
      c.verdict !== 'verified' ? (c.verdict ?? 'not verified') : c.acceptance && !c.acceptance.accepted ? c.acceptance.reason : 'not accepted';
    const names = notReady.map((c) => `${c.interactionId} (${why(c)})`).join(', ');
    const readyCount = candidates.length - notReady.length;
    const include = 'Include Them';
    const only = `Only the ${readyCount} Verified and Accepted`;
    const pick = ctx.silentConfirmations
      ? only
      : await vscode.window.showWarningMessage(
          `${notReady.length} interaction(s) of ${integration.id} are not verified and accepted: ${names}. Assemble only the verified and accepted ones, or include these as well (the report will say so)?`,
          { modal: true },
          ...(readyCount ? [only] : []),
          include,
        );
    if (!pick) return undefined;
    includeOthers = pick === include;
    if (!includeOthers && !readyCount) return undefined;
  }
  const refused = (err: AssemblyRefused) =>
    showRefusal(ctx, locateRefusal(err, { projectDir, folderOf: (key) => candidates.find((c) => c.key === key)?.folder }), proposed);
  let plan: AssemblyPlan;
  try {
    ({ plan } = await ctx.agents.builder().planAssembly(integration, { projectDir, includeUnverified: includeOthers, includeUnaccepted: includeOthers }));
  } catch (err) {
    if (err instanceof AssemblyRefused) return refused(err);
    throw err;
  }
  const overwrite = new Set<string>();
  for (const file of plan.files.filter((f) => f.status === 'conflict')) {
    const decision = await askConflict(ctx, projectDir, file, proposed);
    if (decision === 'cancel') return undefined;
    if (decision === 'overwrite') overwrite.add(file.rel);
  }
  const STEP: Record<string, string> = { staging: 'staging the files…', writing: 'writing into the project…', compiling: 'nango compile…' };
  let report: AssemblyReport;
  try {
    report = await vscode.window.withProgress(
      {
        location: vscode.ProgressLocation.Notification,
        title: `Assembling ${integration.id} into ${vscode.workspace.asRelativePath(projectDir)}`,
        cancellable: true,
      },
      async (progress, token) => {
        // Cancel before the files move: nothing is written. During the compile: the compile stops.
        const ac = new AbortController();
        const sub = token.onCancellationRequested(() => ac.abort());
        try {
          const { report } = await ctx.agents.builder().applyAssembly(plan, {
            overwrite: (f) => overwrite.has(f.rel),
            signal: ac.signal,
            onStep: (step) => progress.report({ message: STEP[step] }),
          });
          return report;
        } finally {
          sub.dispose();
        }
      },
    );
  } catch (err) {
    if (err instanceof AssemblyCancelled) {
      void vscode.window.showInformationMessage(`Assembling ${integration.id} was cancelled: nothing was written.`);
      return undefined;
    }
    // The project changed while the user looked at the diffs (a nango.yaml added, the CLI removed).
    if (err instanceof AssemblyRefused) return refused(err);
    throw err;
  }
  const doc = await vscode.workspace.openTextDocument(proposed.put(`/Assembly of ${integration.id}.md`, renderAssemblyReport(report)));
  await vscode.languages.setTextDocumentLanguage(doc, 'markdown');
  await vscode.window.showTextDocument(doc, { preview: true });
  const summary = `${integration.id}: ${report.interactions.length} interaction(s) assembled into ${vscode.workspace.asRelativePath(projectDir)}; compile ${report.compile.ok ? 'passed' : 'FAILED'}.`;
  if (report.compile.ok) void vscode.window.showInformationMessage(summary);
  else void vscode.window.showWarningMessage(summary);
  return report;
}

async function askConflict(ctx: ExtensionCtx, projectDir: string, file: PlannedFile, proposed: ProposedFiles): Promise<'overwrite' | 'keep' | 'cancel'> {
  if (ctx.silentConfirmations) return 'keep';
  const current = vscode.Uri.file(path.join(projectDir, ...file.rel.split('/')));
  const next = proposed.put(`/${file.rel}`, file.content);
  await vscode.commands.executeCommand('vscode.diff', current, next, `${file.rel}: in the project ↔ from ${file.from.join(', ')}`);
  const pick = await vscode.window.showWarningMessage(
    `${file.rel} already exists in the project with other content (the diff is open). Overwrite it?`,
    { modal: true },
    'Overwrite',
    'Keep Mine',
  );
  return pick === 'Overwrite' ? 'overwrite' : pick === 'Keep Mine' ? 'keep' : 'cancel';
}

/** How many problems the modal lists before sending the reader to the details. */
const MODAL_PROBLEMS = 6;

/**
 * A refusal: a modal naming each problem (the first few) at its file, with Show Details (the whole
 * refusal as a document: every problem, links to its files, each diff) and, for helper conflicts, Show
 * Diff (the two interactions' real copies side by side, where the user can make them one).
 */
async function showRefusal(ctx: ExtensionCtx, refusal: AssemblyRefusal, proposed: ProposedFiles): Promise<AssemblyRefusal> {
  const details = proposed.put(`/Assembly of ${refusal.integrationId} refused.md`, renderRefusalMarkdown(refusal));
  const openDetails = async () => {
    const doc = await vscode.workspace.openTextDocument(details);
    await vscode.languages.setTextDocumentLanguage(doc, 'markdown');
    await vscode.window.showTextDocument(doc, { preview: true });
  };
  const conflicts = refusal.problems.filter((p) => p.kind === 'helper-conflict' && p.paths.length === 2);
  const showDiffs = async () => {
    for (const c of conflicts) {
      const [a, b] = c.paths as [string, string];
      await vscode.commands.executeCommand('vscode.diff', vscode.Uri.file(a), vscode.Uri.file(b), `${c.file ?? path.basename(a)}: ${c.keys[0]} ↔ ${c.keys[1]}`);
    }
  };
  ctx.log.warn(
    `assembling ${refusal.integrationId} was refused before writing: ${refusal.problems.map((p) => `${p.path}${p.line ? `:${p.line}` : ''}: ${p.message}`).join('; ')}`,
  );
  // Tests run without anyone to answer a modal: the details open on their own.
  if (ctx.silentConfirmations) {
    await openDetails();
    return refusal;
  }
  const n = refusal.problems.length;
  const lines = refusal.problems
    .slice(0, MODAL_PROBLEMS)
    .map((p) => `• ${vscode.workspace.asRelativePath(p.path)}${p.line ? `:${p.line}` : ''} — ${p.keys.length ? `${p.keys.join(' and ')}: ` : ''}${p.message}`);
  if (n > MODAL_PROBLEMS) lines.push(`… and ${n - MODAL_PROBLEMS} more (Show Details)`);
  const SHOW = 'Show Details';
  const DIFF = conflicts.length === 1 ? 'Show Diff' : `Show ${conflicts.length} Diffs`;
  const pick = await vscode.window.showErrorMessage(
    `Assembling ${refusal.integrationId} into ${vscode.workspace.asRelativePath(refusal.projectDir)} was refused: nothing was written. ${n === 1 ? 'One problem needs' : `${n} problems need`} fixing first.`,
    { modal: true, detail: lines.join('\n') },
    SHOW,
    ...(conflicts.length ? [DIFF] : []),
  );
  if (pick === SHOW) await openDetails();
  else if (pick === DIFF) await showDiffs();
  return refusal;
}
