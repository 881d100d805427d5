// Our skills reach every session: with skills/ in the config, the real opencode offers the model its
// list of skills with each of ours, and its `skill` tool returns a skill's body.
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentEvent } from '../../src/core/agent/events';
import { Orchestrator } from '../../src/core/orchestrator';
import { RunStore } from '../../src/core/runs/store';
import { REPO, startAgentStack, TEST_MODEL, type AgentStack } from '../support/agentStack';
import { targetsFor } from '../support/specs';

let stack: AgentStack;
const requests: { sessionId?: string; tools: readonly unknown[]; messages: readonly { role?: string; content?: unknown }[] }[] = [];

beforeAll(async () => {
  stack = await startAgentStack({}, { skillPaths: [path.join(REPO, 'skills')], onRequest: (r) => requests.push(r) });
});
afterAll(async () => stack?.close());

describe('skills in a session', () => {
  it("the session lists our skills to the model, and the skill tool loads a skill's text", async () => {
    stack.model.define('skills', [{ tool_calls: [{ name: 'skill', arguments: { name: 'done-checklist' } }] }, { text: 'Read the checklist.' }]);
    const workRoot = path.join(stack.root, 'work');
    const o = new Orchestrator({
      workRoot,
      connection: stack.connection,
      runs: new RunStore(workRoot),
      model: TEST_MODEL,
      onSessionCreated: (run) => stack.model.assign(run.sessionId!, 'skills'),
    });
    const events: AgentEvent[] = [];
    o.onAgentEvent(({ event }) => events.push(event));
    o.generate(targetsFor('google-calendar', ['skills-probe']));
    await o.whenIdle();
    const sessionId = o.get('google-calendar/skills-probe')!.sessionId;
    const first = requests.find((r) => r.sessionId === sessionId && r.tools.length);
    const skillTool = first?.tools.find((t) => (t as { function?: { name?: string } }).function?.name === 'skill') as
      { function: { description: string } } | undefined;
    expect(skillTool, 'the session offers the skill tool').toBeDefined();
    // opencode lists the available skills (name and description) in the system prompt.
    const system = first!.messages
      .filter((m) => m.role === 'system')
      .map((m) => (typeof m.content === 'string' ? m.content : JSON.stringify(m.content)))
      .join('\n');
    for (const name of ['nango-interaction', 'api-docs-research', 'done-checklist']) expect(system).toContain(name);
    expect(system).toContain('How to build one Nango interaction');
    const loaded = events.find((e): e is Extract<AgentEvent, { type: 'tool.finished' }> => e.type === 'tool.finished' && e.tool === 'skill');
    expect(loaded?.ok, loaded?.output).toBe(true);
    expect(loaded!.output).toContain('Before you say "done"');
  });
});
