// The Agents webview view. This stage registers it and shows an empty state; the live agent
// stream fills it in a later stage. Strict CSP with a nonce, no remote resources.
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import { COMMANDS } from './commandIds';

export class AgentsViewProvider implements vscode.WebviewViewProvider {
  private view: vscode.WebviewView | undefined;

  constructor(private readonly extensionUri: vscode.Uri) {}

  get visible(): boolean {
    return this.view?.visible ?? false;
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    this.view = view;
    const media = vscode.Uri.joinPath(this.extensionUri, 'dist', 'webview');
    view.webview.options = { enableScripts: true, localResourceRoots: [media] };
    view.webview.html = this.html(view.webview, media);
    view.webview.onDidReceiveMessage((msg: unknown) => {
      if (msg && typeof msg === 'object' && (msg as { type?: unknown }).type === 'generate') {
        void vscode.commands.executeCommand(COMMANDS.generateInteraction);
      }
    });
  }

  private html(webview: vscode.Webview, media: vscode.Uri): string {
    const nonce = randomBytes(16).toString('base64');
    const script = webview.asWebviewUri(vscode.Uri.joinPath(media, 'agents.js'));
    const style = webview.asWebviewUri(vscode.Uri.joinPath(media, 'agents.css'));
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
<link rel="stylesheet" href="${style}">
<title>Agents</title>
</head>
<body>
<main id="root" aria-live="polite">
  <p class="empty">No agents yet.</p>
  <p class="hint">Generate an interaction to watch its agent work here.</p>
  <button id="generate" type="button">Generate interaction…</button>
</main>
<script nonce="${nonce}" src="${script}"></script>
</body>
</html>`;
  }
}
