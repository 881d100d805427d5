/// <reference types="mocha" />
// The Agents board in a real VS Code (code-server): Show Agents Board opens one editor tab whose webview
// loads (it asks for its rows) and shows the runs recorded on disk, a finished run's last tool call read
// from its stored transcript; running the command again reveals that tab rather than opening another.
// What the board draws is tested in Chromium (test/integration/board-browser.test.ts), its rows on the
// host in test/unit/board-rows.test.ts.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import type { BoardRow } from '../../src/shared/boardProtocol';
import { EXTENSION_ID, until } from './until';

function boardTabs(): vscode.Tab[] {
  return vscode.window.tabGroups.all
    .flatMap((g) => g.tabs)
    .filter((t) => t.input instanceof vscode.TabInputWebview && t.input.viewType.endsWith('integrationBuilder.board'));
}

const showBoard = () => vscode.commands.executeCommand<readonly BoardRow[]>('integrationBuilder.showBoard');

suite('Agents board', () => {
  const root = process.env.IB_TEST_WORKSPACE ?? vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? '';
  const runs = path.join(root, '.integration-builder/work/.runs/board-test');
  const work = path.join(root, '.integration-builder/work/board-test');

  suiteSetup(async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext, `extension ${EXTENSION_ID} is installed`);
    await until('activation', () => (ext.isActive ? true : undefined), 30000);
  });

  suiteTeardown(() => {
    fs.rmSync(runs, { recursive: true, force: true });
    fs.rmSync(work, { recursive: true, force: true });
  });

  test('Show Agents Board opens one editor tab with the runs on disk; running it again reveals it', async () => {
    // Two runs recorded before this window, under a key of their own: one blocked, one verified.
    fs.mkdirSync(runs, { recursive: true });
    const endedAt = new Date(Date.now() - 30_000).toISOString();
    const tokens = { input: 0, output: 0, reasoning: 0, cacheRead: 0, cacheWrite: 0 };
    const record = (interaction: string, status: string) => ({
      version: 1,
      key: `board-test/${interaction}`,
      integrationId: 'board-test',
      interactionId: interaction,
      specFile: path.join(root, 'interactions.json'),
      folder: path.join(work, interaction),
      attempt: 1,
      status,
      demo: true,
      sessionId: 'ses_board',
      queuedAt: new Date(Date.now() - 120_000).toISOString(),
      startedAt: new Date(Date.now() - 100_000).toISOString(),
      endedAt,
      costUsd: 0.0123,
      tokens,
      steps: 3,
      toolCalls: 1,
      retries: 0,
      history: [],
    });
    fs.writeFileSync(path.join(runs, 'blocked.json'), JSON.stringify(record('blocked', 'blocked')));
    fs.writeFileSync(path.join(runs, 'done.json'), JSON.stringify(record('done', 'verified')));
    const call = { sessionId: 'ses_board', messageId: 'm', partId: 'p', callId: 'c', tool: 'bash', input: { command: 'npx nango dryrun blocked' } };
    fs.writeFileSync(
      path.join(runs, 'blocked.attempt-1.jsonl'),
      [
        { type: 'prompt', text: 'build it' },
        { type: 'tool.started', ...call },
        { type: 'tool.finished', ...call, ok: false, output: '403' },
      ]
        .map((e) => JSON.stringify(e))
        .join('\n') + '\n',
    );

    const rows = await showBoard();
    const tab = await until('the board tab', () => boardTabs()[0]);
    assert.strictEqual(tab.label, 'Agents Board');
    const mine = (rs: readonly BoardRow[]) => rs.filter((r) => r.key.startsWith('board-test/'));
    // In time in state since they ended.
    assert.deepStrictEqual(
      mine(rows).map((r) => [r.key, r.status, r.since]),
      [
        ['board-test/blocked', 'blocked', endedAt],
        ['board-test/done', 'verified', endedAt],
      ],
    );
    // The transcript of the run that is not live is read after the first rows went out.
    const blocked = await until('the blocked run with its last tool call', async () => {
      const r = mine(await showBoard()).find((x) => x.key === 'board-test/blocked');
      return r?.lastTool ? r : undefined;
    });
    assert.deepStrictEqual(blocked.lastTool, { tool: 'bash', title: 'npx nango dryrun blocked', state: 'error' });
    assert.deepStrictEqual(blocked.edits, { files: 0, added: 0, removed: 0 });

    await vscode.commands.executeCommand('workbench.action.files.newUntitledFile');
    await showBoard();
    await until('the board tab active again', () => (boardTabs()[0]?.isActive ? true : undefined));
    assert.strictEqual(boardTabs().length, 1);
    await vscode.window.tabGroups.close(boardTabs());
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });
});
