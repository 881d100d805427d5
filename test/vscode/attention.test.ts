/// <reference types="mocha" />
// Attention for a permission an agent asks (issue 16, item 5), in a real VS Code: the notifier follows the
// agents' events (here a scripted source in place of the orchestrator, whose agents never ask with the
// harness's own rules — a user's opencode rules can make them ask), so a running run that asks is said at
// once as waiting for you and counted; the answer takes it off the count.
import * as assert from 'assert';
import * as vscode from 'vscode';
import { RunBoard } from '../../src/core/runs/board';
import { AttentionNotifier } from '../../src/extension/attention';
import type { IntegrationBuilderApi } from '../../src/extension/extension';
import { EXTENSION_ID, until } from './until';

type AgentEvent = { key: string; event: { type: string; permission?: string; patterns?: readonly string[] } };

suite('Attention: a permission an agent asks', () => {
  let api: IntegrationBuilderApi;

  suiteSetup(async () => {
    const ext = vscode.extensions.getExtension<IntegrationBuilderApi>(EXTENSION_ID);
    assert.ok(ext, `extension ${EXTENSION_ID} is installed`);
    await until('activation', () => ext.isActive || undefined, 30000);
    api = ext.exports;
  });

  test('a running run that asks is said as waiting for your answer and counted; the answer takes it off', async function () {
    this.timeout(30_000);
    const runs = new RunBoard();
    const events = new vscode.EventEmitter<AgentEvent>();
    const started = new vscode.EventEmitter<{ onAgentEvent: typeof events.event }>();
    const notifier = new AttentionNotifier({
      runs,
      agents: { current: { onAgentEvent: events.event }, onDidStart: started.event },
      config: api.ctx.config,
    });
    const key = 'google-calendar/create-event';
    try {
      runs.set(key, { status: 'running', startedAt: new Date().toISOString() });
      runs.set('slack/send-message', { status: 'running', startedAt: new Date().toISOString() });
      events.fire({ key, event: { type: 'permission.asked', permission: 'bash', patterns: ['rm -rf build'] } });
      const said = await until('the notice', () => (notifier.last?.notice.needYou.includes(key) ? notifier.last : undefined));
      assert.match(said.notice.message, /google-calendar\/create-event.*waiting for your answer/);
      assert.match(said.notice.message, /asks permission to bash \(rm -rf build\)/);
      assert.strictEqual(notifier.needingYou, 1);
      events.fire({ key, event: { type: 'permission.answered' } });
      await until('the count after the answer', () => (notifier.needingYou === 0 ? true : undefined));
    } finally {
      notifier.dispose();
      events.dispose();
      started.dispose();
    }
  });
});
