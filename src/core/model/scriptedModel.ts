// A scripted OpenAI-compatible chat-completions server on 127.0.0.1: the demo model, and the model
// behind every agent test. It streams SSE chunks (text, reasoning and tool calls) like a real
// provider, so opencode runs its real agent loop against it.
//
// Which script a request follows: the session it belongs to (opencode sends `x-session-id`), as
// assigned with `assign(sessionId, name)`; else a `[[script:NAME]]` marker in the user's text; else
// the `fallback` resolver. The step within a script is the number of assistant messages after the
// last user message, so a script replays the same way however fast opencode runs.
import * as http from 'node:http';
import { closeServer, listenLoopback } from '../util/httpServer';

export interface ToolCallStep {
  readonly name: string;
  readonly arguments: Record<string, unknown>;
}

export interface ScriptStep {
  readonly text?: string;
  readonly reasoning?: string;
  readonly tool_calls?: readonly ToolCallStep[];
  /** Answer with this HTTP status instead (a 5xx is retried by opencode, a 4xx ends the turn). */
  readonly httpStatus?: number;
  readonly errorMessage?: string;
  /** Wait this long before answering (to script slow steps). */
  readonly delayMs?: number;
  /** Token usage reported for this step (defaults: 1000 in, 100 out). */
  readonly usage?: { readonly input: number; readonly output: number };
}

export interface ScriptRequest {
  readonly sessionId: string | undefined;
  readonly step: number;
  readonly userText: string;
  readonly messages: readonly unknown[];
}

/** A script is a list of steps, or a function of the request (for steps that depend on earlier output). */
export type Script = readonly ScriptStep[] | ((req: ScriptRequest) => ScriptStep);

export interface ScriptedModelOptions {
  readonly scripts?: Record<string, Script>;
  /** Chooses a script for a session with no assignment and no marker. */
  readonly fallback?: (req: ScriptRequest) => string | undefined;
  /** Pause between streamed chunks, ms (default 2). */
  readonly chunkDelayMs?: number;
  /** Every chat request: who asked, what was answered, and the tools the request offered the model. */
  readonly onRequest?: (entry: {
    sessionId: string | undefined;
    script: string | undefined;
    step: number;
    reply: ScriptStep;
    tools: readonly unknown[];
    messages: readonly { role?: string; content?: unknown }[];
  }) => void;
}

interface ChatMessage {
  role?: string;
  content?: unknown;
}

function textOf(m: ChatMessage): string {
  if (typeof m.content === 'string') return m.content;
  if (Array.isArray(m.content)) return m.content.map((p: { text?: string }) => p?.text ?? '').join('');
  return '';
}

const MARKER = /\[\[script:([\w-]+)(?:@(\d+))?\]\]/;

export class ScriptedModelServer {
  private server: http.Server | undefined;
  private readonly scripts = new Map<string, Script>();
  private readonly assigned = new Map<string, string>();
  private requests = 0;
  url = '';

  constructor(private readonly options: ScriptedModelOptions = {}) {
    for (const [name, script] of Object.entries(options.scripts ?? {})) this.scripts.set(name, script);
  }

  get requestCount(): number {
    return this.requests;
  }

  define(name: string, script: Script): void {
    this.scripts.set(name, script);
  }

  /** Makes every request of this opencode session follow the named script. */
  assign(sessionId: string, script: string): void {
    this.assigned.set(sessionId, script);
  }

  async start(port = 0): Promise<string> {
    const server = http.createServer((req, res) => void this.handle(req, res));
    this.server = server;
    this.url = `${await listenLoopback(server, port)}/v1`;
    return this.url;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    await closeServer(server);
  }

  private pick(req: ScriptRequest, userTexts: string[]): { name: string | undefined; step: number } {
    if (req.sessionId && this.assigned.has(req.sessionId)) return { name: this.assigned.get(req.sessionId), step: req.step };
    for (const text of [req.userText, userTexts.join('\n')]) {
      const m = MARKER.exec(text);
      if (m) return { name: m[1], step: req.step + (m[2] ? Number(m[2]) : 0) };
    }
    return { name: this.options.fallback?.(req), step: req.step };
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    let body = '';
    for await (const chunk of req) body += chunk;
    const n = ++this.requests;
    const url = req.url ?? '';
    if (req.method === 'GET' && url.endsWith('/models')) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ object: 'list', data: [{ id: 'scripted', object: 'model' }] }));
      return;
    }
    if (!url.endsWith('/chat/completions')) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: `not found: ${url}` } }));
      return;
    }
    let json: { messages?: ChatMessage[]; tools?: unknown[]; stream?: boolean; model?: string } = {};
    try {
      json = JSON.parse(body || '{}');
    } catch {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: 'malformed JSON body' } }));
      return;
    }
    const messages = json.messages ?? [];
    let lastUser = -1;
    for (let i = messages.length - 1; i >= 0; i--) {
      if (messages[i]?.role === 'user') {
        lastUser = i;
        break;
      }
    }
    const userTexts = messages.filter((m) => m.role === 'user').map(textOf);
    const sessionHeader = req.headers['x-session-id'];
    const request: ScriptRequest = {
      sessionId: typeof sessionHeader === 'string' ? sessionHeader : undefined,
      step: messages.slice(lastUser + 1).filter((m) => m.role === 'assistant').length,
      userText: lastUser >= 0 ? textOf(messages[lastUser] as ChatMessage) : '',
      messages,
    };
    const hasTools = Array.isArray(json.tools) && json.tools.length > 0;
    let reply: ScriptStep;
    let scriptName: string | undefined;
    if (!hasTools) {
      // opencode's title generator and other helpers call without tools.
      reply = { text: 'Scripted session', usage: { input: 10, output: 3 } };
    } else {
      const picked = this.pick(request, userTexts);
      scriptName = picked.name;
      const script = picked.name ? this.scripts.get(picked.name) : undefined;
      if (!script) reply = { text: picked.name ? `The scripted model has no script "${picked.name}".` : 'The scripted model has no script for this session.' };
      else if (typeof script === 'function') reply = script({ ...request, step: picked.step });
      else reply = script[picked.step] ?? { text: `Script "${picked.name}" has no step ${picked.step}.` };
    }
    this.options.onRequest?.({
      sessionId: request.sessionId,
      script: scriptName,
      step: request.step,
      reply,
      tools: Array.isArray(json.tools) ? json.tools : [],
      messages,
    });
    if (reply.delayMs) await new Promise((r) => setTimeout(r, reply.delayMs));

    if (reply.httpStatus) {
      res.writeHead(reply.httpStatus, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          error: { message: reply.errorMessage ?? 'scripted failure', type: reply.httpStatus >= 500 ? 'server_error' : 'invalid_request_error' },
        }),
      );
      return;
    }
    await this.stream(res, n, json.model ?? 'scripted', reply, json.stream !== false);
  }

  private async stream(res: http.ServerResponse, n: number, model: string, reply: ScriptStep, sse: boolean): Promise<void> {
    const id = `chatcmpl-${n}`;
    const created = Math.floor(Date.now() / 1000);
    const toolCalls = (reply.tool_calls ?? []).map((tc, i) => ({
      index: i,
      id: `call_${n}_${i}`,
      type: 'function' as const,
      function: { name: tc.name, arguments: JSON.stringify(tc.arguments) },
    }));
    const usage = {
      prompt_tokens: reply.usage?.input ?? 1000,
      completion_tokens: reply.usage?.output ?? 100,
      total_tokens: (reply.usage?.input ?? 1000) + (reply.usage?.output ?? 100),
    };
    const finish = toolCalls.length ? 'tool_calls' : 'stop';
    if (!sse) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          id,
          object: 'chat.completion',
          created,
          model,
          choices: [
            {
              index: 0,
              message: { role: 'assistant', content: reply.text ?? null, ...(toolCalls.length ? { tool_calls: toolCalls } : {}) },
              finish_reason: finish,
            },
          ],
          usage,
        }),
      );
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    const delay = this.options.chunkDelayMs ?? 2;
    const send = async (delta: Record<string, unknown>, finishReason: string | null = null) => {
      res.write(
        `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices: [{ index: 0, delta, finish_reason: finishReason }] })}\n\n`,
      );
      if (delay) await new Promise((r) => setTimeout(r, delay));
    };
    await send({ role: 'assistant', content: '' });
    if (reply.reasoning) for (const piece of reply.reasoning.match(/[\s\S]{1,24}/g) ?? []) await send({ reasoning_content: piece });
    if (reply.text) for (const piece of reply.text.match(/[\s\S]{1,24}/g) ?? []) await send({ content: piece });
    for (const tc of toolCalls) {
      const args = tc.function.arguments;
      const half = Math.floor(args.length / 2);
      await send({ tool_calls: [{ index: tc.index, id: tc.id, type: 'function', function: { name: tc.function.name, arguments: '' } }] });
      await send({ tool_calls: [{ index: tc.index, function: { arguments: args.slice(0, half) } }] });
      await send({ tool_calls: [{ index: tc.index, function: { arguments: args.slice(half) } }] });
    }
    await send({}, finish);
    res.write(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices: [], usage })}\n\n`);
    res.write('data: [DONE]\n\n');
    res.end();
  }
}

/** The opencode provider entry for a scripted model server (built into opencode: openai-compatible). */
export function scriptedProviderConfig(baseURL: string, opts: { providerId?: string; label?: string; costPerMTok?: { input: number; output: number } } = {}) {
  const id = opts.providerId ?? 'scripted';
  return {
    [id]: {
      npm: '@ai-sdk/openai-compatible',
      name: opts.label ?? 'Scripted model',
      options: { baseURL, apiKey: 'not-needed' },
      models: {
        scripted: {
          name: opts.label ?? 'Scripted model',
          tool_call: true,
          reasoning: false,
          limit: { context: 200000, output: 8192 },
          cost: opts.costPerMTok ?? { input: 3, output: 15 },
        },
      },
    },
  };
}
