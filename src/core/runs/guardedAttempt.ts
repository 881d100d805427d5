// The fixture guard's side of one attempt of a run, taken out of the orchestrator: the baseline and its
// seal, the violation log and its limit, the tool calls running now (what a violation names, by call id),
// the waits for a call's answer, links out of the folder, and harness steps that may write fixtures.
// The orchestrator owns one per active run and tells it what the plugin and the session's events say.
import { promises as fs } from 'node:fs';
import { describeToolCall } from '../agent/describeCall';
import type { FixtureGuard } from '../guard/fixtureGuard';
import { baselineDirFor, createBaseline } from '../guard/manifest';
import { relativeTo } from '../guard/protectedPaths';
import { sealBaseline } from '../guard/seal';
import { type CurrentActivity, type Violation, ViolationLog, violationLogFor } from '../guard/violations';
import { escapingLinks, resolveReal } from '../sandbox/fileAccess';
import type { RunRecord } from './record';
import type { RunStore } from './store';

export interface GuardedAttemptDeps {
  readonly runs: RunStore;
  /** Absent: nothing is guarded (the calls are still tracked, for the answers a block waits for). */
  readonly guard?: FixtureGuard;
  readonly now: () => Date;
  readonly log: (line: string) => void;
  /** A violation this attempt found itself (a link out): the orchestrator records it as the guard's. */
  readonly violation: (v: Violation) => void;
  /** The run record changed (its seal): save it. */
  readonly persist: () => void;
}

export class GuardedAttempt {
  /**
   * Tool calls running now, by call id, as the plugin's hooks report them: added before the call runs,
   * removed only after the guard has settled what it did. What a violation names.
   */
  private readonly calls = new Map<string, string>();
  /** Tool calls whose result reached the session's events (the agent has its answer). */
  private readonly answered = new Set<string>();
  /** Waiting for a call's answer (a block ends the session only after its tool has answered). */
  private readonly answerWaiters = new Map<string, (() => void)[]>();
  /** Links out of the folder already reported in this attempt. */
  private readonly linksOut = new Set<string>();
  /** This attempt's violation log, once the guard watches (what Verify reads). */
  violations: ViolationLog | undefined;
  private ended = false;

  constructor(
    private readonly run: RunRecord,
    private readonly deps: GuardedAttemptDeps,
  ) {}

  /** The calls running now, for a violation's report; undefined while none runs. */
  currentActivity(): CurrentActivity | undefined {
    if (!this.calls.size) return undefined;
    return { text: [...this.calls.values()].join(' | '), callIds: [...this.calls.keys()] };
  }

  /** A tool call the harness let through is running (the plugin's before hook). */
  callStarted(callId: string, tool: string, args: Record<string, unknown>): void {
    this.calls.set(callId, describeToolCall(tool, args));
  }

  /**
   * A tool call has run (the plugin's after hook, before the agent sees its result; or its end in the
   * session's events, for a call that failed and has no after hook). The guard checks the folder now, so
   * what the call changed is restored and reported with its id, then the call stops counting as running.
   */
  async callEnded(callId: string, tool: string): Promise<void> {
    const text = this.calls.get(callId);
    if (text === undefined) return;
    try {
      const guard = this.deps.guard;
      if (guard?.isGuarding(this.run.folder)) await guard.settle(this.run.folder);
      if (tool === 'bash' || tool === 'write' || tool === 'apply_patch' || tool === 'edit') this.reportLinksOut({ text, callIds: [callId] });
    } catch (err) {
      this.deps.log(`settling ${this.run.key} after ${text}: ${(err as Error).message}`);
    } finally {
      this.calls.delete(callId);
    }
  }

  /** The session's events carry this call's result: the agent has its answer. */
  callAnswered(callId: string): void {
    this.answered.add(callId);
    this.releaseAnswerWaiters(callId);
  }

  /** Resolves once the session's events carry this call's result (or the attempt has ended). */
  answeredCall(callId: string): Promise<void> {
    if (this.answered.has(callId) || this.ended) return Promise.resolve();
    return new Promise((resolve) => this.answerWaiters.set(callId, [...(this.answerWaiters.get(callId) ?? []), resolve]));
  }

  /** The attempt has ended: nothing waits for an answer any more. */
  end(): void {
    this.ended = true;
    this.releaseAnswerWaiters();
  }

  private releaseAnswerWaiters(callId?: string): void {
    for (const [id, list] of [...this.answerWaiters]) {
      if (callId !== undefined && id !== callId) continue;
      this.answerWaiters.delete(id);
      for (const w of list) w();
    }
  }

  /**
   * The guard's report of links out of the folder, looked for after every call that can make one: the
   * sandbox keeps their targets out of the agent's commands and the harness refuses file tools through
   * them, but a link out is never innocent (Verify fails it as confinement.link-out).
   */
  private reportLinksOut(activity: CurrentActivity): void {
    if (!this.violations) return;
    let real: string;
    try {
      real = resolveReal(this.run.folder);
    } catch {
      return;
    }
    const { links } = escapingLinks(real, real);
    for (const link of links) {
      const rel = relativeTo(real, link) ?? link;
      if (this.linksOut.has(rel)) continue;
      this.linksOut.add(rel);
      this.deps.violation({
        time: this.deps.now().toISOString(),
        folder: this.run.folder,
        key: this.run.key,
        file: rel,
        kind: 'link-out',
        restored: false,
        detail: `${rel} is a link out of the folder (to ${resolveReal(link)}); during ${activity.text}`,
        activity: activity.text,
        callIds: activity.callIds,
      });
    }
  }

  /**
   * Starts guarding the folder. A new attempt (`fresh`) takes the baseline of its fresh scaffold (outside
   * the folder, next to the run record), seals it, and opens a violation log of its own (the earlier
   * attempt's kept beside it). A further turn of the same attempt (feedback) keeps the baseline and its
   * seal as they are — re-taking them would launder whatever changed since — and goes on counting in the
   * same log. Resolves once the watches are live: only then may the agent start. `onLimit` is called once
   * the violations reach `limit`.
   */
  async start(o: { fresh: boolean; scope: { integrationId: string; scriptRel: string }; limit: number; onLimit: (detail: string) => void }): Promise<void> {
    const guard = this.deps.guard;
    if (!guard) return;
    const run = this.run;
    const runFile = this.deps.runs.fileOf(run.key);
    const baselineDir = baselineDirFor(runFile);
    const logFile = violationLogFor(runFile);
    if (o.fresh) {
      await createBaseline(run.folder, baselineDir, o.scope, undefined, 'scaffold', this.deps.now());
      await this.seal();
      if (run.attempt > 1) {
        // Each attempt counts afresh; the earlier attempt's log is kept beside it.
        await fs.rename(logFile, logFile.replace(/\.violations\.jsonl$/, `.attempt-${run.attempt - 1}.violations.jsonl`)).catch(() => undefined);
      }
    }
    const log = await ViolationLog.open(logFile, o.limit);
    this.violations = log;
    run.violations = log.count;
    log.onLimitReached(({ count }) =>
      o.onLimit(`stopped for tampering: ${count} attempts to change protected files (fixtures, generated tests or scaffold files)`),
    );
    if (guard.isGuarding(run.folder)) await guard.unwatch(run.folder);
    await guard.watch({ folder: run.folder, key: run.key, baselineDir });
  }

  /** Lets the folder go: a write racing with the end of the run is still put right first; the log is flushed. */
  async stop(): Promise<void> {
    const guard = this.deps.guard;
    if (!guard || !this.violations) return;
    try {
      if (guard.isGuarding(this.run.folder)) {
        await guard.idle();
        await guard.unwatch(this.run.folder);
      }
    } catch (err) {
      this.deps.log(`fixture guard ${this.run.key}: ${(err as Error).message}`);
    }
    await this.violations.flush();
    this.violations.dispose();
  }

  /** Runs a harness step that writes fixtures or generated tests: the guard lets it (and only it) write them. */
  async asRecorder<T>(fn: () => Promise<T>, pathsOf?: (result: T) => readonly string[] | undefined): Promise<T> {
    const guard = this.deps.guard;
    if (!guard || !guard.isGuarding(this.run.folder)) return fn();
    try {
      return await guard.recording(this.run.folder, fn, pathsOf ? { pathsOf } : {});
    } finally {
      // The recorder updated the baseline: seal what the harness wrote, before anyone else can touch it.
      await this.seal().catch((err) => this.deps.log(`sealing the baseline of ${this.run.key}: ${(err as Error).message}`));
    }
  }

  /** Records the baseline manifest's hash and HMAC in the run record (tamper evidence for Verify). */
  private async seal(): Promise<void> {
    const run = this.run;
    run.baselineSeal = await sealBaseline(this.deps.runs.dir, run.key, run.attempt, baselineDirFor(this.deps.runs.fileOf(run.key)), this.deps.now());
    this.deps.persist();
  }
}
