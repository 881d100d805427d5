// One way to take a webview's messages: each is validated with its zod parser (a malformed one is
// dropped and logged, never half-applied), and a handler that fails is logged and shown, never lost.
import * as vscode from 'vscode';

export function onWebviewMessages<M>(
  webview: vscode.Webview,
  opts: {
    /** What the log and the error say it came from: "Agents view", "Agents board", … */
    readonly name: string;
    readonly parse: (raw: unknown) => M | undefined;
    readonly log: vscode.LogOutputChannel;
  },
  handle: (msg: M) => Promise<void>,
): vscode.Disposable {
  return webview.onDidReceiveMessage((raw: unknown) => {
    const msg = opts.parse(raw);
    if (!msg) {
      opts.log.warn(`${opts.name}: dropped a malformed message ${JSON.stringify(raw)?.slice(0, 200)}`);
      return;
    }
    handle(msg).catch((err: unknown) => {
      opts.log.error(`${opts.name}: ${(err as Error).message}`);
      void vscode.window.showErrorMessage(`Integration Builder: ${(err as Error).message}`);
    });
  });
}
