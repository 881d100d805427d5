// An opencode plugin (loaded through the config's `plugin` list, never from a `.opencode/` folder)
// that gives every session the harness's tools and puts every tool call under the harness's policy.
// It runs inside the opencode server and only forwards: each call goes to the harness on 127.0.0.1
// with the session id opencode passes, and the harness's answer is what happens.
// - `tool.execute.before`: every tool call is checked first (file tools on real paths); a refusal
//   throws, so the tool never runs. A harness that cannot be reached refuses too (fail closed).
// - `tool.execute.after`: the check again, against a link made while the call ran (a parallel call
//   of the same agent); a call that no longer passes has its output withheld. The harness first
//   settles what the call did (its guard checks the folder), so a violation names this call's id.
// - `shell.env`: how the agent shell (opencode's `shell` setting) runs this session's command: in the
//   run's bubblewrap sandbox, unsandboxed where the user accepted that, or not at all.
// Built to dist/harness-plugin.mjs (ESM, no dependencies).

interface ToolContext {
  readonly sessionID: string;
  readonly directory: string;
  readonly callID?: string;
}

type Args = Record<string, unknown>;

async function post<T>(route: string, payload: unknown): Promise<T> {
  const url = process.env.IB_HARNESS_URL;
  const token = process.env.IB_HARNESS_TOKEN;
  if (!url || !token) throw new Error('the Integration Builder harness is not reachable from this session (IB_HARNESS_URL is not set)');
  const res = await fetch(`${url}${route}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(payload),
  });
  if (!res.ok && res.status !== 200) throw new Error(`the harness answered HTTP ${res.status}`);
  return (await res.json()) as T;
}

async function call(tool: string, args: Args, ctx: ToolContext): Promise<string> {
  const body = await post<{ ok?: boolean; output?: string }>('/tool', {
    tool,
    args,
    sessionId: ctx.sessionID,
    directory: ctx.directory,
    callId: ctx.callID,
  }).catch((err: Error) => ({ ok: false, output: err.message }));
  if (!body.ok) throw new Error(body.output ?? 'the harness refused the call');
  return body.output ?? '';
}

interface HookInput {
  readonly tool: string;
  readonly sessionID: string;
  readonly callID?: string;
}

/** The harness's decision on a tool call; no answer is a refusal. */
async function access(input: HookInput, args: Args, phase: 'before' | 'after'): Promise<{ ok: boolean; reason?: string }> {
  try {
    const d = await post<{ ok?: boolean; reason?: string }>('/access', { tool: input.tool, args, sessionId: input.sessionID, callId: input.callID, phase });
    return { ok: d.ok === true, reason: d.reason };
  } catch (err) {
    return { ok: false, reason: `the harness did not answer (${(err as Error).message})` };
  }
}

const str = (description: string) => ({ type: 'string', description });

export const IntegrationBuilderHarness = async () => ({
  'tool.execute.before': async (input: HookInput, output: { args: Args }) => {
    const d = await access(input, output.args ?? {}, 'before');
    if (!d.ok) throw new Error(`Integration Builder refused this ${input.tool} call: ${d.reason ?? 'no reason given'}`);
  },
  'tool.execute.after': async (input: HookInput & { args?: Args }, output: { output?: unknown; title?: string }) => {
    const d = await access(input, input.args ?? {}, 'after');
    if (!d.ok) output.output = `Integration Builder withheld this ${input.tool} result: ${d.reason ?? 'no reason given'}`;
  },
  'shell.env': async (input: { cwd?: string; sessionID?: string; callID?: string }, output: { env: Record<string, string> }) => {
    try {
      const r = await post<{ env?: Record<string, string> }>('/shell', { sessionId: input.sessionID, callId: input.callID, cwd: input.cwd });
      Object.assign(output.env, r.env ?? { IB_SANDBOX: 'refuse', IB_SANDBOX_REASON: 'the harness gave no sandbox for this command' });
    } catch (err) {
      Object.assign(output.env, { IB_SANDBOX: 'refuse', IB_SANDBOX_REASON: `the harness did not answer (${(err as Error).message})` });
    }
  },
  tool: {
    record_fixture: {
      description:
        'Record the real API responses for this interaction as test fixtures (the only way fixtures may be written). ' +
        'Runs the toolchain recorder against the test connection. For an action, pass its input as a JSON string; for a sync pass "{}". ' +
        'If the API refuses (401/403/missing scope) the session ends as blocked: do not try to work around it.',
      args: { input: str('The action input as a JSON string, or "{}"') },
      execute: (args: Args, ctx: ToolContext) => call('record_fixture', args, ctx),
    },
    run_tests: {
      description: "Run this interaction's tests against its recorded fixtures and return the result. Use this instead of running test commands yourself.",
      args: {},
      execute: (args: Args, ctx: ToolContext) => call('run_tests', args, ctx),
    },
    report_blocked: {
      description:
        'Stop and report that you cannot finish honestly: missing credentials or scopes, an API that refuses, docs that contradict the spec. ' +
        'Give the exact reason and the evidence (status code, response). The session ends.',
      args: { reason: str('What blocks you, with the evidence') },
      execute: (args: Args, ctx: ToolContext) => call('report_blocked', args, ctx),
    },
  },
});
