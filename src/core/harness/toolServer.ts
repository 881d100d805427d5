// The harness's own tools for agents (record a fixture, run the tests, report being blocked),
// served on 127.0.0.1 to the opencode plugin (src/harness-plugin/plugin.ts), which forwards each
// call with the session id and directory opencode gives it. The harness answers with full
// knowledge of the run; the agent gets only the text.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import * as http from 'node:http';
import * as path from 'node:path';
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
  url = '';

  async start(): Promise<HarnessEndpoint> {
    const server = http.createServer((req, res) => void this.handle(req, res));
    this.server = server;
    this.url = await listenLoopback(server);
    return { IB_HARNESS_URL: this.url, IB_HARNESS_TOKEN: this.token };
  }

  /** Routes tool calls from sessions working in `folder` to `handler`. */
  register(folder: string, handler: ToolHandler): { dispose(): void } {
    const key = path.resolve(folder);
    this.folders.set(key, handler);
    return { dispose: () => this.folders.get(key) === handler && this.folders.delete(key) };
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
    if (req.method !== 'POST' || req.url !== '/tool') return reply(404, { ok: false, output: 'not found' });
    if (!this.authorised(req)) return reply(401, { ok: false, output: 'the harness refused the call (bad token)' });
    let body = '';
    for await (const chunk of req) body += chunk;
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

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    await closeServer(server);
  }
}
