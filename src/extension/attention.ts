// Attention in the editor (issue 16 item 5): the run changes of a short window, grouped by
// src/shared/attention.ts into at most one notification (unless integrationBuilder.notifications.attention
// is off), and the count of runs that need you for the activity bar's badge (on the Interactions view).
import * as vscode from 'vscode';
import { attentionStep, countNeedingYou, EMPTY_ATTENTION, WAITING, type AttentionChange, type AttentionNotice, type AttentionState } from '../shared/attention';
import { COMMANDS, VIEWS } from './commandIds';
import type { Config } from './config';

/** Changes closer together than this are said together. */
const WINDOW_MS = 1500;

export interface AttentionHost {
  /** The board of runs (ExtensionCtx.runs). */
  readonly runs: {
    get(key: string): { readonly status: string; readonly detail?: string } | undefined;
    onDidChange(listener: (keys: readonly string[]) => void): { dispose(): void };
  };
  /** The agent service (ExtensionCtx.agents): a permission an agent asks makes its run wait for you. */
  readonly agents?: {
    readonly current?: AgentEvents;
    onDidStart(listener: (o: AgentEvents) => void): { dispose(): void };
  };
  readonly config: Config;
}

/** What attention reads of the orchestrator: its agents' permission requests and answers. */
interface AgentEvents {
  onAgentEvent(listener: (e: { key: string; event: { type: string; permission?: string; patterns?: readonly string[] } }) => void): { dispose(): void };
}

export class AttentionNotifier implements vscode.Disposable {
  private state: AttentionState = EMPTY_ATTENTION;
  private pending: AttentionChange[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly subscriptions: { dispose(): void }[] = [];
  /** Runs whose agent asked a permission not answered yet: what it asks. */
  private readonly asking = new Map<string, string>();
  private following: AgentEvents | undefined;

  private readonly counted = new vscode.EventEmitter<number>();
  /** How many runs need you, whenever that may have changed (the activity bar's badge, on the Interactions view). */
  readonly onDidChangeCount = this.counted.event;
  /** @internal test hook: the last notice, and whether it was shown (the setting may turn notices off). */
  last: { readonly notice: AttentionNotice; readonly shown: boolean } | undefined;

  constructor(private readonly host: AttentionHost) {
    this.subscriptions.push(host.runs.onDidChange((keys) => keys.forEach((key) => this.seen(key))));
    if (host.agents) {
      this.subscriptions.push(host.agents.onDidStart((o) => this.follow(o)));
      if (host.agents.current) this.follow(host.agents.current);
    }
  }

  private follow(o: AgentEvents): void {
    if (this.following === o) return;
    this.following = o;
    this.subscriptions.push(
      o.onAgentEvent(({ key, event }) => {
        if (event.type === 'permission.asked') {
          this.asking.set(key, `asks permission to ${event.permission ?? 'act'}${event.patterns?.length ? ` (${event.patterns.join(', ')})` : ''}`);
          this.seen(key);
        } else if (event.type === 'permission.answered' && this.asking.delete(key)) this.seen(key);
      }),
    );
  }

  /** The run's status now, as attention sees it (a running run asking a permission waits for you). */
  private seen(key: string): void {
    const run = this.host.runs.get(key);
    const status = run?.status ?? 'not-started';
    if (status !== 'running' && status !== 'queued') this.asking.delete(key);
    const asks = status === 'running' ? this.asking.get(key) : undefined;
    this.pending.push(asks ? { key, status: WAITING, detail: asks } : { key, status, detail: run?.detail });
    this.timer ??= setTimeout(() => this.flush(), WINDOW_MS);
  }

  /** The runs that need you now. */
  get needingYou(): number {
    return countNeedingYou(this.state.statuses.values());
  }

  private flush(): void {
    this.timer = undefined;
    const changes = this.pending;
    this.pending = [];
    const { state, notice } = attentionStep(this.state, changes);
    this.state = state;
    this.counted.fire(this.needingYou);
    if (!notice) return;
    const shown = this.host.config.notifyAttention;
    this.last = { notice, shown };
    if (shown) void this.show(notice);
  }

  private async show(notice: AttentionNotice): Promise<void> {
    const only = notice.needYou.length === 1 ? notice.needYou[0] : undefined;
    // A run asking a permission is answered in the Agents view; the others are reviewed.
    const review = only && this.asking.has(only) ? undefined : 'Review';
    const agents = 'Show Agents';
    const off = 'Turn Off';
    const buttons = [...(only && review ? [review] : []), agents, off];
    const pick = await (notice.severity === 'warning'
      ? vscode.window.showWarningMessage(notice.message, ...buttons)
      : vscode.window.showInformationMessage(notice.message, ...buttons));
    if (pick === review && only) await vscode.commands.executeCommand(COMMANDS.reviewInteraction, { key: only });
    if (pick === agents) await vscode.commands.executeCommand(`${VIEWS.agents}.focus`);
    if (pick === off) await vscode.workspace.getConfiguration('integrationBuilder').update('notifications.attention', false, vscode.ConfigurationTarget.Global);
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    for (const d of this.subscriptions) d.dispose();
    this.counted.dispose();
  }
}
