// Our own event vocabulary for what an agent does, normalised from opencode's server events.
// Front ends (tree, panel, CLI) and the orchestrator speak only this union, so an opencode upgrade
// touches one file.

export interface Tokens {
  readonly input: number;
  readonly output: number;
  readonly reasoning: number;
  readonly cacheRead: number;
  readonly cacheWrite: number;
}

export const ZERO_TOKENS: Tokens = { input: 0, output: 0, reasoning: 0, cacheRead: 0, cacheWrite: 0 };

export function addTokens(a: Tokens, b: Tokens): Tokens {
  return {
    input: a.input + b.input,
    output: a.output + b.output,
    reasoning: a.reasoning + b.reasoning,
    cacheRead: a.cacheRead + b.cacheRead,
    cacheWrite: a.cacheWrite + b.cacheWrite,
  };
}

/**
 * Tokens as every view counts them: input, output and reasoning. Cache reads and writes are left out:
 * they re-read or store tokens already counted as input (their price is in the cost), and counting
 * them made the status bar's total several times the panel's.
 */
export function totalTokens(t: Tokens): number {
  return t.input + t.output + t.reasoning;
}

export type AgentEvent =
  | { readonly type: 'text'; readonly sessionId: string; readonly messageId: string; readonly partId: string; readonly delta: string }
  | { readonly type: 'text.done'; readonly sessionId: string; readonly messageId: string; readonly partId: string; readonly text: string }
  | { readonly type: 'reasoning'; readonly sessionId: string; readonly messageId: string; readonly partId: string; readonly delta: string }
  | { readonly type: 'reasoning.done'; readonly sessionId: string; readonly messageId: string; readonly partId: string; readonly text: string }
  | {
      readonly type: 'tool.started';
      readonly sessionId: string;
      readonly messageId: string;
      readonly partId: string;
      readonly callId: string;
      readonly tool: string;
      readonly input: Record<string, unknown>;
    }
  | {
      readonly type: 'tool.finished';
      readonly sessionId: string;
      readonly messageId: string;
      readonly partId: string;
      readonly callId: string;
      readonly tool: string;
      readonly input: Record<string, unknown>;
      readonly ok: boolean;
      readonly output: string;
      readonly title?: string;
      readonly durationMs?: number;
    }
  | {
      readonly type: 'permission.asked';
      readonly sessionId: string;
      readonly requestId: string;
      readonly permission: string;
      readonly patterns: readonly string[];
      readonly callId?: string;
    }
  | { readonly type: 'permission.answered'; readonly sessionId: string; readonly requestId: string; readonly reply: 'once' | 'always' | 'reject' }
  | {
      readonly type: 'status';
      readonly sessionId: string;
      readonly status: 'busy' | 'idle' | 'retry';
      /** For `retry`: the attempt number, the provider's message and when the next try is due (epoch ms). */
      readonly attempt?: number;
      readonly message?: string;
      readonly nextAt?: number;
    }
  | { readonly type: 'step'; readonly sessionId: string; readonly messageId: string; readonly costUsd: number; readonly tokens: Tokens }
  | { readonly type: 'error'; readonly sessionId: string; readonly name: string; readonly message: string }
  | {
      readonly type: 'finished';
      readonly sessionId: string;
      readonly messageId: string;
      /** The model's finish reason of the last step, e.g. `stop`. */
      readonly finish: string;
      /** The final assistant text of the turn (what the agent claims). */
      readonly text: string;
    };

// ----------------------------------------------------------------------------------------------
// Normalisation. The raw shapes are opencode 1.18's; anything unexpected is ignored, never thrown.

type Raw = Record<string, unknown>;

const obj = (v: unknown): Raw => (v && typeof v === 'object' ? (v as Raw) : {});
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

function tokensOf(v: unknown): Tokens {
  const t = obj(v);
  const cache = obj(t.cache);
  return { input: num(t.input), output: num(t.output), reasoning: num(t.reasoning), cacheRead: num(cache.read), cacheWrite: num(cache.write) };
}

interface SessionTrack {
  /** Part kinds (deltas do not say whether they are text or reasoning), tool states, steps counted. */
  readonly partKind: Map<string, string>;
  readonly toolState: Map<string, string>;
  readonly stepsSeen: Set<string>;
  lastAssistant?: { id: string; completed: boolean; finish: string; error: boolean };
  lastText: Map<string, string>; // messageId → text of its latest text part
  finishedFor?: string; // messageId we already reported "finished" for
  busySinceFinish: boolean;
}

/** How many sessions' state the normaliser keeps at most. */
export interface NormalizerLimits {
  /**
   * Sessions with state (default 1024, far above any concurrency): past it, the session least recently
   * heard from loses its state. Only sessions nobody forgets get there: another client's sessions on a
   * shared server, whose events we see too.
   */
  readonly sessions: number;
  /** Sessions heard from again after they were forgotten (a late idle or message update): default 32. */
  readonly afterEnd: number;
  /** Forgotten sessions remembered as such (default 4096; the oldest is dropped past it). */
  readonly ended: number;
}

const DEFAULT_LIMITS: NormalizerLimits = { sessions: 1024, afterEnd: 32, ended: 4096 };

function newTrack(): SessionTrack {
  return { partKind: new Map(), toolState: new Map(), stepsSeen: new Set(), lastText: new Map(), busySinceFinish: false };
}

/** Looks `key` up and makes it the most recent; adds a new entry past `cap` by dropping the least recent. */
function touch<V>(map: Map<string, V>, key: string, make: () => V, cap: number): V {
  const known = map.get(key);
  if (known !== undefined) {
    map.delete(key);
    map.set(key, known);
    return known;
  }
  const made = make();
  map.set(key, made);
  if (map.size > cap) map.delete(map.keys().next().value as string);
  return made;
}

/**
 * Stateful: remembers part kinds (deltas do not say whether they are text or reasoning), tool
 * states (to report each start and finish once), and each session's last assistant message (for
 * "finished" = idle + that message completed). All of it is kept per session, so `forget` frees it,
 * and it stays bounded however many sessions come and go: a session heard from after it was forgotten
 * (a late idle, message update or title, or a replay) gets state again, but among a few such sessions
 * only (NormalizerLimits.afterEnd), and sessions never forgotten are capped too.
 */
export class EventNormalizer {
  /** In order of the last event heard (oldest first). */
  private readonly sessions = new Map<string, SessionTrack>();
  /** Sessions heard from after they were forgotten, in the same order. */
  private readonly afterEnd = new Map<string, SessionTrack>();
  /** Sessions forgotten, in the order they were (oldest first). */
  private readonly ended = new Set<string>();

  constructor(private readonly limits: NormalizerLimits = DEFAULT_LIMITS) {}

  private track(sessionId: string): SessionTrack {
    // Most recently heard from goes last, so a cap drops sessions gone quiet, never a busy one.
    if (this.ended.has(sessionId)) return touch(this.afterEnd, sessionId, newTrack, this.limits.afterEnd);
    return touch(this.sessions, sessionId, newTrack, this.limits.sessions);
  }

  /** Sessions with state held (for tests of the bookkeeping). */
  get trackedSessions(): number {
    return this.sessions.size + this.afterEnd.size;
  }

  /** Forget a session's state (after it ended or was deleted). */
  forget(sessionId: string): void {
    this.sessions.delete(sessionId);
    this.afterEnd.delete(sessionId);
    this.ended.delete(sessionId);
    this.ended.add(sessionId);
    if (this.ended.size > this.limits.ended) this.ended.delete(this.ended.values().next().value as string);
  }

  /** A forgotten session followed again (re-attached): its state is kept like any live session's. */
  resume(sessionId: string): void {
    this.ended.delete(sessionId);
    const t = this.afterEnd.get(sessionId);
    this.afterEnd.delete(sessionId);
    if (t) touch(this.sessions, sessionId, () => t, this.limits.sessions);
  }

  /** One raw opencode event (the `payload` of a global event) → zero or more AgentEvents. */
  normalize(payload: unknown): AgentEvent[] {
    const e = obj(payload);
    const p = obj(e.properties);
    switch (str(e.type)) {
      case 'message.part.delta': {
        const sessionId = str(p.sessionID);
        const partId = str(p.partID);
        if (!sessionId || str(p.field) !== 'text') return [];
        const kind = (this.sessions.get(sessionId) ?? this.afterEnd.get(sessionId))?.partKind.get(partId);
        if (kind !== 'text' && kind !== 'reasoning') return [];
        return [{ type: kind, sessionId, messageId: str(p.messageID), partId, delta: str(p.delta) }];
      }
      case 'message.part.updated':
        return this.part(obj(p.part));
      case 'message.updated':
        return this.message(obj(p.info));
      case 'session.status': {
        const sessionId = str(p.sessionID);
        const status = obj(p.status);
        const type = str(status.type);
        if (!sessionId || (type !== 'busy' && type !== 'idle' && type !== 'retry')) return [];
        const out: AgentEvent[] = [];
        if (type === 'retry') {
          out.push({ type: 'status', sessionId, status: 'retry', attempt: num(status.attempt), message: str(status.message), nextAt: num(status.next) });
        } else {
          out.push({ type: 'status', sessionId, status: type });
        }
        if (type === 'busy') this.track(sessionId).busySinceFinish = true;
        if (type === 'idle') out.push(...this.idle(sessionId));
        return out;
      }
      case 'session.idle':
        return this.idle(str(p.sessionID));
      case 'session.error': {
        const sessionId = str(p.sessionID);
        if (!sessionId) return [];
        const err = obj(p.error);
        const data = obj(err.data);
        const name = str(err.name) || 'UnknownError';
        return [{ type: 'error', sessionId, name, message: str(data.message) || name }];
      }
      case 'permission.asked': {
        const sessionId = str(p.sessionID);
        if (!sessionId) return [];
        const tool = obj(p.tool);
        const patterns = Array.isArray(p.patterns) ? p.patterns.filter((x): x is string => typeof x === 'string') : [];
        return [{ type: 'permission.asked', sessionId, requestId: str(p.id), permission: str(p.permission), patterns, callId: str(tool.callID) || undefined }];
      }
      case 'permission.replied': {
        const sessionId = str(p.sessionID);
        const reply = str(p.reply);
        if (!sessionId || (reply !== 'once' && reply !== 'always' && reply !== 'reject')) return [];
        return [{ type: 'permission.answered', sessionId, requestId: str(p.requestID), reply }];
      }
      default:
        return [];
    }
  }

  private part(part: Raw): AgentEvent[] {
    const sessionId = str(part.sessionID);
    const partId = str(part.id);
    const messageId = str(part.messageID);
    const type = str(part.type);
    if (!sessionId || !partId) return [];
    const track = this.track(sessionId);
    track.partKind.set(partId, type);
    switch (type) {
      case 'text': {
        const time = obj(part.time);
        const text = str(part.text);
        if (text) track.lastText.set(messageId, text);
        if (time.end && !part.synthetic) return [{ type: 'text.done', sessionId, messageId, partId, text }];
        return [];
      }
      case 'tool': {
        const state = obj(part.state);
        const status = str(state.status);
        const prev = track.toolState.get(partId);
        if (status === prev) return [];
        track.toolState.set(partId, status);
        const base = { sessionId, messageId, partId, callId: str(part.callID), tool: str(part.tool), input: obj(state.input) };
        if (status === 'running') return [{ type: 'tool.started', ...base }];
        if (status === 'completed' || status === 'error') {
          const time = obj(state.time);
          const out: AgentEvent[] = [];
          // A tool can go from pending straight to an end state: report the start too.
          if (prev !== 'running') out.push({ type: 'tool.started', ...base });
          out.push({
            type: 'tool.finished',
            ...base,
            ok: status === 'completed',
            output: status === 'completed' ? str(state.output) : str(state.error),
            title: str(state.title) || undefined,
            durationMs: time.end && time.start ? num(time.end) - num(time.start) : undefined,
          });
          return out;
        }
        return [];
      }
      case 'reasoning': {
        const time = obj(part.time);
        if (time.end) return [{ type: 'reasoning.done', sessionId, messageId, partId, text: str(part.text) }];
        return [];
      }
      case 'step-finish':
        if (track.stepsSeen.has(partId)) return [];
        track.stepsSeen.add(partId);
        return [{ type: 'step', sessionId, messageId, costUsd: num(part.cost), tokens: tokensOf(part.tokens) }];
      default:
        return [];
    }
  }

  private message(info: Raw): AgentEvent[] {
    if (str(info.role) !== 'assistant') return [];
    const sessionId = str(info.sessionID);
    if (!sessionId) return [];
    const time = obj(info.time);
    const t = this.track(sessionId);
    t.lastAssistant = { id: str(info.id), completed: !!time.completed, finish: str(info.finish), error: !!info.error };
    return [];
  }

  /** Idle after a completed assistant message = the turn is finished. Reported once per message. */
  private idle(sessionId: string): AgentEvent[] {
    if (!sessionId) return [];
    const t = this.track(sessionId);
    const last = t.lastAssistant;
    if (!last || !last.completed || last.error || t.finishedFor === last.id) return [];
    t.finishedFor = last.id;
    t.busySinceFinish = false;
    return [{ type: 'finished', sessionId, messageId: last.id, finish: last.finish, text: t.lastText.get(last.id) ?? '' }];
  }
}
