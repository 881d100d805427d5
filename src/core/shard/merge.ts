// Merge: the work roots of a spec's shards (./shard.ts), each from its own machine, gathered into one
// work root that status, Verify and Assemble take as if one machine had run them all.
//
// What comes over, per run record: the record, its transcripts (every attempt), its guard's violation
// logs, its Verify report, its baseline (manifest and copies), and its interaction folder. What does not:
// a shard's integrity key, sandbox policies, opencode data, Verify scratch, assembly reports.
//
// Trust: a baseline's seal is an HMAC under its own work root's key (../guard/seal.ts), so no shard's
// seal holds in the merged root. Before a run is sealed anew under the merged root's key, its shard
// must show that the seal held there, that its interaction folder's protected files (fixtures,
// generated tests, scaffold files) are byte for byte what the baseline manifest lists, and that the
// baseline's copies are too. Any run that fails this, a run still queued or running, a record that
// cannot be read, two shards holding the same interaction: the whole merge is refused, each problem
// named, and nothing is written. A run its shard never sealed stays unsealed (Verify fails it, as there).
//
// Paths: records, transcripts, logs and reports name files by absolute path, under the shard's work
// root on its machine. Each occurrence of that work root (as a path, not inside a longer name) is
// rebased onto the merged root, and nothing else is changed, so confinement and the transcript rules
// judge the merged folder as they judged the shard's. A shard whose files already name the merged root
// is refused (a rebase would change what such a path meant). Where the shard ran in the same place as
// the merged root (a CI checkout at the same path) nothing needs rebasing.
//
// Writing: everything is built in a temporary folder beside the target and renamed into place at the
// end; the target must not exist yet or be an empty folder.
import { randomBytes } from 'node:crypto';
import { promises as fs, type Dirent } from 'node:fs';
import * as path from 'node:path';
import { baselineDirFor, checkAgainstManifest, inspectEntry, loadManifest, MANIFEST_FILE, sha256, type BaselineManifest } from '../guard/manifest';
import { checkSeal, sealBaseline } from '../guard/seal';
import type { RunRecord } from '../runs/record';
import { INTERACTION_STATUSES } from '../runs/status';
import { RunStore, runKeyParts } from '../runs/store';
import { keepWorkRootOutOfGit, WORK_ROOT_IGNORE } from '../workspace/workRootIgnores';
import { readShardNote, type ShardNote } from './shard';

/** One reason a merge was refused, at the file it concerns. */
export interface MergeProblem {
  readonly file: string;
  readonly message: string;
}

export class MergeRefused extends Error {
  constructor(readonly problems: readonly MergeProblem[]) {
    super(`the merge was refused (${problems.length} problem(s)); nothing was written:\n${problems.map((p) => `${p.file}: ${p.message}`).join('\n')}`);
  }
}

export interface MergeOptions {
  /** The shards' work roots (each holds `.runs/`). */
  readonly shards: readonly string[];
  /** The merged work root: absent, or an empty folder. */
  readonly target: string;
  readonly now?: () => Date;
}

export interface MergedRun {
  readonly key: string;
  /** The shard's work root it came from (as given). */
  readonly from: string;
  readonly attempt: number;
  readonly status: RunRecord['status'];
  /** Sealed anew in the merged root (its shard's seal and hashes held). */
  readonly sealed: boolean;
}

export interface MergedShard {
  readonly dir: string;
  /** The work root its records name (where it ran). */
  readonly ranAt?: string;
  /** `K/N` from its shard note, when it has one. */
  readonly shard?: string;
  readonly note?: ShardNote;
  readonly keys: readonly string[];
  /** Paths under `ranAt` were rebased onto the merged root. */
  readonly rebased: boolean;
}

export interface MergeResult {
  readonly target: string;
  readonly runs: readonly MergedRun[];
  readonly shards: readonly MergedShard[];
  /** What was left out or is worth knowing (never a reason to refuse). */
  readonly notes: readonly string[];
}

/** `.runs/merge.json` in the merged root: where each run came from. */
export const MERGE_NOTE_FILE = 'merge.json';

/** A record's own files in `.runs/<integration>/`, beside `<interaction>.json` (see RunStore, verify, guard). */
function ownedBy(interaction: string, name: string): 'record' | 'text' | 'baseline' | 'runtime' | undefined {
  if (name === `${interaction}.json`) return 'record';
  if (name === `${interaction}.baseline`) return 'baseline';
  if (name === `${interaction}.sandbox`) return 'runtime';
  const rest = name.startsWith(`${interaction}.`) ? name.slice(interaction.length + 1) : undefined;
  if (rest === undefined) return undefined;
  if (rest === 'verify.json' || rest === 'violations.jsonl' || /^attempt-\d+\.jsonl$/.test(rest) || /^attempt-\d+\.violations\.jsonl$/.test(rest))
    return 'text';
  return undefined;
}

/** Characters that continue a file name: a work root next to one of them is part of a longer name, not it. */
const NAME_CHARS = 'A-Za-z0-9._~+@=%#\\-';

/** The path `root` as a whole path or the start of one: not preceded by a name character or a slash, not followed by a name character. */
function pathMatcher(root: string): RegExp {
  const esc = root.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(?<![${NAME_CHARS}/])${esc}(?![${NAME_CHARS}])`, 'g');
}

/** `text` with every occurrence of the path `from` (as a whole path or a prefix of one) replaced by `to`. */
export function rebasePaths(text: string, from: string, to: string): string {
  if (from === to) return text;
  return text.replace(pathMatcher(from), () => to);
}

/** Whether `text` names `root` as a path (not counting occurrences of `except`). */
export function namesPath(text: string, root: string, except?: string): boolean {
  const rest = except ? text.replace(pathMatcher(except), '') : text;
  return pathMatcher(root).test(rest);
}

/** A path that JSON writes as it is (no quote, backslash or control character), so a rebase can find it. */
const plainPath = (p: string) => JSON.stringify(p) === `"${p}"` && p.length > 1;

interface ShardRun {
  readonly key: string;
  readonly integration: string;
  readonly interaction: string;
  readonly run: RunRecord;
  readonly recordFile: string;
  /** Files of `.runs/<integration>/` that belong to it (names), by kind. */
  readonly texts: string[];
  readonly hasBaseline: boolean;
  /** Checked: its seal held in its shard and its folder matches its baseline. */
  readonly sealed: boolean;
}

interface ShardPlan {
  readonly dir: string;
  readonly runsDir: string;
  readonly ranAt?: string;
  readonly note?: ShardNote;
  readonly runs: ShardRun[];
}

/** Why a record read from a shard cannot be used (as RunStore checks it, but for a work root that ran elsewhere). */
function checkShardRecord(text: string, integration: string, interaction: string): RunRecord {
  if (!text.trim()) throw new Error('the record is empty (a write cut short)');
  let run: RunRecord;
  try {
    run = JSON.parse(text) as RunRecord;
  } catch (err) {
    throw new Error(`the record is not valid JSON (truncated or corrupt): ${(err as Error).message}`);
  }
  if (!run || typeof run !== 'object' || run.version !== 1 || typeof run.key !== 'string') throw new Error('not a run record (version 1)');
  const [i, x] = runKeyParts(run.key);
  if (i !== integration || x !== interaction) throw new Error(`its key ${JSON.stringify(run.key)} does not belong in this file`);
  if (run.integrationId !== i || run.interactionId !== x) throw new Error(`its ids do not match its key ${JSON.stringify(run.key)}`);
  if (!(INTERACTION_STATUSES as readonly unknown[]).includes(run.status)) throw new Error(`the record has an unknown status ${JSON.stringify(run.status)}`);
  if (!Number.isInteger(run.attempt) || run.attempt < 1) throw new Error(`the record has no valid attempt number (${JSON.stringify(run.attempt)})`);
  if (!Array.isArray(run.history) || typeof run.costUsd !== 'number' || !run.tokens || typeof run.tokens !== 'object')
    throw new Error('the record is incomplete (no history, cost or tokens)');
  if (typeof run.folder !== 'string' || !path.isAbsolute(run.folder) || path.basename(run.folder) !== x || path.basename(path.dirname(run.folder)) !== i) {
    throw new Error(`its folder ${JSON.stringify(run.folder)} is not <work root>/${i}/${x}`);
  }
  return run;
}

const isDir = (p: string) =>
  fs.lstat(p).then(
    (s) => s.isDirectory(),
    () => false,
  );

/** Reads one shard and checks everything in it that the merge relies on; problems are added to `problems`. */
async function readShard(dir: string, problems: MergeProblem[], notes: string[]): Promise<ShardPlan> {
  const runsDir = path.join(dir, '.runs');
  const plan: { dir: string; runsDir: string; ranAt?: string; note?: ShardNote; runs: ShardRun[] } = { dir, runsDir, runs: [] };
  if (!(await isDir(dir))) {
    problems.push({ file: dir, message: 'is not a folder (a shard is the work root of one `generate --shard K/N`)' });
    return plan;
  }
  if (!(await isDir(runsDir))) {
    problems.push({
      file: dir,
      message: 'holds no .runs/ folder, so it is not a work root (did the artifact keep hidden files? upload-artifact needs include-hidden-files: true)',
    });
    return plan;
  }
  try {
    plan.note = await readShardNote(dir);
  } catch (err) {
    problems.push({ file: path.join(runsDir, 'shard.json'), message: `the shard note cannot be read: ${(err as Error).message}` });
  }
  let entries: Dirent[];
  try {
    entries = await fs.readdir(runsDir, { withFileTypes: true });
  } catch (err) {
    problems.push({ file: runsDir, message: `cannot be read: ${(err as Error).message}` });
    return plan;
  }
  const roots = new Map<string, string>();
  for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (e.name.startsWith('.')) continue; // its key, sandbox, opencode data, Verify scratch: the shard's own
    if (!e.isDirectory()) {
      if (e.name !== 'shard.json') notes.push(`${path.join(runsDir, e.name)}: left out (not a run's file)`);
      continue;
    }
    const integration = e.name;
    const idir = path.join(runsDir, integration);
    let names: Dirent[];
    try {
      names = await fs.readdir(idir, { withFileTypes: true });
    } catch (err) {
      problems.push({ file: idir, message: `the run records of ${integration} cannot be read: ${(err as Error).message}` });
      continue;
    }
    const interactions = names
      .filter((n) => n.isFile() && /^[^.]+\.json$/.test(n.name))
      .map((n) => n.name.slice(0, -'.json'.length))
      .sort();
    for (const n of names) {
      if (!interactions.some((x) => ownedBy(x, n.name))) notes.push(`${path.join(idir, n.name)}: left out (belongs to no run record)`);
    }
    for (const interaction of interactions) {
      const recordFile = path.join(idir, `${interaction}.json`);
      let run: RunRecord;
      try {
        run = checkShardRecord(await fs.readFile(recordFile, 'utf8'), integration, interaction);
      } catch (err) {
        problems.push({ file: recordFile, message: `the run record cannot be used: ${(err as Error).message}` });
        continue;
      }
      if (run.status === 'queued' || run.status === 'running') {
        problems.push({ file: recordFile, message: `${run.key} is still ${run.status} in this shard: the shard did not finish (merge finished shards only)` });
        continue;
      }
      roots.set(path.dirname(path.dirname(run.folder)), recordFile);
      const owned = names.filter((n) => ownedBy(interaction, n.name));
      const texts = owned.filter((n) => n.isFile() && ownedBy(interaction, n.name) === 'text').map((n) => n.name);
      const baselineDir = baselineDirFor(recordFile);
      const hasBaseline = await isDir(baselineDir);
      const folder = path.join(dir, integration, interaction);
      const before = problems.length;
      if (run.baselineSeal) {
        const seal = await checkSeal(runsDir, run.key, run.attempt, baselineDir, run.baselineSeal);
        if (!seal.ok)
          problems.push({ file: recordFile, message: `${run.key}: the baseline's seal does not hold in its shard (${seal.rule}): ${seal.message}` });
      }
      // Any baseline there is, sealed or not, must match the folder: a merge never carries over fixtures that differ from it.
      if (hasBaseline && problems.length === before) await checkBaseline(run.key, folder, baselineDir, problems);
      if (!run.baselineSeal)
        notes.push(
          hasBaseline
            ? `${run.key}: its baseline was never sealed in its shard, so it stays unsealed (Verify fails it, as it would there)`
            : `${run.key}: no baseline in its shard (its run ended before its folder was made); merged as it is`,
        );
      plan.runs.push({ key: run.key, integration, interaction, run, recordFile, texts, hasBaseline, sealed: !!run.baselineSeal && problems.length === before });
    }
  }
  if (roots.size > 1) {
    problems.push({
      file: runsDir,
      message: `its records name ${roots.size} different work roots (${[...roots.keys()].join(', ')}): one shard is one work root`,
    });
  } else if (roots.size === 1) {
    plan.ranAt = [...roots.keys()][0];
    if (!plainPath(plan.ranAt as string))
      problems.push({
        file: [...roots.values()][0] as string,
        message: `the work root it ran in, ${JSON.stringify(plan.ranAt)}, holds a quote, backslash or control character, so its paths cannot be rebased`,
      });
  }
  // Interaction folders that no record stands for are not runs (nothing vouches for them).
  for (const d of (await fs.readdir(dir, { withFileTypes: true }).catch(() => [] as Dirent[])).filter((x) => x.isDirectory() && !x.name.startsWith('.'))) {
    for (const f of (await fs.readdir(path.join(dir, d.name), { withFileTypes: true }).catch(() => [] as Dirent[])).filter((x) => x.isDirectory())) {
      if (!plan.runs.some((r) => r.integration === d.name && r.interaction === f.name))
        notes.push(`${path.join(dir, d.name, f.name)}: left out (no usable run record)`);
    }
  }
  return plan;
}

/** The folder's protected files against the baseline manifest, and the baseline's copies against it too. */
async function checkBaseline(key: string, folder: string, baselineDir: string, problems: MergeProblem[]): Promise<void> {
  let manifest: BaselineManifest;
  try {
    manifest = await loadManifest(baselineDir);
  } catch (err) {
    problems.push({ file: path.join(baselineDir, MANIFEST_FILE), message: `${key}: the baseline manifest cannot be read: ${(err as Error).message}` });
    return;
  }
  const [integration] = runKeyParts(key);
  if (manifest.integrationId !== integration) {
    problems.push({ file: path.join(baselineDir, MANIFEST_FILE), message: `${key}: the baseline is of integration ${JSON.stringify(manifest.integrationId)}` });
    return;
  }
  if (!(await isDir(folder))) {
    problems.push({ file: folder, message: `${key}: its interaction folder is missing, so its fixtures cannot be checked against the baseline` });
    return;
  }
  const check = await checkAgainstManifest(folder, manifest);
  for (const rel of check.changed) {
    const entry = manifest.files.find((e) => e.path === rel);
    const state = entry ? inspectEntry(folder, entry) : undefined;
    problems.push({
      file: path.join(folder, ...rel.split('/')),
      message: `${key}: does not match its baseline hash${state && state.status !== 'ok' ? ` (${state.detail})` : ''}: a fixture, generated test or scaffold file was changed after the harness wrote it`,
    });
  }
  for (const rel of check.missing)
    problems.push({
      file: path.join(folder, ...rel.split('/')),
      message: `${key}: is in the baseline and missing from the folder (or not reachable as a plain file)`,
    });
  for (const rel of check.unexpected)
    problems.push({
      file: path.join(folder, ...rel.split('/')),
      message: `${key}: is a protected file the baseline does not list (it appeared without the recorder)`,
    });
  for (const entry of manifest.files) {
    const copy = path.join(baselineDir, 'files', ...entry.path.split('/'));
    const data = await fs.readFile(copy).catch(() => undefined);
    if (!data || data.length !== entry.size || sha256(data) !== entry.sha256)
      problems.push({ file: copy, message: `${key}: the baseline's copy of ${entry.path} ${data ? 'does not match its manifest hash' : 'is missing'}` });
  }
}

/** Absent, or an empty folder: true; anything else: why not. */
async function targetProblem(target: string): Promise<string | undefined> {
  const st = await fs.lstat(target).catch(() => undefined);
  if (!st) return undefined;
  if (!st.isDirectory()) return 'exists and is not a folder';
  const names = await fs.readdir(target).catch((err: Error) => [`(${err.message})`]);
  return names.length ? 'exists and is not empty: merge into a new work root (or remove it first)' : undefined;
}

/**
 * Checks every shard, then writes the merged work root, or refuses (MergeRefused) with every problem
 * found and nothing written.
 */
export async function mergeWorkRoots(options: MergeOptions): Promise<MergeResult> {
  const now = options.now ?? (() => new Date());
  const target = path.resolve(options.target);
  const problems: MergeProblem[] = [];
  const notes: string[] = [];
  if (!options.shards.length) throw new MergeRefused([{ file: target, message: 'no shard work roots given' }]);
  const tp = await targetProblem(target);
  if (tp) problems.push({ file: target, message: `the merged work root ${tp}` });
  if (!plainPath(target)) problems.push({ file: target, message: 'the merged work root holds a quote, backslash or control character; choose a plain path' });

  // The same folder twice would hold every run twice.
  const reals = new Map<string, string>();
  const dirs: string[] = [];
  for (const given of options.shards) {
    const dir = path.resolve(given);
    const real = await fs.realpath(dir).catch(() => dir);
    const seen = reals.get(real);
    if (seen) {
      problems.push({ file: dir, message: `is given twice (also as ${seen})` });
      continue;
    }
    const realTarget = await fs.realpath(target).catch(() => target);
    if (real === realTarget) {
      problems.push({ file: dir, message: 'is the merged work root itself' });
      continue;
    }
    reals.set(real, dir);
    dirs.push(dir);
  }
  const plans: ShardPlan[] = [];
  for (const dir of dirs) plans.push(await readShard(dir, problems, notes));

  // One interaction, one shard: two runs of it would fight over one record, folder and baseline.
  const owner = new Map<string, ShardPlan>();
  for (const plan of plans) {
    for (const r of plan.runs) {
      const first = owner.get(r.key);
      if (first)
        problems.push({
          file: r.recordFile,
          message: `${r.key} is in two shards (also ${first.dir}): each interaction must run in one shard only (give every shard the same spec and selection)`,
        });
      else owner.set(r.key, plan);
    }
  }
  // Shard notes that disagree: a note holds which K of N it was.
  const claimed = new Map<string, string>();
  for (const plan of plans) {
    if (!plan.note) continue;
    const label = `${plan.note.shard}/${plan.note.of}`;
    const other = claimed.get(label);
    if (other) problems.push({ file: path.join(plan.runsDir, 'shard.json'), message: `is shard ${label}, and so is ${other}` });
    else claimed.set(label, plan.dir);
  }
  // Paths already naming the merged root would mean something else after the rebase.
  if (!problems.length) {
    for (const plan of plans) {
      if (!plan.ranAt || plan.ranAt === target) continue;
      for (const r of plan.runs) {
        for (const name of [`${r.interaction}.json`, ...r.texts]) {
          const file = path.join(plan.runsDir, r.integration, name);
          const text = await fs.readFile(file, 'utf8').catch((err: Error) => {
            problems.push({ file, message: `cannot be read: ${err.message}` });
            return '';
          });
          if (namesPath(text, target, plan.ranAt))
            problems.push({
              file,
              message: `${r.key}: already names the merged work root ${target}, so rebasing its paths from ${plan.ranAt} would change what they mean; merge into another folder`,
            });
        }
      }
    }
  }
  if (problems.length) throw new MergeRefused(problems);

  // Completeness, from the shard notes: said, not refused (status and Verify say what is missing).
  const counts = new Set(plans.filter((p) => p.note).map((p) => (p.note as ShardNote).of));
  for (const n of counts) {
    const have = new Set(plans.filter((p) => p.note?.of === n).map((p) => (p.note as ShardNote).shard));
    const missing = Array.from({ length: n }, (_, i) => i + 1).filter((k) => !have.has(k));
    if (missing.length) notes.push(`shard(s) ${missing.map((k) => `${k}/${n}`).join(', ')} not given: their interactions are not in the merged root`);
  }
  if (counts.size > 1) notes.push(`the shards were split different ways (${[...counts].map((n) => `of ${n}`).join(', ')})`);
  for (const plan of plans) {
    if (!plan.note) continue;
    const ran = new Set(plan.runs.map((r) => r.key));
    const absent = plan.note.keys.filter((k) => !ran.has(k));
    if (absent.length) notes.push(`${plan.dir} (shard ${plan.note.shard}/${plan.note.of}) has no run record of ${absent.join(', ')}`);
  }

  const result: MergeResult = {
    target,
    runs: plans
      .flatMap((p) => p.runs.map((r) => ({ key: r.key, from: p.dir, attempt: r.run.attempt, status: r.run.status, sealed: r.sealed })))
      .sort((a, b) => (a.key < b.key ? -1 : 1)),
    shards: plans.map((p) => ({
      dir: p.dir,
      ranAt: p.ranAt,
      shard: p.note ? `${p.note.shard}/${p.note.of}` : undefined,
      note: p.note,
      keys: p.runs.map((r) => r.key).sort(),
      rebased: !!p.ranAt && p.ranAt !== target,
    })),
    notes,
  };
  await build(target, plans, result, now);
  return result;
}

/** Writes the merged root in a temporary folder beside `target`, then renames it into place. */
async function build(target: string, plans: readonly ShardPlan[], result: MergeResult, now: () => Date): Promise<void> {
  const parent = path.dirname(target);
  const madeParent = await fs.mkdir(parent, { recursive: true });
  const temp = path.join(parent, `.${path.basename(target)}.merging-${process.pid}-${randomBytes(4).toString('hex')}`);
  const tempRuns = path.join(temp, '.runs');
  try {
    await fs.mkdir(tempRuns, { recursive: true });
    for (const plan of plans) {
      const rebase = (text: string) => (plan.ranAt ? rebasePaths(text, plan.ranAt, target) : text);
      for (const r of plan.runs) {
        const shardFolder = path.join(plan.dir, r.integration, r.interaction);
        if (await isDir(shardFolder)) {
          // Links are copied as links (a link out of the folder stays evidence for Verify), files as new files.
          await fs.cp(shardFolder, path.join(temp, r.integration, r.interaction), {
            recursive: true,
            verbatimSymlinks: true,
            preserveTimestamps: true,
            errorOnExist: true,
            force: false,
          });
        }
        const idir = path.join(tempRuns, r.integration);
        await fs.mkdir(idir, { recursive: true });
        for (const name of r.texts) {
          await fs.writeFile(path.join(idir, name), rebase(await fs.readFile(path.join(plan.runsDir, r.integration, name), 'utf8')));
        }
        const baselineDir = baselineDirFor(path.join(idir, `${r.interaction}.json`));
        if (r.hasBaseline)
          await fs.cp(baselineDirFor(r.recordFile), baselineDir, {
            recursive: true,
            verbatimSymlinks: true,
            preserveTimestamps: true,
            errorOnExist: true,
            force: false,
          });
        const run = JSON.parse(rebase(await fs.readFile(r.recordFile, 'utf8'))) as RunRecord;
        const merged: RunRecord = { ...run, folder: path.join(target, r.integration, r.interaction) };
        if (r.sealed) {
          // Checked above: its seal held in its shard and the folder matches the manifest; sealed anew here.
          const seal = await sealBaseline(tempRuns, r.key, r.run.attempt, baselineDir, now());
          if (seal.manifestSha256 !== r.run.baselineSeal?.manifestSha256) throw new Error(`${r.key}: the baseline manifest changed while it was merged`);
          merged.baselineSeal = seal;
        }
        await fs.writeFile(path.join(idir, `${r.interaction}.json`), JSON.stringify(merged, null, 2) + '\n');
      }
    }
    const note = {
      version: 1,
      mergedAt: now().toISOString(),
      shards: result.shards.map((s) => ({ dir: s.dir, ranAt: s.ranAt, shard: s.shard, rebased: s.rebased, keys: s.keys })),
      runs: result.runs,
    };
    await fs.writeFile(path.join(tempRuns, MERGE_NOTE_FILE), JSON.stringify(note, null, 2) + '\n');
    await fs.writeFile(path.join(temp, '.ignore'), WORK_ROOT_IGNORE);
    // An empty target folder is replaced (rmdir fails, as it should, if something appeared in it meanwhile).
    if (await isDir(target)) await fs.rmdir(target);
    await fs.rename(temp, target);
  } catch (err) {
    await fs.rm(temp, { recursive: true, force: true }).catch(() => undefined);
    if (madeParent) await fs.rm(madeParent, { recursive: true, force: true }).catch(() => undefined);
    throw err;
  }
  // The merged root read back as the CLI and the editor read it: every record usable, every seal holding.
  const store = new RunStore(target);
  const { records, problems } = await store.loadAllChecked();
  const bad: MergeProblem[] = problems.map((p) => ({ file: p.file, message: p.message }));
  for (const r of records) {
    if (!r.baselineSeal) continue;
    const seal = await checkSeal(store.dir, r.key, r.attempt, baselineDirFor(store.fileOf(r.key)), r.baselineSeal);
    if (!seal.ok) bad.push({ file: store.fileOf(r.key), message: seal.message });
  }
  if (bad.length || records.length !== result.runs.length) {
    await fs.rm(target, { recursive: true, force: true });
    throw new MergeRefused(bad.length ? bad : [{ file: target, message: `${records.length} of ${result.runs.length} merged records could be read back` }]);
  }
  const ignores = await keepWorkRootOutOfGit(target);
  if (ignores.warning) (result.notes as string[]).push(ignores.warning);
}
