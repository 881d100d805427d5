import * as net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ScriptedModelServer,
  scriptedProviderConfig,
  type ScriptedModelOptions,
  type ScriptRequest,
  type ScriptStep,
} from '../../src/core/model/scriptedModel';

// ------------------------------------------------------------------------------------------------
// A tiny OpenAI chat-completions client: posts, reads the SSE stream, reassembles it.

interface Chunk {
  id: string;
  object: string;
  model: string;
  choices: { index: number; delta: Record<string, unknown>; finish_reason: string | null }[];
  usage?: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
}

interface Assembled {
  status: number;
  contentType: string | null;
  chunks: Chunk[];
  done: boolean;
  text: string;
  reasoning: string;
  toolCalls: { index: number; id: string; name: string; arguments: string }[];
  finishReason: string | null | undefined;
  usage: Chunk['usage'];
  /** Lines that were neither `data:` lines nor blank. */
  otherLines: string[];
}

type Msg = { role: string; content: unknown; tool_calls?: unknown[] };
const TOOLS = [{ type: 'function', function: { name: 'bash', description: 'run', parameters: { type: 'object', properties: {} } } }];

function parseSse(body: string): Omit<Assembled, 'status' | 'contentType'> {
  const chunks: Chunk[] = [];
  const otherLines: string[] = [];
  let done = false;
  for (const line of body.split('\n')) {
    if (!line.trim()) continue;
    if (!line.startsWith('data: ')) {
      otherLines.push(line);
      continue;
    }
    const data = line.slice('data: '.length);
    if (data === '[DONE]') {
      done = true;
      continue;
    }
    expect(done).toBe(false); // nothing after [DONE]
    chunks.push(JSON.parse(data) as Chunk);
  }
  let text = '';
  let reasoning = '';
  let finishReason: string | null | undefined;
  let usage: Chunk['usage'];
  const calls = new Map<number, { index: number; id: string; name: string; arguments: string }>();
  for (const c of chunks) {
    if (c.usage) usage = c.usage;
    for (const choice of c.choices) {
      const d = choice.delta as {
        content?: string;
        reasoning_content?: string;
        tool_calls?: { index: number; id?: string; function?: { name?: string; arguments?: string } }[];
      };
      if (typeof d.content === 'string') text += d.content;
      if (typeof d.reasoning_content === 'string') reasoning += d.reasoning_content;
      for (const tc of d.tool_calls ?? []) {
        const call = calls.get(tc.index) ?? { index: tc.index, id: '', name: '', arguments: '' };
        if (tc.id) call.id = tc.id;
        if (tc.function?.name) call.name += tc.function.name;
        if (tc.function?.arguments) call.arguments += tc.function.arguments;
        calls.set(tc.index, call);
      }
      if (choice.finish_reason) finishReason = choice.finish_reason;
    }
  }
  return { chunks, done, text, reasoning, toolCalls: [...calls.values()].sort((a, b) => a.index - b.index), finishReason, usage, otherLines };
}

let servers: ScriptedModelServer[] = [];
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
});

async function serve(options: ScriptedModelOptions = {}): Promise<ScriptedModelServer> {
  const s = new ScriptedModelServer({ chunkDelayMs: 0, ...options });
  servers.push(s);
  await s.start();
  return s;
}

async function chat(
  server: ScriptedModelServer,
  messages: Msg[],
  opts: { sessionId?: string; tools?: unknown[] | null; stream?: boolean } = {},
): Promise<Assembled> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (opts.sessionId) headers['x-session-id'] = opts.sessionId;
  const body: Record<string, unknown> = { model: 'scripted', messages, stream: opts.stream ?? true };
  if (opts.tools !== null) body.tools = opts.tools ?? TOOLS;
  const res = await fetch(`${server.url}/chat/completions`, { method: 'POST', headers, body: JSON.stringify(body) });
  const raw = await res.text();
  const contentType = res.headers.get('content-type');
  if (!contentType?.startsWith('text/event-stream')) {
    return {
      status: res.status,
      contentType,
      chunks: [],
      done: false,
      text: raw,
      reasoning: '',
      toolCalls: [],
      finishReason: undefined,
      usage: undefined,
      otherLines: [],
    };
  }
  return { status: res.status, contentType, ...parseSse(raw) };
}

const user = (content: unknown): Msg => ({ role: 'user', content });
const asst = (content = 'ok'): Msg => ({ role: 'assistant', content });
const toolMsg = (content = 'out'): Msg => ({ role: 'tool', content });

// ------------------------------------------------------------------------------------------------

describe('ScriptedModelServer: lifecycle and routes', () => {
  it('listens on 127.0.0.1 with an OpenAI-style base URL', async () => {
    const s = await serve();
    expect(s.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
  });

  it('lists the scripted model on GET /models', async () => {
    const s = await serve();
    const res = await fetch(`${s.url}/models`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ object: 'list', data: [{ id: 'scripted', object: 'model' }] });
  });

  it('answers 404 for other paths', async () => {
    const s = await serve();
    for (const p of ['/embeddings', '/completions', '/chat/completions/extra', '']) {
      const res = await fetch(`${s.url}${p}`, { method: 'POST', body: '{}' });
      expect(res.status, p).toBe(404);
      const body = (await res.json()) as { error: { message: string } };
      expect(body.error.message).toContain('not found');
    }
    const get = await fetch(`${s.url.replace(/\/v1$/, '')}/health`);
    expect(get.status).toBe(404);
    await get.text();
  });

  it('answers 400 to a malformed JSON body', async () => {
    const s = await serve({ scripts: { a: [{ text: 'x' }] } });
    const res = await fetch(`${s.url}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"messages": [' });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/malformed JSON/i);
  });

  it('counts requests', async () => {
    const s = await serve();
    expect(s.requestCount).toBe(0);
    await (await fetch(`${s.url}/models`)).text();
    await chat(s, [user('hi')], { tools: null });
    expect(s.requestCount).toBe(2);
  });

  it('close() frees the port, and can be called twice', async () => {
    const s = new ScriptedModelServer({ chunkDelayMs: 0 });
    const url = await s.start();
    const port = Number(new URL(url).port);
    // A kept-alive connection from fetch must not hold the server open.
    await (await fetch(`${url}/models`)).text();
    await s.close();
    await s.close();
    await expect(fetch(`${url}/models`)).rejects.toThrow();
    // The port is free again: something else can listen on it.
    const other = net.createServer();
    await new Promise<void>((resolve, reject) => {
      other.once('error', reject);
      other.listen(port, '127.0.0.1', () => resolve());
    });
    await new Promise<void>((resolve) => other.close(() => resolve()));
  });

  it('can start on a given port', async () => {
    const probe = net.createServer();
    const port = await new Promise<number>((resolve) => probe.listen(0, '127.0.0.1', () => resolve((probe.address() as net.AddressInfo).port)));
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const s = new ScriptedModelServer();
    servers.push(s);
    expect(await s.start(port)).toBe(`http://127.0.0.1:${port}/v1`);
  });

  it('rejects start() when the port is taken', async () => {
    const s = await serve();
    const port = Number(new URL(s.url).port);
    const t = new ScriptedModelServer();
    await expect(t.start(port)).rejects.toThrow(/EADDRINUSE/);
  });
});

describe('ScriptedModelServer: streaming', () => {
  it('streams text in SSE chunks that reassemble, then finish "stop", a usage chunk and [DONE]', async () => {
    const long = 'Hello! This text is long enough to be split over several chunks of 24 characters.\nSecond line.';
    const s = await serve({ scripts: { a: [{ text: long, usage: { input: 1234, output: 56 } }] } });
    s.assign('ses_1', 'a');
    const r = await chat(s, [user('go')], { sessionId: 'ses_1' });
    expect(r.status).toBe(200);
    expect(r.contentType).toMatch(/^text\/event-stream/);
    expect(r.otherLines).toEqual([]);
    expect(r.done).toBe(true);
    expect(r.text).toBe(long);
    expect(r.reasoning).toBe('');
    expect(r.toolCalls).toEqual([]);
    expect(r.finishReason).toBe('stop');
    expect(r.usage).toEqual({ prompt_tokens: 1234, completion_tokens: 56, total_tokens: 1290 });

    // Chunk shape: the first is the role, the text comes in several pieces, the usage chunk has no choices.
    expect(r.chunks[0]!.choices[0]!.delta).toEqual({ role: 'assistant', content: '' });
    const contentChunks = r.chunks.filter((c) => typeof c.choices[0]?.delta.content === 'string' && c.choices[0].delta.content !== '');
    expect(contentChunks.length).toBeGreaterThan(3);
    const last = r.chunks[r.chunks.length - 1]!;
    expect(last.choices).toEqual([]);
    expect(last.usage).toBeDefined();
    const finishChunks = r.chunks.filter((c) => c.choices[0]?.finish_reason);
    expect(finishChunks).toHaveLength(1);
    for (const c of r.chunks) {
      expect(c.object).toBe('chat.completion.chunk');
      expect(c.id).toBe(r.chunks[0]!.id);
      expect(c.model).toBe('scripted');
    }
  });

  it('streams reasoning before text', async () => {
    const s = await serve({ scripts: { a: [{ reasoning: 'Think first, at some length, so it spans chunks.', text: 'Then answer.' }] } });
    s.assign('ses_1', 'a');
    const r = await chat(s, [user('go')], { sessionId: 'ses_1' });
    expect(r.reasoning).toBe('Think first, at some length, so it spans chunks.');
    expect(r.text).toBe('Then answer.');
    const firstText = r.chunks.findIndex((c) => c.choices[0]?.delta.content === 'Then answer.');
    const lastReasoning = r.chunks.map((c) => typeof c.choices[0]?.delta.reasoning_content).lastIndexOf('string');
    expect(lastReasoning).toBeGreaterThan(0);
    expect(firstText).toBeGreaterThan(lastReasoning);
  });

  it('streams tool calls whose arguments reassemble to the scripted JSON, with finish "tool_calls"', async () => {
    const write = { filePath: '/tmp/x/hello.ts', content: 'export const x = "a \\"quoted\\" ünïcode";\n' };
    const bash = { command: 'ls -la', description: 'List files' };
    const s = await serve({
      scripts: {
        a: [
          {
            text: "I'll do two things.",
            tool_calls: [
              { name: 'write', arguments: write },
              { name: 'bash', arguments: bash },
            ],
          },
        ],
      },
    });
    s.assign('ses_1', 'a');
    const r = await chat(s, [user('go')], { sessionId: 'ses_1' });
    expect(r.text).toBe("I'll do two things.");
    expect(r.finishReason).toBe('tool_calls');
    expect(r.toolCalls.map((c) => [c.index, c.name])).toEqual([
      [0, 'write'],
      [1, 'bash'],
    ]);
    expect(JSON.parse(r.toolCalls[0]!.arguments)).toEqual(write);
    expect(JSON.parse(r.toolCalls[1]!.arguments)).toEqual(bash);
    // Call ids are unique and stable in form.
    expect(r.toolCalls[0]!.id).toMatch(/^call_\d+_0$/);
    expect(r.toolCalls[1]!.id).toMatch(/^call_\d+_1$/);
    // Arguments really arrive in more than one piece.
    const argPieces = r.chunks.filter((c) => (c.choices[0]?.delta.tool_calls as { function?: { arguments?: string } }[] | undefined)?.[0]?.function?.arguments);
    expect(argPieces.length).toBeGreaterThanOrEqual(4);
    expect(r.usage).toEqual({ prompt_tokens: 1000, completion_tokens: 100, total_tokens: 1100 });
  });

  it('answers a non-streaming request with one chat.completion', async () => {
    const s = await serve({ scripts: { a: [{ text: 'plain', tool_calls: [{ name: 'bash', arguments: { command: 'pwd' } }] }] } });
    s.assign('ses_1', 'a');
    const r = await chat(s, [user('go')], { sessionId: 'ses_1', stream: false });
    expect(r.status).toBe(200);
    expect(r.contentType).toMatch(/^application\/json/);
    const body = JSON.parse(r.text) as {
      object: string;
      choices: { message: { role: string; content: string; tool_calls: { function: { name: string; arguments: string } }[] }; finish_reason: string }[];
      usage: unknown;
    };
    expect(body.object).toBe('chat.completion');
    expect(body.choices[0]!.message.content).toBe('plain');
    expect(body.choices[0]!.finish_reason).toBe('tool_calls');
    expect(JSON.parse(body.choices[0]!.message.tool_calls[0]!.function.arguments)).toEqual({ command: 'pwd' });
    expect(body.usage).toEqual({ prompt_tokens: 1000, completion_tokens: 100, total_tokens: 1100 });
  });

  it('gives requests without tools the canned title text, whatever the script says', async () => {
    const calls: ScriptRequest[] = [];
    const s = await serve({
      scripts: { a: [{ text: 'scripted' }] },
      fallback: (req) => {
        calls.push(req);
        return 'a';
      },
    });
    s.assign('ses_1', 'a');
    for (const tools of [null, []] as const) {
      const r = await chat(s, [user('[[script:a]] Generate a title for this conversation')], { sessionId: 'ses_1', tools: tools === null ? null : [...tools] });
      expect(r.text).toBe('Scripted session');
      expect(r.finishReason).toBe('stop');
      expect(r.usage).toEqual({ prompt_tokens: 10, completion_tokens: 3, total_tokens: 13 });
    }
    expect(calls).toEqual([]);
  });
});

describe('ScriptedModelServer: choosing the script and the step', () => {
  const steps = (prefix: string): ScriptStep[] => [{ text: `${prefix}0` }, { text: `${prefix}1` }, { text: `${prefix}2` }];

  it('follows the script assigned to the session (x-session-id), before any marker or fallback', async () => {
    const s = await serve({ scripts: { a: steps('a'), b: steps('b') }, fallback: () => 'b' });
    s.assign('ses_1', 'a');
    expect((await chat(s, [user('[[script:b]] hi')], { sessionId: 'ses_1' })).text).toBe('a0');
    // Another session is not affected.
    expect((await chat(s, [user('hi')], { sessionId: 'ses_2' })).text).toBe('b0');
  });

  it('the step is the number of assistant messages after the last user message', async () => {
    const s = await serve({ scripts: { a: steps('a') } });
    s.assign('ses_1', 'a');
    const go = (messages: Msg[]) => chat(s, messages, { sessionId: 'ses_1' }).then((r) => r.text);
    expect(await go([{ role: 'system', content: 'sys' }, user('go')])).toBe('a0');
    expect(await go([user('go'), asst(), toolMsg()])).toBe('a1');
    expect(await go([user('go'), asst(), toolMsg(), asst(), toolMsg()])).toBe('a2');
    // Assistant messages before the last user message do not count.
    expect(await go([user('first'), asst(), asst(), user('again')])).toBe('a0');
    expect(await go([user('first'), asst(), asst(), user('again'), asst()])).toBe('a1');
    // No user message at all: every assistant message counts.
    expect(await go([asst(), asst()])).toBe('a2');
  });

  it('says so when a script has no such step', async () => {
    const s = await serve({ scripts: { a: steps('a') } });
    s.assign('ses_1', 'a');
    const r = await chat(s, [user('go'), asst(), asst(), asst()], { sessionId: 'ses_1' });
    expect(r.text).toBe('Script "a" has no step 3.');
    expect(r.finishReason).toBe('stop');
  });

  it('follows a [[script:NAME]] marker in the last user text, and [[script:NAME@N]] starts at step N', async () => {
    const s = await serve({ scripts: { 'my-script': steps('m') } });
    expect((await chat(s, [user('please [[script:my-script]] run')])).text).toBe('m0');
    expect((await chat(s, [user('[[script:my-script]]'), asst()])).text).toBe('m1');
    expect((await chat(s, [user('[[script:my-script@2]]')])).text).toBe('m2');
    expect((await chat(s, [user('[[script:my-script@1]]'), asst()])).text).toBe('m2');
  });

  it('finds a marker in an earlier user message, and in multi-part content', async () => {
    const s = await serve({ scripts: { a: steps('a') } });
    expect((await chat(s, [user('[[script:a]] start'), asst(), user('continue')])).text).toBe('a0');
    const parts = [
      { type: 'text', text: 'hello ' },
      { type: 'text', text: '[[script:a@1]]' },
    ];
    expect((await chat(s, [user(parts)])).text).toBe('a1');
  });

  it('uses the fallback with the request when there is no assignment and no marker', async () => {
    const seen: ScriptRequest[] = [];
    const s = await serve({
      scripts: { a: steps('a') },
      fallback: (req) => {
        seen.push(req);
        return req.userText.includes('build') ? 'a' : undefined;
      },
    });
    expect((await chat(s, [user('build it'), asst()], { sessionId: 'ses_9' })).text).toBe('a1');
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ sessionId: 'ses_9', step: 1, userText: 'build it' });
    expect(seen[0]!.messages).toHaveLength(2);
    expect((await chat(s, [user('something else')])).text).toBe('The scripted model has no script for this session.');
  });

  it('says so when the chosen script does not exist', async () => {
    const s = await serve({ scripts: {} });
    s.assign('ses_1', 'missing');
    expect((await chat(s, [user('go')], { sessionId: 'ses_1' })).text).toBe('The scripted model has no script "missing".');
    expect((await chat(s, [user('[[script:nope]]')])).text).toBe('The scripted model has no script "nope".');
  });

  it('runs function scripts with the request (step included), and define() adds scripts later', async () => {
    const seen: ScriptRequest[] = [];
    const s = await serve();
    s.define('fn', (req) => {
      seen.push(req);
      return { text: `step ${req.step} for ${req.sessionId ?? 'nobody'}: ${req.userText}` };
    });
    s.assign('ses_f', 'fn');
    expect((await chat(s, [user('hello'), asst(), toolMsg()], { sessionId: 'ses_f' })).text).toBe('step 1 for ses_f: hello');
    expect((await chat(s, [user('[[script:fn@3]] x')])).text).toBe('step 3 for nobody: [[script:fn@3]] x');
    expect(seen.map((r) => r.step)).toEqual([1, 3]);
  });

  it('reports each request to onRequest', async () => {
    const log: {
      sessionId: string | undefined;
      script: string | undefined;
      step: number;
      reply: ScriptStep;
      tools: readonly unknown[];
      messages: readonly unknown[];
    }[] = [];
    const s = await serve({ scripts: { a: steps('a') }, onRequest: (e) => log.push(e) });
    s.assign('ses_1', 'a');
    await chat(s, [user('go'), asst()], { sessionId: 'ses_1' });
    await chat(s, [user('title')], { tools: null });
    expect(log.map(({ tools: _t, messages: _m, ...rest }) => rest)).toEqual([
      { sessionId: 'ses_1', script: 'a', step: 1, reply: { text: 'a1' } },
      { sessionId: undefined, script: undefined, step: 0, reply: { text: 'Scripted session', usage: { input: 10, output: 3 } } },
    ]);
    // It also passes what the request offered the model: the tools and the messages.
    expect(log[0]!.tools.length).toBeGreaterThan(0);
    expect(log[0]!.messages.map((m) => (m as { role: string }).role)).toEqual(['user', 'assistant']);
    expect(log[1]!.tools).toEqual([]);
  });
});

describe('ScriptedModelServer: failures and timing', () => {
  it('answers a step with httpStatus with that status and an OpenAI-style error', async () => {
    const s = await serve({
      scripts: { a: [{ httpStatus: 503, errorMessage: 'overloaded' }, { httpStatus: 400 }, { text: 'recovered' }] },
    });
    s.assign('ses_1', 'a');
    const r0 = await chat(s, [user('go')], { sessionId: 'ses_1' });
    expect(r0.status).toBe(503);
    expect(JSON.parse(r0.text)).toEqual({ error: { message: 'overloaded', type: 'server_error' } });
    const r1 = await chat(s, [user('go'), asst()], { sessionId: 'ses_1' });
    expect(r1.status).toBe(400);
    expect(JSON.parse(r1.text)).toEqual({ error: { message: 'scripted failure', type: 'invalid_request_error' } });
    const r2 = await chat(s, [user('go'), asst(), asst()], { sessionId: 'ses_1' });
    expect(r2.status).toBe(200);
    expect(r2.text).toBe('recovered');
  });

  it('waits delayMs before answering', async () => {
    const s = await serve({ scripts: { a: [{ text: 'slow', delayMs: 120 }] } });
    s.assign('ses_1', 'a');
    const t0 = performance.now();
    const r = await chat(s, [user('go')], { sessionId: 'ses_1' });
    expect(performance.now() - t0).toBeGreaterThanOrEqual(100);
    expect(r.text).toBe('slow');
  });

  it('serves concurrent sessions independently', async () => {
    const s = await serve({ scripts: { a: [{ text: 'from a' }], b: [{ text: 'from b' }] } });
    s.assign('ses_a', 'a');
    s.assign('ses_b', 'b');
    const rs = await Promise.all(Array.from({ length: 10 }, (_, i) => chat(s, [user('go')], { sessionId: i % 2 ? 'ses_b' : 'ses_a' })));
    expect(rs.map((r) => r.text)).toEqual(Array.from({ length: 10 }, (_, i) => (i % 2 ? 'from b' : 'from a')));
  });
});

describe('scriptedProviderConfig', () => {
  it('describes an openai-compatible provider at the base URL', () => {
    expect(scriptedProviderConfig('http://127.0.0.1:1234/v1')).toEqual({
      scripted: {
        npm: '@ai-sdk/openai-compatible',
        name: 'Scripted model',
        options: { baseURL: 'http://127.0.0.1:1234/v1', apiKey: 'not-needed' },
        models: {
          scripted: {
            name: 'Scripted model',
            tool_call: true,
            reasoning: false,
            limit: { context: 200000, output: 8192 },
            cost: { input: 3, output: 15 },
          },
        },
      },
    });
    const custom = scriptedProviderConfig('http://x/v1', { providerId: 'demo', label: 'Demo', costPerMTok: { input: 0, output: 0 } });
    expect(Object.keys(custom)).toEqual(['demo']);
    expect(custom.demo!.name).toBe('Demo');
    expect(custom.demo!.models.scripted.cost).toEqual({ input: 0, output: 0 });
  });
});
