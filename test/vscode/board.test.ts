/// <reference types="mocha" />
// The Agents board in a real VS Code (code-server): Show Agents Board opens one editor tab, and running
// it again reveals that tab rather than opening another. What the board shows is tested in Chromium
// (test/integration/board-browser.test.ts) and its rows on the host in test/unit/board-rows.test.ts.
import * as assert from 'assert';
import * as vscode from 'vscode';

const EXTENSION_ID = 'integration-builder.integration-builder';

function boardTabs(): vscode.Tab[] {
  return vscode.window.tabGroups.all
    .flatMap((g) => g.tabs)
    .filter((t) => t.input instanceof vscode.TabInputWebview && t.input.viewType.endsWith('integrationBuilder.board'));
}

async function until<T>(what: string, probe: () => T | undefined, timeoutMs = 15000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

suite('Agents board', () => {
  suiteSetup(async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext, `extension ${EXTENSION_ID} is installed`);
    await until('activation', () => (ext.isActive ? true : undefined), 30000);
  });

  test('Show Agents Board opens one editor tab; running it again reveals it', async () => {
    await vscode.commands.executeCommand('integrationBuilder.showBoard');
    const tab = await until('the board tab', () => boardTabs()[0]);
    assert.strictEqual(tab.label, 'Agents Board');
    await vscode.commands.executeCommand('workbench.action.files.newUntitledFile');
    await vscode.commands.executeCommand('integrationBuilder.showBoard');
    await until('the board tab active again', () => (boardTabs()[0]?.isActive ? true : undefined));
    assert.strictEqual(boardTabs().length, 1);
    await vscode.window.tabGroups.close(boardTabs());
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });
});
