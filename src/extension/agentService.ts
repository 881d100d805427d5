// Adapts the core orchestrator to the editor: finds or installs opencode, picks the model (the
// user's, or the labelled demo model), starts the service on the first command that needs it,
// and shows progress. Nothing here runs at activation except reading run records from disk.
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { findOpencode, findRipgrep, installOpencode, OPENCODE_VERSION } from '../core/agent/binaries';
import type { ConnectionStatus } from '../core/agent/types';
import type { Violation } from '../core/guard/violations';
import { DEMO_LABEL, DEMO_MODEL_ID } from '../core/model/demo';
import type { Orchestrator, RunTarget } from '../core/orchestrator';
import type { RunBoard } from '../core/runs/board';
import { runSummary } from '../core/runs/record';
import { RunStore } from '../core/runs/store';
import type { RenderedTranscript } from '../core/runs/transcript';
import type { AgentStack } from '../core/session/stack';
import { detectSandbox, type SandboxMode } from '../core/sandbox';
import type { VerifyListeners, VerifyReport } from '../core/verify/types';
import { resolveWorkRoot, workRootProblem } from '../core/workspace/paths';
import { IntegrationBuilder } from '../core/app/integrationBuilder';
import { COMMANDS, NANGO_SECRET } from './commandIds';
import { CONFIG_SECTION, type Config } from './config';
import type { SpecWorkspace } from './specWorkspace';
import type { VerifyResults } from './verifyResults';

/** Settings the agent service is built from: a change rebuilds it (see AgentService.onConfigChanged). */
const REBUILD_SETTINGS = ['model', 'demoModel', 'demoCheaters', 'opencode.path', 'nango.host', 'workRoot', 'verify.concurrency'] as const;

/** The command the settings notification's button runs (commandIds.ts COMMANDS.restartAgentServer). */
const RESTART_SERVER = COMMANDS.restartAgentServer;

/**
 * What the service needs of the extension's context (ExtensionCtx, which builds the service, is one):
 * named here so that context.ts → agentService.ts is the only direction between the two.
 */
interface AgentServiceHost {
  readonly extension: vscode.ExtensionContext;
  readonly config: Config;
  readonly log: vscode.LogOutputChannel;
  readonly specs: SpecWorkspace;
  readonly runs: RunBoard;
  readonly verifyResults: VerifyResults;
  /** The first workspace folder on disk. */
  workspaceRoot(): string | undefined;
}

export class UserCancelled extends Error {
  constructor() {
    super('cancelled');
  }
}

interface ModelChoice {
  readonly model: string;
  readonly demo: boolean;
}

export class AgentService implements vscode.Disposable {
  private orchestrator: Orchestrator | undefined;
  private creating: Promise<Orchestrator> | undefined;
  /** The application service of the current work root (src/core/app/integrationBuilder.ts): the CLI's too. */
  private app: IntegrationBuilder | undefined;
  private opencodeBinPath: string | undefined;

  /** The opencode binary the service runs (for `opencode attach`). */
  get opencodeBin(): string | undefined {
    return this.opencodeBinPath;
  }
  private mode: ModelChoice | undefined;

  private readonly started = new vscode.EventEmitter<Orchestrator>();
  /** The service started: its orchestrator's events can be followed from now on. */
  readonly onDidStart = this.started.event;

  private readonly configWatch: vscode.Disposable;
  /** A setting the running service was built with changed while runs were active: rebuild once idle. */
  private staleSettings: string[] = [];

  private readonly serverStateChanged = new vscode.EventEmitter<ConnectionStatus>();
  /** The agent server's state changed (starting, ready, reconnecting, down; idle when the service stops). */
  readonly onDidChangeServerState = this.serverStateChanged.event;
  /** The last notification about changed settings (the extension-host tests read it). */
  lastSettingsNotice: string | undefined;

  constructor(private readonly ctx: AgentServiceHost) {
    this.configWatch = vscode.workspace.onDidChangeConfiguration((e) => void this.onConfigChanged(e));
  }

  /** The agent server's state: idle until the service has started one. */
  get serverStatus(): ConnectionStatus {
    return this.stack?.connection.state ?? { state: 'idle' };
  }

  /**
   * A setting changed. The queue's concurrency and budget and the stop and verification policies apply to
   * the running service at once; the rest (model, demo, servers, opencode binary, Nango host, work root,
   * verify concurrency) are what the service and its agent server were built from. With no run active the
   * service is rebuilt with them now (the next run starts a new server); with runs active the user is asked
   * to restart the agent server (which interrupts them), else they apply as soon as the last run ends.
   */
  private async onConfigChanged(e: vscode.ConfigurationChangeEvent): Promise<void> {
    const o = this.orchestrator;
    if (!o || !e.affectsConfiguration(CONFIG_SECTION)) return;
    const { config } = this.ctx;
    o.updatePolicy(config.runPolicy);
    const rebuild = REBUILD_SETTINGS.filter((k) => e.affectsConfiguration(`${CONFIG_SECTION}.${k}`));
    if (!rebuild.length) return;
    this.ctx.log.info(`settings changed: ${rebuild.join(', ')} — the agent service is rebuilt with them`);
    const what = `${rebuild.map((k) => `${CONFIG_SECTION}.${k}`).join(', ')} changed`;
    const active = o.activeKeys().length;
    if (!active) {
      await this.shutdown();
      this.notifySettings(`Integration Builder: ${what}: the agent server restarts with it for the next run.`, 'Restart Now');
      return;
    }
    this.staleSettings = [...new Set([...this.staleSettings, ...rebuild])];
    this.notifySettings(
      `Integration Builder: ${what}: restart the agent server to apply. The ${active} agent run(s) in progress will be interrupted; without a restart it applies when they finish.`,
      'Restart Agent Server',
    );
    void o.whenIdle().then(async () => {
      if (this.orchestrator !== o || !this.staleSettings.length || o.activeKeys().length) return;
      this.staleSettings = [];
      await this.shutdown();
    });
  }

  private notifySettings(message: string, button: string): void {
    this.lastSettingsNotice = message;
    void vscode.window.showInformationMessage(message, button).then((pick) => {
      // The notification said what a restart interrupts: the command does not ask again.
      if (pick === button) void vscode.commands.executeCommand(RESTART_SERVER, { confirmed: true });
    });
  }

  /** Runs queued or running (what a restart of the agent server affects). */
  activeRuns(): { running: number; queued: number } {
    const o = this.orchestrator;
    if (!o) return { running: 0, queued: 0 };
    const { running, queued } = o.totals();
    return { running, queued };
  }

  /** Settings changed that only a new service applies (a restart then rebuilds it, interrupting queued runs too). */
  get pendingSettings(): readonly string[] {
    return this.staleSettings;
  }

  /**
   * Restarts the agent server. With the service running and its settings unchanged: a new server on the
   * same connection (its sessions are lost, their runs end interrupted; queued runs wait for the new one).
   * With settings changed since the service was built: the service is rebuilt with them (runs in progress
   * end interrupted). Without a service: it is started. Resolves with the server's state.
   */
  async restartServer(): Promise<ConnectionStatus> {
    const stack = this.stack;
    if (this.orchestrator && stack && !this.staleSettings.length) {
      this.ctx.log.info('restarting the agent server');
      await stack.connection.restart();
    } else {
      if (this.orchestrator) await this.shutdown('the agent server was restarted to apply changed settings');
      this.staleSettings = [];
      await this.get();
      await this.stack?.connection.ensure();
    }
    return this.serverStatus;
  }

  /** The connection to the agents' server(s), once the service has started. */
  get connection(): AgentStack['connection'] | undefined {
    return this.stack?.connection;
  }

  /** The running orchestrator, if the service has started. */
  get current(): Orchestrator | undefined {
    return this.orchestrator;
  }

  get usingDemo(): boolean {
    return !!this.mode?.demo;
  }

  workRoot(): string {
    const root = this.ctx.workspaceRoot();
    if (!root) throw new Error('Open a folder first: interaction folders are created inside the workspace.');
    return resolveWorkRoot(root, this.ctx.config.workRoot);
  }

  /** The agent stack of the running service. */
  private get stack(): AgentStack | undefined {
    return this.orchestrator ? this.app?.agents : undefined;
  }

  /**
   * The application service of the work root: one per work root (a new one only when the setting moved
   * it), holding the one store of its run records, transcripts and reports — the running service writes
   * through it and every view and command reads through it, so a flush flushes what was written.
   */
  builder(): IntegrationBuilder {
    const root = this.workRoot();
    if (this.app?.workRoot !== root) this.app = new IntegrationBuilder(root);
    return this.app;
  }

  /** The work root's one store of records (the builder's). */
  runStore(): RunStore {
    return this.builder().runs;
  }

  /**
   * At activation: show the runs of the last session from disk. Runs that were going on our own
   * server when the window closed are marked interrupted; runs on a remote server are re-attached
   * by starting the service.
   */
  async restoreFromDisk(): Promise<void> {
    if (!this.ctx.workspaceRoot()) return;
    const { runs, problems, reports, remoteRunning } = await this.builder().restoreFromDisk();
    // A record that cannot be read is shown as such on its interaction (never as "not started"), and said once.
    for (const p of problems) {
      this.ctx.log.warn(`run record ${p.file} cannot be read: ${p.message}`);
      if (p.key) this.ctx.runs.set(p.key, { status: 'not-started', unreadable: `${p.file}: ${p.message}` });
    }
    if (problems.length) {
      void vscode.window
        .showWarningMessage(`Integration Builder: ${problems.length} run record(s) cannot be read; their runs are unknown (see the log).`, 'Show Log')
        .then((pick) => {
          if (pick) this.ctx.log.show();
        });
    }
    // A run a CLI on this machine runs right now is shown as it is, not marked interrupted.
    for (const { run, elsewhere } of runs) this.ctx.runs.set(run.key, elsewhere ? { ...runSummary(run), elsewhere: true } : runSummary(run));
    // The last verification of each run, back in the Problems panel and the summary.
    if (reports.length) this.ctx.verifyResults.show(reports);
    if (remoteRunning) await this.get();
  }

  /**
   * Verifies interactions that have run (default: all of them). Verification needs no model and no
   * agent server: without a started service it works from the run records on disk.
   */
  async verify(keys: readonly string[] | undefined, opts: VerifyListeners & { signal?: AbortSignal } = {}): Promise<VerifyReport[]> {
    // With the service running, through it; else from the records on disk, as the CLI does (one service).
    const spec = new Map(
      this.ctx.specs.store
        .integrations()
        .flatMap((integration) =>
          integration.interactions.map((i) => [i.key, { key: i.key, integrationId: integration.id, interactionId: i.id, kind: i.kind }] as const),
        ),
    );
    const result = await this.builder().verify(keys, { spec, verifyConcurrency: this.ctx.config.verifyConcurrency, ...opts });
    const reports = result.reports;
    for (const run of result.updated) this.ctx.runs.set(run.key, runSummary(run));
    for (const u of result.unverifiable) this.ctx.log.warn(`${u.key}: not verified: ${u.message}`);
    if (result.unverifiable.length)
      void vscode.window.showWarningMessage(
        `Integration Builder: ${result.unverifiable.length} interaction(s) not verified: ${result.unverifiable[0]?.key}: ${result.unverifiable[0]?.message}`,
      );
    this.ctx.verifyResults.show(reports);
    return reports;
  }

  /** Which model to run: the setting, the demo model, or ask. */
  private async chooseModel(): Promise<ModelChoice> {
    const { config } = this.ctx;
    if (config.model) return { model: config.model, demo: false };
    if (config.demoModel) return { model: DEMO_MODEL_ID, demo: true };
    const demo = 'Use the demo model';
    const settings = 'Set a model…';
    const pick = await vscode.window.showWarningMessage(
      'No model is set for Integration Builder. Set integrationBuilder.model (e.g. anthropic/claude-sonnet-4-5, with your own OpenCode credentials), or try the flow with the built-in demo model: scripted, offline, no key — it replays a recorded build.',
      { modal: true },
      demo,
      settings,
    );
    if (pick === demo) {
      await vscode.workspace.getConfiguration('integrationBuilder').update('demoModel', true, vscode.ConfigurationTarget.Workspace);
      return { model: DEMO_MODEL_ID, demo: true };
    }
    if (pick === settings) await vscode.commands.executeCommand('workbench.action.openSettings', 'integrationBuilder.model');
    throw new UserCancelled();
  }

  /** The opencode binary: the setting, our own install, PATH — or offer to install the pinned version. */
  private async opencodeBinary(): Promise<string> {
    const storageDir = this.ctx.extension.globalStorageUri.fsPath;
    const setting = this.ctx.config.opencodePath;
    const found = findOpencode({ setting, storageDir });
    if (found) return found;
    if (setting)
      throw new Error(`integrationBuilder.opencode.path points at ${setting}, which does not exist. Fix the setting or clear it to use the opencode on PATH.`);
    const install = `Install opencode ${OPENCODE_VERSION}`;
    const pick = await vscode.window.showWarningMessage(
      `OpenCode is not installed (no \`opencode\` on PATH). Integration Builder can install opencode-ai@${OPENCODE_VERSION} with npm into its own storage (about 185 MB), or you can install it yourself and set integrationBuilder.opencode.path.`,
      { modal: true },
      install,
    );
    if (pick !== install) throw new UserCancelled();
    return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Installing opencode-ai@${OPENCODE_VERSION}…` }, () =>
      installOpencode(storageDir, (line) => this.ctx.log.info(line)),
    );
  }

  /**
   * The OS sandbox for agents' shell commands. Where none can run, agents run only after the user
   * accepts the unsandboxed mode for this workspace (remembered; every run and verdict says so).
   */
  private async sandboxMode(): Promise<{ mode: SandboxMode; bwrap?: string }> {
    const support = await detectSandbox();
    if (support.available) return { mode: 'bwrap', bwrap: support.bwrap };
    const key = 'integrationBuilder.unsandboxedAccepted';
    if (this.ctx.extension.workspaceState.get<boolean>(key)) {
      this.ctx.log.warn(`agents run UNSANDBOXED in this workspace (accepted earlier): ${support.reason}`);
      return { mode: 'unsandboxed' };
    }
    const accept = 'Run Unsandboxed in This Workspace';
    const doctor = 'Check Agent Sandbox';
    const pick = await vscode.window.showWarningMessage(
      `Agents' shell commands cannot be sandboxed on this machine: ${support.reason}. Without the sandbox an agent's commands can read and write anything your user can, and its verdicts are only as good as the fixture guard and the hashes. Run agents unsandboxed in this workspace? Every run and verdict will say "unsandboxed".`,
      { modal: true },
      accept,
      doctor,
    );
    if (pick === doctor) void vscode.commands.executeCommand(COMMANDS.checkSandbox);
    if (pick !== accept) throw new UserCancelled();
    await this.ctx.extension.workspaceState.update(key, true);
    return { mode: 'unsandboxed' };
  }

  /** Creates the service on first use: model, binary, server, orchestrator, restored runs. */
  get(): Promise<Orchestrator> {
    if (this.orchestrator) return Promise.resolve(this.orchestrator);
    this.creating ??= this.create().finally(() => (this.creating = undefined));
    return this.creating;
  }

  private async create(): Promise<Orchestrator> {
    const { config, log } = this.ctx;
    const workRoot = this.workRoot();
    // The same check as the CLI's: not the project itself, not a system folder, not inside another work root.
    const problem = await workRootProblem(workRoot, { projectDir: this.ctx.workspaceRoot() as string, write: true });
    if (problem) throw new Error(`integrationBuilder.workRoot: ${problem}`);
    const choice = await this.chooseModel();
    const skillsDir = path.join(this.ctx.extension.extensionPath, 'skills');
    const opencodeBin = await this.opencodeBinary();
    const ripgrep = findRipgrep({ appRoot: vscode.env.appRoot });
    if (!ripgrep) {
      log.warn('ripgrep not found (neither VS Code’s nor `rg` on PATH): the agents’ glob, grep and skill tools will fail. Install ripgrep.');
      void vscode.window.showWarningMessage('ripgrep was not found: agents cannot search files or load skills. Install ripgrep (`rg`) and reload.');
    }
    this.opencodeBinPath = opencodeBin;
    const sandbox = { ...(await this.sandboxMode()), shellDir: path.join(this.ctx.extension.globalStorageUri.fsPath, 'sandbox') };
    const stack = await this.builder().start({
      sandbox,
      model: choice.model,
      demo: choice.demo,
      demoCheaters: config.demoCheaters,
      opencodeBin,
      ripgrep,
      demoDataDir: path.join(this.ctx.extension.globalStorageUri.fsPath, 'demo-opencode'),
      skillPaths: existsSync(skillsDir) ? [skillsDir] : [],
      harnessPlugin: path.join(this.ctx.extension.extensionPath, 'dist', 'harness-plugin.mjs'),
      nango: { secretKey: await this.ctx.extension.secrets.get(NANGO_SECRET), host: config.nangoHost },
      ...config.runPolicy,
      verifyConcurrency: config.verifyConcurrency,
      board: this.ctx.runs,
      log: (line) => log.info(line),
      serverOutput: (line) => log.debug(`[opencode] ${line}`),
      onViolation: (v) => this.onViolation(v),
    });
    const orchestrator = stack.orchestrator;
    stack.connection.onStateChanged((s) => this.serverStateChanged.fire(s));
    // A run blocked, failed or interrupted is said with the others, grouped (src/extension/attention.ts).
    orchestrator.onVerified((r) => this.ctx.verifyResults.show([r]));
    orchestrator.rememberTargets(
      this.ctx.specs.store.integrations().flatMap((integration) => integration.interactions.map((interaction) => ({ integration, interaction }))),
    );
    await orchestrator.restore();
    this.mode = choice;
    this.orchestrator = orchestrator;
    this.started.fire(orchestrator);
    log.info(`agent service ready: ${choice.demo ? DEMO_LABEL : choice.model}, local opencode server`);
    return orchestrator;
  }

  private readonly violationsShown = new Map<string, number>();

  /** One notification per interaction and attempt; the tree and the panel count the rest. */
  private onViolation(v: Violation): void {
    this.ctx.log.warn(`fixture guard: ${v.key}: ${v.detail}`);
    const run = this.orchestrator?.get(v.key);
    const id = `${v.key}#${run?.attempt ?? 0}`;
    if (this.violationsShown.has(id)) return;
    this.violationsShown.set(id, 1);
    const open = 'Open Transcript';
    void vscode.window.showWarningMessage(`${v.key}: the agent changed a protected file — ${v.detail}`, open).then((pick) => {
      if (pick === open) void vscode.commands.executeCommand(COMMANDS.openTranscript, v.key);
    });
  }

  /** Starts runs, with a cancellable progress while the server comes up. */
  async generate(targets: readonly RunTarget[]): Promise<string[]> {
    await this.startService();
    const queued = this.builder().generate(targets);
    if (queued.length) void this.stack?.connection.ensure().catch((err) => this.ctx.log.error(`opencode: ${(err as Error).message}`));
    return queued;
  }

  /** The service, started (with a cancellable progress while the server comes up: UserCancelled). */
  private async startService(): Promise<Orchestrator> {
    return vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: 'Integration Builder: starting the agent service…', cancellable: true },
      (_progress, token) => Promise.race([this.get(), new Promise<never>((_, reject) => token.onCancellationRequested(() => reject(new UserCancelled())))]),
    );
  }

  /**
   * A person's feedback to a finished run's agent, as a new turn of its session (verified when it ends).
   * Returns the turn's number. Throws what the engine refuses (still running, no session left, …).
   */
  async sendFeedback(key: string, text: string): Promise<number | undefined> {
    await this.startService();
    await this.builder().sendFeedback(key, text);
    void this.stack?.connection.ensure().catch((err) => this.ctx.log.error(`opencode: ${(err as Error).message}`));
    return this.orchestrator?.get(key)?.feedback?.at(-1)?.turn;
  }

  async stop(keys?: readonly string[]): Promise<void> {
    if (this.orchestrator) await this.builder().stop(keys);
  }

  async restart(target: RunTarget): Promise<void> {
    await this.get();
    await this.builder().restart(target);
  }

  /**
   * The transcript of an interaction's attempt (default: the latest) as Markdown, with the findings of
   * its latest verification in place and the Markdown line of every entry.
   */
  async transcript(key: string, attempt?: number): Promise<RenderedTranscript | undefined> {
    const report = this.ctx.verifyResults.report(key) ?? this.orchestrator?.report(key);
    return this.builder().transcript(key, attempt, report?.checks.flatMap((c) => c.findings) ?? []);
  }

  /** On window close (or a rebuild): runs on our own server cannot outlive it. Record them as interrupted. */
  async shutdown(detail = 'VS Code closed while the agent was working'): Promise<void> {
    const hadStack = !!this.stack;
    this.orchestrator = undefined;
    await this.app?.close(detail);
    if (hadStack) this.serverStateChanged.fire({ state: 'idle' });
  }

  dispose(): void {
    this.configWatch.dispose();
    void this.shutdown().finally(() => this.serverStateChanged.dispose());
  }
}
