// The baseline of one interaction folder: every protected file as the harness last wrote it (sha256, size,
// who wrote it) plus a copy of it. Baselines live outside the interaction folder, next to the run records
// (`<workRoot>/.runs/<integration>/<interaction>.baseline/`), where an agent cannot reach them: the
// session's `external_directory` is denied. The manifest is what the watcher restores from and what
// verification compares with.
//
// Layout: `<baselineDir>/manifest.json` and `<baselineDir>/files/<rel>`. Copies are written before the
// manifest that names them, each atomically, so the manifest never points at a missing or partial copy.
import { createHash } from 'node:crypto';
import { promises as fs, lstatSync, readFileSync, realpathSync, type Stats } from 'node:fs';
import * as path from 'node:path';
import { isOwnFile, replaceFileSync, writeFileAtomic } from './atomicFile';
import { ancestorDirs, baseDirs, GENERATED_ROOT_FILES, isProtected, normalizeRel, type ProtectedScope, relativeTo, testsDirOf } from './protectedPaths';

export type { ProtectedScope } from './protectedPaths';

export type BaselineSource = 'scaffold' | 'recorder';

export interface ManifestEntry {
  /** Relative to the interaction folder, posix. */
  readonly path: string;
  readonly sha256: string;
  readonly size: number;
  readonly source: BaselineSource;
  /** When the harness wrote it into the baseline. */
  readonly at: string;
}

export interface BaselineManifest extends ProtectedScope {
  readonly version: 1;
  readonly updatedAt: string;
  /** Sorted by path. */
  readonly files: readonly ManifestEntry[];
}

export interface ManifestCheck {
  /** Present, but not as in the baseline (content, or no longer a plain file). */
  readonly changed: string[];
  /** In the baseline, gone from the folder. */
  readonly missing: string[];
  /** Under a protected folder (or a protected root name) but not in the baseline; folders are listed, not their contents. */
  readonly unexpected: string[];
}

export const MANIFEST_FILE = 'manifest.json';

/** `<workRoot>/.runs/<integration>/<interaction>.json` → `….baseline` (a folder the run store's scan skips). */
export function baselineDirFor(runRecordFile: string): string {
  return runRecordFile.replace(/\.json$/, '') + '.baseline';
}

/** @internal test hook: the tests wait for a folder to be clean again. */
export function isClean(check: ManifestCheck): boolean {
  return !check.changed.length && !check.missing.length && !check.unexpected.length;
}

export function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

const copyOf = (baselineDir: string, rel: string) => path.join(baselineDir, 'files', ...rel.split('/'));
const absOf = (folder: string, rel: string) => path.join(folder, ...rel.split('/'));

function assertOutside(folder: string, baselineDir: string): void {
  const a = path.resolve(folder);
  const b = path.resolve(baselineDir);
  if (relativeTo(a, b) !== undefined || relativeTo(b, a) !== undefined) {
    throw new Error(`the baseline (${baselineDir}) must be outside the interaction folder (${folder}), where the agent cannot change it`);
  }
}

function checkedRel(rel: string, scope: ProtectedScope): string {
  const p = normalizeRel(rel);
  if (p === undefined || !isProtected(p, scope.integrationId, scope.scriptRel)) throw new Error(`not a protected path: ${rel}`);
  return p;
}

async function readRegularFile(abs: string, rel: string): Promise<Buffer> {
  const st = await fs.lstat(abs);
  if (!st.isFile()) throw new Error(`${rel} is not a plain file`);
  return fs.readFile(abs);
}

async function saveManifest(baselineDir: string, manifest: BaselineManifest): Promise<void> {
  await fs.mkdir(baselineDir, { recursive: true });
  await writeFileAtomic(path.join(baselineDir, MANIFEST_FILE), JSON.stringify(manifest, null, 2) + '\n');
}

async function copyIn(folder: string, baselineDir: string, rel: string, source: BaselineSource, at: string): Promise<ManifestEntry> {
  const data = await readRegularFile(absOf(folder, rel), rel);
  const target = copyOf(baselineDir, rel);
  await fs.mkdir(path.dirname(target), { recursive: true });
  await writeFileAtomic(target, data);
  return { path: rel, sha256: sha256(data), size: data.length, source, at };
}

/** Every protected file present in the folder: the generated root files and everything under the tests folder. */
export async function listProtectedFiles(folder: string, scope: ProtectedScope): Promise<string[]> {
  const out: string[] = [];
  for (const name of GENERATED_ROOT_FILES) {
    const st = await fs.lstat(path.join(folder, name)).catch(() => undefined);
    if (st?.isFile()) out.push(name);
  }
  const tests = testsDirOf(scope.integrationId);
  const entries = await fs.readdir(absOf(folder, tests), { recursive: true, withFileTypes: true }).catch(() => []);
  for (const e of entries) {
    if (!e.isFile()) continue;
    const rel = relativeTo(folder, path.join(e.parentPath, e.name));
    if (rel !== undefined && isProtected(rel, scope.integrationId, scope.scriptRel)) out.push(rel);
  }
  return out.sort();
}

/**
 * Takes the baseline of a freshly scaffolded folder (replacing any older one): copies `files` (default:
 * every protected file present) out of the folder and writes the manifest.
 */
export async function createBaseline(
  folder: string,
  baselineDir: string,
  scope: ProtectedScope,
  files?: readonly string[],
  source: BaselineSource = 'scaffold',
  now: Date = new Date(),
): Promise<BaselineManifest> {
  assertOutside(folder, baselineDir);
  const rels = [...new Set((files ?? (await listProtectedFiles(folder, scope))).map((f) => checkedRel(f, scope)))].sort();
  await fs.rm(path.join(baselineDir, 'files'), { recursive: true, force: true });
  const at = now.toISOString();
  const entries: ManifestEntry[] = [];
  for (const rel of rels) entries.push(await copyIn(folder, baselineDir, rel, source, at));
  const manifest: BaselineManifest = { version: 1, integrationId: scope.integrationId, scriptRel: scope.scriptRel, updatedAt: at, files: entries };
  await saveManifest(baselineDir, manifest);
  return manifest;
}

/**
 * Takes into the baseline what the harness itself just wrote (the recorder's fixtures, generated tests):
 * `written` files are added or replaced, `removed` ones dropped. One writer per baseline: the guard.
 */
export async function updateBaseline(
  folder: string,
  baselineDir: string,
  change: { readonly written?: readonly string[]; readonly removed?: readonly string[] },
  source: BaselineSource = 'recorder',
  now: Date = new Date(),
): Promise<BaselineManifest> {
  assertOutside(folder, baselineDir);
  const manifest = await loadManifest(baselineDir);
  const byPath = new Map(manifest.files.map((e) => [e.path, e]));
  const at = now.toISOString();
  for (const f of change.written ?? []) {
    const rel = checkedRel(f, manifest);
    byPath.set(rel, await copyIn(folder, baselineDir, rel, source, at));
  }
  for (const f of change.removed ?? []) {
    const rel = checkedRel(f, manifest);
    byPath.delete(rel);
    await fs.rm(copyOf(baselineDir, rel), { force: true });
  }
  const next: BaselineManifest = { ...manifest, updatedAt: at, files: [...byPath.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)) };
  await saveManifest(baselineDir, next);
  return next;
}

export async function loadManifest(baselineDir: string): Promise<BaselineManifest> {
  const file = path.join(baselineDir, MANIFEST_FILE);
  const m = JSON.parse(await fs.readFile(file, 'utf8')) as BaselineManifest;
  if (m?.version !== 1 || typeof m.integrationId !== 'string' || typeof m.scriptRel !== 'string' || !Array.isArray(m.files)) {
    throw new Error(`${file} is not a baseline manifest (version 1)`);
  }
  return m;
}

/** Directories that must be real directories (not files, not symlinks) for the manifest's files to be in place. */
export function guardedDirs(manifest: BaselineManifest): string[] {
  const dirs = new Set(baseDirs(manifest.integrationId));
  for (const e of manifest.files) for (const d of ancestorDirs(e.path)) dirs.add(d);
  return [...dirs].sort((a, b) => a.length - b.length);
}

export type EntryState =
  | { readonly status: 'ok'; readonly stat: Stats }
  | { readonly status: 'missing'; readonly detail: string }
  | { readonly status: 'changed'; readonly detail: string };

const short = (h: string) => h.slice(0, 12);

function kindOf(st: Stats): string {
  return st.isDirectory() ? 'a directory' : st.isSymbolicLink() ? 'a symbolic link' : st.isFile() ? 'a file' : 'a special file';
}

/**
 * How one baseline file looks in the folder. The stat is taken before the content is read: a write that
 * lands after the read changes it, so a caller that remembers it never takes a later write for checked.
 * Synchronous on purpose, like the rest of the restore path (see replaceFileSync): fixtures are small,
 * and a check that queues behind chokidar's directory scans in libuv's thread pool is a slow check.
 */
export function inspectEntry(folder: string, entry: ManifestEntry): EntryState {
  const abs = absOf(folder, entry.path);
  let st: Stats;
  try {
    st = lstatSync(abs);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return { status: 'missing', detail: 'deleted' };
    return { status: 'changed', detail: `cannot be read: ${(err as Error).message}` };
  }
  if (!st.isFile()) return { status: 'changed', detail: `replaced by ${kindOf(st)}` };
  // A second name elsewhere lets an agent change the fixture through it without touching this path.
  if (st.nlink > 1) return { status: 'changed', detail: `hard-linked elsewhere (${st.nlink} links)` };
  let data: Buffer;
  try {
    data = readFileSync(abs);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { status: 'missing', detail: 'deleted' };
    return { status: 'changed', detail: `cannot be read: ${(err as Error).message}` };
  }
  if (data.length !== entry.size) return { status: 'changed', detail: `${entry.size} → ${data.length} bytes` };
  const hash = sha256(data);
  if (hash !== entry.sha256) return { status: 'changed', detail: `sha256 ${short(entry.sha256)}… → ${short(hash)}…, same size` };
  return { status: 'ok', stat: st };
}

/** Protected paths present in the folder that the baseline does not have (folders reported whole). */
export async function findUnexpected(folder: string, manifest: BaselineManifest): Promise<string[]> {
  const known = new Set(manifest.files.map((e) => e.path));
  const dirs = new Set(guardedDirs(manifest));
  const out: string[] = [];
  for (const name of GENERATED_ROOT_FILES) {
    if (known.has(name)) continue;
    if (
      await fs.lstat(path.join(folder, name)).then(
        () => true,
        () => false,
      )
    )
      out.push(name);
  }
  const walk = async (rel: string): Promise<void> => {
    const st = await fs.lstat(absOf(folder, rel)).catch(() => undefined);
    if (!st?.isDirectory()) return;
    const names = await fs.readdir(absOf(folder, rel)).catch(() => [] as string[]);
    for (const name of names.sort()) {
      const child = `${rel}/${name}`;
      // Ours and in flight (a restore's temp file, a probe): gone in a moment, and no agent can name it.
      if (known.has(child) || isOwnFile(absOf(folder, child))) continue;
      if (dirs.has(child)) await walk(child);
      else out.push(child);
    }
  };
  await walk(testsDirOf(manifest.integrationId));
  return out;
}

/** Compares the folder with its baseline: what verification reports and what the guard puts right. */
export async function checkAgainstManifest(folder: string, manifest: BaselineManifest): Promise<ManifestCheck> {
  const changed: string[] = [];
  const missing: string[] = [];
  const brokenDirs = await brokenGuardedDirs(folder, manifest);
  for (const entry of manifest.files) {
    // Under a directory replaced by a symlink or a file, the baseline file is not really there.
    if (ancestorDirs(entry.path).some((d) => brokenDirs.has(d))) {
      missing.push(entry.path);
      continue;
    }
    const state = inspectEntry(folder, entry);
    if (state.status === 'missing') missing.push(entry.path);
    else if (state.status === 'changed') changed.push(entry.path);
  }
  return { changed, missing, unexpected: await findUnexpected(folder, manifest) };
}

/** Guarded directories that are not real directories (missing, a file, a symlink). */
export async function brokenGuardedDirs(folder: string, manifest: BaselineManifest): Promise<Set<string>> {
  const out = new Set<string>();
  for (const rel of guardedDirs(manifest)) {
    const st = await fs.lstat(absOf(folder, rel)).catch(() => undefined);
    if (!st?.isDirectory()) out.add(rel);
  }
  return out;
}

/**
 * Makes every directory on the way to `relDir` a real directory: missing ones are created, files and
 * symlinks in their place removed first. Returns the directories it created (relative).
 */
export async function ensureRealDirs(folder: string, relDir: string): Promise<string[]> {
  const created: string[] = [];
  const root = await fs.lstat(folder).catch(() => undefined);
  if (!root?.isDirectory()) {
    if (root) await fs.rm(folder, { force: true });
    await fs.mkdir(folder, { recursive: true });
    created.push('');
  }
  const parts = relDir ? relDir.split('/') : [];
  for (let i = 0; i < parts.length; i++) {
    const rel = parts.slice(0, i + 1).join('/');
    const abs = absOf(folder, rel);
    const st = await fs.lstat(abs).catch(() => undefined);
    if (st?.isDirectory()) continue;
    if (st) await fs.rm(abs, { force: true });
    await fs.mkdir(abs).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'EEXIST') throw err;
    });
    created.push(rel);
  }
  return created;
}

const realpathOrEmpty = (p: string) => {
  try {
    return realpathSync.native(p);
  } catch {
    return '';
  }
};

/** Whether the folder and every directory on the way to `rel` are real directories (no symlinks). Synchronous: see inspectEntry. */
export function ancestorsAreRealDirs(folder: string, rel: string): boolean {
  // One native realpath of each says it at once when all is well (the usual case, and the hot path of a
  // restore): with a symlink or a file on the way, the parent's real path is not the folder's plus `rel`.
  const parent = path.posix.dirname(rel);
  const realFolder = realpathOrEmpty(folder);
  const realParent = realpathOrEmpty(absOf(folder, parent));
  if (realFolder && realParent === (parent === '.' ? realFolder : path.join(realFolder, ...parent.split('/')))) return true;
  for (const d of ['', ...ancestorDirs(rel)]) {
    let st: Stats | undefined;
    try {
      st = lstatSync(d ? absOf(folder, d) : folder);
    } catch {
      st = undefined;
    }
    if (!st?.isDirectory()) return false;
  }
  return true;
}

export interface RestoreResult {
  /**
   * `restored`: copied back from the baseline; `removed`: not in the baseline, so deleted; `gone`: not in
   * the baseline, and gone before it could be deleted (e.g. a temporary name renamed over its target).
   */
  readonly action: 'restored' | 'removed' | 'gone';
  /** Directories that had to be recreated on the way (relative). */
  readonly createdDirs: string[];
}

/**
 * Puts one protected path back as the baseline has it: the baseline's copy (checked against its hash)
 * written atomically, or, when the baseline has no such file, the path deleted (folders with their
 * contents). Refuses to touch anything that is not protected.
 */
export async function restoreFile(folder: string, baselineDir: string, rel: string, manifest?: BaselineManifest): Promise<RestoreResult> {
  const m = manifest ?? (await loadManifest(baselineDir));
  const p = checkedRel(rel, m);
  const abs = absOf(folder, p);
  const entry = m.files.find((e) => e.path === p);
  if (!entry) {
    // Through a directory swapped for a symlink this could delete outside the folder: leave it to the
    // caller to repair the directories (ensureRealDirs) first.
    if (!ancestorsAreRealDirs(folder, p)) return { action: 'removed', createdDirs: [] };
    const st = await fs.lstat(abs).catch(() => undefined);
    if (!st) return { action: 'gone', createdDirs: [] };
    if (st.isDirectory()) {
      await fs.rm(abs, { recursive: true, force: true });
      return { action: 'removed', createdDirs: [] };
    }
    try {
      await fs.unlink(abs);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { action: 'gone', createdDirs: [] };
      throw err;
    }
    return { action: 'removed', createdDirs: [] };
  }
  const data = readFileSync(copyOf(baselineDir, p));
  if (data.length !== entry.size || sha256(data) !== entry.sha256) throw new Error(`the baseline copy of ${p} does not match its manifest entry`);
  const createdDirs = ancestorsAreRealDirs(folder, p) ? [] : await ensureRealDirs(folder, path.posix.dirname(p) === '.' ? '' : path.posix.dirname(p));
  replaceFileSync(abs, data);
  return { action: 'restored', createdDirs };
}
