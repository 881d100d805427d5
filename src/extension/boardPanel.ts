// The Agents board: an editor tab beside the sidebar's Agents view with every run of the workspace in
// three groups (needs you, working, done), sortable, filterable and keyboard-driven (src/webview/board.ts).
// Its rows are the Agents view's (the same PanelModel, fed by the orchestrator and the run records on
// disk) plus when each run entered its state, its last tool call and its edits — from the live stream,
// or read once from the stored transcript of a run that is not live. Changes are coalesced (at most one
// message per 250 ms) and a message carries only the rows that changed. Strict CSP with a nonce.
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import { RowDiff } from '../shared/board';
import { parseBoardWebviewMessage, type BoardHostMessage, type BoardRow, type BoardWebviewMessage } from '../shared/boardProtocol';
import { storedRuns, type AgentsViewProvider } from './agentsView';
import type { ExtensionCtx } from './context';
import { BoardRows } from './boardRows';
import type { PanelModel } from './panelModel';
import { onWebviewMessages } from './webviewMessages';

type Orchestrator = NonNullable<ExtensionCtx['agents']['current']>;

export class BoardPanel implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private readonly diff = new RowDiff();
  private readonly board: BoardRows;
  private readonly disposables: vscode.Disposable[] = [];
  private following: Orchestrator | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private loadedFromDisk = false;
  /** Resolves what show() returned when the new webview has been sent its rows. */
  private firstSent: ((rows: readonly BoardRow[]) => void) | undefined;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly ctx: ExtensionCtx,
    private readonly agents: AgentsViewProvider,
    private readonly intervalMs = 250,
  ) {
    this.board = new BoardRows(agents.model, (key, attempt, mayBeAbsent) => ctx.agents.runStore().readTranscriptForView(key, attempt, mayBeAbsent));
  }

  private get model(): PanelModel {
    return this.agents.model;
  }

  /**
   * Opens the board (or reveals the open one). Returns the rows it shows: once the webview has loaded
   * and been sent them (empty if it is closed first), or now for a board already open.
   */
  show(): Promise<readonly BoardRow[]> {
    if (this.panel) {
      this.panel.reveal(undefined, false);
      return Promise.resolve(this.rows());
    }
    const media = vscode.Uri.joinPath(this.extensionUri, 'dist', 'webview');
    const panel = vscode.window.createWebviewPanel('integrationBuilder.board', 'Agents Board', vscode.ViewColumn.Active, {
      enableScripts: true,
      localResourceRoots: [media],
      retainContextWhenHidden: true,
    });
    this.panel = panel;
    panel.webview.html = this.html(panel.webview, media);
    onWebviewMessages(panel.webview, { name: 'Agents board', parse: parseBoardWebviewMessage, log: this.ctx.log }, (msg) => this.onMessage(msg));
    const shown = new Promise<readonly BoardRow[]>((resolve) => (this.firstSent = resolve));
    const subs = [this.ctx.agents.onDidStart((o) => this.follow(o))];
    panel.onDidDispose(() => {
      this.firstSent?.([]);
      this.firstSent = undefined;
      subs.forEach((s) => s.dispose());
      this.unfollow();
      if (this.timer) clearTimeout(this.timer);
      this.timer = undefined;
      if (this.panel === panel) this.panel = undefined;
    });
    if (this.ctx.agents.current) this.follow(this.ctx.agents.current);
    return shown;
  }

  private async onMessage(msg: BoardWebviewMessage): Promise<void> {
    switch (msg.type) {
      case 'ready':
        // A new or reloaded webview: everything again.
        this.diff.clear();
        await this.loadFromDisk();
        this.flush(true);
        return;
      case 'open':
        await this.agents.openTranscriptPanel(msg.key);
        return;
      case 'reveal':
        await this.agents.revealAgent(msg.key);
        return;
    }
  }

  private follow(o: Orchestrator): void {
    if (this.following === o) return;
    this.unfollow();
    this.following = o;
    for (const run of o.all()) this.board.remember(run);
    this.disposables.push(
      o.onRunChanged((run) => {
        this.board.remember(run);
        this.schedule();
      }),
      o.onAgentEvent(({ key, event }) => {
        if (event.type === 'permission.asked') this.board.permissionAsked(key);
        this.schedule();
      }),
      o.onViolation(() => this.schedule()),
      o.onVerified(() => this.schedule()),
    );
    this.schedule();
  }

  private unfollow(): void {
    this.following = undefined;
    this.disposables.splice(0).forEach((d) => d.dispose());
  }

  /** Runs from before this window (or before the service started): into the shared model, as the Agents view does. */
  private async loadFromDisk(): Promise<void> {
    if (this.loadedFromDisk || !this.ctx.workspaceRoot()) return;
    this.loadedFromDisk = true;
    const runs = await storedRuns(this.ctx, 'Agents board');
    for (const run of runs) {
      if (this.following?.get(run.key)) continue;
      this.board.remember(run);
      if (!this.model.has(run.key)) {
        this.model.onRun(run);
        const report = this.ctx.verifyResults.report(run.key);
        if (report) this.model.onReport(report);
      }
    }
  }

  private schedule(): void {
    if (!this.panel) return;
    this.timer ??= setTimeout(() => this.flush(false), this.intervalMs);
  }

  /** Sends the rows that changed since the last message (all of them after a `ready`). */
  private flush(reset: boolean): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.panel) return;
    const rows = this.rows();
    const { rows: changed, removed } = this.diff.diff(rows);
    if (!reset && !changed.length && !removed.length) return;
    const msg: BoardHostMessage = { type: 'rows', rows: changed, removed, reset, now: Date.now(), demo: this.ctx.agents.usingDemo };
    void this.panel.webview.postMessage(msg);
    if (reset) {
      this.firstSent?.(rows);
      this.firstSent = undefined;
    }
  }

  private rows(): BoardRow[] {
    const { rows, unread } = this.board.rows(new Set(this.following?.activeKeys() ?? []));
    if (unread.length) void this.readTranscripts(unread);
    return rows;
  }

  /** Reads the stored transcripts of runs that are not live, and sends what they say. */
  private async readTranscripts(keys: readonly string[]): Promise<void> {
    try {
      // What the running service has written is on disk before it is read.
      await this.ctx.agents.runStore().flush();
      await this.board.read(keys);
    } catch (err) {
      this.ctx.log.warn(`Agents board: transcripts cannot be read: ${(err as Error).message}`);
    }
    this.schedule();
  }

  private html(webview: vscode.Webview, media: vscode.Uri): string {
    const nonce = randomBytes(16).toString('base64');
    const script = webview.asWebviewUri(vscode.Uri.joinPath(media, 'board.js'));
    const style = webview.asWebviewUri(vscode.Uri.joinPath(media, 'board.css'));
    const csp = ["default-src 'none'", `style-src ${webview.cspSource}`, `script-src 'nonce-${nonce}'`, `font-src ${webview.cspSource}`].join('; ');
    return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${style}">
<title>Agents Board</title>
</head>
<body>
<main id="root"><p>Loading the board…</p></main>
<script nonce="${nonce}" src="${script}"></script>
</body>
</html>`;
  }

  dispose(): void {
    this.panel?.dispose();
    this.unfollow();
    if (this.timer) clearTimeout(this.timer);
  }
}
