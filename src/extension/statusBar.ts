// One status bar item: how many agents run, what they cost so far, whether it is the demo model, and the
// agent server's state when it is not simply ready (starting, reconnecting, down — then a click restarts it).
import * as vscode from 'vscode';
import { COMMANDS } from './commandIds';
import type { ExtensionCtx } from './context';

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
    const totals = o.totals();
    const demo = this.ctx.agents.usingDemo ? ' (demo model)' : '';
    const counts = `${totals.running} running${totals.queued ? `, ${totals.queued} queued` : ''} · $${totals.costUsd.toFixed(2)}${demo}`;
    const spent = `${totals.running} agent(s) running, ${totals.queued} queued, ${totals.tokens.toLocaleString()} tokens, $${totals.costUsd.toFixed(4)} spent${demo}`;
    const server = this.ctx.agents.serverStatus;
    this.item.backgroundColor = undefined;
    this.item.command = 'integrationBuilder.interactions.focus';
    switch (server.state) {
      case 'starting':
        this.item.text = `$(sync~spin) agent server starting… · ${counts}`;
        this.item.tooltip = `Integration Builder: the agent server is starting; queued runs wait for it. ${spent}.`;
        break;
      case 'reconnecting':
        this.item.text = `$(sync~spin) agent server reconnecting… · ${counts}`;
        this.item.tooltip = `Integration Builder: ${server.detail ?? 'the connection to the agent server dropped; reconnecting'}. ${spent}.`;
        break;
      case 'down':
        this.item.text = `$(warning) agent server down · ${counts}`;
        this.item.tooltip = `Integration Builder: the agent server is down: ${server.detail ?? 'unknown reason'}. The next run starts a new one; click (or run Integration Builder: Restart Agent Server) to restart it now. ${spent}.`;
        this.item.backgroundColor = new vscode.ThemeColor('statusBarItem.warningBackground');
        this.item.command = COMMANDS.restartAgentServer;
        break;
      case 'idle':
      case 'ready':
        this.item.text = `${totals.running ? '$(sync~spin)' : '$(hubot)'} ${counts}`;
        this.item.tooltip = `Integration Builder: ${spent}. Click to show the interactions.`;
        break;
    }
    this.item.show();
  }

  dispose(): void {
    for (const s of this.subscriptions) s.dispose();
    this.item.dispose();
  }
}
