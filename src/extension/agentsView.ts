// The Agents webview view: the host side. It feeds a PanelModel (src/extension/panelModel.ts) from the
// orchestrator's events, violations and verification reports, and sends the webview coalesced updates
// (at most one message per agent per 50 ms). The model outlives the view, so a re-shown or reloaded
// view repaints at once. Strict CSP with a nonce, no remote resources.
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import type { Orchestrator } from '../core/orchestrator';
import { Coalescer, PanelModel } from './panelModel';
import { parseWebviewMessage, type HostMessage, type WebviewMessage } from '../shared/protocol';
import { COMMANDS, VIEWS } from './commandIds';
import type { ExtensionCtx } from './context';
import { onWebviewMessages } from './webviewMessages';

export class AgentsViewProvider implements vscode.WebviewViewProvider, vscode.Disposable {
  private view: vscode.WebviewView | undefined;
  /** The view's page said it is ready (and has not been hidden since: a hidden view's page is dropped). */
  private ready = false;
  /** An agent to select once the page is ready (revealAgent). */
  private revealing: string | undefined;
  readonly model = new PanelModel();
  private readonly coalescer: Coalescer;
  private readonly disposables: vscode.Disposable[] = [];
  private following: Orchestrator | undefined;
  /** Transcripts opened as full editor tabs, each with its own coalescer bound to one agent. */
  private readonly panels = new Map<string, { panel: vscode.WebviewPanel; coalescer: Coalescer }>();
  private loadedFromDisk = false;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly ctx: ExtensionCtx,
  ) {
    this.coalescer = new Coalescer(
      this.model,
      (m) => this.post(m),
      50,
      () => ctx.agents.usingDemo,
    );
    this.disposables.push(
      ctx.agents.onDidStart((o) => this.follow(o)),
      // The header shows the agent server's state (starting, reconnecting, down) as it changes.
      ctx.agents.onDidChangeServerState((server) => this.post({ type: 'server', server })),
    );
    if (ctx.agents.current) this.follow(ctx.agents.current);
  }

  get visible(): boolean {
    return this.view?.visible ?? false;
  }

  private follow(o: Orchestrator): void {
    if (this.following === o) return;
    this.following = o;
    for (const run of o.all()) this.model.onRun(run);
    const subs = [
      o.onRunChanged((run) => {
        // A new attempt starts a new stream: the view and an open transcript tab replace theirs.
        if (this.model.onRun(run)) {
          this.coalescer.reset(run.key);
          this.panels.get(run.key)?.coalescer.reset(run.key);
        }
        // A feedback turn: the person's words go into the stream where the turn begins.
        const fed = this.model.onFeedback(run);
        if (fed.length) this.changed(run.key, fed);
        this.coalescer.list();
      }),
      o.onAgentEvent(({ key, event }) => this.changed(key, this.model.onEvent(key, event))),
      o.onViolation((v) => this.changed(v.key, this.model.onViolation(v))),
      o.onVerified((r) => {
        this.model.onReport(r);
        this.coalescer.list();
        if (r.key === this.coalescer.selected) this.coalescer.repaint();
        this.panels.get(r.key)?.coalescer.reset(r.key);
      }),
    ];
    this.disposables.push({ dispose: () => subs.forEach((s) => s.dispose()) });
    this.coalescer.list();
  }

  private changed(key: string, items: ReturnType<PanelModel['onEvent']>): void {
    this.coalescer.items(key, items);
    this.panels.get(key)?.coalescer.items(key, items);
  }

  /** The transcript of one agent in an editor tab: the same stream, full size, for long reading. */
  async openTranscriptPanel(key: string): Promise<void> {
    const open = this.panels.get(key);
    if (open) {
      open.panel.reveal();
      return;
    }
    const media = vscode.Uri.joinPath(this.extensionUri, 'dist', 'webview');
    const panel = vscode.window.createWebviewPanel('integrationBuilder.transcript', `Agent: ${key}`, vscode.ViewColumn.Active, {
      enableScripts: true,
      localResourceRoots: [media],
      retainContextWhenHidden: true,
    });
    panel.webview.html = this.html(panel.webview, media, 'transcript');
    const post = (m: HostMessage) => {
      // This tab shows one agent: the list holds only it.
      const msg = m.type === 'agents' ? { ...m, agents: m.agents.filter((a) => a.key === key) } : m;
      void panel.webview.postMessage(msg);
    };
    const coalescer = new Coalescer(this.model, post, 50, () => this.ctx.agents.usingDemo);
    coalescer.selected = key;
    this.panels.set(key, { panel, coalescer });
    onWebviewMessages(panel.webview, { name: `Transcript of ${key}`, parse: parseWebviewMessage, log: this.ctx.log }, async (msg) => {
      if (msg.type === 'ready' || msg.type === 'select') {
        await this.ensureStream(key);
        coalescer.repaint();
        return;
      }
      await this.onMessage(msg);
    });
    panel.onDidDispose(() => {
      coalescer.dispose();
      this.panels.delete(key);
    });
  }

  /** Runs from before this window (or before the service started): rows from their records. */
  private async loadFromDisk(): Promise<void> {
    if (this.loadedFromDisk || !this.ctx.workspaceRoot()) return;
    this.loadedFromDisk = true;
    const runs = await storedRuns(this.ctx, 'Agents view');
    for (const run of runs) if (!this.following?.get(run.key)) this.model.onRun(run);
    for (const run of runs) {
      const report = this.ctx.verifyResults.report(run.key);
      if (report) this.model.onReport(report);
    }
  }

  /** The selected agent's stream: live from the model, or its stored transcript. */
  /**
   * Shows this agent in the view (the Agents board's Reveal): the view focused, the agent selected and
   * its stream shown. A view not loaded yet selects it once its page says it is ready.
   */
  async revealAgent(key: string): Promise<void> {
    this.revealing = key;
    await vscode.commands.executeCommand(`${VIEWS.agents}.focus`);
    if (this.ready) this.showRevealed();
  }

  private showRevealed(): void {
    const key = this.revealing;
    if (!key) return;
    this.revealing = undefined;
    void this.selectKey(key).then(() => this.post({ type: 'select', key }));
  }

  private async selectKey(key: string): Promise<void> {
    this.coalescer.selected = key;
    await this.ensureStream(key);
    this.coalescer.repaint();
  }

  /** Loads an agent's stored transcript into the model when it is not live and not loaded yet. */
  private async ensureStream(key: string): Promise<void> {
    const live = this.following?.activeKeys().includes(key);
    if (!live && !this.model.items(key).length) {
      const store = this.ctx.agents.runStore();
      const run = this.following?.get(key) ?? (await store.loadAll()).find((r) => r.key === key);
      if (run) {
        await store.flush();
        const entries = await store.readTranscriptForView(key, run.attempt, !run.sessionId);
        this.model.loadTranscript(key, entries);
        const report = this.ctx.verifyResults.report(key);
        if (report && report.attempt === run.attempt) this.model.onReport(report);
      }
    }
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    this.view = view;
    this.ready = false;
    const media = vscode.Uri.joinPath(this.extensionUri, 'dist', 'webview');
    view.webview.options = { enableScripts: true, localResourceRoots: [media] };
    view.webview.html = this.html(view.webview, media);
    onWebviewMessages(view.webview, { name: 'Agents view', parse: parseWebviewMessage, log: this.ctx.log }, (msg) => this.onMessage(msg));
    view.onDidChangeVisibility(() => {
      if (view.visible) this.coalescer.repaint();
      else this.ready = false;
    });
    view.onDidDispose(() => {
      this.view = undefined;
      this.ready = false;
    });
  }

  private async onMessage(msg: WebviewMessage): Promise<void> {
    switch (msg.type) {
      case 'ready':
        this.post({ type: 'server', server: this.ctx.agents.serverStatus });
        await this.loadFromDisk();
        this.coalescer.repaint();
        this.ready = true;
        this.showRevealed();
        return;
      case 'select':
        await this.selectKey(msg.key);
        return;
      case 'generate':
        await vscode.commands.executeCommand(COMMANDS.generateInteraction);
        return;
      case 'permission': {
        const run = this.following?.get(msg.key);
        const conn = this.ctx.agents.connection;
        if (!run?.sessionId || !run.serverUrl || !conn) throw new Error(`${msg.key} has no live session to answer`);
        await conn.replyPermission({ sessionId: run.sessionId, directory: run.folder, serverUrl: run.serverUrl }, msg.requestId, msg.reply, msg.message);
        return;
      }
      case 'action':
        await this.action(msg.action, msg.key);
        return;
    }
  }

  private async action(action: string, key: string): Promise<void> {
    switch (action) {
      case 'stop':
        await vscode.commands.executeCommand(COMMANDS.stop, { key });
        return;
      case 'restart':
        await vscode.commands.executeCommand(COMMANDS.restartFromScratch, { key });
        return;
      case 'verify':
        await vscode.commands.executeCommand(COMMANDS.verifyInteraction, { key });
        return;
      case 'review':
        await vscode.commands.executeCommand(COMMANDS.reviewInteraction, { key });
        return;
      case 'feedback':
        await vscode.commands.executeCommand(COMMANDS.sendFeedback, { key });
        return;
      case 'accept':
        await vscode.commands.executeCommand(COMMANDS.acceptInteraction, { key });
        return;
      case 'reject':
        await vscode.commands.executeCommand(COMMANDS.rejectInteraction, { key });
        return;
      case 'openFolder':
        await vscode.commands.executeCommand(COMMANDS.openInteractionFolder, { key });
        return;
      case 'openTranscript':
        await this.openTranscriptPanel(key);
        return;
      case 'jumpToFirstBadStep': {
        const itemId = this.model.firstBadItem(key);
        if (!itemId) {
          void vscode.window.showInformationMessage(`${key}: no verification finding points at a step (verify it first).`);
          return;
        }
        this.post({ type: 'reveal', key, itemId });
        return;
      }
      case 'attach':
        await vscode.commands.executeCommand(COMMANDS.attachToSession, { key });
        return;
    }
  }

  private post(m: HostMessage): void {
    if (this.view) void this.view.webview.postMessage(m);
  }

  private html(webview: vscode.Webview, media: vscode.Uri, mode: 'view' | 'transcript' = 'view'): string {
    const nonce = randomBytes(16).toString('base64');
    const script = webview.asWebviewUri(vscode.Uri.joinPath(media, 'agents.js'));
    const style = webview.asWebviewUri(vscode.Uri.joinPath(media, 'agents.css'));
    const codicons = webview.asWebviewUri(vscode.Uri.joinPath(media, 'codicon.css'));
    const csp = [
      "default-src 'none'",
      `style-src ${webview.cspSource}`,
      `script-src 'nonce-${nonce}'`,
      `img-src ${webview.cspSource} data:`,
      `font-src ${webview.cspSource}`,
    ].join('; ');
    return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${codicons}">
<link rel="stylesheet" href="${style}">
<title>Agents</title>
</head>
<body data-mode="${mode}">
<main id="root"><p class="empty">No agents yet.</p></main>
<script nonce="${nonce}" src="${script}"></script>
</body>
</html>`;
  }

  dispose(): void {
    this.coalescer.dispose();
    for (const { panel } of this.panels.values()) panel.dispose();
    for (const d of this.disposables) d.dispose();
  }
}

/**
 * The run records of the work root, for a view showing runs from before this window. Records that cannot
 * be read leave the view with this window's runs only, and it says so rather than looking empty.
 */
export function storedRuns(ctx: ExtensionCtx, view: string): ReturnType<ReturnType<ExtensionCtx['agents']['runStore']>['loadAll']> {
  return ctx.agents
    .runStore()
    .loadAll()
    .catch((err: unknown) => {
      const message = `${view}: the run records in the work root cannot be read (${(err as Error).message}); earlier runs are not shown`;
      ctx.log.warn(message);
      void vscode.window.showWarningMessage(`Integration Builder: ${message}`);
      return [];
    });
}
