// Entry point. Kept light: no server, no heavy work until a command or view needs it. The spec
// scan starts in the background and the views fill in when it is done.
import * as vscode from 'vscode';
import { AgentsViewProvider } from './agentsView';
import { SpecCodeLensProvider } from './codelens';
import { COMMANDS, VIEWS } from './commandIds';
import { commandTable } from './commands';
import { ExtensionCtx } from './context';

/** What activate() returns: handles for the extension-host tests, not a public API. */
export interface IntegrationBuilderApi {
  readonly ctx: ExtensionCtx;
  readonly commandIds: readonly string[];
}

export function activate(context: vscode.ExtensionContext): IntegrationBuilderApi {
  const ctx = new ExtensionCtx(context);
  context.subscriptions.push(ctx);

  const treeView = vscode.window.createTreeView(VIEWS.interactions, { treeDataProvider: ctx.tree, showCollapseAll: true });
  const codeLens = new SpecCodeLensProvider(ctx.specs.store);
  context.subscriptions.push(
    treeView,
    codeLens,
    vscode.languages.registerCodeLensProvider({ scheme: 'file', pattern: '**/{interactions.json,*.interactions.json}' }, codeLens),
    vscode.window.registerWebviewViewProvider(VIEWS.agents, new AgentsViewProvider(context.extensionUri), {
      webviewOptions: { retainContextWhenHidden: false },
    }),
  );

  const table = commandTable(ctx);
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

  void ctx.specs.ready().catch((err) => ctx.log.error('scanning spec files failed', err));
  return { ctx, commandIds: Object.values(COMMANDS) };
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}
