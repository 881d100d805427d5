// An opencode plugin (loaded through the config's `plugin` list, never from a `.opencode/` folder)
// that gives every session the harness's tools. It runs inside the opencode server and only
// forwards: each call goes to the harness on 127.0.0.1 with the session id and directory that
// opencode passes to the tool, and the harness's answer is what the agent sees.
// Built to dist/harness-plugin.mjs (ESM, no dependencies).

interface ToolContext {
  readonly sessionID: string;
  readonly directory: string;
  readonly callID?: string;
}

type Args = Record<string, unknown>;

async function call(tool: string, args: Args, ctx: ToolContext): Promise<string> {
  const url = process.env.IB_HARNESS_URL;
  const token = process.env.IB_HARNESS_TOKEN;
  if (!url || !token) throw new Error('the Integration Builder harness is not reachable from this session (IB_HARNESS_URL is not set)');
  const res = await fetch(`${url}/tool`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ tool, args, sessionId: ctx.sessionID, directory: ctx.directory, callId: ctx.callID }),
  });
  const body = (await res.json().catch(() => ({ ok: false, output: `the harness answered HTTP ${res.status}` }))) as { ok?: boolean; output?: string };
  if (!body.ok) throw new Error(body.output ?? 'the harness refused the call');
  return body.output ?? '';
}

const str = (description: string) => ({ type: 'string', description });

export const IntegrationBuilderHarness = async () => ({
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
