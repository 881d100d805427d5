// The single entry the front ends call: a queue of interaction runs with a concurrency limit.
// Each run scaffolds its folder, opens an opencode session there, sends the prompt and follows the
// session's events until it finishes, fails, is stopped, or its server is lost. Run records are
// persisted as they change, so a reload finds every run where it was.
import { promises as fs } from 'node:fs';
import type { AgentEvent } from './agent/events';
import type { AgentBackend } from './agent/backend';
import type { PermissionRule, SessionRef } from './agent/connection';
import { AGENT_NAME, sessionPermissionRules } from './agent/opencodeConfig';
import { buildFeedbackPrompt, buildPrompt, type PreviousAttempt } from './agent/prompt';
import { RunBoard } from './runs/board';
import { markInterrupted, newRunRecord, nextAttempt, runSummary, type RunRecord } from './runs/record';
import { applyVerdict } from './runs/verdict';
import { reduceRun, type RunInput, type RunOutcome } from './runs/reducer';
import { totalSpent } from './runs/totals';
import { runByAnotherProcess, thisProcess, type RunOwner } from './runs/owner';
import { SETTINGS } from './settings';
import { verifyTargetOf } from './app/verifyTarget';
import type { RunStore } from './runs/store';
import type { InteractionStatus } from './runs/status';
import type { IntegrationModel, InteractionModel } from './spec/model';
import { Emitter } from './util/emitter';
import { interactionFolder } from './workspace/paths';
import { scaffoldInteraction } from './workspace/scaffold';
import type { HarnessToolServer, ToolCall, ToolResult } from './harness/toolServer';
import type { Toolchain } from './toolchain/types';
import type { FixtureGuard } from './guard/fixtureGuard';
import { type CurrentActivity, type Violation, ViolationLog, violationLogFor } from './guard/violations';
import { scriptRelativePath } from './workspace/scaffold';
import type { Finding, VerifyListeners, VerifyReport, VerifyTarget } from './verify/types';
import { loadReport, reportFileFor } from './verify';
import { refusingShellEnv, sandboxPolicyFor, type AgentSandbox, type SandboxLease } from './sandbox';
import { checkToolAccess } from './sandbox/fileAccess';
import { GuardedAttempt } from './runs/guardedAttempt';
import { answerHarnessTool } from './harness/runTools';

/** Runs the checks (src/core/verify) for these interactions; persists and returns their reports. */
export type Verifier = (targets: readonly VerifyTarget[], opts: VerifyListeners & { readonly signal?: AbortSignal }) => Promise<VerifyReport[]>;

export interface RunTarget {
  readonly integration: IntegrationModel;
  readonly interaction: InteractionModel;
}

/** The policies a running orchestrator can take a new value of. */
export interface LivePolicy {
  readonly maxRetries: number;
  readonly violationLimit: number;
  readonly verifyAfterRun: boolean;
  readonly autoRestartAttempts: number;
}

export interface OrchestratorOptions {
  readonly workRoot: string;
  /** How agents are run: the opencode connection, or a fake in tests. */
  readonly connection: AgentBackend;
  readonly runs: RunStore;
  readonly board?: RunBoard;
  /** How many agents run at once (default 4). */
  readonly concurrency?: number;
  /** Stop starting new runs once the total cost reaches this (USD). */
  readonly budgetUsd?: number;
  /** Default model `provider/model`; an interaction's `model` overrides it. */
  readonly model?: string;
  /** Runs against the demo model are labelled as such. */
  readonly demo?: boolean;
  /** Provider retries allowed in one turn before the run is stopped as failed (default 5). */
  readonly maxRetries?: number;
  /** Extra per-session permission rules (the fixture locks). */
  readonly permissionRules?: (target: RunTarget, folder: string) => PermissionRule[];
  /** Called once a session exists, before the prompt is sent (the demo model picks its script here). */
  readonly onSessionCreated?: (run: RunRecord, target: RunTarget) => void;
  /** Builds the prompt (default: buildPrompt); `previous` is what Verify found in the attempt before a restart. */
  readonly prompt?: (target: RunTarget, folder: string, previous?: PreviousAttempt) => string;
  /** Serves the harness tools (record_fixture, run_tests, report_blocked) to the sessions. */
  readonly tools?: Pick<HarnessToolServer, 'register'>;
  /** Records fixtures and runs tests for the harness tools. */
  readonly toolchain?: Toolchain;
  /**
   * Lock 2: guards each running folder (restores protected files from the baseline taken after the
   * scaffold) and lets only the harness's recorder and test generator write fixtures and tests.
   */
  readonly guard?: FixtureGuard;
  /**
   * The OS sandbox every shell command of a run goes through (the opencode server's shell is its
   * agent shell). Without it the harness still checks file-tool calls, but refuses shell commands.
   */
  readonly sandbox?: AgentSandbox;
  /** Violations in one attempt before the run is stopped as tampering (0: never; default 3). */
  readonly violationLimit?: number;
  /** Verification: an agent's "done" becomes verified, failed or needs review only through it. */
  readonly verifier?: Verifier;
  /** Verify each run as soon as its agent finishes (default false: the user runs Verify). */
  readonly verifyAfterRun?: boolean;
  /**
   * When verification fails, restart from scratch (a new attempt; the old one stays in the history) up
   * to this many times in all for the interaction (default 0). Restarted runs are verified when they end.
   */
  readonly autoRestartAttempts?: number;
  readonly log?: (line: string) => void;
  readonly now?: () => Date;
  /** Waits between tries to reach the agent server (default SERVER_RETRY_DELAYS_MS). */
  readonly serverRetryDelaysMs?: readonly number[];
  /** The clock's timer, for those waits (tests hold it open). */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Who runs the runs (default: this process), written into each record as it starts. */
  readonly owner?: RunOwner;
}

interface Job {
  /** Absent for a run re-attached after a reload (nothing to scaffold or prompt). */
  readonly target?: RunTarget;
  run: RunRecord;
  ref?: SessionRef;
  stopping?: RunOutcome;
  settle?: (outcome: RunOutcome) => void;
  persistTimer?: NodeJS.Timeout;
  /** The guard's side of this attempt: baseline, violation log, the tool calls running now (src/core/runs/guardedAttempt.ts). */
  attempt: GuardedAttempt;
  /** A feedback turn: a new prompt to the finished attempt's session, in its folder as it is (sendFeedback). */
  turn?: { readonly text: string; readonly number: number };
  /** This attempt's sandbox (its policy file and the check of its file tools). */
  sandbox?: SandboxLease;
  /** Aborted when the run ends: the recorder and test processes it started end with it. */
  ended?: AbortController;
}

export interface OrchestratorTotals {
  readonly costUsd: number;
  readonly tokens: number;
  readonly running: number;
  readonly queued: number;
}

/** The longest a block waits for its tool's answer to show in the session's events before it aborts anyway. */
const BLOCK_ANSWER_FAILSAFE_MS = 5000;

/**
 * A run whose agent server does not come up (too slow to start on a busy machine, or it exited) waits and
 * asks again, this long before each new try: seven tries, 90 s of waiting in all (each try itself may
 * take the server's start timeout, twice). Only then does the run fail.
 */
export const SERVER_RETRY_DELAYS_MS: readonly number[] = [2000, 4000, 8000, 16_000, 30_000, 30_000];

const TERMINAL: readonly InteractionStatus[] = ['needs-review', 'blocked', 'verified', 'failed', 'stopped', 'interrupted'];

export class Orchestrator {
  private readonly records = new Map<string, RunRecord>();
  private readonly queue: Job[] = [];
  private readonly active = new Map<string, Job>();
  /** Each active run's execution, until its clean-up is over (stop() waits for it). */
  private readonly executions = new Map<string, Promise<void>>();
  private readonly events = new Emitter<{ key: string; event: AgentEvent }>();
  private readonly changes = new Emitter<RunRecord>();
  private readonly violationEvents = new Emitter<Violation>();
  /** The fixture guard restored a protected file an agent changed (already counted in the run record). */
  readonly onViolation = this.violationEvents.event;
  private readonly disposables: { dispose(): void }[] = [];
  private readonly reports = new Map<string, VerifyReport>();
  private readonly verifiedEvents = new Emitter<VerifyReport>();
  /** A verification finished (the run record's status already reflects it). */
  readonly onVerified = this.verifiedEvents.event;
  private readonly verifying = new Set<string>();
  private readonly verifyAfter = new Set<string>();
  private readonly targets = new Map<string, RunTarget>();
  /** Verifications after a run and automatic restarts under way (whenIdle waits for them). */
  private pendingWork = 0;
  private readonly idleWaiters: (() => void)[] = [];
  readonly board: RunBoard;
  /** Every agent event, tagged with its interaction key. */
  readonly onAgentEvent = this.events.event;
  /** A run record changed (status, cost, tokens…). */
  readonly onRunChanged = this.changes.event;
  concurrency: number;
  budgetUsd: number | undefined;
  /** The stop and verification policies, changeable while runs go on (a setting changed in the editor). */
  private policy: LivePolicy;
  private readonly log: (line: string) => void;
  private readonly now: () => Date;

  constructor(private readonly options: OrchestratorOptions) {
    this.board = options.board ?? new RunBoard();
    this.concurrency = Math.max(1, options.concurrency ?? SETTINGS.concurrency.default);
    this.budgetUsd = options.budgetUsd;
    // The settings' defaults (src/core/settings.ts), the same as the editor's and the CLI's.
    this.policy = {
      maxRetries: options.maxRetries ?? SETTINGS.maxProviderRetries.default,
      violationLimit: options.violationLimit ?? SETTINGS.violationLimit.default,
      verifyAfterRun: options.verifyAfterRun ?? SETTINGS.verifyAfterRun.default,
      autoRestartAttempts: options.autoRestartAttempts ?? SETTINGS.autoRestartAttempts.default,
    };
    this.log = options.log ?? (() => undefined);
    this.now = options.now ?? (() => new Date());
    this.disposables.push(
      options.connection.onSessionsLost(({ sessionIds, reason }) => {
        for (const job of this.active.values()) {
          if (job.run.sessionId && sessionIds.includes(job.run.sessionId)) job.settle?.({ status: 'interrupted', detail: reason });
        }
      }),
    );
    if (options.guard) {
      this.disposables.push(
        options.guard.onViolation((v) => this.onGuardViolation(v)),
        options.guard.onError(({ key, folder, error }) => this.log(`fixture guard ${key ?? folder ?? ''}: ${error.message}`)),
      );
    }
  }

  /**
   * The tool calls the agent of `key` is running right now, for violation reports. A call counts from
   * the plugin's `tool.execute.before` until the guard has settled the folder after it ran (`callEnded`),
   * so a change a call made is always seen while it runs: no timing window, no later re-lookup. A change
   * seen while none runs was made by something else (a process the agent left behind).
   */
  currentActivity(key: string): CurrentActivity | undefined {
    return this.active.get(key)?.attempt.currentActivity();
  }

  private onGuardViolation(v: Violation): void {
    this.recordViolation(v);
  }

  private recordViolation(v: Violation): void {
    const job = this.active.get(v.key);
    const run = job?.run ?? this.records.get(v.key);
    // The violation log (below) is the evidence Verify reads; a transcript line that cannot be written is said.
    if (run)
      void this.options.runs
        .appendTranscript(run.key, run.attempt, [{ at: v.time, type: 'violation', ...v }])
        .catch((err) => this.log(`transcript ${v.key}: the violation could not be written: ${(err as Error).message}`));
    this.log(`fixture guard: ${v.key}: ${v.detail}`);
    if (job) {
      // Logged (and counted against the limit) before anyone hears of it.
      if (job.attempt.violations) void job.attempt.violations.append(v).catch((err) => this.log(`violation log ${v.key}: ${(err as Error).message}`));
      this.apply(job, { type: 'run.violation' });
    } else if (run) {
      // The run ended while this one was being looked at: the log is closed, so append to its file.
      void new ViolationLog(violationLogFor(this.options.runs.fileOf(run.key)), 0)
        .append(v)
        .catch((err) => this.log(`violation log ${v.key}: ${(err as Error).message}`));
      Object.assign(run, reduceRun(run, { type: 'run.violation' }, { maxRetries: this.policy.maxRetries }).run);
      this.persist(run);
    }
    this.violationEvents.fire(v);
  }

  /**
   * One transition of a run (src/core/runs/reducer.ts), and its effects. The record keeps its identity
   * (the board and the records map hold it), so the reducer's new record is copied into it.
   */
  private apply(job: Job, input: RunInput): void {
    const { run, effects } = reduceRun(job.run, input, { maxRetries: this.policy.maxRetries, stopping: job.stopping });
    if (run !== job.run) Object.assign(job.run, run);
    const settle = effects.find((e) => e.kind === 'settle');
    for (const effect of effects) {
      switch (effect.kind) {
        case 'persist':
          this.persist(job.run, job, effect.soon);
          break;
        case 'abort':
          // A policy ends the run: the error the abort echoes back must not turn it into another outcome.
          if (settle) job.stopping = settle.outcome;
          if (job.ref) void this.options.connection.abort(job.ref).catch(() => undefined);
          break;
        case 'settle':
          job.settle?.(effect.outcome);
          break;
      }
    }
  }

  /** A run's job, with the guard's side of its attempt. */
  private newJob(target: RunTarget | undefined, run: RunRecord, ref?: SessionRef): Job {
    const job: Job = {
      target,
      run,
      ref,
      attempt: new GuardedAttempt(run, {
        runs: this.options.runs,
        guard: this.options.guard,
        now: this.now,
        log: this.log,
        violation: (v) => this.recordViolation(v),
        persist: () => this.persist(job.run, job),
      }),
    };
    return job;
  }

  private iso(): string {
    return this.now().toISOString();
  }

  get(key: string): RunRecord | undefined {
    return this.records.get(key);
  }

  all(): RunRecord[] {
    return [...this.records.values()].sort((a, b) => a.key.localeCompare(b.key));
  }

  totals(): OrchestratorTotals {
    return { ...totalSpent(this.records.values()), running: this.active.size, queued: this.queue.length };
  }

  /** A record of a run that another process, alive on this machine, is running now. */
  private runByAnother(run: RunRecord): boolean {
    return runByAnotherProcess(run, this.options.owner ?? thisProcess());
  }

  /**
   * Restores run records from disk. Runs that were queued or running when the last window closed
   * are re-attached when their session lives on a server we can still reach, else marked interrupted.
   */
  async restore(): Promise<RunRecord[]> {
    const runs = await this.options.runs.loadAll((file, err) => this.log(`ignoring unreadable run record ${file}: ${err.message}`));
    for (const run of runs) {
      if ((run.status === 'queued' || run.status === 'running') && this.runByAnother(run)) {
        // Another live process (a CLI, another window) runs it: not ours to follow or to mark interrupted.
        this.log(`${run.key} is being run by process ${run.owner?.pid} on this machine; left to it`);
      } else if (run.status === 'queued' || run.status === 'running') {
        let reattached = false;
        if (run.sessionId && run.serverUrl && run.serverOwned === false) {
          try {
            const ref = { sessionId: run.sessionId, directory: run.folder, serverUrl: run.serverUrl };
            const state = await this.options.connection.reattach(ref);
            reattached = state !== 'gone';
            if (reattached) {
              this.log(`re-attached ${run.key} to session ${run.sessionId} (${state})`);
              run.status = 'running';
              const job = this.newJob(undefined, run, ref);
              this.records.set(run.key, run);
              this.active.set(run.key, job);
              this.track(run.key, this.follow(job, state === 'idle'));
            }
          } catch (err) {
            this.log(`cannot re-attach ${run.key}: ${(err as Error).message}`);
          }
        }
        if (!reattached) {
          markInterrupted(run, this.iso());
          await this.options.runs.save(run);
        }
      }
      this.records.set(run.key, run);
      this.publish(run);
    }
    return runs;
  }

  /** Queues runs for these interactions. Ones already queued or running are left alone. */
  generate(targets: readonly RunTarget[]): string[] {
    const queued: string[] = [];
    for (const target of targets) {
      const key = target.interaction.key;
      if (this.active.has(key) || this.queue.some((j) => j.run.key === key)) continue;
      const existing = this.records.get(key);
      if (existing && (existing.status === 'queued' || existing.status === 'running') && this.runByAnother(existing)) {
        this.log(`${key} is being run by process ${existing.owner?.pid} on this machine; not started again`);
        continue;
      }
      this.targets.set(key, target);
      const folder = interactionFolder(this.options.workRoot, target.integration.id, target.interaction.id);
      const model = target.interaction.model ?? this.options.model;
      const run = existing
        ? { ...nextAttempt(existing, this.iso()), model, demo: !!this.options.demo }
        : newRunRecord({
            key,
            integrationId: target.integration.id,
            interactionId: target.interaction.id,
            specFile: target.interaction.file,
            folder,
            model,
            demo: !!this.options.demo,
            now: this.iso(),
          });
      this.records.set(key, run);
      this.queue.push(this.newJob(target, run));
      this.persist(run);
      queued.push(key);
    }
    this.pump();
    return queued;
  }

  /** Deletes the folder and the session, then starts the interaction anew (history is kept). */
  async restartFromScratch(target: RunTarget): Promise<void> {
    const key = target.interaction.key;
    await this.stop(key, 'restarted from scratch');
    const run = this.records.get(key);
    if (run?.sessionId && run.serverUrl) {
      await this.options.connection.deleteSession({ sessionId: run.sessionId, directory: run.folder, serverUrl: run.serverUrl }).catch(() => undefined);
    }
    await fs.rm(interactionFolder(this.options.workRoot, target.integration.id, target.interaction.id), { recursive: true, force: true });
    this.generate([target]);
  }

  /** Stops one run (queued or running). Resolves when it has ended. */
  async stop(key: string, detail = 'stopped by the user', status: InteractionStatus = 'stopped'): Promise<void> {
    const qi = this.queue.findIndex((j) => j.run.key === key);
    if (qi >= 0) {
      const [job] = this.queue.splice(qi, 1);
      if (job) this.finish(job, { status, detail });
      this.notifyIdle();
      return;
    }
    const job = this.active.get(key);
    if (!job) return;
    job.stopping = { status, detail };
    const ended = new Promise<void>((resolve) => {
      const sub = this.changes.event((r) => {
        if (r.key === key && TERMINAL.includes(r.status)) {
          sub.dispose();
          resolve();
        }
      });
    });
    if (job.ref) await this.options.connection.abort(job.ref).catch((err) => this.log(`abort ${key}: ${(err as Error).message}`));
    // Do not wait for the abort to echo back as an event: a dead server never answers.
    job.settle?.({ status, detail });
    await ended;
    // Ended is not done: the guard may still be restoring into the folder. Whoever deletes or reuses the
    // folder next (restart from scratch) waits for that.
    await this.executions.get(key)?.catch(() => undefined);
  }

  async stopAll(detail = 'stopped by the user', status: InteractionStatus = 'stopped'): Promise<void> {
    const keys = [...this.queue.map((j) => j.run.key), ...this.active.keys()];
    await Promise.all(keys.map((k) => this.stop(k, detail, status)));
  }

  /** Keys of runs that are queued or running. */
  activeKeys(): string[] {
    return [...this.queue.map((j) => j.run.key), ...this.active.keys()];
  }

  /** Stops runs whose spec entry is gone (the user deleted it while it ran). */
  async reconcile(presentKeys: ReadonlySet<string>): Promise<void> {
    const gone = [...this.queue.map((j) => j.run.key), ...this.active.keys()].filter((k) => !presentKeys.has(k));
    await Promise.all(gone.map((k) => this.stop(k, 'its entry was removed from the spec', 'stopped')));
  }

  /** Resolves when nothing is queued or running, and every record is on disk. */
  async whenIdle(): Promise<void> {
    if (this.queue.length > 0 || this.active.size > 0 || this.pendingWork > 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    await this.options.runs.flush();
  }

  private notifyIdle(): void {
    if (this.queue.length === 0 && this.active.size === 0 && this.pendingWork === 0) for (const w of this.idleWaiters.splice(0)) w();
  }

  /**
   * Settings changed while the service runs: the queue takes a new concurrency and budget at once (more
   * room starts queued runs), the stop policies apply from the next decision, the violation limit from
   * the next attempt.
   */
  updatePolicy(p: Partial<LivePolicy & { concurrency: number; budgetUsd: number | undefined }>): void {
    if (p.concurrency !== undefined) this.concurrency = Math.max(1, Math.floor(p.concurrency));
    if ('budgetUsd' in p) this.budgetUsd = p.budgetUsd;
    const { concurrency: _c, budgetUsd: _b, ...rest } = p;
    this.policy = { ...this.policy, ...Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)) };
    this.pump();
  }

  private pump(): void {
    while (this.active.size < this.concurrency && this.queue.length > 0) {
      const job = this.queue.shift() as Job;
      if (this.budgetUsd !== undefined && this.totals().costUsd >= this.budgetUsd) {
        this.finish(job, { status: 'stopped', detail: `the budget of $${this.budgetUsd.toFixed(2)} is spent` });
        continue;
      }
      this.active.set(job.run.key, job);
      this.track(job.run.key, this.execute(job));
    }
    this.notifyIdle();
  }

  /** A run's whole execution, its clean-up included (the guard's last restore, the session's release). */
  private track(key: string, execution: Promise<void>): void {
    this.executions.set(key, execution);
    void execution.finally(() => {
      if (this.executions.get(key) === execution) this.executions.delete(key);
    });
  }

  private publish(run: RunRecord): void {
    this.board.set(run.key, runSummary(run));
    this.changes.fire(run);
  }

  /** Saves now (status changes) or at most every 500 ms (cost and token updates). */
  private persist(run: RunRecord, job?: Job, soon = false): void {
    this.publish(run);
    if (soon && job) {
      if (job.persistTimer) return;
      job.persistTimer = setTimeout(() => {
        job.persistTimer = undefined;
        void this.options.runs.save(job.run).catch((err) => this.log(`saving ${run.key}: ${(err as Error).message}`));
      }, 500);
      return;
    }
    if (job?.persistTimer) {
      clearTimeout(job.persistTimer);
      job.persistTimer = undefined;
    }
    void this.options.runs.save(run).catch((err) => this.log(`saving ${run.key}: ${(err as Error).message}`));
  }

  private finish(job: Job, outcome: RunOutcome): void {
    // Whatever the harness still runs for it (a recording, a test run) ends with the run.
    job.ended?.abort();
    job.attempt.end();
    this.apply(job, { type: 'run.ended', outcome, at: this.iso() });
  }

  private async execute(job: Job): Promise<void> {
    const target = job.target as RunTarget;
    const run = job.run;
    const key = run.key;
    const conn = this.options.connection;
    let subscription: { dispose(): void } | undefined;
    const scope = { folder: run.folder, integrationId: target.integration.id, scriptRel: scriptRelativePath(target.interaction) };
    // The harness's policy for this run, asked by the plugin for every tool call and shell command of its session.
    const toolRegistration = this.options.tools?.register(run.folder, (call) => this.onToolCall(job, call), {
      sessionId: () => job.run.sessionId,
      shellEnv: () => job.sandbox?.shellEnv() ?? refusingShellEnv('this run has no sandbox yet'),
      checkAccess: (tool, args) =>
        (job.sandbox ?? { checkAccess: (t: string, a: Record<string, unknown>) => checkToolAccess(t, a, scope) }).checkAccess(tool, args),
      callStarted: (callId, tool, args) => job.attempt.callStarted(callId, tool, args),
      callEnded: (callId, tool) => job.attempt.callEnded(callId, tool),
    });
    const outcome = awaitOutcome(job);
    let verifyNow = false;
    try {
      this.apply(job, { type: 'run.started', at: this.iso(), owner: this.options.owner ?? thisProcess() });

      const turn = job.turn;
      // A feedback turn goes on in the folder as the agent left it; a new attempt starts from the scaffold.
      if (!turn) await scaffoldInteraction(run.folder, target.interaction, { replace: run.attempt > 1 || (await exists(run.folder)) });
      if (job.stopping) throw new StopSignal();
      await job.attempt.start({
        fresh: !turn,
        scope: { integrationId: target.integration.id, scriptRel: scriptRelativePath(target.interaction) },
        limit: this.policy.violationLimit,
        onLimit: (detail) => {
          job.stopping = { status: 'failed', detail };
          if (job.ref) void this.options.connection.abort(job.ref).catch(() => undefined);
          job.settle?.(job.stopping);
        },
      });
      if (job.stopping) throw new StopSignal();
      if (this.options.sandbox) {
        job.sandbox = await this.options.sandbox.prepare(scope, sandboxPolicyFor(this.options.runs.fileOf(key)));
        this.apply(job, { type: 'run.sandboxed', mode: job.sandbox.mode });
      }
      await this.waitForServer(job, outcome);
      if (job.stopping) throw new StopSignal();

      let ref: SessionRef;
      if (turn) {
        // The same session, with its permission rules and its history: the agent knows what it did.
        ref = await this.sessionToContinue(run);
      } else {
        const rules = [...sessionPermissionRules(target.integration.id, target.interaction.id), ...(this.options.permissionRules?.(target, run.folder) ?? [])];
        ref = await conn.createSession(run.folder, `${key} (attempt ${run.attempt})`, rules);
      }
      job.ref = ref;
      this.apply(job, { type: 'run.session', sessionId: ref.sessionId, serverUrl: ref.serverUrl, owned: conn.ownedServer !== undefined });
      subscription = conn.subscribe(ref.sessionId, (event) => this.onEvent(job, event));
      if (!turn) this.options.onSessionCreated?.(run, target);
      if (job.stopping) throw new StopSignal();

      const text = turn
        ? buildFeedbackPrompt(turn.text, turn.number)
        : (this.options.prompt ?? ((t, folder, previous) => buildPrompt({ interaction: t.interaction, folder, previous })))(
            target,
            run.folder,
            await this.previousAttempt(run),
          );
      void this.options.runs.appendTranscript(key, run.attempt, [
        {
          type: 'prompt',
          at: this.iso(),
          sessionId: ref.sessionId,
          model: run.model,
          demo: run.demo,
          text,
          ...(turn ? { feedback: true, turn: turn.number } : {}),
        },
      ]);
      await conn.prompt(ref, { text, agent: AGENT_NAME, model: run.model });
      this.apply(job, { type: 'run.prompted', at: this.iso() });

      const result = await outcome;
      this.finish(job, job.stopping ?? result);
      verifyNow = (run.status as InteractionStatus) === 'needs-review' && (this.policy.verifyAfterRun || this.verifyAfter.has(key));
    } catch (err) {
      if (err instanceof StopSignal || job.stopping) this.finish(job, job.stopping ?? { status: 'stopped', detail: 'stopped' });
      else {
        this.log(`${key} failed: ${(err as Error).message}`);
        this.finish(job, { status: 'failed', detail: (err as Error).message });
      }
    } finally {
      subscription?.dispose();
      toolRegistration?.dispose();
      if (job.ref) await conn.release(job.ref).catch(() => undefined);
      await job.attempt.stop();
      this.active.delete(key);
      // Verified once the run is no longer active (Verify leaves active runs out), and counted as pending
      // work before the queue moves on, so whenIdle waits for the verdict.
      this.verifyAfter.delete(key);
      if (verifyNow) {
        this.pendingWork++;
        void this.verify([key])
          .catch((err) => this.log(`verifying ${key}: ${(err as Error).message}`))
          .finally(() => {
            this.pendingWork--;
            this.notifyIdle();
          });
      }
      this.pump();
    }
  }

  /**
   * The finished attempt's session, to continue with a feedback turn: it must still be on a server we
   * reach (our own server's sessions end with it; a deleted session is gone). Else the turn fails and says
   * to restart from scratch.
   */
  private async sessionToContinue(run: RunRecord): Promise<SessionRef> {
    if (!run.sessionId || !run.serverUrl) throw new Error('the run has no agent session to continue: restart it from scratch');
    const ref = { sessionId: run.sessionId, directory: run.folder, serverUrl: run.serverUrl };
    const state = await this.options.connection.reattach(ref);
    if (state === 'gone')
      throw new Error(`the agent's session ${run.sessionId} is gone (its server was restarted or the session deleted): restart from scratch instead`);
    if (state === 'busy') throw new Error(`the agent's session ${run.sessionId} is still working: stop it before sending feedback`);
    return ref;
  }

  /**
   * What Verify said of the attempt before this one, for a restart from scratch: the new attempt is told
   * what failed (the findings, never the old code), so it does not repeat it. Nothing for a first attempt
   * or one after a verified attempt.
   */
  private async previousAttempt(run: RunRecord): Promise<PreviousAttempt | undefined> {
    if (run.attempt <= 1) return undefined;
    const inMemory = this.reports.get(run.key);
    const report = inMemory?.attempt === run.attempt - 1 ? inMemory : await loadReport(this.options.runs.fileOf(run.key));
    if (!report || report.attempt !== run.attempt - 1 || report.verdict === 'verified') return undefined;
    const findings = report.checks.flatMap((c) => c.findings).filter((f) => f.severity !== 'info');
    return { attempt: report.attempt, verdict: report.verdict, findings: findings.map(findingLine) };
  }

  /**
   * Feedback from a person on a finished run, sent to its agent as a new turn of the same session: in the
   * same folder, under the same sandbox, guard and locks (the baseline and its seal are kept; the violation
   * count goes on), and verified when it ends, like the first turn. The run's verdict no longer holds: it
   * is kept with the feedback in the record (and the report file moved aside as `….turn-N.verify.json`), so
   * nothing reads the old verdict as the new one. Queued like any run (the concurrency limit holds).
   */
  async sendFeedback(key: string, text: string): Promise<void> {
    const body = text.trim();
    if (!body) throw new Error('the feedback is empty');
    if (this.active.has(key) || this.queue.some((j) => j.run.key === key)) throw new Error(`${key} is still running: send feedback once it has finished`);
    const run = this.records.get(key);
    if (!run) throw new Error(`${key} has not run: there is no agent to send feedback to`);
    if (this.runByAnother(run)) throw new Error(`${key} is being run by process ${run.owner?.pid} on this machine`);
    const target = this.targets.get(key);
    if (!target) throw new Error(`${key} is not in the spec any more`);
    if (!run.sessionId || !run.serverUrl) throw new Error(`${key} has no agent session to continue: restart it from scratch`);
    const number = (run.feedback?.length ?? 0) + 2;
    const reportFile = reportFileFor(this.options.runs.fileOf(key));
    await fs
      .rename(reportFile, reportFile.replace(/\.verify\.json$/, `.attempt-${run.attempt}.turn-${number - 1}.verify.json`))
      .catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err;
      });
    this.reports.delete(key);
    const feedback = { at: this.iso(), text: body, turn: number, before: { status: run.status, detail: run.detail, verification: run.verification } };
    Object.assign(run, {
      feedback: [...(run.feedback ?? []), feedback],
      status: 'queued',
      detail: `feedback sent (turn ${number}); waiting for its turn`,
      verification: undefined,
      review: undefined,
      finalText: undefined,
      endedAt: undefined,
      retries: 0,
    } satisfies Partial<RunRecord>);
    const job = this.newJob(target, run);
    job.turn = { text: body, number };
    this.queue.push(job);
    if (this.options.verifier) this.verifyAfter.add(key);
    this.persist(run);
    this.pump();
  }

  /**
   * The agent server for a run about to open its session. A try that fails is not yet the run's failure:
   * it waits with back-off (SERVER_RETRY_DELAYS_MS), its detail saying so; a stop ends the wait at once.
   */
  private async waitForServer(job: Job, outcome: Promise<RunOutcome>): Promise<void> {
    const delays = this.options.serverRetryDelaysMs ?? SERVER_RETRY_DELAYS_MS;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.options.connection.ensure();
        return;
      } catch (err) {
        if (job.stopping) throw new StopSignal();
        // Only a start that may yet succeed is waited for (our server slow to report its URL, or exiting
        // early: ServerStartError with retryable). A server that cannot be run at all (no binary) or a
        // remote one that refuses the connection is not slow: waiting would only hide it.
        if ((err as { retryable?: unknown }).retryable !== true) throw err;
        const reason = (err as Error).message;
        const delay = delays[attempt - 1];
        if (delay === undefined) throw attempt > 1 ? new Error(`the agent server did not come up after ${attempt} tries: ${reason}`) : err;
        this.log(`${job.run.key}: the agent server is not up (${reason}); trying again in ${delay} ms`);
        this.apply(job, { type: 'run.waiting', attempt: attempt + 1, reason });
        let timer: NodeJS.Timeout | undefined;
        const waited = this.options.sleep?.(delay) ?? new Promise<void>((resolve) => (timer = setTimeout(resolve, delay)));
        await Promise.race([waited, outcome]);
        clearTimeout(timer);
        if (job.stopping) throw new StopSignal();
      }
    }
  }

  /**
   * Ends the run as blocked: the session is aborted once its events carry the tool's answer (so the
   * transcript has it). An answer that never comes (a server gone quiet) does not keep the session
   * running: BLOCK_ANSWER_FAILSAFE_MS bounds the wait; it decides nothing about what happened.
   */
  private block(job: Job, reason: string, callId: string | undefined): void {
    job.stopping = { status: 'blocked', detail: reason };
    let failsafe: NodeJS.Timeout | undefined;
    const bound = new Promise<void>((resolve) => (failsafe = setTimeout(resolve, BLOCK_ANSWER_FAILSAFE_MS)));
    void Promise.race([callId ? job.attempt.answeredCall(callId) : Promise.resolve(), bound]).then(() => {
      clearTimeout(failsafe);
      if (job.ref) void this.options.connection.abort(job.ref).catch(() => undefined);
      job.settle?.(job.stopping ?? { status: 'blocked', detail: reason });
    });
  }

  /** A harness tool called by this run's agent (src/core/harness/runTools.ts answers it). */
  private async onToolCall(job: Job, call: ToolCall): Promise<ToolResult> {
    const run = job.run;
    if (call.sessionId !== run.sessionId) return { ok: false, output: 'this session is not the one the harness runs in this folder' };
    void this.options.runs.appendTranscript(run.key, run.attempt, [
      { at: this.iso(), type: 'harness.tool', tool: call.tool, args: call.args, callId: call.callId },
    ]);
    return answerHarnessTool(call, {
      run,
      interaction: job.target?.interaction,
      toolchain: this.options.toolchain,
      attempt: job.attempt,
      signal: () => endedSignal(job),
      block: (reason, callId) => this.block(job, reason, callId),
    });
  }

  /** Follows a re-attached session to its end, as `execute` does for a new one. */
  private async follow(job: Job, replay: boolean): Promise<void> {
    const ref = job.ref as SessionRef;
    const outcome = awaitOutcome(job);
    const subscription = this.options.connection.subscribe(ref.sessionId, (event) => this.onEvent(job, event));
    try {
      // It may have finished while no window watched: its last message tells.
      if (replay) await this.options.connection.replaySession(ref);
      this.finish(job, job.stopping ?? (await outcome));
    } catch (err) {
      this.finish(job, { status: 'interrupted', detail: `lost the session after a reload: ${(err as Error).message}` });
    } finally {
      subscription.dispose();
      await this.options.connection.release(ref).catch(() => undefined);
      this.active.delete(job.run.key);
      this.pump();
    }
  }

  private onEvent(job: Job, event: AgentEvent): void {
    const run = job.run;
    this.events.fire({ key: run.key, event });
    if (event.type !== 'text' && event.type !== 'reasoning') {
      void this.options.runs.appendTranscript(run.key, run.attempt, [{ at: this.iso(), ...event }]).catch(() => undefined);
    }
    if (event.type === 'tool.finished') {
      job.attempt.callAnswered(event.callId);
      // A call that failed has no after hook: its end here settles it (a no-op for one already settled).
      void job.attempt.callEnded(event.callId, event.tool);
    }
    this.apply(job, event);
    if (event.type === 'step' && this.budgetUsd !== undefined && this.totals().costUsd >= this.budgetUsd && this.queue.length) {
      this.log(`budget of $${this.budgetUsd.toFixed(2)} reached: no new runs will start`);
    }
  }

  /** The spec's current interactions (after a reload or an edit), so verification and automatic restarts know them. */
  rememberTargets(targets: readonly RunTarget[]): void {
    for (const t of targets) this.targets.set(t.interaction.key, t);
  }

  /** The latest verification of an interaction in this session (the verifier also keeps it on disk). */
  report(key: string): VerifyReport | undefined {
    return this.reports.get(key);
  }

  /**
   * Verifies these interactions (default: every one with a finished run) and records the verdict as the
   * run's status. Runs still queued or running are left out. A failed verdict restarts the interaction
   * from scratch when `autoRestartAttempts` allows it.
   */
  async verify(keys?: readonly string[], opts: VerifyListeners & { signal?: AbortSignal } = {}): Promise<VerifyReport[]> {
    const verifier = this.options.verifier;
    if (!verifier) throw new Error('verification is not available in this setup');
    const busy = new Set(this.activeKeys());
    const chosen = (keys ?? [...this.records.keys()]).filter((k) => !busy.has(k) && !this.verifying.has(k));
    const targets: VerifyTarget[] = [];
    for (const key of chosen) {
      const run = this.records.get(key);
      if (!run) continue;
      targets.push(verifyTargetOf(this.options.workRoot, run, this.targets.get(key)?.interaction.kind));
    }
    if (!targets.length) return [];
    for (const t of targets) this.verifying.add(t.key);
    let reports: VerifyReport[];
    try {
      reports = await verifier(targets, opts);
    } finally {
      for (const t of targets) this.verifying.delete(t.key);
    }
    for (const report of reports) {
      this.reports.set(report.key, report);
      const run = this.records.get(report.key);
      if (run && !busy.has(report.key) && !this.activeKeys().includes(report.key)) {
        applyVerdict(run, report);
        this.persist(run);
      }
      this.verifiedEvents.fire(report);
      this.maybeRestart(report);
    }
    return reports;
  }

  private maybeRestart(report: VerifyReport): void {
    const limit = this.policy.autoRestartAttempts;
    if (report.verdict !== 'failed' || limit <= 0) return;
    const run = this.records.get(report.key);
    const target = this.targets.get(report.key);
    if (!run || !target) return;
    if (run.attempt > limit) {
      this.log(`${report.key}: verification failed on attempt ${run.attempt}; no automatic restart left (limit ${limit})`);
      return;
    }
    this.log(`${report.key}: verification failed on attempt ${run.attempt}; restarting from scratch (automatic restart ${run.attempt} of ${limit})`);
    this.verifyAfter.add(report.key);
    this.pendingWork++;
    void this.restartFromScratch(target)
      .catch((err) => this.log(`restarting ${report.key}: ${(err as Error).message}`))
      .finally(() => {
        this.pendingWork--;
        this.notifyIdle();
      });
  }

  dispose(): void {
    for (const job of this.active.values()) if (job.persistTimer) clearTimeout(job.persistTimer);
    for (const d of this.disposables.splice(0)) d.dispose();
    this.events.dispose();
    this.changes.dispose();
    this.violationEvents.dispose();
    this.verifiedEvents.dispose();
  }
}

class StopSignal extends Error {}

/** A finding in one line for the next attempt's prompt: its rule, what it says, where. */
function findingLine(f: Finding): string {
  const where = f.location ? ` (${f.location.file}${f.location.line ? `:${f.location.line}` : ''})` : '';
  return `${f.rule}: ${f.message}${where}`;
}

/** The signal that ends the harness's processes for this run (made on first use). */
function endedSignal(job: Job): AbortSignal {
  job.ended ??= new AbortController();
  return job.ended.signal;
}

/** The run's end, as the first of its events, a stop or a lost server decides it (`job.settle`). */
function awaitOutcome(job: Job): Promise<RunOutcome> {
  return new Promise<RunOutcome>((resolve) => {
    let settled = false;
    job.settle = (o) => {
      if (settled) return;
      settled = true;
      resolve(o);
    };
  });
}

async function exists(p: string): Promise<boolean> {
  return fs.stat(p).then(
    () => true,
    () => false,
  );
}
