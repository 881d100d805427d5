// The harness's own tools for agents (record a fixture, run the tests, report being blocked),
// served on 127.0.0.1 to the opencode plugin (src/harness-plugin/plugin.ts), which forwards each
// call with the session id and directory opencode gives it. The harness answers with full
// knowledge of the run; the agent gets only the text.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import * as http from 'node:http';
import * as path from 'node:path';
import type { AccessDecision } from '../sandbox/fileAccess';
import { closeServer, listenLoopback } from '../util/httpServer';

export const HARNESS_TOOLS = ['record_fixture', 'run_tests', 'report_blocked'] as const;
export type HarnessToolName = (typeof HARNESS_TOOLS)[number];

export interface ToolCall {
  readonly tool: HarnessToolName;
  readonly args: Record<string, unknown>;
  readonly sessionId: string;
  readonly directory: string;
  readonly callId?: string;
}

export interface ToolResult {
  /** False: the agent sees the output as a failed tool call. */
  readonly ok: boolean;
  readonly output: string;
}

export type ToolHandler = (call: ToolCall) => Promise<ToolResult>;

/**
 * What the harness enforces for one run, asked by the plugin before every tool call (`/access`) and for
 * every shell command (`/shell`): found by the session id opencode gives the plugin, never by a path
 * the agent chose.
 */
export interface RunPolicy {
  /** The run's session (undefined until it exists: nothing is allowed before). */
  sessionId(): string | undefined;
  /** Variables for the agent shell: how this run's commands are sandboxed. */
  shellEnv(): Record<string, string>;
  /** Whether a tool call of this run may go ahead (file tools are checked on real paths). */
  checkAccess(tool: string, args: Record<string, unknown>): AccessDecision;
  /** A tool call the plugin let through is about to run (from its `tool.execute.before` hook). */
  callStarted?(callId: string, tool: string, args: Record<string, unknown>): void;
  /**
   * The call has run and its result is not yet given to the agent (`tool.execute.after`): the harness
   * settles what the call did (the guard's check of the folder) while the call still counts as running.
   */
  callEnded?(callId: string, tool: string): Promise<void>;
}

/** The env the opencode server needs so its plugin can reach us. */
export interface HarnessEndpoint {
  readonly IB_HARNESS_URL: string;
  readonly IB_HARNESS_TOKEN: string;
}

export class HarnessToolServer {
  private server: http.Server | undefined;
  private readonly token = randomBytes(24).toString('base64url');
  /** Handlers per interaction folder (absolute, normalised). */
  private readonly folders = new Map<string, ToolHandler>();
  /** Each running interaction's policy, per folder. */
  private readonly policies = new Map<string, RunPolicy>();
  url = '';

  async start(): Promise<HarnessEndpoint> {
    const server = http.createServer((req, res) => void this.handle(req, res));
    this.server = server;
    this.url = await listenLoopback(server);
    return { IB_HARNESS_URL: this.url, IB_HARNESS_TOKEN: this.token };
  }

  /** Routes tool calls from sessions working in `folder` to `handler`. */
  register(folder: string, handler: ToolHandler, policy?: RunPolicy): { dispose(): void } {
    const key = path.resolve(folder);
    this.folders.set(key, handler);
    if (policy) this.policies.set(key, policy);
    return {
      dispose: () => {
        if (this.folders.get(key) === handler) this.folders.delete(key);
        if (policy && this.policies.get(key) === policy) this.policies.delete(key);
      },
    };
  }

  /** The policy of the run whose session this is. */
  private policyOf(sessionId: unknown): RunPolicy | undefined {
    if (typeof sessionId !== 'string' || !sessionId) return undefined;
    for (const p of this.policies.values()) if (p.sessionId() === sessionId) return p;
    return undefined;
  }

  private authorised(req: http.IncomingMessage): boolean {
    const got = Buffer.from(String(req.headers.authorization ?? ''));
    const want = Buffer.from(`Bearer ${this.token}`);
    return got.length === want.length && timingSafeEqual(got, want);
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const reply = (status: number, body: ToolResult) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.method !== 'POST' || !['/tool', '/shell', '/access'].includes(req.url ?? '')) return reply(404, { ok: false, output: 'not found' });
    if (!this.authorised(req)) return reply(401, { ok: false, output: 'the harness refused the call (bad token)' });
    let body = '';
    for await (const chunk of req) body += chunk;
    if (req.url === '/shell' || req.url === '/access') return await this.handlePolicy(req.url, body, res);
    let call: ToolCall;
    try {
      const raw = JSON.parse(body) as Record<string, unknown>;
      if (!HARNESS_TOOLS.includes(raw.tool as HarnessToolName)) throw new Error(`unknown tool ${String(raw.tool)}`);
      if (typeof raw.sessionId !== 'string' || typeof raw.directory !== 'string') throw new Error('sessionId and directory are required');
      call = {
        tool: raw.tool as HarnessToolName,
        args: raw.args && typeof raw.args === 'object' ? (raw.args as Record<string, unknown>) : {},
        sessionId: raw.sessionId,
        directory: raw.directory,
        callId: typeof raw.callId === 'string' ? raw.callId : undefined,
      };
    } catch (err) {
      return reply(400, { ok: false, output: `malformed tool call: ${(err as Error).message}` });
    }
    const handler = this.folders.get(path.resolve(call.directory));
    if (!handler) return reply(200, { ok: false, output: `no interaction is running in ${call.directory}; the harness cannot act for it` });
    try {
      reply(200, await handler(call));
    } catch (err) {
      reply(200, { ok: false, output: `the harness failed: ${(err as Error).message}` });
    }
  }

  /**
   * `/shell` → `{ env }` for the agent shell; `/access` → `{ ok, reason }`. Unknown sessions are refused.
   * `/access` comes twice per call, `phase` saying which hook asks: `before` (a call allowed is now
   * running) and `after` (it ran; settled before the answer).
   */
  private async handlePolicy(url: string, body: string, res: http.ServerResponse): Promise<void> {
    const send = (value: unknown) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(value));
    };
    let raw: Record<string, unknown>;
    try {
      raw = JSON.parse(body) as Record<string, unknown>;
    } catch {
      raw = {};
    }
    const policy = this.policyOf(raw.sessionId);
    const unknown = 'this session belongs to no run the harness is running';
    if (url === '/shell') {
      if (!policy) return send({ env: { IB_SANDBOX: 'refuse', IB_SANDBOX_REASON: unknown } });
      return send({ env: policy.shellEnv() });
    }
    if (!policy) return send({ ok: false, reason: unknown });
    const args = raw.args && typeof raw.args === 'object' ? (raw.args as Record<string, unknown>) : {};
    const tool = String(raw.tool ?? '');
    const callId = typeof raw.callId === 'string' && raw.callId ? raw.callId : undefined;
    try {
      if (raw.phase === 'after' && callId) await policy.callEnded?.(callId, tool);
      const decision = policy.checkAccess(tool, args);
      if (raw.phase === 'before' && callId && decision.ok) policy.callStarted?.(callId, tool, args);
      return send(decision);
    } catch (err) {
      return send({ ok: false, reason: `the harness could not check this call: ${(err as Error).message}` });
    }
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    await closeServer(server);
  }
}
