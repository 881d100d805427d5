// What the status bar item says (text, tooltip, whether it warns and what a click does), as a pure
// function of the totals, the model and the agent server's state: the editor draws it (statusBar.ts),
// the unit tests read it (test/unit/status-bar-view.test.ts). No `vscode` here.

import type { ConnectionStatus } from '../core/agent/types';

export interface StatusBarInput {
  readonly totals: { readonly running: number; readonly queued: number; readonly tokens: number; readonly costUsd: number };
  readonly demo: boolean;
  readonly server: ConnectionStatus;
}

export interface StatusBarView {
  readonly text: string;
  readonly tooltip: string;
  /** Drawn on the warning background. */
  readonly warning: boolean;
  /** A click restarts the agent server (down), or shows the interactions. */
  readonly click: 'restart-server' | 'show-interactions';
}

export function statusBarView({ totals, demo, server }: StatusBarInput): StatusBarView {
  const model = demo ? ' (demo model)' : '';
  const counts = `${totals.running} running${totals.queued ? `, ${totals.queued} queued` : ''} · $${totals.costUsd.toFixed(2)}${model}`;
  const spent = `${totals.running} agent(s) running, ${totals.queued} queued, ${totals.tokens.toLocaleString('en-US')} tokens, $${totals.costUsd.toFixed(4)} spent${model}`;
  switch (server.state) {
    case 'starting':
      return {
        text: `$(sync~spin) agent server starting… · ${counts}`,
        tooltip: `Integration Builder: the agent server is starting; queued runs wait for it. ${spent}.`,
        warning: false,
        click: 'show-interactions',
      };
    case 'reconnecting':
      return {
        text: `$(sync~spin) agent server reconnecting… · ${counts}`,
        tooltip: `Integration Builder: ${server.detail ?? 'the connection to the agent server dropped; reconnecting'}. ${spent}.`,
        warning: false,
        click: 'show-interactions',
      };
    case 'down':
      return {
        text: `$(warning) agent server down · ${counts}`,
        tooltip:
          `Integration Builder: the agent server is down: ${server.detail ?? 'unknown reason'}. The next run starts a new one; ` +
          `click (or run Integration Builder: Restart Agent Server) to restart it now. ${spent}.`,
        warning: true,
        click: 'restart-server',
      };
    case 'idle':
    case 'ready':
      return {
        text: `${totals.running ? '$(sync~spin)' : '$(hubot)'} ${counts}`,
        tooltip: `Integration Builder: ${spent}. Click to show the interactions.`,
        warning: false,
        click: 'show-interactions',
      };
  }
}
