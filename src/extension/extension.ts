// Entry point. Kept light: no server, no heavy work until a command or view needs it. The spec
// scan starts in the background and the views fill in when it is done.
import * as vscode from 'vscode';
import { AgentsViewProvider } from './agentsView';
import { SpecCodeLensProvider } from './codelens';
import { COMMANDS, VIEWS } from './commandIds';
import { commandTable, TRANSCRIPT_SCHEME, TranscriptProvider } from './commands';
import { ExtensionCtx } from './context';
import { AgentsStatusBar } from './statusBar';
import { REPORT_SCHEME } from './verifyResults';
import { PROPOSED_SCHEME, ProposedFiles } from './assembleCommand';

/**
 * What activate() returns to the extension-host tests, and to nobody else: any installed extension can
 * read another's exports, and the context holds the secrets (the Nango key) and the run controls. Outside
 * the test host (ExtensionMode.Test) activate returns nothing.
 */
export interface IntegrationBuilderApi {
  readonly ctx: ExtensionCtx;
  readonly commandIds: readonly string[];
}

export function activate(context: vscode.ExtensionContext): IntegrationBuilderApi | undefined {
  const ctx = new ExtensionCtx(context);
  context.subscriptions.push(ctx);

  const treeView = vscode.window.createTreeView(VIEWS.interactions, { treeDataProvider: ctx.tree, showCollapseAll: true });
  const codeLens = new SpecCodeLensProvider(ctx.specs.store);
  const agentsView = new AgentsViewProvider(context.extensionUri, ctx);
  context.subscriptions.push(
    treeView,
    codeLens,
    vscode.languages.registerCodeLensProvider({ scheme: 'file', pattern: '**/{interactions.json,*.interactions.json}' }, codeLens),
    agentsView,
    vscode.window.registerWebviewViewProvider(VIEWS.agents, agentsView, {
      webviewOptions: { retainContextWhenHidden: false },
    }),
  );

  const proposed = new ProposedFiles();
  context.subscriptions.push(vscode.workspace.registerTextDocumentContentProvider(PROPOSED_SCHEME, proposed));
  const table = commandTable(ctx, proposed);
  for (const [id, handler] of Object.entries(table)) {
    context.subscriptions.push(
      vscode.commands.registerCommand(id, async (...args: unknown[]) => {
        try {
          return await handler(...args);
        } catch (err) {
          ctx.log.error(`${id} failed`, err);
          void vscode.window.showErrorMessage(`Integration Builder: ${(err as Error).message ?? String(err)}`);
          return undefined;
        }
      }),
    );
  }

  context.subscriptions.push(new AgentsStatusBar(ctx));
  const transcripts = new TranscriptProvider(ctx);
  context.subscriptions.push(
    vscode.workspace.registerTextDocumentContentProvider(TRANSCRIPT_SCHEME, transcripts),
    vscode.workspace.registerTextDocumentContentProvider(REPORT_SCHEME, ctx.verifyResults),
    ctx.runs.onDidChange((keys) => keys.forEach((k) => transcripts.refresh(k))),
  );
  // A spec entry removed while its agent runs: stop that agent rather than leave it orphaned.
  context.subscriptions.push(
    ctx.specs.store.onDidChange(() => {
      const o = ctx.agents.current;
      // Mid-edit a spec may not parse; its entries are not gone, only unreadable for a moment.
      if (ctx.specs.store.all().some((spec) => !spec.syntaxOk)) return;
      if (o?.activeKeys().length) void o.reconcile(new Set(ctx.specs.store.interactions().map((i) => i.key)));
      o?.rememberTargets(ctx.specs.store.integrations().flatMap((integration) => integration.interactions.map((interaction) => ({ integration, interaction }))));
    }),
  );

  void ctx.specs
    .ready()
    .then(() => ctx.agents.restoreFromDisk())
    .catch((err) => ctx.log.error('loading the workspace failed', err));
  current = ctx;
  return context.extensionMode === vscode.ExtensionMode.Test ? { ctx, commandIds: Object.values(COMMANDS) } : undefined;
}

let current: ExtensionCtx | undefined;

/** Runs on our own opencode server cannot outlive the window: record them as interrupted, stop the server. */
export async function deactivate(): Promise<void> {
  await current?.agents.shutdown();
  current = undefined;
}
