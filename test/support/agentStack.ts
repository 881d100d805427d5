// Real opencode + the scripted model, isolated: private XDG dirs, offline switches, 127.0.0.1 only.
// Used by the integration tests and the benchmarks.
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { AgentConnection, type ConnectionOptions } from '../../src/core/agent/connection';
import { buildOpencodeConfig } from '../../src/core/agent/opencodeConfig';
import { OPENCODE_OFFLINE_ENV, prepareOwnedConfigDir } from '../../src/core/agent/server';
import { findRipgrep, pathWithRipgrep } from '../../src/core/agent/binaries';
import { ScriptedModelServer, scriptedProviderConfig, type Script } from '../../src/core/model/scriptedModel';

export const REPO = path.resolve(__dirname, '../..');
export const OPENCODE_BIN = path.join(REPO, 'node_modules/opencode-ai/bin/opencode.exe');
export const TEST_MODEL = 'scripted/scripted';

export interface AgentStack {
  readonly root: string;
  readonly model: ScriptedModelServer;
  readonly connection: AgentConnection;
  readonly env: Record<string, string>;
  close(): Promise<void>;
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

export async function startAgentStack(scripts: Record<string, Script> = {}, opts: { root?: string; log?: (l: string) => void; connection?: Partial<ConnectionOptions> } = {}): Promise<AgentStack> {
  const root = opts.root ?? mkdtempSync(path.join(tmpdir(), 'ib-agents-'));
  const model = new ScriptedModelServer({ scripts });
  const url = await model.start();
  const env = offlineEnv(root);
  const connection = new AgentConnection({
    mode: {
      kind: 'local',
      server: {
        bin: OPENCODE_BIN,
        cwd: root,
        env,
        config: buildOpencodeConfig({ model: TEST_MODEL, providers: scriptedProviderConfig(url), enabledProviders: ['scripted'] }),
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
    async close() {
      await connection.dispose();
      await model.close();
      if (!opts.root) rmSync(root, { recursive: true, force: true });
    },
  };
}
