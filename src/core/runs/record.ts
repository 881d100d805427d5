// What we keep about one interaction's run: enough to show it, resume it after a reload, and audit it.
import { ZERO_TOKENS, type Tokens } from '../agent/events';
import type { InteractionStatus, RunSummary } from './status';
import type { BaselineSeal } from '../guard/seal';
import { interactionSpent } from './totals';

export interface AttemptSummary {
  readonly attempt: number;
  readonly status: InteractionStatus;
  readonly detail?: string;
  readonly sessionId?: string;
  readonly startedAt?: string;
  readonly endedAt?: string;
  readonly costUsd: number;
  readonly tokens: Tokens;
  readonly violations?: number;
  readonly sandbox?: 'bwrap' | 'unsandboxed';
}

export interface RunRecord {
  readonly version: 1;
  readonly key: string;
  readonly integrationId: string;
  readonly interactionId: string;
  readonly specFile: string;
  readonly folder: string;
  /** 1 for the first run; Restart from scratch makes a new attempt and keeps the old in `history`. */
  attempt: number;
  status: InteractionStatus;
  /** One line: why it is blocked, failed, stopped or interrupted. */
  detail?: string;
  model?: string;
  /** Run against the built-in demo model (labelled so everywhere). */
  demo: boolean;
  sessionId?: string;
  serverUrl?: string;
  /** Our own spawned server (lost on reload) or a remote one (can be re-attached). */
  serverOwned?: boolean;
  queuedAt: string;
  startedAt?: string;
  promptSentAt?: string;
  endedAt?: string;
  costUsd: number;
  tokens: Tokens;
  steps: number;
  toolCalls: number;
  /** Protected files the agent changed in this attempt (each restored by the fixture guard). */
  violations?: number;
  /**
   * How this attempt's shell commands ran: in the bubblewrap sandbox, or *unsandboxed* (no sandbox on
   * this machine, and the user accepted that for the workspace). Absent: before the run started.
   */
  sandbox?: 'bwrap' | 'unsandboxed';
  /** The baseline manifest's hash as the harness last wrote it, with its HMAC (src/core/guard/seal.ts). */
  baselineSeal?: BaselineSeal;
  /** Provider retries seen in the current turn. */
  retries: number;
  /** The agent's last message when it finished (its claim, not a verdict). */
  finalText?: string;
  history: AttemptSummary[];
}

export function newRunRecord(init: {
  key: string;
  integrationId: string;
  interactionId: string;
  specFile: string;
  folder: string;
  model?: string;
  demo: boolean;
  now: string;
}): RunRecord {
  const { now, ...rest } = init;
  return {
    version: 1,
    ...rest,
    attempt: 1,
    status: 'queued',
    queuedAt: now,
    costUsd: 0,
    tokens: ZERO_TOKENS,
    steps: 0,
    toolCalls: 0,
    retries: 0,
    history: [],
  };
}

/** Closes the current attempt into the history and resets the counters for a new one. */
export function nextAttempt(run: RunRecord, now: string): RunRecord {
  const summary: AttemptSummary = {
    attempt: run.attempt,
    status: run.status,
    detail: run.detail,
    sessionId: run.sessionId,
    startedAt: run.startedAt,
    endedAt: run.endedAt ?? now,
    costUsd: run.costUsd,
    tokens: run.tokens,
    violations: run.violations,
    sandbox: run.sandbox,
  };
  return {
    ...run,
    attempt: run.attempt + 1,
    status: 'queued',
    detail: undefined,
    sessionId: undefined,
    serverUrl: undefined,
    serverOwned: undefined,
    queuedAt: now,
    startedAt: undefined,
    promptSentAt: undefined,
    endedAt: undefined,
    costUsd: 0,
    tokens: ZERO_TOKENS,
    steps: 0,
    toolCalls: 0,
    retries: 0,
    violations: 0,
    sandbox: undefined,
    baselineSeal: undefined,
    finalText: undefined,
    history: [...run.history, summary],
  };
}

/** What the tree, the status bar and the panel list show about a run. */
export function runSummary(run: RunRecord): RunSummary {
  return {
    status: run.status,
    detail: run.detail,
    startedAt: run.startedAt,
    endedAt: run.endedAt,
    ...interactionSpent(run),
    demo: run.demo,
    violations: run.violations,
    unsandboxed: run.sandbox === 'unsandboxed',
  };
}
