/// <reference types="mocha" />
// Health you can see (issue 14, item 5), in a real VS Code: settings that apply live (concurrency,
// budget), the Restart Agent Server command on the real opencode server (demo model), and the
// notification a change of the model gives.
import * as assert from 'assert';
import * as path from 'path';
import * as vscode from 'vscode';
import type { ConnectionStatus } from '../../src/core/agent/types';
import type { IntegrationBuilderApi } from '../../src/extension/extension';
import { EXTENSION_ID, until } from './until';

suite('Agent server health and live settings', () => {
  let api: IntegrationBuilderApi;
  const config = () => vscode.workspace.getConfiguration('integrationBuilder');

  suiteSetup(async function () {
    this.timeout(120_000);
    const ext = vscode.extensions.getExtension<IntegrationBuilderApi>(EXTENSION_ID);
    assert.ok(ext, `extension ${EXTENSION_ID} is installed`);
    await until('activation', () => ext.isActive || undefined, 30000);
    api = ext.exports;
    await api.ctx.specs.ready();
    // The demo model on the opencode the extension ships with (as the Generate test does): no key, offline.
    await config().update('demoModel', true, vscode.ConfigurationTarget.Workspace);
    await config().update('opencode.path', path.join(ext.extensionPath, 'node_modules/opencode-ai/bin/opencode.exe'), vscode.ConfigurationTarget.Workspace);
    api.ctx.silentConfirmations = true;
  });

  test('Restart Agent Server starts the server when none runs, then restarts it: starting → ready, a new process', async function () {
    this.timeout(240_000);
    const first = await vscode.commands.executeCommand<ConnectionStatus>('integrationBuilder.restartAgentServer');
    assert.deepStrictEqual(first, { state: 'ready' });
    const conn = api.ctx.agents.connection!;
    const pid = conn.ownedServer?.pid;
    const url = conn.serverUrls()[0];
    assert.ok(pid && url, 'our own server runs');

    const states: string[] = [];
    const sub = api.ctx.agents.onDidChangeServerState((s) => states.push(s.state));
    try {
      const status = await vscode.commands.executeCommand<ConnectionStatus>('integrationBuilder.restartAgentServer');
      assert.deepStrictEqual(status, { state: 'ready' });
    } finally {
      sub.dispose();
    }
    assert.deepStrictEqual(states, ['starting', 'ready']);
    assert.strictEqual(api.ctx.agents.connection, conn, 'the same connection, a new server');
    // A new process (its URL may be the same: opencode takes port 4096 again when it is free).
    assert.ok(conn.ownedServer?.pid && conn.ownedServer.pid !== pid, `a new server process (was ${pid}, now ${conn.ownedServer?.pid})`);
    assert.strictEqual(conn.serverUrls().length, 1);
    assert.throws(() => process.kill(pid, 0), 'the old server is gone');
    assert.deepStrictEqual(api.ctx.agents.serverStatus, { state: 'ready' });
  });

  test('concurrency and budget changes reach the running orchestrator at once', async function () {
    this.timeout(60_000);
    const o = api.ctx.agents.current;
    assert.ok(o, 'the service runs (started by the Restart test)');
    try {
      await config().update('concurrency', 7, vscode.ConfigurationTarget.Workspace);
      await until('the new concurrency', () => o.concurrency === 7 || undefined);
      await config().update('budgetUsd', 1.5, vscode.ConfigurationTarget.Workspace);
      await until('the new budget', () => o.budgetUsd === 1.5 || undefined);
      // Live: the same orchestrator and the same server, nothing restarted.
      assert.strictEqual(api.ctx.agents.current, o);
      assert.deepStrictEqual(api.ctx.agents.serverStatus, { state: 'ready' });
      await config().update('budgetUsd', undefined, vscode.ConfigurationTarget.Workspace);
      await until('no budget', () => o.budgetUsd === undefined || undefined);
    } finally {
      await config().update('concurrency', undefined, vscode.ConfigurationTarget.Workspace);
      await config().update('budgetUsd', undefined, vscode.ConfigurationTarget.Workspace);
    }
    await until('the default concurrency', () => o.concurrency === 4 || undefined);
  });

  test('a model change says the agent server restarts with it (nothing running: the service is rebuilt)', async function () {
    this.timeout(60_000);
    assert.ok(api.ctx.agents.current, 'the service runs');
    api.ctx.agents.lastSettingsNotice = undefined;
    const states: string[] = [];
    const sub = api.ctx.agents.onDidChangeServerState((s) => states.push(s.state));
    try {
      await config().update('model', 'anthropic/claude-sonnet-4-5', vscode.ConfigurationTarget.Workspace);
      const notice = await until('the settings notification', () => api.ctx.agents.lastSettingsNotice);
      assert.strictEqual(notice, 'Integration Builder: integrationBuilder.model changed: the agent server restarts with it for the next run.');
      // Nothing ran: the service was stopped at once, and the next run builds it with the new model.
      await until('the service to stop', () => api.ctx.agents.current === undefined || undefined);
      assert.deepStrictEqual(api.ctx.agents.serverStatus, { state: 'idle' });
      assert.strictEqual(states[states.length - 1], 'idle');
    } finally {
      sub.dispose();
      await config().update('model', undefined, vscode.ConfigurationTarget.Workspace);
    }
  });
});
