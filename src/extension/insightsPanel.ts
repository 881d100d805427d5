// The Insights editor tab: the same self-contained page as `integration-builder report --html`, made by
// the core from the work root's run records and transcripts. The page runs no script; its Refresh link
// is a command URI (the only one the webview may follow), and running the command again refreshes too.
import * as vscode from 'vscode';
import { buildInsights, renderInsightsHtml, type InsightsReport } from '../core/app/insights';
import { COMMANDS } from './commandIds';
import type { ExtensionCtx } from './context';

let panel: vscode.WebviewPanel | undefined;

/** Opens the Insights tab (or refreshes and reveals the open one); returns the report it shows. */
export async function showInsights(ctx: ExtensionCtx): Promise<InsightsReport> {
  const workRoot = ctx.agents.workRoot();
  // What the running service has written is on disk before it is read.
  await ctx.agents.runStore().flush();
  const report = await buildInsights(workRoot);
  if (report.problems.length)
    ctx.log.warn(
      `insights: ${report.problems.length} piece(s) of evidence cannot be read:\n${report.problems.map((p) => `${p.file}: ${p.message}`).join('\n')}`,
    );
  if (panel) panel.reveal(undefined, false);
  else {
    panel = vscode.window.createWebviewPanel('integrationBuilder.insights', 'Insights', vscode.ViewColumn.Active, {
      enableScripts: false,
      enableCommandUris: [COMMANDS.showInsights],
      localResourceRoots: [],
    });
    const opened = panel;
    opened.onDidDispose(() => {
      if (panel === opened) panel = undefined;
    });
    ctx.extension.subscriptions.push(opened);
  }
  panel.webview.html = renderInsightsHtml(report, { refreshHref: `command:${COMMANDS.showInsights}` });
  return report;
}
