// The run state machine's transitions, as a pure function: `(record, input) → (record, effects)`.
// The orchestrator feeds it every agent event and every lifecycle step of a run and carries out the
// effects it returns (save the record, end the run, abort the session); nothing here does I/O, reads a
// clock or keeps state, so every transition is unit-tested on plain values (test/unit/run-reducer.test.ts).
import { addTokens, type AgentEvent } from '../agent/events';
import type { RunOwner } from './owner';
import type { RunRecord } from './record';
import type { InteractionStatus } from './status';

/** How a run ended (or is to end), with one line saying why. */
export interface RunOutcome {
  readonly status: InteractionStatus;
  readonly detail?: string;
}

/** What a run goes through besides its agent's events; `at` is the caller's clock (ISO). */
export type LifecycleInput =
  | { readonly type: 'run.started'; readonly at: string; readonly owner?: RunOwner }
  | { readonly type: 'run.sandboxed'; readonly mode: 'bwrap' | 'unsandboxed' }
  | { readonly type: 'run.session'; readonly sessionId: string; readonly serverUrl: string; readonly owned: boolean }
  | { readonly type: 'run.prompted'; readonly at: string }
  | { readonly type: 'run.violation' }
  /** The agent server is not up yet (its start failed or was too slow): the run waits; `attempt` is the next try. */
  | { readonly type: 'run.waiting'; readonly attempt: number; readonly reason: string }
  | { readonly type: 'run.ended'; readonly outcome: RunOutcome; readonly at: string };

export type RunInput = AgentEvent | LifecycleInput;

/** What the reducer decided the orchestrator must do. */
export type RunEffect =
  /** Save the record: now (a status change) or soon (cost and counters, throttled). */
  | { readonly kind: 'persist'; readonly soon: boolean }
  /** The run's end is decided (the first decision wins; later ones are ignored by the orchestrator). */
  | { readonly kind: 'settle'; readonly outcome: RunOutcome }
  /** Abort the agent's session (a stop policy ended the run). */
  | { readonly kind: 'abort' };

/** The policies a transition depends on, as they stand now. */
export interface ReducerPolicy {
  /** Provider retries allowed in one turn before the run is stopped as failed. */
  readonly maxRetries: number;
  /** Set when the run is being stopped: an error event then ends it with this outcome, not as failed. */
  readonly stopping?: RunOutcome;
}

export interface Reduction {
  readonly run: RunRecord;
  readonly effects: readonly RunEffect[];
}

const PROVIDER_FAILING = 'the model provider is failing';
const SERVER_WAITING = 'waiting for the agent server';
const NOTHING: readonly RunEffect[] = [];
const SAVE_NOW: RunEffect = { kind: 'persist', soon: false };
const SAVE_SOON: RunEffect = { kind: 'persist', soon: true };

export function reduceRun(run: RunRecord, input: RunInput, policy: ReducerPolicy): Reduction {
  switch (input.type) {
    case 'run.started':
      // A feedback turn keeps the attempt's start (a new attempt has none yet).
      return { run: { ...run, status: 'running', startedAt: run.startedAt ?? input.at, ...(input.owner ? { owner: input.owner } : {}) }, effects: [SAVE_NOW] };
    case 'run.sandboxed':
      return { run: { ...run, sandbox: input.mode }, effects: [SAVE_NOW] };
    case 'run.session':
      // The server is up: a "waiting for the agent server" line has said its piece.
      return {
        run: {
          ...run,
          sessionId: input.sessionId,
          serverUrl: input.serverUrl,
          serverOwned: input.owned,
          detail: run.detail?.startsWith(SERVER_WAITING) ? undefined : run.detail,
        },
        effects: [SAVE_NOW],
      };
    case 'run.prompted':
      return { run: { ...run, promptSentAt: input.at }, effects: [SAVE_NOW] };
    case 'run.waiting':
      return { run: { ...run, detail: `${SERVER_WAITING} (attempt ${input.attempt}): ${input.reason}` }, effects: [SAVE_NOW] };
    case 'run.violation':
      return { run: { ...run, violations: (run.violations ?? 0) + 1 }, effects: [SAVE_NOW] };
    case 'run.ended':
      return { run: { ...run, status: input.outcome.status, detail: input.outcome.detail, endedAt: input.at }, effects: [SAVE_NOW] };
    case 'step':
      return { run: { ...run, costUsd: run.costUsd + input.costUsd, tokens: addTokens(run.tokens, input.tokens), steps: run.steps + 1 }, effects: [SAVE_SOON] };
    case 'tool.finished':
      return { run: { ...run, toolCalls: run.toolCalls + 1 }, effects: [SAVE_SOON] };
    case 'status': {
      if (input.status === 'retry') {
        const retries = input.attempt ?? run.retries + 1;
        const next = { ...run, retries, detail: `${PROVIDER_FAILING} (attempt ${retries}): ${input.message ?? ''}`.trim() };
        if (retries <= policy.maxRetries) return { run: next, effects: [SAVE_NOW] };
        const outcome: RunOutcome = {
          status: 'failed',
          detail: `stopped after ${retries} failed attempts to reach the model: ${input.message ?? 'provider error'}`,
        };
        return { run: next, effects: [SAVE_NOW, { kind: 'abort' }, { kind: 'settle', outcome }] };
      }
      if (input.status === 'busy' && run.detail?.startsWith(PROVIDER_FAILING)) return { run: { ...run, detail: undefined }, effects: [SAVE_NOW] };
      return { run, effects: NOTHING };
    }
    case 'error':
      return { run, effects: [{ kind: 'settle', outcome: policy.stopping ?? { status: 'failed', detail: `${input.name}: ${input.message}` } }] };
    case 'finished':
      // The agent says it is done. Only verification can say it is right.
      return {
        run: { ...run, finalText: input.text },
        effects: [{ kind: 'settle', outcome: { status: 'needs-review', detail: 'the agent says it is done; verify it' } }],
      };
    case 'text':
    case 'text.done':
    case 'reasoning':
    case 'reasoning.done':
    case 'tool.started':
    case 'permission.asked':
    case 'permission.answered':
      return { run, effects: NOTHING };
  }
}
