// One connection service owns the opencode server(s), the HTTP clients and the event streams;
// everything else subscribes to it. Sessions go to our own spawned server, or are spread over the
// remote servers the user listed. Each server has one `global.event()` stream, routed by session
// id, reconnected with backoff; after a reconnect the sessions are re-synchronised so a "finished"
// that happened during the gap is not lost.
import { createOpencodeClient, type OpencodeClient } from '@opencode-ai/sdk/v2';
import { Emitter, type Disposable } from '../util/emitter';
import { EventNormalizer, type AgentEvent } from './events';
import { authHeaders, OpencodeServer, ServerStartError, type OpencodeServerOptions, type ServerEndpoint } from './server';
import type { ConnectionState, ConnectionStatus } from './types';

export interface PermissionRule {
  readonly permission: string;
  readonly pattern: string;
  readonly action: 'allow' | 'deny' | 'ask';
}

export interface SessionRef {
  readonly sessionId: string;
  readonly directory: string;
  /** URL of the server that holds the session. */
  readonly serverUrl: string;
}

export interface PromptRequest {
  readonly text: string;
  readonly agent?: string;
  /** `provider/model`; the server's default model when absent. */
  readonly model?: string;
}

export type ConnectionMode =
  | { readonly kind: 'local'; readonly server: OpencodeServerOptions }
  | { readonly kind: 'remote'; readonly urls: readonly string[]; readonly password?: string };

export interface ConnectionOptions {
  readonly mode: ConnectionMode;
  readonly log?: (line: string) => void;
  /** Reconnect backoff: first delay and cap, ms. */
  readonly backoffMs?: readonly [number, number];
  /**
   * Health check of our own server: how often, how long an answer may take, and how many failures
   * in a row count as a hang (default every 20 s, 10 s, 3: a server busy setting up a folder can
   * take seconds to answer, and killing a healthy server would interrupt every agent on it).
   */
  readonly healthCheck?: { readonly intervalMs: number; readonly timeoutMs: number; readonly failures: number };
}

/** Raised when sessions are lost with their server (crash, or a remote that went away). */
export interface SessionsLost {
  readonly serverUrl: string;
  readonly sessionIds: readonly string[];
  readonly reason: string;
}

class ServerLink {
  readonly client: OpencodeClient;
  readonly sessions = new Map<string, string>(); // sessionId → directory
  private abort = new AbortController();
  private closed = false;
  connected = false;

  constructor(
    readonly endpoint: ServerEndpoint,
    private readonly onRaw: (payload: unknown) => void,
    private readonly onReconnect: () => Promise<void>,
    private readonly log: (line: string) => void,
    private readonly backoff: readonly [number, number],
    /** The stream dropped (false) or came back (true) after the first connection. */
    private readonly onLinkState: (connected: boolean) => void = () => undefined,
  ) {
    this.client = createOpencodeClient({ baseUrl: endpoint.url, headers: authHeaders(endpoint) });
  }

  /** Opens the event stream; resolves once the first connection is up. */
  async open(): Promise<void> {
    let first = true;
    let delay = this.backoff[0];
    const connectedOnce = new Promise<void>((resolve, reject) => {
      const loop = async () => {
        while (!this.closed) {
          let error = 'the event stream ended';
          try {
            // One attempt per call: the SDK's own retry never resets its backoff; ours does.
            const sse = await this.client.global.event({
              signal: this.abort.signal,
              sseMaxRetryAttempts: 1,
              onSseError: (err: unknown) => (error = (err as Error)?.message ?? String(err)),
            } as never);
            let announced = false;
            for await (const ev of (sse as { stream: AsyncIterable<unknown> }).stream) {
              if (!announced) {
                announced = true;
                this.connected = true;
                delay = this.backoff[0];
                if (first) {
                  first = false;
                  resolve();
                } else {
                  this.log(`event stream to ${this.endpoint.url} reconnected`);
                  this.onLinkState(true);
                  await this.onReconnect().catch((err) => this.log(`resync after reconnect failed: ${(err as Error).message}`));
                }
              }
              const payload = (ev as { payload?: unknown })?.payload;
              if (payload) this.onRaw(payload);
            }
          } catch (err) {
            error = (err as Error).message;
          }
          const wasConnected = this.connected;
          this.connected = false;
          if (this.closed) break;
          if (wasConnected) this.onLinkState(false);
          if (first && delay >= this.backoff[1]) {
            reject(new Error(`cannot reach the opencode server at ${this.endpoint.url}: ${error}`));
            return;
          }
          this.log(`event stream to ${this.endpoint.url} dropped (${error}); reconnecting in ${delay} ms`);
          await new Promise((r) => setTimeout(r, delay));
          delay = Math.min(delay * 2, this.backoff[1]);
        }
      };
      void loop();
    });
    await connectedOnce;
  }

  close(): void {
    this.closed = true;
    this.abort.abort();
  }
}

export class AgentConnection implements Disposable {
  private server: OpencodeServer | undefined;
  private links: ServerLink[] = [];
  private starting: Promise<void> | undefined;
  private readonly normalizer = new EventNormalizer();
  private readonly listeners = new Map<string, Set<(e: AgentEvent) => void>>();
  private readonly lost = new Emitter<SessionsLost>();
  private readonly allEvents = new Emitter<AgentEvent>();
  private readonly stateEvents = new Emitter<ConnectionStatus>();
  private status: ConnectionStatus = { state: 'idle' };
  /** Why we are killing our server (a hang), so its exit reads as that rather than a crash. */
  private killReason: string | undefined;
  /** The connection's state changed (starting, ready, reconnecting, down, idle): what the editor shows. */
  readonly onStateChanged = this.stateEvents.event;
  /** Sessions lost with their server: the orchestrator marks their runs interrupted. */
  readonly onSessionsLost = this.lost.event;
  /** Every normalised event of every session (for logs and benchmarks). */
  readonly onEvent = this.allEvents.event;
  private readonly log: (line: string) => void;

  constructor(private readonly options: ConnectionOptions) {
    this.log = options.log ?? (() => undefined);
  }

  /** The server PID when we own one (tests kill it to simulate a crash). */
  get ownedServer(): OpencodeServer | undefined {
    return this.server;
  }

  get started(): boolean {
    return this.links.length > 0;
  }

  /** The connection's state now, and why when it is not ready. */
  get state(): ConnectionStatus {
    return this.status;
  }

  private setState(state: ConnectionState, detail?: string): void {
    if (this.status.state === state && this.status.detail === detail) return;
    this.status = detail === undefined ? { state } : { state, detail };
    this.log(`agent server: ${state}${detail ? ` (${detail})` : ''}`);
    this.stateEvents.fire(this.status);
  }

  /** Ready when every link's stream is up; reconnecting while one is down and retrying. */
  private linkStateChanged(): void {
    if (!this.links.length) return;
    const down = this.links.filter((l) => !l.connected);
    if (down.length) this.setState('reconnecting', `the event stream to ${down.map((l) => l.endpoint.url).join(', ')} dropped; reconnecting`);
    else this.setState('ready');
  }

  /** Starts (or reaches) the server(s) and opens the event streams. Idempotent. */
  async ensure(): Promise<void> {
    if (this.links.length) return;
    this.starting ??= this.start().finally(() => (this.starting = undefined));
    await this.starting;
  }

  private async start(): Promise<void> {
    this.setState('starting');
    try {
      await this.startLinks();
    } catch (err) {
      this.setState('down', (err as Error).message);
      throw err;
    }
    this.setState('ready');
  }

  private async startLinks(): Promise<void> {
    const backoff = this.options.backoffMs ?? [100, 5000];
    const mode = this.options.mode;
    const endpoints: ServerEndpoint[] = [];
    if (mode.kind === 'local') {
      // A start that fails (too slow to report its URL, or it exited) is tried once more with a fresh
      // process before the runs waiting for it fail: the first start on a busy machine is the slow one.
      let server = new OpencodeServer(mode.server);
      let endpoint: ServerEndpoint;
      try {
        endpoint = await server.start();
      } catch (err) {
        if (!(err instanceof ServerStartError) || !err.retryable) throw err;
        this.log(`opencode server did not start (${err.message}); trying once more`);
        await server.stop().catch(() => undefined);
        server = new OpencodeServer(mode.server);
        endpoint = await server.start();
      }
      this.server = server;
      server.onDidExit(({ expected, code, signal }) => {
        if (expected) return;
        const reason = this.killReason
          ? `${this.killReason} (code ${code}, signal ${signal})`
          : `the opencode server stopped unexpectedly (code ${code}, signal ${signal})`;
        this.killReason = undefined;
        this.log(`opencode server exited unexpectedly (code ${code}, signal ${signal})`);
        this.dropLink(endpoint.url, reason);
        if (this.server === server) this.server = undefined;
        if (!this.links.length && !this.starting) this.setState('down', reason);
      });
      endpoints.push(endpoint);
      this.watchHealth(server, endpoint);
    } else {
      if (mode.urls.length === 0) throw new Error('no opencode server URLs are configured');
      for (const url of mode.urls) endpoints.push({ url: url.replace(/\/$/, ''), password: mode.password, owned: false });
    }
    const links = endpoints.map(
      (ep) =>
        new ServerLink(
          ep,
          (payload) => this.dispatch(payload),
          () => this.resync(ep.url),
          this.log,
          backoff,
          () => this.linkStateChanged(),
        ),
    );
    const results = await Promise.allSettled(links.map((l) => l.open()));
    const up = links.filter((_, i) => results[i]?.status === 'fulfilled');
    for (const [i, r] of results.entries()) {
      if (r.status === 'rejected') {
        this.log(String((r.reason as Error).message));
        links[i]?.close();
      }
    }
    if (up.length === 0) {
      await this.server?.stop();
      this.server = undefined;
      const reason = results.find((r) => r.status === 'rejected') as PromiseRejectedResult | undefined;
      throw new Error((reason?.reason as Error | undefined)?.message ?? 'no opencode server could be reached');
    }
    this.links = up;
  }

  /**
   * A server that hangs is as lost as one that crashed: poll its health, and after enough failures
   * in a row kill it, so its sessions are marked interrupted and the next run starts a fresh one.
   */
  private watchHealth(server: OpencodeServer, endpoint: ServerEndpoint): void {
    const { intervalMs, timeoutMs, failures } = this.options.healthCheck ?? { intervalMs: 20_000, timeoutMs: 10_000, failures: 3 };
    let failed = 0;
    let checking = false;
    const timer = setInterval(async () => {
      if (!server.running) {
        clearInterval(timer);
        return;
      }
      const client = this.links.find((l) => l.endpoint.url === endpoint.url)?.client;
      if (!client || checking) return;
      checking = true;
      const ok = await Promise.race([
        client.global.health().then(
          (r) => !!(r as { data?: unknown }).data,
          () => false,
        ),
        new Promise<boolean>((r) => setTimeout(() => r(false), timeoutMs)),
      ]);
      checking = false;
      failed = ok ? 0 : failed + 1;
      if (failed >= failures) {
        clearInterval(timer);
        this.log(`opencode server at ${endpoint.url} failed ${failed} health checks in a row; killing it`);
        this.killReason = `the opencode server stopped answering (${failed} health checks failed in a row) and was killed`;
        server.kill();
      }
    }, intervalMs);
    timer.unref?.();
    server.onDidExit(() => clearInterval(timer));
  }

  private dropLink(url: string, reason: string): void {
    const link = this.links.find((l) => l.endpoint.url === url);
    if (!link) return;
    link.close();
    this.links = this.links.filter((l) => l !== link);
    const sessionIds = [...link.sessions.keys()];
    if (sessionIds.length) this.lost.fire({ serverUrl: url, sessionIds, reason });
  }

  /**
   * Stops our own server and starts a new one (remote servers: their event streams are reopened). The
   * sessions on it are lost with it: their runs end interrupted (onSessionsLost). A run that asks for the
   * server meanwhile (ensure) waits for the new one.
   */
  async restart(reason = 'the agent server was restarted'): Promise<void> {
    // Only to let a start under way settle before this one: its failure is its own caller's to report.
    await this.starting?.catch(() => undefined);
    const server = this.server;
    this.server = undefined;
    for (const link of [...this.links]) this.dropLink(link.endpoint.url, reason);
    this.setState('starting');
    this.starting = (async () => {
      await server?.stop();
      await this.start();
    })().finally(() => (this.starting = undefined));
    await this.starting;
  }

  private dispatch(payload: unknown): void {
    for (const event of this.normalizer.normalize(payload)) {
      this.allEvents.fire(event);
      const set = this.listeners.get(event.sessionId);
      if (set) for (const l of [...set]) l(event);
    }
  }

  /** After a reconnect: whatever finished while the stream was down is replayed from the server. */
  private async resync(url: string): Promise<void> {
    const link = this.links.find((l) => l.endpoint.url === url);
    if (!link) return;
    for (const [sessionId, directory] of link.sessions) await this.replay(link, sessionId, directory);
  }

  /** Replays a session's latest state as events (its last assistant message; idle if it is idle). */
  async replaySession(ref: SessionRef): Promise<void> {
    await this.replay(this.linkFor(ref.serverUrl), ref.sessionId, ref.directory);
  }

  private async replay(link: ServerLink, sessionId: string, directory: string): Promise<void> {
    const status = await link.client.session.status({ directory });
    const s = (status.data as Record<string, { type?: string }> | undefined)?.[sessionId];
    const messages = await link.client.session.messages({ sessionID: sessionId, directory });
    const list = (messages.data ?? []) as { info: { role: string }; parts: unknown[] }[];
    const last = [...list].reverse().find((m) => m.info.role === 'assistant');
    if (last) {
      // Steps are not replayed: their cost was counted when they streamed (or is lost with the gap).
      for (const part of last.parts) {
        if ((part as { type?: string }).type !== 'step-finish') this.dispatch({ type: 'message.part.updated', properties: { part } });
      }
      this.dispatch({ type: 'message.updated', properties: { info: last.info } });
    }
    if (!s || s.type === 'idle') this.dispatch({ type: 'session.idle', properties: { sessionID: sessionId } });
  }

  /** Routes one session's events to a listener. */
  subscribe(sessionId: string, listener: (e: AgentEvent) => void): Disposable {
    let set = this.listeners.get(sessionId);
    if (!set) {
      set = new Set();
      this.listeners.set(sessionId, set);
    }
    set.add(listener);
    return {
      dispose: () => {
        set.delete(listener);
        if (set.size === 0) this.listeners.delete(sessionId);
      },
    };
  }

  private linkFor(serverUrl: string): ServerLink {
    const link = this.links.find((l) => l.endpoint.url === serverUrl);
    if (!link) throw new Error(`the opencode server ${serverUrl} is not connected`);
    return link;
  }

  /** The least busy server. */
  private pickLink(): ServerLink {
    const link = [...this.links].sort((a, b) => a.sessions.size - b.sessions.size)[0];
    if (!link) throw new Error('no opencode server is connected');
    return link;
  }

  async createSession(directory: string, title: string, permission: readonly PermissionRule[] = []): Promise<SessionRef> {
    await this.ensure();
    const link = this.pickLink();
    const res = await link.client.session.create({ directory, title, permission: [...permission] } as never);
    const data = (res as { data?: { id?: string }; error?: unknown }).data;
    if (!data?.id) throw new Error(`opencode did not create a session: ${JSON.stringify((res as { error?: unknown }).error ?? res)}`);
    link.sessions.set(data.id, directory);
    return { sessionId: data.id, directory, serverUrl: link.endpoint.url };
  }

  /** Starts a turn without waiting for it (completion arrives as a `finished` event). */
  async prompt(ref: SessionRef, request: PromptRequest): Promise<void> {
    const link = this.linkFor(ref.serverUrl);
    const [providerID, ...rest] = (request.model ?? '').split('/');
    const model = providerID && rest.length ? { providerID, modelID: rest.join('/') } : undefined;
    const res = await link.client.session.promptAsync({
      sessionID: ref.sessionId,
      directory: ref.directory,
      agent: request.agent,
      model,
      parts: [{ type: 'text', text: request.text }],
    } as never);
    const status = (res as { response?: Response }).response?.status ?? 0;
    if (status >= 400) throw new Error(`opencode refused the prompt (HTTP ${status}): ${JSON.stringify((res as { error?: unknown }).error)}`);
  }

  async abort(ref: SessionRef): Promise<void> {
    const link = this.links.find((l) => l.endpoint.url === ref.serverUrl);
    if (!link) return;
    await link.client.session.abort({ sessionID: ref.sessionId, directory: ref.directory });
  }

  async deleteSession(ref: SessionRef): Promise<void> {
    const link = this.links.find((l) => l.endpoint.url === ref.serverUrl);
    if (!link) return;
    link.sessions.delete(ref.sessionId);
    this.normalizer.forget(ref.sessionId);
    await link.client.session.delete({ sessionID: ref.sessionId, directory: ref.directory }).catch(() => undefined);
  }

  /**
   * The run of this session is over (the session stays on the server, for reading and attaching): stop
   * tracking it, and let the server free the folder's instance — opencode otherwise keeps 16–22 MB per
   * folder it has seen for as long as it runs. A later request on the folder starts a fresh instance.
   */
  async release(ref: SessionRef): Promise<void> {
    this.normalizer.forget(ref.sessionId);
    const link = this.links.find((l) => l.endpoint.url === ref.serverUrl);
    if (!link) return;
    link.sessions.delete(ref.sessionId);
    const folderStillUsed = [...link.sessions.values()].some((d) => d === ref.directory);
    if (!folderStillUsed) await link.client.instance.dispose({ directory: ref.directory }).catch(() => undefined);
  }

  /** Answers a permission request of a session (from the Agents panel). */
  async replyPermission(ref: SessionRef, requestId: string, reply: 'once' | 'always' | 'reject', message?: string): Promise<void> {
    const link = this.linkFor(ref.serverUrl);
    const res = await link.client.permission.reply({ requestID: requestId, directory: ref.directory, reply, ...(message ? { message } : {}) });
    if ((res as { error?: unknown }).error) throw new Error(`opencode refused the answer: ${JSON.stringify((res as { error?: unknown }).error)}`);
  }

  /** How to reach a server: its URL and password (for `opencode attach`). */
  endpointOf(serverUrl: string): { url: string; password?: string } | undefined {
    const link = this.links.find((l) => l.endpoint.url === serverUrl);
    return link ? { url: link.endpoint.url, password: link.endpoint.password } : undefined;
  }

  /** Re-attaches to a session that a previous window started on a server we can still reach. */
  async reattach(ref: SessionRef): Promise<'busy' | 'idle' | 'gone'> {
    await this.ensure();
    const link = this.links.find((l) => l.endpoint.url === ref.serverUrl);
    if (!link) return 'gone';
    const got = await link.client.session.get({ sessionID: ref.sessionId, directory: ref.directory }).catch(() => undefined);
    if (!(got as { data?: unknown } | undefined)?.data) return 'gone';
    link.sessions.set(ref.sessionId, ref.directory);
    this.normalizer.resume(ref.sessionId);
    const status = await link.client.session.status({ directory: ref.directory });
    const s = (status.data as Record<string, { type?: string }> | undefined)?.[ref.sessionId];
    return s && s.type !== 'idle' ? 'busy' : 'idle';
  }

  /**
   * @internal test hook: what the connection holds per session — sessions it follows (over every
   * server), session listeners, sessions with normaliser state — each back to 0 when the runs have ended.
   */
  get bookkeeping(): { sessions: number; listeners: number; normalized: number } {
    return {
      sessions: this.links.reduce((n, l) => n + l.sessions.size, 0),
      listeners: this.listeners.size,
      normalized: this.normalizer.trackedSessions,
    };
  }

  /** Which server URLs are in use (to tell a reattachable session from a lost one). */
  serverUrls(): string[] {
    return this.links.map((l) => l.endpoint.url);
  }

  /** The client for a server, for reads the orchestrator needs (messages, transcript). */
  client(serverUrl: string): OpencodeClient | undefined {
    return this.links.find((l) => l.endpoint.url === serverUrl)?.client;
  }

  async dispose(): Promise<void> {
    for (const link of this.links) link.close();
    this.links = [];
    await this.server?.stop();
    this.server = undefined;
    this.setState('idle');
    this.lost.dispose();
    this.allEvents.dispose();
    this.stateEvents.dispose();
  }
}
