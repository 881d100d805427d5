// The Agents board: an editor tab beside the sidebar's Agents view with every run of the workspace in
// three groups (needs you, working, done), sortable, filterable and keyboard-driven (src/webview/board.ts).
// Its rows are the Agents view's (the same PanelModel, fed by the orchestrator and the run records on
// disk) plus when each run entered its state, its last tool call and its edits — from the live stream,
// or read once from the stored transcript of a run that is not live. Changes are coalesced (at most one
// message per 250 ms) and a message carries only the rows that changed. Strict CSP with a nonce.
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import { RowDiff, stateSince, summarizeItems } from '../shared/board';
import { parseBoardWebviewMessage, type BoardHostMessage, type BoardRow, type BoardWebviewMessage, type Edits, type LastTool } from '../shared/boardProtocol';
import type { AgentsViewProvider } from './agentsView';
import { VIEWS } from './commandIds';
import type { ExtensionCtx } from './context';
import { PanelModel } from './panelModel';

type Orchestrator = NonNullable<ExtensionCtx['agents']['current']>;

/** What a stored transcript says of a run, for the attempt and state it was read at. */
interface TranscriptSummary {
  readonly stamp: string;
  readonly lastTool?: LastTool;
  readonly edits: Edits;
}

/** What the board keeps of a run record that the panel's row does not carry. */
interface RecordFacts {
  readonly queuedAt: string;
  readonly attempt: number;
  readonly status: string;
  readonly endedAt?: string;
  readonly hasSession: boolean;
}

export class BoardPanel implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private readonly diff = new RowDiff();
  private readonly records = new Map<string, RecordFacts>();
  private readonly waitingSince = new Map<string, string>();
  private readonly transcripts = new Map<string, TranscriptSummary>();
  private readonly reading = new Set<string>();
  private readonly disposables: vscode.Disposable[] = [];
  private following: Orchestrator | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private loadedFromDisk = false;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly ctx: ExtensionCtx,
    private readonly agents: AgentsViewProvider,
    private readonly intervalMs = 250,
  ) {}

  private get model(): PanelModel {
    return this.agents.model;
  }

  /** Opens the board (or reveals the open one). */
  show(): void {
    if (this.panel) {
      this.panel.reveal(undefined, false);
      return;
    }
    const media = vscode.Uri.joinPath(this.extensionUri, 'dist', 'webview');
    const panel = vscode.window.createWebviewPanel('integrationBuilder.board', 'Agents Board', vscode.ViewColumn.Active, {
      enableScripts: true,
      localResourceRoots: [media],
      retainContextWhenHidden: true,
    });
    this.panel = panel;
    panel.webview.html = this.html(panel.webview, media);
    panel.webview.onDidReceiveMessage((raw: unknown) => {
      const msg = parseBoardWebviewMessage(raw);
      if (!msg) {
        this.ctx.log.warn(`Agents board: dropped a malformed message ${JSON.stringify(raw).slice(0, 200)}`);
        return;
      }
      void this.onMessage(msg).catch((err) => {
        this.ctx.log.error(`Agents board: ${(err as Error).message}`);
        void vscode.window.showErrorMessage(`Integration Builder: ${(err as Error).message}`);
      });
    });
    const subs = [this.ctx.agents.onDidStart((o) => this.follow(o))];
    panel.onDidDispose(() => {
      subs.forEach((s) => s.dispose());
      this.unfollow();
      if (this.timer) clearTimeout(this.timer);
      this.timer = undefined;
      if (this.panel === panel) this.panel = undefined;
    });
    if (this.ctx.agents.current) this.follow(this.ctx.agents.current);
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
        await vscode.commands.executeCommand(`${VIEWS.agents}.focus`);
        return;
    }
  }

  private follow(o: Orchestrator): void {
    if (this.following === o) return;
    this.unfollow();
    this.following = o;
    for (const run of o.all()) this.remember(run);
    this.disposables.push(
      o.onRunChanged((run) => {
        this.remember(run);
        this.schedule();
      }),
      o.onAgentEvent(({ key, event }) => {
        if (event.type === 'permission.asked' && !this.waitingSince.has(key)) this.waitingSince.set(key, new Date().toISOString());
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

  private remember(run: { key: string; queuedAt: string; attempt: number; status: string; endedAt?: string; sessionId?: string }): void {
    this.records.set(run.key, { queuedAt: run.queuedAt, attempt: run.attempt, status: run.status, endedAt: run.endedAt, hasSession: !!run.sessionId });
  }

  /** Runs from before this window (or before the service started): into the shared model, as the Agents view does. */
  private async loadFromDisk(): Promise<void> {
    if (this.loadedFromDisk || !this.ctx.workspaceRoot()) return;
    this.loadedFromDisk = true;
    const runs = await this.ctx.agents
      .runStore()
      .loadAll()
      .catch(() => []);
    for (const run of runs) {
      if (this.following?.get(run.key)) continue;
      this.remember(run);
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
  }

  private rows(): BoardRow[] {
    const live = new Set(this.following?.activeKeys() ?? []);
    const unread: string[] = [];
    const rows = this.model.rows().map((r): BoardRow => {
      if (r.waiting) {
        if (!this.waitingSince.has(r.key)) this.waitingSince.set(r.key, new Date().toISOString());
      } else this.waitingSince.delete(r.key);
      const items = this.model.items(r.key);
      let summary: { lastTool?: LastTool; edits?: Edits } | undefined;
      if (live.has(r.key) || items.some((i) => i.kind !== 'finding')) summary = summarizeItems(items);
      else {
        const stored = this.transcripts.get(r.key);
        if (stored?.stamp === this.stamp(r.key)) summary = stored;
        else unread.push(r.key);
      }
      return {
        ...r,
        since: stateSince(r, { queuedAt: this.records.get(r.key)?.queuedAt, waitingSince: this.waitingSince.get(r.key) }),
        ...(summary?.lastTool ? { lastTool: summary.lastTool } : {}),
        ...(summary?.edits ? { edits: summary.edits } : {}),
      };
    });
    if (unread.length) void this.readTranscripts(unread);
    return rows;
  }

  /** A stored transcript is read again when the run's attempt or state changes. */
  private stamp(key: string): string | undefined {
    const r = this.records.get(key);
    return r && `${r.attempt}:${r.status}:${r.endedAt ?? ''}`;
  }

  /** Reads the stored transcripts of runs that are not live, a few at a time, and sends what they say. */
  private async readTranscripts(keys: readonly string[]): Promise<void> {
    const todo = keys.filter((k) => !this.reading.has(k) && this.records.has(k));
    if (!todo.length) return;
    todo.forEach((k) => this.reading.add(k));
    const store = this.ctx.agents.runStore();
    try {
      await store.flush();
      for (const key of todo) {
        const facts = this.records.get(key);
        const stamp = this.stamp(key);
        if (!facts || !stamp) continue;
        try {
          const entries = await store.readTranscriptForView(key, facts.attempt, !facts.hasSession);
          const m = new PanelModel();
          m.loadTranscript(key, entries);
          this.transcripts.set(key, { stamp, ...summarizeItems(m.items(key)) });
        } catch (err) {
          this.ctx.log.warn(`Agents board: the transcript of ${key} cannot be read: ${(err as Error).message}`);
          this.transcripts.set(key, { stamp, edits: { files: 0, added: 0, removed: 0 } });
        }
      }
    } finally {
      todo.forEach((k) => this.reading.delete(k));
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
