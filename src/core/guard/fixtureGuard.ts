// FixtureGuard: lock 2 of the three fixture locks (DESIGN.md). One chokidar watcher covers every
// interaction folder being worked on; when an agent changes, adds or deletes a protected file (tests/,
// the generated root files), the guard puts the baseline back within milliseconds and reports a
// Violation naming the tool call the agent was running.
//
// Choices, and why:
// - Only what is protected is watched: the folder, `<integration>/`, `<integration>/tests/` and the
//   protected files in them (a few inotify watches per folder). The agent's script folder is not watched
//   at all, so its edits cost nothing. Files are watched as well as their directories because a
//   directory watch does not see a file changed through a hard link made elsewhere; a file watch does.
// - Paths come from chokidar's `raw` events (every fs.watch callback) as well as its normal ones. The
//   normal `change` event is throttled per file (a second change within 50 ms is dropped), and a quick
//   second write must not get through.
// - No polling, `awaitWriteFinish` off (it waits for writes to settle: far too slow), `atomic` off
//   (it holds unlinks back 100 ms and ignores names like `x~`, `.x.swp`, which an agent could then write
//   freely). Editors' temp-and-rename saves are handled by the short grace for new files instead.
// - Directories an agent removes or swaps (`rm -rf tests`, `mv tests /tmp/x`) are recreated by us at
//   once, often before chokidar has noticed they went; it may then keep watching the old directory. So
//   whenever a guarded directory is recreated or found to be another inode, we re-watch it ourselves.
// - `watch()` returns only once the watches are live: a probe file written into each guarded directory
//   has been seen. Until then an agent could act unseen.
// - chokidar remembers every unwatched path as ignored, for good; a folder watched again later would
//   stay ignored. So after folders were removed, watching one of them again (or many removals) rebuilds
//   the watcher: the new one is live before the old one is closed.
// - A slow stat-only sweep catches what inotify cannot report.
import { FSWatcher } from 'chokidar';
import { once } from 'node:events';
import { promises as fs, type Stats } from 'node:fs';
import * as path from 'node:path';
import { Emitter, type Event } from '../util/emitter';
import { asOwnFile, ownFileName } from './atomicFile';
import { FolderReconciler, type GuardTarget, type ReconcilerHooks, type RecordingOptions } from './folderReconciler';
import { type BaselineManifest, checkAgainstManifest, loadManifest, type ManifestCheck } from './manifest';
import { relativeTo } from './protectedPaths';
import type { CurrentActivity, Violation } from './violations';

export type { GuardTarget, RecordingOptions } from './folderReconciler';

export interface FixtureGuardOptions {
  /** The tool calls running in the session of `key` right now, with their ids (put into violations). */
  readonly currentActivity?: (key: string) => CurrentActivity | undefined;
  /** How long a new file under tests/ may live before it is deleted (a temp file is renamed away by then). Default 5. */
  readonly addedGraceMs?: number;
  /** A restored path is checked again this much later (a write racing with the restore). Default 25. */
  readonly recheckMs?: number;
  /** Every folder is swept (stats only) once in this many ms, one folder at a time; 0 turns it off. Default 2000. */
  readonly sweepMs?: number;
  readonly now?: () => Date;
}

export interface GuardError {
  readonly folder?: string;
  readonly key?: string;
  readonly error: Error;
}

const READY_TIMEOUT_MS = 10_000;
/** Stale ignore entries (paths unwatched) tolerated before the watcher is rebuilt. */
const REBUILD_AFTER = 400;
/**
 * A live watch reports its probe in well under a millisecond; a probe written before chokidar has
 * attached is never reported, so wait briefly and write another. About 2 s in all for a new folder.
 */
const PROBE_WAIT_MS = 10;
const PROBE_TRIES_WATCH = 200;
/** Re-watching tries less (0.3 s) before falling back to a fresh watcher: the folder is exposed meanwhile. */
const PROBE_TRIES_REWATCH = 30;

export class FixtureGuard {
  private readonly violationEmitter = new Emitter<Violation>();
  readonly onViolation: Event<Violation> = this.violationEmitter.event;
  private readonly errorEmitter = new Emitter<GuardError>();
  readonly onError: Event<GuardError> = this.errorEmitter.event;

  private watcher: FSWatcher;
  private readonly reconcilers = new Map<string, FolderReconciler>();
  private readonly probes = new Map<string, () => void>();
  private readonly rewatching = new Set<Promise<void>>();
  /** Folders unwatched since this watcher was built (chokidar keeps ignoring their paths). */
  private readonly dropped = new Set<string>();
  private staleIgnores = 0;
  private ops: Promise<unknown> = Promise.resolve();
  private sweepTimer: NodeJS.Timeout | undefined;
  private disposed = false;

  constructor(private readonly options: FixtureGuardOptions = {}) {
    this.watcher = this.createWatcher();
    // Folders are swept one at a time, each once per `sweepMs`: an even trickle of stats rather than a
    // burst that would hold up a restore arriving at the same moment.
    const sweepMs = options.sweepMs ?? 2000;
    if (sweepMs > 0) {
      let next = 0;
      const tick = () => {
        const recs = [...this.reconcilers.values()];
        const rec = recs[next++ % Math.max(1, recs.length)];
        if (rec) {
          try {
            rec.sweep();
          } catch (err) {
            this.fail(rec, err as Error);
          }
        }
        if (!this.disposed) this.sweepTimer = setTimeout(tick, Math.max(5, sweepMs / Math.max(1, recs.length))).unref();
      };
      this.sweepTimer = setTimeout(tick, sweepMs).unref();
    }
  }

  /** The folders being guarded. */
  get folders(): string[] {
    return [...this.reconcilers.keys()];
  }

  /**
   * Starts guarding a folder (its baseline must exist). Resolves once the watches are live and the folder
   * has been checked against its baseline; what was already wrong is put right and reported.
   */
  watch(target: GuardTarget): Promise<void> {
    return this.serial(() => this.add(target));
  }

  isGuarding(folder: string): boolean {
    return this.reconcilers.has(path.resolve(folder));
  }

  /** Stops guarding a folder (run stopped, finished, or about to be restarted from scratch). */
  unwatch(folder: string): Promise<void> {
    return this.serial(() => this.remove(path.resolve(folder)));
  }

  /** Lets the harness's recorder write fixtures into `folder`; see FolderReconciler.recording. */
  recording<T>(folder: string, fn: () => Promise<T>, opts?: RecordingOptions<T>): Promise<T> {
    return this.reconcilerOf(folder).recording(fn, opts);
  }

  /** Re-reads the baseline manifest of `folder` after it was updated outside the guard. */
  async reload(folder: string): Promise<void> {
    const rec = this.reconcilerOf(folder);
    await rec.setManifest(await loadManifest(rec.target.baselineDir));
    rec.checkAll();
    await rec.idle();
  }

  manifestOf(folder: string): BaselineManifest {
    return this.reconcilerOf(folder).manifest;
  }

  /**
   * Checks the whole folder now and resolves once every change found is put right and reported. The
   * harness calls it when a tool call ends, before the agent sees the result: whatever that call changed
   * is found while the call still counts as running, so the violation names it by its id — no waiting
   * for a watcher event that may come late.
   */
  async settle(folder: string): Promise<void> {
    const rec = this.reconcilers.get(path.resolve(folder));
    if (!rec) return;
    rec.checkAll();
    await rec.idle();
  }

  /** Compares the folder with its baseline without changing anything. */
  check(folder: string): Promise<ManifestCheck> {
    const rec = this.reconcilerOf(folder);
    return checkAgainstManifest(rec.folder, rec.manifest);
  }

  /** Resolves when no folder has a check pending or running, and no directory is being re-watched. */
  async idle(): Promise<void> {
    for (;;) {
      await Promise.all([...this.rewatching, ...[...this.reconcilers.values()].map((r) => r.idle())]);
      if (!this.rewatching.size && [...this.reconcilers.values()].every((r) => r.isIdle)) return;
    }
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    if (this.sweepTimer) clearTimeout(this.sweepTimer);
    await this.ops.catch(() => undefined);
    await Promise.all([...this.reconcilers.values()].map((rec) => rec.dispose()));
    this.reconcilers.clear();
    await this.watcher.close();
    this.violationEmitter.dispose();
    this.errorEmitter.dispose();
  }

  // ---- folders

  private serial<T>(op: () => Promise<T>): Promise<T> {
    const next = this.ops
      .catch(() => undefined)
      .then(() => {
        if (this.disposed) throw new Error('the fixture guard is disposed');
        return op();
      });
    this.ops = next;
    return next;
  }

  private reconcilerOf(folder: string): FolderReconciler {
    const rec = this.reconcilers.get(path.resolve(folder));
    if (!rec) throw new Error(`${folder} is not guarded`);
    return rec;
  }

  private async add(t: GuardTarget): Promise<void> {
    const folder = path.resolve(t.folder);
    if (this.reconcilers.has(folder)) throw new Error(`${folder} is already guarded; unwatch it first`);
    for (const other of this.reconcilers.keys()) {
      if (relativeTo(other, folder) !== undefined || relativeTo(folder, other) !== undefined) {
        throw new Error(`${folder} and ${other} are nested; interaction folders are siblings`);
      }
    }
    const manifest = await loadManifest(t.baselineDir);
    const rec: FolderReconciler = new FolderReconciler(
      { ...t, folder, baselineDir: path.resolve(t.baselineDir) },
      manifest,
      this.hooksFor(() => rec),
      {
        addedGraceMs: this.options.addedGraceMs ?? 5,
        recheckMs: this.options.recheckMs ?? 25,
        now: this.options.now ?? (() => new Date()),
        currentActivity: this.options.currentActivity,
      },
    );
    const dirs = await rec.noteWatchedDirs();
    this.reconcilers.set(folder, rec);
    try {
      const reused = [...this.dropped].some((d) => relativeTo(d, folder) !== undefined || relativeTo(folder, d) !== undefined);
      if (reused || this.staleIgnores > REBUILD_AFTER) await this.rebuild();
      else this.watcher.add(folder);
      const live = await Promise.all(dirs.map((d) => this.probe(this.absIn(folder, d))));
      const dead = dirs.filter((_, i) => live[i] !== 'live').map((d) => d || '.');
      if (dead.length) throw new Error(`the file watcher did not come up on ${dead.join(', ')} in ${folder}`);
    } catch (err) {
      await this.remove(folder);
      throw err;
    }
    rec.checkAll();
    await rec.idle();
  }

  private absIn(folder: string, rel: string): string {
    return rel ? path.join(folder, ...rel.split('/')) : folder;
  }

  private async remove(folder: string): Promise<void> {
    const rec = this.reconcilers.get(folder);
    if (!rec) return;
    this.reconcilers.delete(folder);
    await rec.dispose();
    // Close every watch under the folder (chokidar's unwatch of a directory leaves its children's).
    const paths = new Set<string>();
    for (const [dir, children] of Object.entries(this.watcher.getWatched())) {
      if (relativeTo(folder, dir) !== undefined) paths.add(dir);
      for (const child of children) {
        const p = path.join(dir, child);
        if (relativeTo(folder, p) !== undefined) paths.add(p);
      }
    }
    paths.add(folder);
    this.watcher.unwatch([...paths]);
    this.staleIgnores += paths.size;
    this.dropped.add(folder);
    // Nothing left to watch: start afresh, which also forgets every stale ignore.
    if (!this.reconcilers.size) await this.rebuild();
  }

  // ---- the watcher

  private createWatcher(): FSWatcher {
    const watcher = new FSWatcher({
      persistent: true,
      ignoreInitial: true,
      followSymlinks: false,
      usePolling: false,
      atomic: false,
      awaitWriteFinish: false,
      ignorePermissionErrors: true,
      ignored: (p: string, stats?: Stats) => {
        const hit = this.locate(p);
        return !hit || !hit.rec.wantsWatch(hit.rel, stats);
      },
    });
    watcher.on('raw', (_event, evPath, details) => this.onRaw(evPath, details));
    watcher.on('all', (event, p) => {
      if (event === 'unlinkDir') this.onUnlinkDir(p);
      this.route(p);
    });
    watcher.on('error', (err) => this.errorEmitter.fire({ error: err instanceof Error ? err : new Error(String(err)) }));
    return watcher;
  }

  /** A fresh watcher for the folders guarded now; the old one keeps watching until the new one is live. */
  private async rebuild(): Promise<void> {
    const old = this.watcher;
    const fresh = this.createWatcher();
    this.watcher = fresh;
    this.staleIgnores = 0;
    this.dropped.clear();
    const folders = [...this.reconcilers.keys()];
    if (folders.length) {
      const ready = once(fresh, 'ready');
      fresh.add(folders);
      // 'ready' means every folder's scan is done and its watches attached; don't hang on it forever.
      await Promise.race([ready, new Promise((r) => setTimeout(r, READY_TIMEOUT_MS).unref())]);
    }
    await old.close();
    for (const rec of this.reconcilers.values()) rec.checkAll();
  }

  private onRaw(evPath: string, details: unknown): void {
    const watched = (details as { watchedPath?: unknown } | undefined)?.watchedPath;
    if (typeof watched !== 'string') return;
    // A directory's watch names the child; a file's (or a directory's event about itself) names itself.
    const abs = !evPath || evPath === path.basename(watched) ? watched : path.join(watched, evPath);
    const probe = this.probes.get(abs);
    if (probe && path.dirname(abs) === watched) return probe();
    this.route(abs);
  }

  /**
   * chokidar dropped its watch on a directory. When a guarded one is still (or again) there, chokidar
   * noticed its removal only after we had recreated it, and nothing will make it look again: re-watch.
   */
  private onUnlinkDir(abs: string): void {
    const hit = this.locate(abs);
    if (!hit || !hit.rec.isGuardedDir(hit.rel)) return;
    void fs.lstat(abs).then(
      (st) => {
        if (st.isDirectory()) void this.rewatch(hit.rec, [hit.rel]);
      },
      () => undefined,
    );
  }

  private route(abs: string): void {
    const hit = this.locate(abs);
    if (hit) hit.rec.notify(hit.rel);
  }

  /** The guarded folder `abs` is in, and its path relative to it. */
  private locate(abs: string): { rec: FolderReconciler; rel: string } | undefined {
    let dir = abs;
    for (;;) {
      const rec = this.reconcilers.get(dir);
      if (rec) {
        const rel = relativeTo(dir, abs);
        return rel === undefined ? undefined : { rec, rel };
      }
      const parent = path.dirname(dir);
      if (parent === dir) return undefined;
      dir = parent;
    }
  }

  private hooksFor(rec: () => FolderReconciler): ReconcilerHooks {
    return {
      violation: (v: Violation) => this.violationEmitter.fire(v),
      rewatch: (dirs: readonly string[]) => this.rewatch(rec(), dirs),
      error: (err: Error) => this.fail(rec(), err),
    };
  }

  private fail(rec: FolderReconciler, error: Error): void {
    this.errorEmitter.fire({ folder: rec.folder, key: rec.target.key, error });
  }

  /**
   * Watches recreated directories afresh (chokidar may still hold the old directory's watch), and checks
   * the folder again once the new watches are live, for anything written before they were.
   */
  private rewatch(rec: FolderReconciler, dirs: readonly string[], attempt = 1): Promise<void> {
    if (this.disposed || this.reconcilers.get(rec.folder) !== rec) return Promise.resolve();
    const rels = [...dirs].sort((a, b) => a.length - b.length);
    const abs = rels.map((d) => this.absIn(rec.folder, d));
    for (const a of abs) {
      this.watcher.unwatch(a);
      this.watcher.add(a);
    }
    const done = Promise.all(abs.map((a) => this.probe(a, attempt === 1 ? PROBE_TRIES_REWATCH : PROBE_TRIES_WATCH)))
      .then(async (live) => {
        // 'gone': the agent removed or swapped it again meanwhile; that has its own events and check.
        const dead = rels.filter((_, i) => live[i] === 'dead');
        if (dead.length && attempt === 1) {
          // chokidar can hold on to stale state about a path (e.g. that it was a symlink, so it will not
          // watch the directory now there): a fresh watcher has none.
          await this.serial(() => this.rebuild());
          await this.rewatch(rec, dead, attempt + 1);
        } else if (dead.length) {
          this.fail(rec, new Error(`the file watcher did not come back on ${dead.map((d) => this.absIn(rec.folder, d)).join(', ')}`));
        }
        rec.checkAll();
      })
      .catch((err: Error) => {
        if (!this.disposed) this.fail(rec, err);
      });
    this.rewatching.add(done);
    void done.finally(() => this.rewatching.delete(done));
    return done;
  }

  /**
   * Whether the watch on `dir` is live: writes an empty file no agent could name into it and waits for
   * the watch to report it. Retries while chokidar is still attaching; `gone` when the directory is.
   */
  private async probe(dir: string, tries = PROBE_TRIES_WATCH): Promise<'live' | 'gone' | 'dead'> {
    const inode = await fs.lstat(dir).then(
      (st) => (st.isDirectory() ? st.ino : undefined),
      () => undefined,
    );
    for (let i = 0; i < tries && !this.disposed && inode !== undefined; i++) {
      const file = path.join(dir, ownFileName('probe'));
      const seen = await asOwnFile(file, async () => {
        let timer: NodeJS.Timeout | undefined;
        const got = new Promise<boolean>((resolve) => {
          this.probes.set(file, () => resolve(true));
          timer = setTimeout(() => resolve(false), PROBE_WAIT_MS);
        });
        try {
          await fs.writeFile(file, '', { flag: 'wx' });
          return await got;
        } catch {
          return false;
        } finally {
          clearTimeout(timer);
          this.probes.delete(file);
          await fs.rm(file, { force: true });
        }
      });
      if (seen) return 'live';
      if (
        (await fs.lstat(dir).then(
          (st) => (st.isDirectory() ? st.ino : undefined),
          () => undefined,
        )) !== inode
      )
        return 'gone';
    }
    return inode === undefined ? 'gone' : 'dead';
  }
}
