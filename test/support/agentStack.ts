// Real opencode + the scripted model, isolated: private XDG dirs, offline switches, 127.0.0.1 only.
// Used by the integration tests and the benchmarks.
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { build } from 'esbuild';
import { harnessPluginOptions } from '../../scripts/bundles.mjs';
import { AgentConnection, type ConnectionOptions } from '../../src/core/agent/connection';
import { HarnessToolServer } from '../../src/core/harness/toolServer';
import { buildOpencodeConfig } from '../../src/core/agent/opencodeConfig';
import { OPENCODE_OFFLINE_ENV, prepareOwnedConfigDir } from '../../src/core/agent/server';
import { findRipgrep, pathWithRipgrep } from '../../src/core/agent/binaries';
import { ScriptedModelServer, scriptedProviderConfig, type Script, type ScriptedModelOptions } from '../../src/core/model/scriptedModel';
import { AgentSandbox, detectSandbox, type SandboxMode } from '../../src/core/sandbox';

export const REPO = path.resolve(__dirname, '../..');
export const OPENCODE_BIN = path.join(REPO, 'node_modules/opencode-ai/bin/opencode.exe');
export const TEST_MODEL = 'scripted/scripted';

export interface AgentStack {
  readonly root: string;
  readonly model: ScriptedModelServer;
  readonly connection: AgentConnection;
  readonly env: Record<string, string>;
  /** The harness tool server, when started with `harness: true`. */
  readonly tools?: HarnessToolServer;
  /** With the harness: the sandbox every shell command runs in (the opencode server's shell is its agent shell). */
  readonly sandbox?: AgentSandbox;
  close(): Promise<void>;
}

/** Builds the opencode harness plugin (src/harness-plugin) into `outfile`. */
export async function buildHarnessPlugin(outfile: string): Promise<string> {
  await build(harnessPluginOptions(path.join(REPO, 'src/harness-plugin/plugin.ts'), outfile));
  return outfile;
}

/** Environment for an isolated, offline opencode under `root`. */
export function offlineEnv(root: string): Record<string, string> {
  const xdg = (d: string) => path.join(root, 'xdg', d);
  for (const d of ['data', 'config', 'cache', 'state']) mkdirSync(xdg(d), { recursive: true });
  prepareOwnedConfigDir(xdg('config'));
  const rg = findRipgrep();
  return {
    ...OPENCODE_OFFLINE_ENV,
    XDG_DATA_HOME: xdg('data'),
    XDG_CONFIG_HOME: xdg('config'),
    XDG_CACHE_HOME: xdg('cache'),
    XDG_STATE_HOME: xdg('state'),
    ...(rg ? { PATH: pathWithRipgrep(rg) } : {}),
  };
}

/**
 * `harness: true` adds our tool server, plugin and agent shell. Shell commands then run in the real
 * bubblewrap sandbox (`sandbox: 'bwrap'`, the default), or in the unsandboxed mode (`'unsandboxed'`: for
 * the tests of the layers that stand alone there, such as the fixture guard).
 */
export async function startAgentStack(
  scripts: Record<string, Script> = {},
  opts: {
    root?: string;
    log?: (l: string) => void;
    connection?: Partial<ConnectionOptions>;
    harness?: boolean;
    sandbox?: SandboxMode;
    skillPaths?: string[];
    onRequest?: ScriptedModelOptions['onRequest'];
  } = {},
): Promise<AgentStack> {
  const root = opts.root ?? mkdtempSync(path.join(tmpdir(), 'ib-agents-'));
  const model = new ScriptedModelServer({ scripts, onRequest: opts.onRequest });
  const url = await model.start();
  const env = offlineEnv(root);
  let tools: HarnessToolServer | undefined;
  let harnessPlugin: string | undefined;
  let sandbox: AgentSandbox | undefined;
  if (opts.harness) {
    tools = new HarnessToolServer();
    Object.assign(env, await tools.start());
    harnessPlugin = await buildHarnessPlugin(path.join(root, 'harness-plugin.mjs'));
    const mode = opts.sandbox ?? 'bwrap';
    const support = mode === 'bwrap' ? await detectSandbox() : undefined;
    if (support && !support.available) throw new Error(`the agent sandbox does not run here: ${support.reason}`);
    sandbox = new AgentSandbox({ mode, bwrap: support?.bwrap, shellDir: path.join(root, 'shell') });
  }
  const connection = new AgentConnection({
    mode: {
      kind: 'local',
      server: {
        bin: OPENCODE_BIN,
        cwd: root,
        env,
        config: buildOpencodeConfig({
          model: TEST_MODEL,
          providers: scriptedProviderConfig(url),
          enabledProviders: ['scripted'],
          harnessPlugin,
          skillPaths: opts.skillPaths,
          shell: sandbox?.shell,
        }),
        onOutput: opts.log,
      },
    },
    log: opts.log,
    ...opts.connection,
  });
  return {
    root,
    model,
    connection,
    env,
    tools,
    sandbox,
    async close() {
      await connection.dispose();
      await model.close();
      await tools?.close();
      if (!opts.root) rmSync(root, { recursive: true, force: true });
    },
  };
}
