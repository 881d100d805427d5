// One guarded interaction folder: given a path the watcher reported, decide what to check and when, and
// put the folder back as its baseline has it. It knows nothing about chokidar: the guard feeds it paths
// (`notify`) and it asks the guard to watch directories it had to recreate.
//
// Why it acts the way it does:
// - It decides by content, never by event type: a path is checked against the baseline (hash) and only a
//   difference is acted on. The events its own restores cause end there, so it cannot loop on itself,
//   and a burst of events for one file costs one check.
// - Changes to baseline files are acted on at once. A new file waits `addedGraceMs` (a few ms) first:
//   tools that write a temp file and rename it over a fixture (sed -i, editors' atomic saves) have
//   usually renamed it by then, so what is restored and logged is the fixture, not their temp file. If
//   the temp file is still there it is deleted, which makes the tool fail: also fine.
// - After a restore the path is checked once more a moment later: a write racing with the restore.
// - Checks of one folder run one at a time, so the recorder can take the folder over (`recording`)
//   without a restore in flight writing under it.
import { promises as fs, lstatSync, readdirSync, type Stats } from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { isOwnFile } from './atomicFile';
import {
  ancestorsAreRealDirs,
  type BaselineManifest,
  brokenGuardedDirs,
  ensureRealDirs,
  findUnexpected,
  guardedDirs,
  inspectEntry,
  type ManifestEntry,
  restoreFile,
  updateBaseline,
} from './manifest';
import { ancestorDirs, GENERATED_ROOT_FILES, isProtected, normalizeRel, testsDirOf } from './protectedPaths';
import type { CurrentActivity, Violation, ViolationKind } from './violations';

export interface GuardTarget {
  readonly folder: string;
  /** The interaction key, `<integration>/<interaction>`. */
  readonly key: string;
  /** Where the baseline lives (outside the folder); `createBaseline` must have run. */
  readonly baselineDir: string;
}

export interface ReconcilerHooks {
  violation(v: Violation): void;
  /**
   * Directories (relative) recreated, or found to be another directory than the one being watched.
   * Resolves once the new watches are live.
   */
  rewatch(dirs: readonly string[]): Promise<void>;
  error(err: Error): void;
}

export interface ReconcilerOptions {
  readonly addedGraceMs: number;
  readonly recheckMs: number;
  readonly now: () => Date;
  readonly currentActivity?: (key: string) => CurrentActivity | undefined;
}

export interface RecordingOptions<T = unknown> {
  /** Only these files (relative) are taken into the baseline; other changes are reverted as violations. */
  readonly paths?: readonly string[];
  /** The same, known only from the recorder's result (e.g. the files the recorder says it saved). */
  readonly pathsOf?: (result: T) => readonly string[] | undefined;
}

/** The pending item that stands for "check the whole folder". */
const ALL = '\u0000all';
const RETRY_MS = 100;
const MAX_ERRORS_IN_A_ROW = 5;

interface Pending {
  readonly due: number;
  /**
   * Set when a watcher event scheduled it: the tool call running when the change happened (not when it
   * was acted on). Checks scheduled otherwise (recheck, sweep, watch) take the one running when they find it.
   */
  readonly seen?: { readonly activity: CurrentActivity | undefined };
}

/** Enough to tell, in a sweep, that a checked file has been touched since (see inspectEntry for the order). */
function fingerprint(st: Stats): string {
  return `${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}:${st.nlink}:${st.mode}`;
}

const lstatOrUndefined = (abs: string) => fs.lstat(abs).catch(() => undefined);

export class FolderReconciler {
  readonly folder: string;
  private manifestNow: BaselineManifest;
  private entries = new Map<string, ManifestEntry>();
  private dirs = new Set<string>();
  private pending = new Map<string, Pending>();
  private timer: NodeJS.Timeout | undefined;
  private busy = false;
  private draining: Promise<void> | undefined;
  private suspended = 0;
  private disposed = false;
  private idleWaiters: Array<() => void> = [];
  /** File → fingerprint at its last clean check; the sweep re-checks only what differs. */
  private checked = new Map<string, string>();
  /** Guarded directory → inode of the directory being watched. */
  private dirInodes = new Map<string, number>();
  /** Paths whose restore failed and was reported; retried quietly until it works. */
  private failing = new Set<string>();
  private errorsInARow = 0;

  constructor(
    readonly target: GuardTarget,
    manifest: BaselineManifest,
    private readonly hooks: ReconcilerHooks,
    private readonly opts: ReconcilerOptions,
  ) {
    this.folder = target.folder;
    this.manifestNow = manifest;
    this.useManifest(manifest);
  }

  get manifest(): BaselineManifest {
    return this.manifestNow;
  }

  /** Guarded directories that exist now, relative; their inodes are taken as the ones being watched. */
  async noteWatchedDirs(): Promise<string[]> {
    const out: string[] = [];
    for (const rel of this.dirs) {
      const st = await lstatOrUndefined(this.abs(rel));
      if (st?.isDirectory()) {
        this.dirInodes.set(rel, st.ino);
        out.push(rel);
      }
    }
    return out;
  }

  isGuardedDir(rel: string): boolean {
    return rel === '' || this.dirs.has(rel);
  }

  /** Whether the watcher should watch `rel`: the guarded directories and the protected files in them. */
  wantsWatch(rel: string, stats?: Stats): boolean {
    if (rel === '' || this.dirs.has(rel)) return true;
    if (!isProtected(rel, this.manifestNow.integrationId, this.manifestNow.scriptRel)) return false;
    // A directory the baseline does not have is deleted whole; watching inside it would only cost.
    return !stats?.isDirectory();
  }

  /** The watcher saw something happen at `rel`. */
  notify(rel: string): void {
    if (this.disposed) return;
    if (rel === '' || this.dirs.has(rel)) {
      this.schedule(ALL, 0, true);
      return;
    }
    if (!isProtected(rel, this.manifestNow.integrationId, this.manifestNow.scriptRel)) return;
    const item = this.itemFor(rel);
    this.schedule(item, this.entries.has(item) ? 0 : this.opts.addedGraceMs, true);
  }

  checkAll(): void {
    if (!this.disposed) this.schedule(ALL, 0);
  }

  get isIdle(): boolean {
    return this.disposed || (!this.busy && !this.pending.size);
  }

  /** Resolves when nothing is pending or running. */
  idle(): Promise<void> {
    if (this.isIdle) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * A cheap look (stats and directory listings, no reads) for anything the watcher could not report: a
   * write through a hard link made before the guard started, a directory swapped faster than the watcher
   * re-attached. Synchronous: a dozen calls of a few microseconds, cheaper than as many promises.
   */
  sweep(): void {
    if (this.disposed || this.suspended || this.busy || this.pending.size) return;
    const stat = (rel: string) => {
      try {
        return lstatSync(this.abs(rel));
      } catch {
        return undefined;
      }
    };
    for (const e of this.manifestNow.files) {
      const st = stat(e.path);
      if (!st || fingerprint(st) !== this.checked.get(e.path)) return this.schedule(ALL, 0);
    }
    const tests = testsDirOf(this.manifestNow.integrationId);
    for (const rel of this.dirs) {
      const st = stat(rel);
      if (!st?.isDirectory() || st.ino !== this.dirInodes.get(rel)) return this.schedule(ALL, 0);
      if (rel !== tests && !rel.startsWith(`${tests}/`)) continue;
      let names: string[];
      try {
        names = readdirSync(this.abs(rel));
      } catch {
        return this.schedule(ALL, 0);
      }
      for (const name of names) {
        const child = `${rel}/${name}`;
        if (!this.entries.has(child) && !this.dirs.has(child) && !isOwnFile(this.abs(child))) return this.schedule(ALL, 0);
      }
    }
    for (const name of GENERATED_ROOT_FILES) if (!this.entries.has(name) && stat(name)) return this.schedule(ALL, 0);
  }

  /**
   * Lets the harness write protected files: checks are held while `fn` runs (after any restore in flight
   * has finished), then what it wrote under the tests folder becomes the baseline. If `fn` throws, what
   * it left there is reverted quietly. Anything else changed meanwhile is reverted and reported as usual.
   */
  async recording<T>(fn: () => Promise<T>, opts: RecordingOptions<T> = {}): Promise<T> {
    if (this.disposed) throw new Error(`${this.folder} is no longer guarded`);
    this.suspended++;
    this.forgetPending();
    try {
      await this.draining;
      let result: T;
      try {
        result = await fn();
      } catch (err) {
        await this.revertTestsQuietly();
        throw err;
      }
      await this.acceptRecorded(opts.pathsOf ? (opts.pathsOf(result) ?? []) : opts.paths);
      return result;
    } finally {
      this.suspended--;
      // What was seen meanwhile was the recorder's doing (or is found by the check of everything).
      this.forgetPending();
      if (!this.suspended) this.checkAll();
    }
  }

  private forgetPending(): void {
    this.pending.clear();
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Takes a new manifest; resolves once directories it adds (nested fixture folders) are watched. */
  async setManifest(manifest: BaselineManifest): Promise<void> {
    const before = new Set(this.dirs);
    this.useManifest(manifest);
    const added = [...this.dirs].filter((d) => !before.has(d));
    if (added.length) await this.watchDirs(added, true);
  }

  private useManifest(manifest: BaselineManifest): void {
    this.manifestNow = manifest;
    this.entries = new Map(manifest.files.map((e) => [e.path, e]));
    this.dirs = new Set(guardedDirs(manifest));
    for (const rel of this.checked.keys()) if (!this.entries.has(rel)) this.checked.delete(rel);
  }

  /** Stops acting on the folder; resolves once a check in flight has stopped (it does not restore after this). */
  async dispose(): Promise<void> {
    this.disposed = true;
    this.forgetPending();
    this.settle();
    await this.draining;
  }

  // ---- scheduling

  private abs(rel: string): string {
    return rel ? path.join(this.folder, ...rel.split('/')) : this.folder;
  }

  /**
   * What to act on for a protected path: the baseline file itself, or the outermost path the baseline
   * does not know (a new folder inside tests/ is deleted whole, not file by file).
   */
  private itemFor(rel: string): string {
    if (this.entries.has(rel) || GENERATED_ROOT_FILES.includes(rel)) return rel;
    const parts = rel.split('/');
    for (let i = 1; i <= parts.length; i++) {
      const prefix = parts.slice(0, i).join('/');
      if (this.entries.has(prefix) || !this.dirs.has(prefix)) return prefix;
    }
    return rel;
  }

  private activity(): CurrentActivity | undefined {
    try {
      return this.opts.currentActivity?.(this.target.key);
    } catch {
      return undefined;
    }
  }

  private schedule(item: string, delayMs: number, byEvent = false): void {
    if (this.disposed) return;
    const due = performance.now() + delayMs;
    const prev = this.pending.get(item);
    const seen = prev?.seen ?? (byEvent ? { activity: this.activity() } : undefined);
    if (prev && prev.due <= due) {
      if (seen !== prev.seen) this.pending.set(item, { ...prev, seen });
      return;
    }
    this.pending.set(item, { due, seen });
    this.kick();
  }

  private kick(): void {
    if (this.disposed || this.busy) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    let next = Infinity;
    for (const p of this.pending.values()) next = Math.min(next, p.due);
    if (next === Infinity) return this.settle();
    const wait = next - performance.now();
    if (wait > 0) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.kick();
      }, Math.ceil(wait));
      return;
    }
    this.draining = this.drain().then(() => {
      this.draining = undefined;
      this.kick();
    });
  }

  private settle(): void {
    if (this.busy || (this.pending.size && !this.disposed)) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  private async drain(): Promise<void> {
    this.busy = true;
    try {
      for (;;) {
        if (this.disposed) return;
        // The recorder owns the folder; everything is checked once it is done.
        if (this.suspended) return this.forgetPending();
        const now = performance.now();
        const due = [...this.pending].filter(([, p]) => p.due <= now);
        if (!due.length) return;
        for (const [item] of due) this.pending.delete(item);
        const all = due.find(([item]) => item === ALL);
        if (all) await this.reconcileAll(all[1].seen);
        else for (const [item, p] of due) await this.reconcileOne(item, p.seen);
        this.errorsInARow = 0;
      }
    } catch (err) {
      this.hooks.error(err as Error);
      if (++this.errorsInARow < MAX_ERRORS_IN_A_ROW) this.schedule(ALL, RETRY_MS);
    } finally {
      this.busy = false;
    }
  }

  // ---- checking and putting back

  private async reconcileOne(item: string, seen: Pending['seen']): Promise<void> {
    // Never read or delete through a directory an agent swapped for a symlink: repair the folder first.
    if (!ancestorsAreRealDirs(this.folder, item)) return this.reconcileAll(seen);
    const entry = this.entries.get(item);
    if (entry) {
      const state = inspectEntry(this.folder, entry);
      if (state.status === 'ok') {
        this.checked.set(item, fingerprint(state.stat));
        this.failing.delete(item);
        return;
      }
      this.checked.delete(item);
      return this.putBack(item, state.status === 'missing' ? 'deleted' : 'changed', state.detail, seen);
    }
    const abs = this.abs(item);
    if (isOwnFile(abs)) return this.schedule(item, this.opts.addedGraceMs);
    const st = await lstatOrUndefined(abs);
    // Gone already: a temp file renamed over its target (that rename is checked on its own), or ours.
    if (!st) return;
    await this.putBack(item, 'added', st.isDirectory() ? 'a new folder' : 'a new file', seen);
  }

  private async reconcileAll(seen: Pending['seen']): Promise<void> {
    // Directories first: files are only read and written through real directories.
    const why = new Map<string, string>();
    for (const rel of await brokenGuardedDirs(this.folder, this.manifestNow)) {
      const st = await lstatOrUndefined(this.abs(rel));
      const name = rel || 'the interaction folder';
      why.set(rel, !st ? `${name} was removed` : `${name} was replaced by ${st.isSymbolicLink() ? 'a symbolic link' : 'a file'}`);
      const created = await ensureRealDirs(this.folder, rel);
      if (created.length) await this.watchDirs(created);
    }
    for (const entry of this.manifestNow.files) {
      const state = inspectEntry(this.folder, entry);
      if (state.status === 'ok') {
        this.checked.set(entry.path, fingerprint(state.stat));
        this.failing.delete(entry.path);
        continue;
      }
      this.checked.delete(entry.path);
      const dirNote = ancestorDirs(entry.path)
        .map((d) => why.get(d))
        .find(Boolean);
      const detail = state.status === 'missing' && dirNote ? dirNote : state.detail;
      await this.putBack(entry.path, state.status === 'missing' ? 'deleted' : 'changed', detail, seen);
    }
    for (const rel of await findUnexpected(this.folder, this.manifestNow)) {
      if (isOwnFile(this.abs(rel))) {
        this.schedule(rel, this.opts.addedGraceMs);
        continue;
      }
      const st = await lstatOrUndefined(this.abs(rel));
      if (st) await this.putBack(rel, 'added', st.isDirectory() ? 'a new folder' : 'a new file', seen);
    }
    // A directory removed and recreated (by us or by the agent) is a new inode the watcher may not be on.
    const stale: string[] = [];
    for (const rel of this.dirs) {
      const st = await lstatOrUndefined(this.abs(rel));
      if (st?.isDirectory() && st.ino !== this.dirInodes.get(rel)) stale.push(rel);
    }
    if (stale.length) await this.watchDirs(stale);
  }

  /**
   * Records the directories' inodes and has the guard watch them. Checks do not wait for the watches
   * (the guard checks the folder again once they are live); the recorder does.
   */
  private async watchDirs(rels: readonly string[], wait = false): Promise<void> {
    for (const rel of rels) {
      const st = await lstatOrUndefined(this.abs(rel));
      if (st?.isDirectory()) this.dirInodes.set(rel, st.ino);
    }
    if (this.disposed) return;
    const live = this.hooks.rewatch(rels);
    if (wait) await live;
  }

  private async putBack(rel: string, kind: ViolationKind, detail: string, seen: Pending['seen']): Promise<void> {
    if (this.disposed) return;
    const activity = seen ? seen.activity : this.activity();
    let restored = false;
    let failure = '';
    try {
      const result = await restoreFile(this.folder, this.target.baselineDir, rel, this.manifestNow);
      this.failing.delete(rel);
      // Seen for an instant only: a temporary name (ln -sf, an editor's save) renamed over its target,
      // whose change has its own event and check. Nothing to put back, nothing to report.
      if (result.action === 'gone') return;
      restored = true;
      if (result.createdDirs.length) await this.watchDirs(result.createdDirs);
    } catch (err) {
      failure = (err as Error).message;
      const reported = this.failing.has(rel);
      this.failing.add(rel);
      this.schedule(rel, RETRY_MS);
      if (reported) return;
    }
    this.report(rel, kind, restored, detail, activity, failure);
    if (restored) this.schedule(rel, this.opts.recheckMs);
  }

  private report(file: string, kind: ViolationKind, restored: boolean, detail: string, activity: CurrentActivity | undefined, failure: string): void {
    const what = kind === 'deleted' ? `deleted (${detail})` : kind === 'added' ? `added (${detail})` : `changed (${detail})`;
    const done = !restored ? `NOT restored: ${failure}` : kind === 'added' ? 'removed' : 'restored from the baseline';
    const during = !this.opts.currentActivity ? '' : activity ? `; during ${activity.text}` : '; while no tool call was running';
    this.hooks.violation({
      time: this.opts.now().toISOString(),
      folder: this.folder,
      key: this.target.key,
      file,
      kind,
      restored,
      detail: `${file} ${what}; ${done}${during}`,
      ...(activity ? { activity: activity.text, callIds: activity.callIds } : {}),
    });
  }

  // ---- the recorder's turn

  private async acceptRecorded(paths: readonly string[] | undefined): Promise<void> {
    const tests = testsDirOf(this.manifestNow.integrationId);
    const only = paths ? new Set(paths.map((p) => normalizeRel(p))) : undefined;
    const allowed = (rel: string) => rel.startsWith(`${tests}/`) && (!only || only.has(rel));
    const plainFile = async (rel: string) => {
      const st = await lstatOrUndefined(this.abs(rel));
      return !!st?.isFile() && st.nlink === 1;
    };
    if ((await brokenGuardedDirs(this.folder, this.manifestNow)).size) return; // nothing sane to take in
    const written: string[] = [];
    const removed: string[] = [];
    for (const entry of this.manifestNow.files) {
      if (!allowed(entry.path)) continue;
      const state = inspectEntry(this.folder, entry);
      if (state.status === 'missing') removed.push(entry.path);
      else if (state.status === 'changed' && (await plainFile(entry.path))) written.push(entry.path);
    }
    for (const rel of await findUnexpected(this.folder, this.manifestNow)) {
      for (const file of await this.filesUnder(rel)) if (allowed(file) && (await plainFile(file))) written.push(file);
    }
    if (!written.length && !removed.length) return;
    await this.setManifest(await updateBaseline(this.folder, this.target.baselineDir, { written, removed }, 'recorder', this.opts.now()));
  }

  /** `rel` itself when it is not a folder, else every file below it (relative). */
  private async filesUnder(rel: string): Promise<string[]> {
    const st = await lstatOrUndefined(this.abs(rel));
    if (!st?.isDirectory()) return [rel];
    const entries = await fs.readdir(this.abs(rel), { recursive: true, withFileTypes: true });
    return entries
      .filter((e) => !e.isDirectory())
      .map((e) => path.relative(this.folder, path.join(e.parentPath, e.name)).split(path.sep).join('/'))
      .sort();
  }

  /** After a failed recording: whatever it left under the tests folder goes, without counting against the agent. */
  private async revertTestsQuietly(): Promise<void> {
    const tests = `${testsDirOf(this.manifestNow.integrationId)}/`;
    try {
      for (const entry of this.manifestNow.files) {
        if (!entry.path.startsWith(tests)) continue;
        if (inspectEntry(this.folder, entry).status !== 'ok') await restoreFile(this.folder, this.target.baselineDir, entry.path, this.manifestNow);
      }
      for (const rel of await findUnexpected(this.folder, this.manifestNow)) {
        if (rel.startsWith(tests)) await restoreFile(this.folder, this.target.baselineDir, rel, this.manifestNow);
      }
    } catch (err) {
      this.hooks.error(err as Error);
    }
  }
}
