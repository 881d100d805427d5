// What the harness tools do for a run's agent (record_fixture, run_tests, report_blocked), taken out of
// the orchestrator: each answers the agent, and a refusal or a report of being blocked ends the run as
// blocked (through `block`, which waits for the tool's answer to reach the session first).
import type { GuardedAttempt } from '../runs/guardedAttempt';
import type { RunRecord } from '../runs/record';
import type { InteractionModel } from '../spec/model';
import type { Toolchain } from '../toolchain/types';
import type { ToolCall, ToolResult } from './toolServer';

export interface RunToolContext {
  readonly run: RunRecord;
  /** The spec's interaction (absent for a run re-attached after a reload: no recording then). */
  readonly interaction?: InteractionModel;
  readonly toolchain?: Toolchain;
  /** The attempt's guard: recordings and generated tests go through it. */
  readonly attempt: GuardedAttempt;
  /** Ends the harness's processes for this run when it ends. */
  readonly signal: () => AbortSignal;
  /** Ends the run as blocked, once the session has the answer to `callId`. */
  block(reason: string, callId: string | undefined): void;
}

export async function answerHarnessTool(call: ToolCall, ctx: RunToolContext): Promise<ToolResult> {
  const { run, interaction, toolchain, attempt } = ctx;
  switch (call.tool) {
    case 'report_blocked': {
      const reason = String(call.args.reason ?? '').trim() || 'no reason given';
      ctx.block(`the agent reported being blocked: ${reason}`, call.callId);
      return { ok: true, output: 'Reported. The harness ends this session as blocked; stop now and do not continue.' };
    }
    case 'record_fixture': {
      if (!toolchain || !interaction)
        return { ok: false, output: 'Recording is not available in this setup (no toolchain recorder). Report blocked if you need recorded data.' };
      const input = typeof call.args.input === 'string' && call.args.input.trim() ? call.args.input : '{}';
      const outcome = await attempt.asRecorder(
        () => toolchain.record({ folder: run.folder, interaction, input, signal: ctx.signal() }),
        (o) => (o.kind === 'recorded' ? o.files : []),
      );
      if (outcome.kind === 'blocked') {
        ctx.block(`the API refused the recording: ${outcome.reason}`, call.callId);
        return { ok: false, output: `The API refused: ${outcome.reason}. The session ends as blocked. Do not write a response yourself.` };
      }
      if (outcome.kind === 'failed') return { ok: false, output: `Recording failed:\n${outcome.output}` };
      return { ok: true, output: `Recorded ${outcome.files.join(', ')}.\n${outcome.output}` };
    }
    case 'run_tests': {
      if (!toolchain || !interaction) return { ok: false, output: 'Running tests is not available in this setup (no toolchain).' };
      // generate:tests writes the generated tests into tests/: the harness's doing, taken into the baseline.
      const result = await attempt.asRecorder(() => toolchain.runTests({ folder: run.folder, interaction, signal: ctx.signal() }));
      return { ok: result.ok, output: result.output };
    }
  }
}
