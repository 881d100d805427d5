// One status bar item: how many agents run, what they cost so far, and whether it is the demo model.
import * as vscode from 'vscode';
import type { ExtensionCtx } from './context';

export class AgentsStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('integrationBuilder.agents', vscode.StatusBarAlignment.Left, 50);
  private readonly subscription: { dispose(): void };

  constructor(private readonly ctx: ExtensionCtx) {
    this.item.name = 'Integration Builder agents';
    this.item.command = 'integrationBuilder.interactions.focus';
    this.subscription = ctx.runs.onDidChange(() => this.update());
  }

  update(): void {
    const o = this.ctx.agents.current;
    if (!o) {
      this.item.hide();
      return;
    }
    const totals = o.totals();
    const demo = this.ctx.agents.usingDemo ? ' (demo model)' : '';
    const icon = totals.running ? '$(sync~spin)' : '$(hubot)';
    this.item.text = `${icon} ${totals.running} running${totals.queued ? `, ${totals.queued} queued` : ''} · $${totals.costUsd.toFixed(2)}${demo}`;
    this.item.tooltip = `Integration Builder: ${totals.running} agent(s) running, ${totals.queued} queued, ${totals.tokens.toLocaleString()} tokens, $${totals.costUsd.toFixed(4)} spent${demo}. Click to show the interactions.`;
    this.item.show();
  }

  dispose(): void {
    this.subscription.dispose();
    this.item.dispose();
  }
}
