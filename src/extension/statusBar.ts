// One status bar item: how many agents run, what they cost so far, whether it is the demo model, and the
// agent server's state when it is not simply ready (starting, reconnecting, down — then a click restarts it).
import * as vscode from 'vscode';
import { COMMANDS } from './commandIds';
import type { ExtensionCtx } from './context';
import { statusBarView } from './statusBarView';

export class AgentsStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('integrationBuilder.agents', vscode.StatusBarAlignment.Left, 50);
  private readonly subscriptions: { dispose(): void }[];

  constructor(private readonly ctx: ExtensionCtx) {
    this.item.name = 'Integration Builder agents';
    this.item.command = 'integrationBuilder.interactions.focus';
    this.subscriptions = [ctx.runs.onDidChange(() => this.update()), ctx.agents.onDidChangeServerState(() => this.update())];
  }

  update(): void {
    const o = this.ctx.agents.current;
    if (!o) {
      this.item.hide();
      return;
    }
    const view = statusBarView({ totals: o.totals(), demo: this.ctx.agents.usingDemo, server: this.ctx.agents.serverStatus });
    this.item.text = view.text;
    this.item.tooltip = view.tooltip;
    this.item.backgroundColor = view.warning ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
    this.item.command = view.click === 'restart-server' ? COMMANDS.restartAgentServer : 'integrationBuilder.interactions.focus';
    this.item.show();
  }

  dispose(): void {
    for (const s of this.subscriptions) s.dispose();
    this.item.dispose();
  }
}
