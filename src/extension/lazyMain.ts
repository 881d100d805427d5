// The extension's implementation, bundled on its own as dist/extension-main.js. The activation entry
// (extension.ts, dist/extension.js) registers commands, views and providers with thin proxies and
// loads this module on first use: the first command, the first time a view asks for its content, a
// CodeLens or a virtual document is asked for, or shortly after activation in the background.
import * as vscode from 'vscode';
import { AgentsViewProvider } from './agentsView';
import { PROPOSED_SCHEME, ProposedFiles } from './assembleCommand';
import { BoardPanel } from './boardPanel';
import { SpecCodeLensProvider } from './codelens';
import type { CommandId } from './commandIds';
import { commandTable, TRANSCRIPT_SCHEME, TranscriptProvider } from './commands';
import { ExtensionCtx } from './context';
import { AgentsStatusBar } from './statusBar';
import { REPORT_SCHEME } from './verifyResults';

/** The virtual-document schemes the activation entry registers proxies for. */
export type ContentScheme = typeof PROPOSED_SCHEME | typeof TRANSCRIPT_SCHEME | typeof REPORT_SCHEME;

/** What the activation entry's proxies delegate to once the implementation is loaded. */
export interface Main {
  readonly ctx: ExtensionCtx;
  readonly codeLens: SpecCodeLensProvider;
  readonly agentsView: AgentsViewProvider;
  /** The Agents board, an editor tab (Integration Builder: Show Agents Board). */
  readonly board: BoardPanel;
  readonly content: Readonly<Record<ContentScheme, vscode.TextDocumentContentProvider>>;
  /** Runs a command; a failure is logged and shown, not thrown (as a registered command did before). */
  run(id: CommandId, args: unknown[]): Promise<unknown>;
  /** Runs on our own opencode server cannot outlive the window: record them as interrupted, stop the server. */
  shutdown(): Promise<void>;
}

/** Builds the implementation. Everything it creates is disposed with the extension's subscriptions. */
export function start(context: vscode.ExtensionContext): Main {
  const ctx = new ExtensionCtx(context);
  context.subscriptions.push(ctx);

  const codeLens = new SpecCodeLensProvider(ctx.specs.store);
  const agentsView = new AgentsViewProvider(context.extensionUri, ctx);
  const board = new BoardPanel(context.extensionUri, ctx, agentsView);
  const proposed = new ProposedFiles();
  const transcripts = new TranscriptProvider(ctx);
  context.subscriptions.push(
    codeLens,
    agentsView,
    board,
    new AgentsStatusBar(ctx),
    ctx.runs.onDidChange((keys) => keys.forEach((k) => transcripts.refresh(k))),
  );
  // A spec entry removed while its agent runs: stop that agent rather than leave it orphaned.
  context.subscriptions.push(
    ctx.specs.store.onDidChange(() => {
      const o = ctx.agents.current;
      // Mid-edit a spec may not parse; its entries are not gone, only unreadable for a moment.
      if (ctx.specs.store.all().some((spec) => !spec.syntaxOk)) return;
      if (o?.activeKeys().length) void o.reconcile(new Set(ctx.specs.store.interactions().map((i) => i.key)));
      o?.rememberTargets(
        ctx.specs.store.integrations().flatMap((integration) => integration.interactions.map((interaction) => ({ integration, interaction }))),
      );
    }),
  );

  const table = commandTable(ctx, proposed, board);
  void ctx.specs
    .ready()
    .then(() => ctx.agents.restoreFromDisk())
    .catch((err) => ctx.log.error('loading the workspace failed', err));

  return {
    ctx,
    codeLens,
    agentsView,
    board,
    content: { [PROPOSED_SCHEME]: proposed, [TRANSCRIPT_SCHEME]: transcripts, [REPORT_SCHEME]: ctx.verifyResults },
    async run(id, args) {
      try {
        return await table[id](...args);
      } catch (err) {
        ctx.log.error(`${id} failed`, err);
        void vscode.window.showErrorMessage(`Integration Builder: ${(err as Error).message ?? String(err)}`);
        return undefined;
      }
    },
    shutdown: () => ctx.agents.shutdown(),
  };
}
