// Everything a run of agents needs, put together the same way for the editor and the CLI: the opencode
// server (ours, or remote ones), the harness tools and their plugin, the demo model and the demo Nango
// stand-in when asked, the fixture guard, the Nango toolchain, the verifier and the orchestrator.
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import { pathWithRipgrep } from '../agent/binaries';
import { AgentConnection, type ConnectionMode } from '../agent/connection';
import { buildOpencodeConfig } from '../agent/opencodeConfig';
import { OPENCODE_OFFLINE_ENV, OPENCODE_QUIET_ENV, prepareOwnedConfigDir } from '../agent/server';
import { FixtureGuard } from '../guard/fixtureGuard';
import type { Violation } from '../guard/violations';
import { HarnessToolServer } from '../harness/toolServer';
import { DemoModel } from '../model/demo';
import { DEMO_NANGO_SECRET, DemoNango } from '../model/demoNango';
import { Orchestrator, type Verifier } from '../orchestrator';
import type { RunBoard } from '../runs/board';
import { RunStore } from '../runs/store';
import { NangoToolchain } from '../toolchain/nango';
import { AgentSandbox, type SandboxMode } from '../sandbox';
import { providerCredentials } from '../agent/server';
import { saveReport, verifyInteractions, type VerifyTarget } from '../verify';
import { ensureWorkRoot } from '../workspace/paths';

export interface AgentStackOptions {
  readonly workRoot: string;
  /** The one store of the work root's records (the editor's own, so every view reads what the runs write); default: a new one. */
  readonly runs?: RunStore;
  /** `provider/model`; ignored for the demo. */
  readonly model?: string;
  readonly demo: boolean;
  /** Demo only: interaction keys the demo model plays a dishonest agent on. */
  readonly demoCheaters?: readonly string[];
  /**
   * Remote `opencode serve` URLs instead of our own server: the connection's remote mode, for tests of
   * the connection and the restore. No front end offers it (the harness does not reach a remote server).
   */
  readonly serverUrls?: readonly string[];
  readonly serverPassword?: string;
  /** Our own server: the opencode binary, ripgrep, and where the demo keeps its private opencode data. */
  readonly opencodeBin?: string;
  readonly ripgrep?: string;
  readonly demoDataDir: string;
  readonly skillPaths: readonly string[];
  /** dist/harness-plugin.mjs */
  readonly harnessPlugin: string;
  readonly nango: { readonly secretKey?: string; readonly host: string };
  readonly concurrency: number;
  readonly budgetUsd?: number;
  readonly maxRetries: number;
  readonly violationLimit: number;
  readonly verifyAfterRun: boolean;
  readonly autoRestartAttempts: number;
  readonly verifyConcurrency: number;
  readonly board?: RunBoard;
  readonly log: (line: string) => void;
  readonly serverOutput?: (line: string) => void;
  readonly onViolation?: (v: Violation) => void;
  /**
   * How agents' shell commands run on our own server: `bwrap` (the OS sandbox; `bwrap` is its binary)
   * or `unsandboxed` (only after the user accepted it for this workspace). `shellDir` is a folder of
   * ours for the agent shell. Required for our own server.
   */
  readonly sandbox?: { readonly mode: SandboxMode; readonly bwrap?: string; readonly shellDir: string };
}

export interface AgentStack {
  readonly orchestrator: Orchestrator;
  readonly connection: AgentConnection;
  readonly runs: RunStore;
  readonly verifier: Verifier;
  readonly demo?: DemoModel;
  readonly demoNango?: DemoNango;
  /** The sandbox agents' shell commands run in (our own server only). */
  readonly sandbox?: AgentSandbox;
  /** Stops what the stack started (server, tool server, guard, demo servers). */
  close(): Promise<void>;
}

/** opencode's SQLite store for a data dir (default: the user's, as opencode finds it). */
export function opencodeStoreFor(xdgDataHome?: string): string {
  const data = xdgDataHome ?? process.env.XDG_DATA_HOME ?? path.join(process.env.HOME ?? '/root', '.local', 'share');
  return path.join(data, 'opencode', 'opencode.db');
}

/** A run's session messages from its opencode server (when the transcript file is gone). */
export function sessionMessagesVia(connection: AgentConnection | undefined): (target: VerifyTarget) => Promise<readonly unknown[] | undefined> {
  return async (target) => {
    const run = target.run;
    const client = run?.serverUrl ? connection?.client(run.serverUrl) : undefined;
    if (!run?.sessionId || !client) return undefined;
    const res = await client.session.messages({ sessionID: run.sessionId, directory: run.folder });
    return (res as { data?: unknown[] }).data;
  };
}

/** The verifier that keeps each report next to its run record. */
export function savingVerifier(runs: RunStore, concurrency: number, connection?: AgentConnection, opencodeStore?: string): Verifier {
  return async (targets, opts) => {
    const reports = await verifyInteractions(targets, {
      runs,
      concurrency,
      signal: opts.signal,
      onProgress: opts.onProgress,
      onReport: opts.onReport,
      sessionMessages: sessionMessagesVia(connection),
      opencodeStore,
    });
    await Promise.all(reports.map((r) => saveReport(r, runs.fileOf(r.key))));
    return reports;
  };
}

export async function createAgentStack(o: AgentStackOptions): Promise<AgentStack> {
  let mode: ConnectionMode;
  const serverPassword = randomBytes(18).toString('base64url');
  let demo: DemoModel | undefined;
  let demoNango: DemoNango | undefined;
  let tools: HarnessToolServer | undefined;
  let sandbox: AgentSandbox | undefined;
  // Values that must never reach a transcript or record on disk, even when an agent prints one.
  const secrets: string[] = [];
  const started: { close(): Promise<void> }[] = [];
  try {
    if (o.serverUrls?.length) {
      mode = { kind: 'remote', urls: [...o.serverUrls], password: o.serverPassword };
    } else {
      if (!o.opencodeBin) throw new Error('no opencode binary was given');
      if (!o.sandbox) throw new Error('no sandbox mode was given for the agents (bwrap, or unsandboxed once the user accepted it)');
      sandbox = new AgentSandbox({ mode: o.sandbox.mode, bwrap: o.sandbox.bwrap, shellDir: o.sandbox.shellDir });
      const env: Record<string, string | undefined> = { ...OPENCODE_QUIET_ENV, ...(o.ripgrep ? { PATH: pathWithRipgrep(o.ripgrep) } : {}) };
      let providers: Record<string, unknown> | undefined;
      let enabledProviders: string[] | undefined;
      if (o.demo) {
        // The demo needs no account and no network: private opencode data dirs, offline switches.
        demo = new DemoModel();
        await demo.start();
        started.push(demo);
        providers = demo.providerConfig();
        enabledProviders = [Object.keys(providers)[0] as string];
        Object.assign(env, OPENCODE_OFFLINE_ENV, {
          XDG_DATA_HOME: path.join(o.demoDataDir, 'data'),
          XDG_CONFIG_HOME: path.join(o.demoDataDir, 'config'),
          XDG_CACHE_HOME: path.join(o.demoDataDir, 'cache'),
          XDG_STATE_HOME: path.join(o.demoDataDir, 'state'),
        });
        prepareOwnedConfigDir(path.join(o.demoDataDir, 'config'));
        // Recording needs a Nango server: the demo answers with canned responses on loopback.
        demoNango = new DemoNango();
        await demoNango.start();
        started.push(demoNango);
        o.log(`demo: Nango stand-in with canned responses at ${demoNango.url} (no real API is called)`);
      }
      // The harness tools reach our own server's sessions through its plugin (remote servers would
      // need the plugin installed on their side: not supported yet).
      tools = new HarnessToolServer();
      const endpoint = await tools.start();
      Object.assign(env, endpoint);
      secrets.push(endpoint.IB_HARNESS_TOKEN);
      started.push(tools);
      mode = {
        kind: 'local',
        server: {
          bin: o.opencodeBin,
          cwd: o.workRoot,
          env,
          config: buildOpencodeConfig({
            model: o.model,
            skillPaths: o.skillPaths,
            providers,
            enabledProviders,
            harnessPlugin: o.harnessPlugin,
            shell: sandbox.shell,
          }),
          password: serverPassword,
          onOutput: o.serverOutput,
        },
      };
    }
    const ignores = await ensureWorkRoot(o.workRoot);
    if (ignores.warning) o.log(`warning: ${ignores.warning}`);
  } catch (err) {
    for (const s of started.reverse()) await s.close().catch(() => undefined);
    throw err;
  }
  const connection = new AgentConnection({ mode, log: o.log });
  const runs = o.runs ?? new RunStore(o.workRoot);
  if (mode.kind === 'local') secrets.push(serverPassword);
  if (o.serverPassword) secrets.push(o.serverPassword);
  if (o.nango.secretKey) secrets.push(o.nango.secretKey);
  secrets.push(...Object.values(providerCredentials(process.env)));
  runs.redact(secrets);
  // Lock 2: every running folder is watched; the orchestrator names the tool call that was running.
  const ref: { orchestrator?: Orchestrator } = {};
  const guard = new FixtureGuard({ currentActivity: (key) => ref.orchestrator?.currentActivity(key) });
  const verifier = savingVerifier(
    runs,
    o.verifyConcurrency,
    connection,
    o.serverUrls?.length ? undefined : opencodeStoreFor(o.demo ? path.join(o.demoDataDir, 'data') : undefined),
  );
  const cheaters = new Set(o.demoCheaters ?? []);
  const orchestrator = new Orchestrator({
    workRoot: o.workRoot,
    connection,
    runs,
    board: o.board,
    concurrency: o.concurrency,
    budgetUsd: o.budgetUsd,
    model: o.model,
    demo: o.demo,
    maxRetries: o.maxRetries,
    tools,
    guard,
    sandbox,
    violationLimit: o.violationLimit,
    verifier,
    verifyAfterRun: o.verifyAfterRun,
    autoRestartAttempts: o.autoRestartAttempts,
    toolchain: demoNango
      ? new NangoToolchain({ secretKey: DEMO_NANGO_SECRET, host: demoNango.url })
      : new NangoToolchain({ secretKey: o.nango.secretKey, host: o.nango.host }),
    onSessionCreated: demo ? (run, target) => run.sessionId && demo?.assign(run.sessionId, target.interaction, { cheat: cheaters.has(run.key) }) : undefined,
    log: o.log,
  });
  ref.orchestrator = orchestrator;
  if (o.onViolation) orchestrator.onViolation(o.onViolation);
  return {
    orchestrator,
    connection,
    runs,
    verifier,
    demo,
    demoNango,
    sandbox,
    async close() {
      await connection.dispose();
      await guard.dispose();
      for (const s of started.reverse()) await s.close().catch(() => undefined);
      orchestrator.dispose();
    },
  };
}
