// Activation entry (dist/extension.js): registration only. Every command, the two views, the CodeLens
// and the virtual-document schemes are registered with thin proxies (lazyProxies.ts); the
// implementation (lazyMain.ts, its own bundle dist/extension-main.js) is loaded on first use — the
// first command, the first time a view shows or a provider is asked — or, failing that, shortly after
// activation in the background, so the spec scan, the Problems panel and the restore of earlier runs
// still happen on their own. Only `import type` from the implementation here: a test keeps this
// bundle under a size budget (test/unit/activation-budget.test.ts).
import * as vscode from 'vscode';
import type { PROPOSED_SCHEME } from './assembleCommand';
import { COMMANDS, VIEWS } from './commandIds';
import type { TRANSCRIPT_SCHEME } from './commands';
import type { ExtensionCtx } from './context';
import type { ContentScheme, Main } from './lazyMain';
import { AttentionBadge, LazyAgentsView, LazyCodeLens, LazyContent, LazyTree, type Attachable } from './lazyProxies';
import type { REPORT_SCHEME } from './verifyResults';

/**
 * What activate() returns to the extension-host tests, and to nobody else: any installed extension can
 * read another's exports, and the context holds the secrets (the Nango key) and the run controls. Outside
 * the test host (ExtensionMode.Test) activate returns nothing.
 */
export interface IntegrationBuilderApi {
  readonly ctx: ExtensionCtx;
  readonly commandIds: readonly string[];
  /** The Interactions view, whose badge counts the runs that need you. */
  readonly interactionsView: vscode.TreeView<unknown>;
}

/** The schemes, spelled out so their modules stay out of this bundle; tsc checks they match. */
const CONTENT_SCHEMES: readonly ContentScheme[] = [
  'integration-builder-proposed' satisfies typeof PROPOSED_SCHEME,
  'integration-builder-transcript' satisfies typeof TRANSCRIPT_SCHEME,
  'integration-builder-report' satisfies typeof REPORT_SCHEME,
];

/** Without a command or a view asking first, the implementation loads this long after activation. */
const BACKGROUND_LOAD_MS = 1000;

/**
 * The implementation bundle. esbuild.mjs turns this require into `require("./extension-main.js")`,
 * kept out of dist/extension.js; tsc sees lazyMain.ts for the types.
 */
function requireMain(): typeof import('./lazyMain') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('./lazyMain') as typeof import('./lazyMain');
}

let main: Main | undefined;
/** Deactivated (or disposed): nothing may load the implementation any more. */
let closed = false;

export function activate(context: vscode.ExtensionContext): IntegrationBuilderApi | undefined {
  closed = false;
  const proxies: Attachable[] = [];
  const load = (): Main => {
    if (main) return main;
    if (closed) throw new Error('Integration Builder is shutting down');
    const loaded = requireMain().start(context);
    main = loaded;
    for (const p of proxies) p.attach(loaded);
    return loaded;
  };

  const tree = new LazyTree(load);
  const codeLens = new LazyCodeLens(load);
  const interactionsView = vscode.window.createTreeView(VIEWS.interactions, { treeDataProvider: tree, showCollapseAll: true });
  const badge = new AttentionBadge(interactionsView);
  proxies.push(tree, codeLens, badge);
  context.subscriptions.push(
    tree,
    interactionsView,
    badge,
    codeLens,
    vscode.languages.registerCodeLensProvider({ scheme: 'file', pattern: '**/{interactions.json,*.interactions.json}' }, codeLens),
    vscode.window.registerWebviewViewProvider(VIEWS.agents, new LazyAgentsView(load), {
      webviewOptions: { retainContextWhenHidden: false },
    }),
  );
  for (const scheme of CONTENT_SCHEMES) {
    const content = new LazyContent(scheme, load);
    proxies.push(content);
    context.subscriptions.push(content, vscode.workspace.registerTextDocumentContentProvider(scheme, content));
  }
  for (const id of Object.values(COMMANDS)) {
    context.subscriptions.push(
      vscode.commands.registerCommand(id, async (...args: unknown[]) => {
        let impl: Main;
        try {
          impl = load();
        } catch (err) {
          void vscode.window.showErrorMessage(`Integration Builder: ${(err as Error).message ?? String(err)}`);
          return undefined;
        }
        return impl.run(id, args);
      }),
    );
  }

  const background = setTimeout(() => {
    try {
      load();
    } catch (err) {
      console.error('Integration Builder: loading the extension failed', err);
    }
  }, BACKGROUND_LOAD_MS);
  // Outside the editor (the activation benchmark) a pending background load does not keep Node alive.
  background.unref?.();
  context.subscriptions.push({
    dispose: () => {
      closed = true;
      clearTimeout(background);
    },
  });

  if (context.extensionMode !== vscode.ExtensionMode.Test) return undefined;
  // The extension-host tests drive the implementation directly: load it now.
  return { ctx: load().ctx, commandIds: Object.values(COMMANDS), interactionsView };
}

/** Runs on our own opencode server cannot outlive the window: record them as interrupted, stop the server. */
export async function deactivate(): Promise<void> {
  closed = true;
  await main?.shutdown();
  main = undefined;
}
