// An honest agent must be able to search its own folder with opencode's grep and glob tools (ripgrep),
// also when the workspace is a git checkout: with the real opencode, a scripted agent in a work root
// inside a git repository (with an ignore rule of the user's that matches its files by name) globs and
// greps its folder and finds its own files, while git status of the repository lists nothing of the work
// root. A control run under the `.gitignore` older versions wrote shows what agents met before: nothing.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentEvent } from '../../src/core/agent/events';
import { Orchestrator } from '../../src/core/orchestrator';
import { RunStore } from '../../src/core/runs/store';
import { ensureWorkRoot } from '../../src/core/workspace/paths';
import { LEGACY_GITIGNORE } from '../../src/core/workspace/workRootIgnores';
import { startAgentStack, TEST_MODEL, type AgentStack } from '../support/agentStack';
import { targetsFor } from '../support/specs';

let stack: AgentStack;
const events = new Map<string, AgentEvent[]>();
const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

beforeAll(async () => {
  stack = await startAgentStack({}, { harness: true });
  await stack.connection.ensure();
});
afterAll(async () => stack?.close());

/** A workspace that is a git checkout, with a rule of the user's that matches the agent's fixtures by name. */
function gitWorkspace(name: string): string {
  const ws = path.join(stack.root, name);
  mkdirSync(ws, { recursive: true });
  git(ws, 'init', '-q');
  writeFileSync(path.join(ws, '.gitignore'), '*.test.json\n');
  return ws;
}

/** Runs one scripted agent that globs and greps its own folder; returns its tool results. */
async function searchingAgent(workRoot: string, id: string) {
  stack.model.define(id, [
    { tool_calls: [{ name: 'glob', arguments: { pattern: '**/*.{ts,json}' } }] },
    { tool_calls: [{ name: 'grep', arguments: { pattern: 'needle-[0-9]+' } }] },
    { text: 'I looked.' },
  ]);
  const o = new Orchestrator({
    workRoot,
    connection: stack.connection,
    runs: new RunStore(workRoot),
    model: TEST_MODEL,
    tools: stack.tools,
    sandbox: stack.sandbox,
    onSessionCreated: (run) => {
      // The agent's own work so far: its script, and a fixture the recorder left.
      writeFileSync(path.join(run.folder, `google-calendar/actions/${id}.ts`), 'export const marker = "needle-1";\n');
      writeFileSync(path.join(run.folder, `google-calendar/tests/${id}.test.json`), '{ "marker": "needle-2" }\n');
      stack.model.assign(run.sessionId!, run.interactionId);
    },
  });
  o.onAgentEvent(({ key, event }) => events.set(key, [...(events.get(key) ?? []), event]));
  o.generate(targetsFor('google-calendar', [id]));
  await o.whenIdle();
  const key = `google-calendar/${id}`;
  const results = (events.get(key) ?? []).filter((e): e is Extract<AgentEvent, { type: 'tool.finished' }> => e.type === 'tool.finished');
  return { results, folder: o.get(key)!.folder };
}

describe("the agents' grep and glob tools in a work root inside a git checkout", () => {
  it('find the files of their own folder; git status lists nothing of the work root', async () => {
    const ws = gitWorkspace('ws');
    const workRoot = path.join(ws, '.integration-builder', 'work');
    await ensureWorkRoot(workRoot); // as the agent stack does when it starts
    const { results } = await searchingAgent(workRoot, 'searcher');

    expect(results.map((r) => [r.tool, r.ok])).toEqual([
      ['glob', true],
      ['grep', true],
    ]);
    const [glob, grep] = results as [(typeof results)[number], (typeof results)[number]];
    for (const file of ['google-calendar/actions/searcher.ts', 'google-calendar/tests/searcher.test.json', 'index.ts', 'package.json', 'tsconfig.json'])
      expect(glob.output, file).toContain(file);
    expect(grep.output).toMatch(/Found 2 match/);
    expect(grep.output).toContain('needle-1');
    expect(grep.output).toContain('needle-2');
    expect(git(ws, 'status', '--porcelain', '--untracked-files=all')).toBe('?? .gitignore\n');
  }, 180_000);

  it('control: under the .gitignore older versions wrote into the work root, the same agent finds nothing', async () => {
    const ws = gitWorkspace('ws-legacy');
    const workRoot = path.join(ws, '.integration-builder', 'work');
    mkdirSync(workRoot, { recursive: true });
    writeFileSync(path.join(workRoot, '.gitignore'), LEGACY_GITIGNORE);
    const { results } = await searchingAgent(workRoot, 'hindered');

    expect(results.map((r) => r.tool)).toEqual(['glob', 'grep']);
    const [glob, grep] = results;
    expect(glob?.output ?? '').not.toContain('hindered.ts');
    expect(grep?.output ?? '').not.toContain('needle-1');
  }, 180_000);
});
