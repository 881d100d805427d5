// The life of one interaction, as the tree, the panel and the CLI show it.

export const INTERACTION_STATUSES = ['not-started', 'queued', 'running', 'needs-review', 'blocked', 'verified', 'failed', 'stopped', 'interrupted'] as const;

export type InteractionStatus = (typeof INTERACTION_STATUSES)[number];

export const STATUS_LABEL: Record<InteractionStatus, string> = {
  'not-started': 'not started',
  queued: 'queued',
  running: 'running',
  'needs-review': 'needs review',
  blocked: 'blocked',
  verified: 'verified',
  failed: 'failed',
  stopped: 'stopped',
  interrupted: 'interrupted',
};

/** What a front end needs to show about an interaction's latest run. */
export interface RunSummary {
  readonly status: InteractionStatus;
  /** Why it is blocked / failed / needs review, in one line. */
  readonly detail?: string;
  readonly startedAt?: string;
  readonly endedAt?: string;
  /** What the interaction has cost so far, every attempt included (src/core/runs/totals.ts). */
  readonly costUsd?: number;
  readonly tokens?: number;
  /** Ran against the built-in demo model. */
  readonly demo?: boolean;
  /** Protected files the agent changed (each restored by the fixture guard). */
  readonly violations?: number;
  /** Its shell commands ran without the OS sandbox (the user accepted that for the workspace). */
  readonly unsandboxed?: boolean;
  /** Its run record exists but cannot be read (file: why): the run is unknown, not "not started". */
  readonly unreadable?: string;
  /** Another process on this machine (a CLI) runs it: shown, not followed. */
  readonly elsewhere?: boolean;
}
