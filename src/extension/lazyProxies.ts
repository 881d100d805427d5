// Thin stand-ins the activation entry registers with VS Code in place of the real tree, webview view,
// CodeLens and virtual-document providers. Each loads the implementation (dist/extension-main.js) the
// first time VS Code asks it for anything, then delegates; their change events relay the real ones.
// Only `import type` from the implementation here: this file is part of the activation bundle.
import * as vscode from 'vscode';
import type { ContentScheme, Main } from './lazyMain';
import type { TreeNode } from './tree';

/** Loads the implementation (once) and returns it; throws if it cannot be loaded. */
export type LoadMain = () => Main;

/** An event that exists from activation and fires whatever the real object's event fires once it is loaded. */
class Relay<T> implements vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<T>();
  readonly event = this.emitter.event;
  private source: vscode.Disposable | undefined;

  from(event: vscode.Event<T> | undefined): void {
    this.source?.dispose();
    this.source = event?.((e) => this.emitter.fire(e));
  }

  dispose(): void {
    this.source?.dispose();
    this.emitter.dispose();
  }
}

/** Something that learns the implementation when it is loaded, to relay its events. */
export interface Attachable extends vscode.Disposable {
  attach(main: Main): void;
}

/** The Interactions tree. VS Code asks for its children when the view becomes visible: that loads the implementation. */
export class LazyTree implements vscode.TreeDataProvider<TreeNode>, Attachable {
  private readonly relay = new Relay<TreeNode | TreeNode[] | undefined | void>();
  readonly onDidChangeTreeData = this.relay.event;

  constructor(private readonly load: LoadMain) {}

  attach(main: Main): void {
    this.relay.from(main.ctx.tree.onDidChangeTreeData);
  }

  getChildren(node?: TreeNode): TreeNode[] {
    return this.load().ctx.tree.getChildren(node);
  }

  getTreeItem(node: TreeNode): vscode.TreeItem {
    return this.load().ctx.tree.getTreeItem(node);
  }

  getParent(node: TreeNode): TreeNode | undefined {
    return this.load().ctx.tree.getParent(node);
  }

  dispose(): void {
    this.relay.dispose();
  }
}

/** The Agents webview view: resolved (and the implementation loaded) when it is first shown. */
export class LazyAgentsView implements vscode.WebviewViewProvider {
  constructor(private readonly load: LoadMain) {}

  resolveWebviewView(view: vscode.WebviewView): void {
    this.load().agentsView.resolveWebviewView(view);
  }
}

/** CodeLens in spec files: asked for when a spec file is open in an editor. */
export class LazyCodeLens implements vscode.CodeLensProvider, Attachable {
  private readonly relay = new Relay<void>();
  readonly onDidChangeCodeLenses = this.relay.event;

  constructor(private readonly load: LoadMain) {}

  attach(main: Main): void {
    this.relay.from(main.codeLens.onDidChangeCodeLenses);
  }

  provideCodeLenses(doc: vscode.TextDocument): vscode.CodeLens[] {
    return this.load().codeLens.provideCodeLenses(doc);
  }

  dispose(): void {
    this.relay.dispose();
  }
}

/** One virtual-document scheme (transcripts, the verification summary, Assemble's proposed files). */
export class LazyContent implements vscode.TextDocumentContentProvider, Attachable {
  private readonly relay = new Relay<vscode.Uri>();
  readonly onDidChange = this.relay.event;

  constructor(
    private readonly scheme: ContentScheme,
    private readonly load: LoadMain,
  ) {}

  attach(main: Main): void {
    this.relay.from(main.content[this.scheme].onDidChange);
  }

  provideTextDocumentContent(uri: vscode.Uri, token: vscode.CancellationToken): vscode.ProviderResult<string> {
    return this.load().content[this.scheme].provideTextDocumentContent(uri, token);
  }

  dispose(): void {
    this.relay.dispose();
  }
}

/**
 * The activity bar's badge: the runs that need you (ExtensionCtx.attention counts them), on the
 * Interactions view. That view exists from activation; a webview view (the Agents view) has none until
 * it is first shown, so a badge there would say nothing until the user had already looked.
 */
export class AttentionBadge implements Attachable {
  private source: vscode.Disposable | undefined;

  constructor(private readonly view: { badge?: vscode.ViewBadge | undefined }) {}

  attach(main: Main): void {
    this.source?.dispose();
    const show = (count: number) => {
      this.view.badge = count
        ? {
            value: count,
            tooltip: `${count} agent run${count === 1 ? ' needs' : 's need'} you: blocked, failed, interrupted, awaiting review or asking a permission`,
          }
        : undefined;
    };
    this.source = main.ctx.attention.onDidChangeCount(show);
    show(main.ctx.attention.needingYou);
  }

  dispose(): void {
    this.source?.dispose();
  }
}
