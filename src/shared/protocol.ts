// The Agents panel's messages, both directions, in one place. Each side validates what it receives
// with these zod schemas: a malformed message is dropped and reported, never half-applied.
import * as z from 'zod';

export const STATUSES = ['not-started', 'queued', 'running', 'needs-review', 'blocked', 'verified', 'failed', 'stopped', 'interrupted'] as const;

export const AgentRow = z.object({
  key: z.string(),
  status: z.enum(STATUSES),
  detail: z.string().optional(),
  attempt: z.number().int(),
  startedAt: z.string().optional(),
  endedAt: z.string().optional(),
  steps: z.number().int(),
  /** This attempt's spend (what the row's agent has cost). */
  costUsd: z.number(),
  tokens: z.number(),
  /** What earlier attempts of the interaction spent: in the totals, so they match the status bar. */
  priorCostUsd: z.number().optional(),
  priorTokens: z.number().optional(),
  violations: z.number().int(),
  demo: z.boolean(),
  /** Its shell commands ran without the OS sandbox. */
  unsandboxed: z.boolean().optional(),
  /** A permission request is waiting for an answer. */
  waiting: z.boolean(),
  verdict: z.enum(['verified', 'failed', 'needs-review']).optional(),
});
export type AgentRow = z.infer<typeof AgentRow>;

/** One row of an agent's stream. Items are upserted by id (a tool call's row is updated when it ends). */
export const StreamItem = z.discriminatedUnion('kind', [
  /** The prompt, or (`turn` ≥ 2) a person's feedback that started that turn of the session. */
  z.object({ id: z.string(), kind: z.literal('prompt'), text: z.string(), turn: z.number().int().optional() }),
  z.object({ id: z.string(), kind: z.literal('text'), text: z.string(), done: z.boolean() }),
  z.object({ id: z.string(), kind: z.literal('reasoning'), text: z.string(), done: z.boolean() }),
  z.object({
    id: z.string(),
    kind: z.literal('tool'),
    tool: z.string(),
    /** The command, the path, or the arguments in one line. */
    title: z.string(),
    state: z.enum(['running', 'ok', 'error']),
    output: z.string().optional(),
    /** For write/edit: old and new text (a diff is drawn from them). */
    before: z.string().optional(),
    after: z.string().optional(),
  }),
  z.object({
    id: z.string(),
    kind: z.literal('permission'),
    requestId: z.string(),
    permission: z.string(),
    patterns: z.array(z.string()),
    answered: z.enum(['once', 'always', 'reject']).optional(),
  }),
  z.object({ id: z.string(), kind: z.literal('error'), text: z.string() }),
  z.object({ id: z.string(), kind: z.literal('violation'), text: z.string() }),
  z.object({
    id: z.string(),
    kind: z.literal('finding'),
    severity: z.enum(['error', 'warning', 'info']),
    rule: z.string(),
    text: z.string(),
    line: z.number().int().optional(),
  }),
  z.object({ id: z.string(), kind: z.literal('end'), text: z.string() }),
]);
export type StreamItem = z.infer<typeof StreamItem>;

export const Totals = z.object({
  agents: z.number().int(),
  running: z.number().int(),
  costUsd: z.number(),
  tokens: z.number(),
  violations: z.number().int(),
  attention: z.number().int(),
});
export type Totals = z.infer<typeof Totals>;

/** The agent server connection's state (src/core/agent/types.ts ConnectionState), for the panel's header. */
export const SERVER_STATES = ['idle', 'starting', 'ready', 'reconnecting', 'down'] as const;
export const ServerState = z.object({ state: z.enum(SERVER_STATES), detail: z.string().optional() });
export type ServerState = z.infer<typeof ServerState>;

export const HostMessage = z.discriminatedUnion('type', [
  /** The whole list (on ready, and when rows change; coalesced). */
  z.object({ type: z.literal('agents'), agents: z.array(AgentRow), totals: Totals, demo: z.boolean() }),
  /** Items of one agent's stream, new or changed, in order; `reset` replaces the stream. */
  z.object({
    type: z.literal('stream'),
    key: z.string(),
    items: z.array(StreamItem),
    reset: z.boolean(),
    sentAt: z.number().optional(),
    seq: z.number().int().optional(),
  }),
  /** The agent server's state (on ready, and when it changes). */
  z.object({ type: z.literal('server'), server: ServerState }),
  /** Scroll to this item (Jump to first bad step). */
  z.object({ type: z.literal('reveal'), key: z.string(), itemId: z.string() }),
  /** Select this agent and show its stream (the Agents board's Reveal). */
  z.object({ type: z.literal('select'), key: z.string() }),
]);
export type HostMessage = z.infer<typeof HostMessage>;

export const PanelAction = z.enum([
  'stop',
  'restart',
  'verify',
  'review',
  'feedback',
  'accept',
  'reject',
  'openFolder',
  'openTranscript',
  'jumpToFirstBadStep',
  'attach',
]);
export type PanelAction = z.infer<typeof PanelAction>;

export const WebviewMessage = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready') }),
  z.object({ type: z.literal('select'), key: z.string() }),
  z.object({ type: z.literal('action'), action: PanelAction, key: z.string() }),
  z.object({
    type: z.literal('permission'),
    key: z.string(),
    requestId: z.string(),
    reply: z.enum(['once', 'always', 'reject']),
    message: z.string().max(2000).optional(),
  }),
  z.object({ type: z.literal('generate') }),
]);
export type WebviewMessage = z.infer<typeof WebviewMessage>;

export function parseHostMessage(data: unknown): HostMessage | undefined {
  const r = HostMessage.safeParse(data);
  return r.success ? r.data : undefined;
}

export function parseWebviewMessage(data: unknown): WebviewMessage | undefined {
  const r = WebviewMessage.safeParse(data);
  return r.success ? r.data : undefined;
}
