// Shared by the two halves of bench/agent-overhead.mjs: the parent (agent-overhead-entry.ts: the
// scripted model and the opencode server) and the workers (agent-overhead-worker.ts: the harness, or
// the bare SDK script). Kept free of test/support/agentStack (which loads esbuild) so the workers'
// memory is only what a client needs.
import { performance } from 'node:perf_hooks';
import type { ScriptStep } from '../../src/core/model/scriptedModel';

export const INTEGRATION = 'google-calendar';
/** The scripted model as opencode knows it (scriptedProviderConfig's defaults; = agentStack's TEST_MODEL). */
export const MODEL = 'scripted/scripted';

const ACTION = (body: string) => `import { createAction } from 'nango';\nimport * as z from 'zod';\n// ${body}\nexport default createAction({} as never);\n`;

/** The scripted session, the same for both sides: write the script, one `ls`, final text. */
export function honest(id: string): ScriptStep[] {
  return [
    {
      reasoning: 'Start with the script.',
      text: `Writing ${id}.`,
      tool_calls: [{ name: 'write', arguments: { filePath: `${INTEGRATION}/actions/${id}.ts`, content: ACTION(`built by ${id}`) } }],
    },
    { tool_calls: [{ name: 'bash', arguments: { command: `ls ${INTEGRATION}/actions && echo marker-${id}`, description: 'List the actions' } }] },
    { text: `Done: ${id} is written.` },
  ];
}

/** Wall-clock ms with sub-ms resolution, comparable between the processes of one run. */
export const epochMs = (): number => performance.timeOrigin + performance.now();

export interface BatchRequest {
  readonly type: 'batch';
  readonly id: number;
  readonly ids: readonly string[];
  readonly workRoot: string;
  readonly url: string;
  readonly password?: string;
}

export interface WorkerSession {
  readonly id: string;
  readonly sessionId: string;
  /** Harness: the run record's promptSentAt; bare: promptAsync returned (epoch ms). */
  readonly promptSentAt: number;
  /** Harness: the `finished` AgentEvent; bare: idle on its event stream (epoch ms). */
  readonly finishedAt: number;
  /** Harness: the run's status became needs-review; bare: = finishedAt (epoch ms). */
  readonly endedAt: number;
}

export interface WorkerResult {
  readonly type: 'result';
  readonly id: number;
  readonly error?: string;
  /** The batch's clock start: generate() called / the bare script's first scaffold (epoch ms). */
  readonly t0?: number;
  readonly wallMs?: number;
  /** CPU (user + system) of the worker over the timed part of the batch. */
  readonly cpuMs?: number;
  /** RSS just before the batch and the peak sampled (every 50 ms) during it, MiB. */
  readonly rssBeforeMb?: number;
  readonly peakRssMb?: number;
  readonly rssSamples?: number;
  readonly sessions?: WorkerSession[];
}

export type WorkerMessage =
  | { readonly type: 'ready'; readonly env?: Record<string, string> }
  | { readonly type: 'assign'; readonly sessionId: string; readonly id: string }
  | { readonly type: 'log'; readonly line: string }
  | WorkerResult;
