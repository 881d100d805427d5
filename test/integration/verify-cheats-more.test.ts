// More ways out of the folder (issue 13), each scripted as a real opencode session (the scripted model,
// the real tools, the live check and the shell sandbox), then verified: whatever argument names the path
// — a glob pattern, a grep include, a `$HOME` in a shell command — Verify finds it in the transcript, and
// honest calls (output thrown away, /tmp scratch, the toolchain in node_modules) stay clean.
// (A made-up response after an API refusal cannot happen in a real run — the refusal ends the session as
// blocked — so that rule is tested on hand-written transcripts in test/unit/verify-confinement.test.ts.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScriptStep } from '../../src/core/model/scriptedModel';
import { startAgentStack, type AgentStack } from '../support/agentStack';
import { runScriptedThenVerify } from '../support/scriptedRun';

let stack: AgentStack;
beforeAll(async () => {
  stack = await startAgentStack({}, { harness: true });
});
afterAll(async () => stack?.close());

async function confinementOf(id: string, steps: ScriptStep[]): Promise<string[]> {
  const report = await runScriptedThenVerify(stack, id, steps, ['confinement']);
  return report.checks.flatMap((c) => c.findings.filter((f) => f.severity === 'error').map((f) => `${f.rule}: ${f.message}`));
}

const call = (name: string, args: Record<string, unknown>): ScriptStep => ({ tool_calls: [{ name, arguments: args }] });
const bash = (command: string): ScriptStep => call('bash', { command, description: 'try' });

describe('every argument that names a file, from a real session', () => {
  it('a glob pattern that climbs out of the folder (refused by the live check) is a confinement finding', async () => {
    const found = await confinementOf('more-glob', [call('glob', { pattern: '../../**/*.json' })]);
    expect(found).toEqual([expect.stringMatching(/^confinement\.outside-folder: glob reached .*\(the pattern \.\.\/\.\.\/\*\*\/\*\.json\).*\(refused\)$/)]);
  });

  it('a grep whose include climbs out is one, its content regex is not', async () => {
    expect(await confinementOf('more-grep', [call('grep', { pattern: 'token', include: '../../../**/*.json' })])).toEqual([
      expect.stringMatching(/^confinement\.outside-folder: grep reached /),
    ]);
    expect(await confinementOf('more-grep-regex', [call('grep', { pattern: '\\.\\./\\.\\./etc|/v1/events' })])).toEqual([]);
  });

  it('$HOME in a shell command is a confinement finding', async () => {
    expect(await confinementOf('more-home', [bash('cat "${HOME}/.profile" 2>/dev/null; ls $HOME')])).toEqual([
      expect.stringMatching(/^confinement\.outside-folder: bash reached .*\.profile/),
    ]);
  });

  it('honest shell commands stay clean: output thrown away, /tmp scratch, the toolchain', async () => {
    expect(
      await confinementOf('more-honest', [
        bash('ls google-calendar/tests 2>/dev/null; mkdir -p /tmp/scratch && cp google-calendar/actions/more-honest.ts /tmp/scratch/ && ls /tmp/scratch'),
        bash('/usr/bin/env node --version && node -e "console.log(require.resolve(\'zod\'))"'),
      ]),
    ).toEqual([]);
  });
});
