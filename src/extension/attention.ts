// Attention in the editor (issue 16 item 5): the run changes of a short window, grouped by
// src/shared/attention.ts into at most one notification (unless integrationBuilder.notifications.attention
// is off), and the count of runs that need you for the Agents view's badge.
import * as vscode from 'vscode';
import { attentionStep, countNeedingYou, EMPTY_ATTENTION, type AttentionChange, type AttentionNotice, type AttentionState } from '../shared/attention';
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
  readonly config: Config;
}

export class AttentionNotifier implements vscode.Disposable {
  private state: AttentionState = EMPTY_ATTENTION;
  private pending: AttentionChange[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly subscription: { dispose(): void };

  private readonly counted = new vscode.EventEmitter<number>();
  /** How many runs need you, whenever that may have changed (the Agents view's badge). */
  readonly onDidChangeCount = this.counted.event;
  /** @internal test hook: the last notice, and whether it was shown (the setting may turn notices off). */
  last: { readonly notice: AttentionNotice; readonly shown: boolean } | undefined;

  constructor(private readonly host: AttentionHost) {
    this.subscription = host.runs.onDidChange((keys) => {
      for (const key of keys) {
        const run = host.runs.get(key);
        this.pending.push({ key, status: run?.status ?? 'not-started', detail: run?.detail });
      }
      this.timer ??= setTimeout(() => this.flush(), WINDOW_MS);
    });
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
    const review = 'Review';
    const agents = 'Show Agents';
    const off = 'Turn Off';
    const buttons = [...(only ? [review] : []), agents, off];
    const pick = await (notice.severity === 'warning'
      ? vscode.window.showWarningMessage(notice.message, ...buttons)
      : vscode.window.showInformationMessage(notice.message, ...buttons));
    if (pick === review && only) await vscode.commands.executeCommand(COMMANDS.reviewInteraction, { key: only });
    if (pick === agents) await vscode.commands.executeCommand(`${VIEWS.agents}.focus`);
    if (pick === off) await vscode.workspace.getConfiguration('integrationBuilder').update('notifications.attention', false, vscode.ConfigurationTarget.Global);
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.subscription.dispose();
    this.counted.dispose();
  }
}
