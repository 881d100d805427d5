/// <reference types="mocha" />
// The editor at 200 interactions (issue 15, item 5), in a real VS Code: a spec of 200 interactions over
// five APIs opens without a problem, the tree lists every one, and 400 run updates (each row queued, then
// running, then verified) show in its rows; removing the spec removes them.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import type { IntegrationBuilderApi } from '../../src/extension/extension';
import type { TreeNode } from '../../src/extension/tree';
import { EXTENSION_ID, until } from './until';

const APIS = 5;
const PER_API = 40;

function scaleSpec(): string {
  const integrations = Array.from({ length: APIS }, (_, a) => ({
    id: `scale-api-${a + 1}`,
    displayName: `Scale API ${a + 1}`,
    connectionId: `test-scale-${a + 1}`,
    environment: 'dev',
    docs: [`https://example.com/scale-${a + 1}/docs`],
    context: 'A REST API with JSON bodies.',
    interactions: Array.from({ length: PER_API }, (_, i) => ({
      id: `fetch-record-${i + 1}`,
      displayName: `Fetch Record ${i + 1}`,
      description: `Fetch record number ${i + 1}`,
      prompt: 'Use the REST endpoint.',
      comments: '',
    })),
  }));
  return JSON.stringify({ integrations }, null, 2);
}

suite('The editor at 200 interactions', () => {
  let api: IntegrationBuilderApi;
  let file: string;
  const keys = Array.from({ length: APIS * PER_API }, (_, n) => `scale-api-${Math.floor(n / PER_API) + 1}/fetch-record-${(n % PER_API) + 1}`);
  const ours = (): TreeNode[] =>
    api.ctx.tree
      .getChildren()
      .filter((n) => n.type === 'integration' && n.integration.id.startsWith('scale-api-'))
      .flatMap((n) => api.ctx.tree.getChildren(n));

  suiteSetup(async () => {
    const ext = vscode.extensions.getExtension<IntegrationBuilderApi>(EXTENSION_ID);
    assert.ok(ext, `extension ${EXTENSION_ID} is installed`);
    await until('activation', () => ext.isActive || undefined, 30000);
    api = ext.exports;
    await api.ctx.specs.ready();
    const root = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    assert.ok(root, 'a workspace folder is open');
    file = path.join(root, 'scale.interactions.json');
  });

  suiteTeardown(async () => {
    for (const key of keys) api.ctx.runs.delete(key);
    if (file && fs.existsSync(file)) fs.rmSync(file);
    await until('the scale spec to be gone', () => !api.ctx.specs.store.find(keys[0]!) || undefined).catch(() => undefined);
  });

  test('a 200-interaction spec opens without problems and every interaction is a row', async function () {
    this.timeout(60_000);
    fs.writeFileSync(file, scaleSpec());
    await until('200 interactions in the store', () => keys.every((k) => api.ctx.specs.store.find(k)) || undefined, 30000);
    const problems = vscode.languages.getDiagnostics(vscode.Uri.file(file)).filter((d) => d.source === 'Integration Builder');
    assert.deepStrictEqual(
      problems.map((d) => d.message),
      [],
    );
    const rows = ours();
    assert.strictEqual(rows.length, 200);
    const items = rows.map((n) => api.ctx.tree.getTreeItem(n));
    assert.ok(
      items.every((i) => i.description === 'not started'),
      'every row starts as not started',
    );
    assert.strictEqual(new Set(items.map((i) => i.id)).size, 200, 'each row has its own id');
  });

  test('400 run updates show in the rows, refreshed in place (never the whole tree): queued, then running, then verified', async function () {
    this.timeout(60_000);
    const fired: (TreeNode | TreeNode[] | undefined | void)[] = [];
    const listening = api.ctx.tree.onDidChangeTreeData((e) => fired.push(e));
    const now = new Date().toISOString();
    for (const key of keys) api.ctx.runs.set(key, { status: 'queued' });
    for (const key of keys) api.ctx.runs.set(key, { status: 'running', startedAt: now });
    await until('every row running', () => ours().every((n) => String(api.ctx.tree.getTreeItem(n).description).startsWith('running')) || undefined);
    for (const key of keys) api.ctx.runs.set(key, { status: 'verified', startedAt: now, endedAt: new Date().toISOString(), costUsd: 0.01 });
    await until('every row verified', () => ours().every((n) => String(api.ctx.tree.getTreeItem(n).description).startsWith('verified')) || undefined);
    const integrations = api.ctx.tree.getChildren().filter((n) => n.type === 'integration' && n.integration.id.startsWith('scale-api-'));
    assert.strictEqual(integrations.length, APIS);
    for (const n of integrations) assert.match(String(api.ctx.tree.getTreeItem(n).description), /^40 interactions · 40 verified$/);
    // Rows in place: each refresh names its rows (and their integrations' rows, for the counts), and
    // updates that come together go together.
    const refreshed = () => new Set(fired.filter((e): e is TreeNode[] => Array.isArray(e)).flat());
    const rows = ours();
    await until('every changed row refreshed (the same element the tree handed out)', () => rows.every((n) => refreshed().has(n)) || undefined);
    listening.dispose();
    assert.ok(
      fired.every((e) => Array.isArray(e)),
      `only rows were refreshed, never the whole tree: ${fired.filter((e) => !Array.isArray(e)).length} full refresh(es)`,
    );
    assert.ok(fired.length < 400, `${fired.length} refreshes for 400 updates: updates that come together are shown together`);
  });
});
