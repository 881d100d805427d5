// An in-memory AgentBackend (src/core/agent/backend.ts) for the run engine's unit tests: sessions are
// plain records, events are pushed by the test, and every await the orchestrator makes on the backend
// can be held open (`hold`) so a race is arranged step by step, never by timing.
import type { AgentBackend } from '../../src/core/agent/backend';
import type { AgentEvent } from '../../src/core/agent/events';
import type { PermissionRule, PromptRequest, SessionRef, SessionsLost } from '../../src/core/agent/connection';
import type { HarnessToolServer, RunPolicy, ToolHandler } from '../../src/core/harness/toolServer';
import { Emitter } from '../../src/core/util/emitter';

type Method = 'ensure' | 'createSession' | 'prompt' | 'abort';
/** An agent event without its session id (the fake adds it). */
type EventOf<E> = E extends unknown ? Omit<E, 'sessionId'> : never;

export interface FakeSession {
  readonly ref: SessionRef;
  readonly title: string;
  readonly permission: readonly PermissionRule[];
  prompts: PromptRequest[];
  aborted: number;
  released: boolean;
  deleted: boolean;
}

export class FakeBackend implements AgentBackend {
  private readonly lost = new Emitter<SessionsLost>();
  readonly onSessionsLost = this.lost.event;
  readonly ownedServer = { url: 'http://127.0.0.1:1' };
  readonly sessions = new Map<string, FakeSession>();
  /** Every call, in order: `ensure`, `createSession <dir>`, `prompt <id>`, `abort <id>`, … */
  readonly calls: string[] = [];
  private readonly listeners = new Map<string, Set<(e: AgentEvent) => void>>();
  private readonly holds = new Map<Method, { opened: Promise<void>; open: () => void; reached: () => void; reachedP: Promise<void> }>();
  private next = 0;
  /** The next calls of `ensure` fail with these, one each, in order (a server slow to come up). */
  readonly ensureFailures: Error[] = [];

  /**
   * The next call of `method` waits until `release()` is called. `reached` resolves when the call is
   * made, so a test can act at exactly that point (stop during `ensure`, restart during `prompt`, …).
   */
  hold(method: Method): { reached: Promise<void>; release: () => void } {
    let open!: () => void;
    let reached!: () => void;
    const opened = new Promise<void>((r) => (open = r));
    const reachedP = new Promise<void>((r) => (reached = r));
    this.holds.set(method, { opened, open, reached, reachedP });
    return { reached: reachedP, release: open };
  }

  private async gate(method: Method): Promise<void> {
    const h = this.holds.get(method);
    if (!h) return;
    this.holds.delete(method);
    h.reached();
    await h.opened;
  }

  async ensure(): Promise<void> {
    this.calls.push('ensure');
    await this.gate('ensure');
    const failure = this.ensureFailures.shift();
    if (failure) throw failure;
  }

  async createSession(directory: string, title: string, permission: readonly PermissionRule[] = []): Promise<SessionRef> {
    this.calls.push(`createSession ${directory}`);
    await this.gate('createSession');
    const ref = { sessionId: `ses_${++this.next}`, directory, serverUrl: this.ownedServer.url };
    this.sessions.set(ref.sessionId, { ref, title, permission, prompts: [], aborted: 0, released: false, deleted: false });
    return ref;
  }

  subscribe(sessionId: string, listener: (e: AgentEvent) => void): { dispose(): void } {
    const set = this.listeners.get(sessionId) ?? new Set();
    set.add(listener);
    this.listeners.set(sessionId, set);
    return { dispose: () => set.delete(listener) };
  }

  async prompt(ref: SessionRef, request: PromptRequest): Promise<void> {
    this.calls.push(`prompt ${ref.sessionId}`);
    await this.gate('prompt');
    this.session(ref.sessionId).prompts.push(request);
  }

  async abort(ref: SessionRef): Promise<void> {
    this.calls.push(`abort ${ref.sessionId}`);
    await this.gate('abort');
    this.session(ref.sessionId).aborted++;
  }

  async release(ref: SessionRef): Promise<void> {
    this.calls.push(`release ${ref.sessionId}`);
    this.session(ref.sessionId).released = true;
  }

  async deleteSession(ref: SessionRef): Promise<void> {
    this.calls.push(`deleteSession ${ref.sessionId}`);
    this.session(ref.sessionId).deleted = true;
  }

  /** A session still followed (not released) is busy; one whose run ended is idle, and followed again; a deleted one is gone. */
  async reattach(ref: SessionRef): Promise<'busy' | 'idle' | 'gone'> {
    this.calls.push(`reattach ${ref.sessionId}`);
    const s = this.sessions.get(ref.sessionId);
    if (!s || s.deleted) return 'gone';
    if (!s.released) return 'busy';
    s.released = false;
    return 'idle';
  }

  async replaySession(): Promise<void> {}

  /** Delivers an event of a session to whoever follows it (the orchestrator's normalised stream). */
  emit(sessionId: string, event: EventOf<AgentEvent>): void {
    const e = { sessionId, ...event } as AgentEvent;
    for (const l of [...(this.listeners.get(sessionId) ?? [])]) l(e);
  }

  /** The server went away with these sessions. */
  lose(sessionIds: readonly string[], reason = 'the agent server exited'): void {
    this.lost.fire({ serverUrl: this.ownedServer.url, sessionIds, reason });
  }

  session(id: string): FakeSession {
    const s = this.sessions.get(id);
    if (!s) throw new Error(`no session ${id}`);
    return s;
  }

  /** The one session created in `directory` (the latest, when restarted). */
  sessionIn(directory: string): FakeSession | undefined {
    return [...this.sessions.values()].filter((s) => s.ref.directory === directory).pop();
  }
}

/** The harness tool server's `register`, kept in memory: the test calls the handlers and the policy hooks itself. */
export class FakeTools implements Pick<HarnessToolServer, 'register'> {
  readonly folders = new Map<string, { handler: ToolHandler; policy?: RunPolicy }>();
  register(folder: string, handler: ToolHandler, policy?: RunPolicy): { dispose(): void } {
    const entry = { handler, policy };
    this.folders.set(folder, entry);
    return { dispose: () => this.folders.get(folder) === entry && this.folders.delete(folder) };
  }
  of(folder: string): { handler: ToolHandler; policy: RunPolicy } {
    const e = this.folders.get(folder);
    if (!e?.policy) throw new Error(`nothing registered for ${folder}`);
    return { handler: e.handler, policy: e.policy };
  }
}
