// One scripted session run through the real pipeline, then verified: the scripted model plays `steps`
// (then stops), the orchestrator runs it in a work root of its own on the shared stack, and Verify runs
// the given checks on what it left. For the cheat and confinement tests.
import * as path from 'node:path';
import type { ScriptStep } from '../../src/core/model/scriptedModel';
import { Orchestrator } from '../../src/core/orchestrator';
import { RunStore } from '../../src/core/runs/store';
import { verifyInteractions } from '../../src/core/verify';
import type { CheckId, VerifyReport } from '../../src/core/verify/types';
import { TEST_MODEL, type AgentStack } from './agentStack';
import { targetsFor } from './specs';

export async function runScriptedThenVerify(stack: AgentStack, id: string, steps: ScriptStep[], checks: CheckId[]): Promise<VerifyReport> {
  stack.model.define(id, [...steps, { text: 'Stopping here; this needs a person to look at it.' }]);
  const workRoot = path.join(stack.root, `work-${id}`);
  const runs = new RunStore(workRoot);
  const o = new Orchestrator({
    workRoot,
    connection: stack.connection,
    runs,
    model: TEST_MODEL,
    tools: stack.tools,
    sandbox: stack.sandbox,
    onSessionCreated: (run) => stack.model.assign(run.sessionId!, id),
  });
  o.generate(targetsFor('google-calendar', [id]));
  await o.whenIdle();
  const run = o.get(`google-calendar/${id}`)!;
  // A run that never reached its model has nothing to verify: say why it ended, not what Verify makes of an empty folder.
  if (!run.promptSentAt || run.steps === 0) {
    throw new Error(
      `the scripted run of ${id} did not play (${run.status}${run.detail ? `: ${run.detail}` : ''}; ${run.startedAt} → ${run.endedAt}, ${run.steps} step(s))`,
    );
  }
  const [report] = await verifyInteractions([{ key: run.key, integrationId: 'google-calendar', interactionId: id, kind: 'action', folder: run.folder, run }], {
    runs,
    checks,
  });
  return report!;
}
