// What we keep about one interaction's run: enough to show it, resume it after a reload, and audit it.
import { ZERO_TOKENS, type Tokens } from '../agent/events';
import type { InteractionStatus, RunSummary } from './status';
import type { BaselineSeal } from '../guard/seal';
import type { Verdict } from './report';
import type { RunOwner } from './owner';
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
  /** What Verify last said of this attempt. */
  readonly verification?: RunVerification;
  /** A person's accept or reject of this attempt (src/core/review), kept as it was. */
  readonly review?: RunReview;
  /** The feedback turns of this attempt's session, kept as they were. */
  readonly feedback?: readonly FeedbackTurn[];
}

/**
 * A person's feedback sent to a finished run's agent as a new turn of the same session (Orchestrator
 * sendFeedback): what was said, and the run as it stood before it (its verdict no longer holds after).
 */
export interface FeedbackTurn {
  /** When it was sent (ISO). */
  readonly at: string;
  readonly text: string;
  /** The turn it starts: 2 for the first feedback (turn 1 is the prompt). */
  readonly turn: number;
  /** The run before the turn: status, detail, and what Verify said of it. */
  readonly before: { readonly status: InteractionStatus; readonly detail?: string; readonly verification?: RunVerification };
}

/** What Verify last said of an attempt (src/core/runs/verdict.ts). */
export interface RunVerification {
  readonly verdict: Verdict;
  /** The first finding, in one line (or what passed). */
  readonly detail: string;
  /** When the verification started (ISO). */
  readonly at: string;
  /** The attempt it verified. */
  readonly attempt: number;
}

/**
 * A person's decision on an attempt (src/core/review/acceptance.ts). An acceptance holds a hash of the
 * interaction folder as it was accepted: read later against the folder, a change makes it stale (not
 * accepted). A new attempt starts without one (nextAttempt keeps it in the history).
 */
export interface RunReview {
  readonly decision: 'accepted' | 'rejected';
  /** Who: git's user.name and user.email where set, else the operating system's user. */
  readonly by: { readonly name: string; readonly email?: string; readonly source: 'git' | 'os' };
  /** When (ISO). */
  readonly at: string;
  /** The attempt it was about. */
  readonly attempt: number;
  /** accepted: sha256 over the folder's files (paths and contents, node_modules left out) at acceptance. */
  readonly folderSha256?: string;
  /** accepted: how many files that hash covers. */
  readonly files?: number;
  /** rejected (optional): why, in the person's words. */
  readonly reason?: string;
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
  /** The process that runs (or ran) this attempt: a `running` record whose owner is gone was cut short. */
  owner?: RunOwner;
  /**
   * The latest verification of this attempt, kept beside the lifecycle: a blocked, stopped or
   * interrupted run keeps its status, and what Verify said of what it left is here.
   */
  verification?: RunVerification;
  /** A person's accept or reject of the current attempt (RunReview); cleared by a new attempt. */
  review?: RunReview;
  /** Feedback sent to this attempt's session after it finished, oldest first (each a new turn); cleared by a new attempt. */
  feedback?: FeedbackTurn[];
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
    ...(run.verification?.attempt === run.attempt ? { verification: run.verification } : {}),
    ...(run.review?.attempt === run.attempt ? { review: run.review } : {}),
    ...(run.feedback?.length ? { feedback: run.feedback } : {}),
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
    verification: undefined,
    review: undefined,
    feedback: undefined,
    history: [...run.history, summary],
  };
}

/** What the tree, the status bar and the panel list show about a run. */
export function runSummary(run: RunRecord): RunSummary {
  return {
    status: run.status,
    detail: describeRun(run),
    startedAt: run.startedAt,
    endedAt: run.endedAt,
    ...interactionSpent(run),
    demo: run.demo,
    violations: run.violations,
    unsandboxed: run.sandbox === 'unsandboxed',
  };
}

/**
 * Statuses that say how a run ended without its agent finishing: the API refused (blocked), a person or
 * a policy stopped it, the window or the server went away. A verdict on what such a run left does not
 * replace that: the status and its detail stay, the verification is recorded beside them.
 */
export const LIFECYCLE_KEPT: ReadonlySet<InteractionStatus> = new Set(['blocked', 'stopped', 'interrupted']);

/** The run's one line for people: its detail, and for a run that kept its lifecycle status, its verification. */
export function describeRun(run: Pick<RunRecord, 'status' | 'detail' | 'verification' | 'attempt'>): string | undefined {
  const v = run.verification;
  if (!v || v.attempt !== run.attempt || !LIFECYCLE_KEPT.has(run.status)) return run.detail;
  const said = v.verdict === 'verified' ? 'verified' : `${v.verdict} (${v.detail})`;
  return run.detail ? `${run.detail} · verification: ${said}` : `verification: ${said}`;
}

/** What a run left `queued` or `running` by a front end that closed says (the editor's window, a CLI's process). */
function interruptedDetail(run: RunRecord, closed = 'the window closed'): string {
  return run.sessionId ? `${closed} while the agent was working` : `${closed} before the agent started`;
}

/** Marks a run that nothing runs any more as interrupted (status, detail, end time). */
export function markInterrupted(run: RunRecord, at: string, closed?: string): void {
  run.detail = interruptedDetail(run, closed);
  run.status = 'interrupted';
  run.endedAt ??= at;
}
