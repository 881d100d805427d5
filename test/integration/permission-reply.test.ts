// A permission request answered from the panel reaches the real opencode: a session with a rule left on
// "ask" (as a user may configure) asks before a command; the answer goes back through
// AgentConnection.replyPermission, and the tool runs (once) or is refused (reject, with the reason).
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentEvent } from '../../src/core/agent/events';
import { Orchestrator } from '../../src/core/orchestrator';
import { RunStore } from '../../src/core/runs/store';
import { startAgentStack, TEST_MODEL, type AgentStack } from '../support/agentStack';
import { targetsFor } from '../support/specs';

let stack: AgentStack;
beforeAll(async () => {
  stack = await startAgentStack({});
});
afterAll(async () => stack?.close());

async function runAsking(id: string, reply: 'once' | 'reject', message?: string) {
  stack.model.define(id, [{ tool_calls: [{ name: 'bash', arguments: { command: 'echo asked-and-answered', description: 'probe' } }] }, { text: 'ok' }]);
  const workRoot = path.join(stack.root, `work-${id}`);
  const o = new Orchestrator({
    workRoot,
    connection: stack.connection,
    runs: new RunStore(workRoot),
    model: TEST_MODEL,
    permissionRules: () => [{ permission: 'bash', pattern: 'echo *', action: 'ask' }],
    onSessionCreated: (run) => stack.model.assign(run.sessionId!, id),
  });
  const events: AgentEvent[] = [];
  o.onAgentEvent(({ event }) => {
    events.push(event);
    if (event.type === 'permission.asked') {
      const run = o.get(`google-calendar/${id}`)!;
      void stack.connection.replyPermission({ sessionId: run.sessionId!, directory: run.folder, serverUrl: run.serverUrl! }, event.requestId, reply, message);
    }
  });
  o.generate(targetsFor('google-calendar', [id]));
  await o.whenIdle();
  return events;
}

describe('permission replies through the SDK', () => {
  it('Allow once lets the command run', async () => {
    const events = await runAsking('asks-once', 'once');
    expect(events.find((e) => e.type === 'permission.asked')).toMatchObject({ permission: 'bash' });
    expect(events.find((e) => e.type === 'permission.answered')).toMatchObject({ reply: 'once' });
    const tool = events.find((e): e is Extract<AgentEvent, { type: 'tool.finished' }> => e.type === 'tool.finished');
    expect(tool).toMatchObject({ tool: 'bash', ok: true });
    expect(tool!.output).toContain('asked-and-answered');
  });

  it('Reject with a reason refuses it, and the agent sees the reason', async () => {
    const events = await runAsking('asks-reject', 'reject', 'no shell commands for this one');
    expect(events.find((e) => e.type === 'permission.answered')).toMatchObject({ reply: 'reject' });
    const tool = events.find((e): e is Extract<AgentEvent, { type: 'tool.finished' }> => e.type === 'tool.finished');
    expect(tool).toMatchObject({ tool: 'bash', ok: false });
    expect(tool!.output).toContain('no shell commands for this one');
  });
});
