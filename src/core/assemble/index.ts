// Assemble: the verified interactions of one API, merged into the user's Nango project (zero-yaml):
// each interaction as a unit — its script under `<integration>/actions|syncs/` and every file of its
// folder the script imports (models, mappers, helpers), its fixtures and generated tests under
// `<integration>/tests/`, and its import in `index.ts` (sorted, each once). Nothing is overwritten
// silently: a file that exists with other content is a conflict, written only when the caller says so.
// What cannot work is refused before anything is written: a project the Nango CLI will not compile (a
// nango.yaml project, no CLI installed), an import that leaves the interaction's folder or names no
// file, two interactions bringing different versions of one helper.
// Writes are staged and moved into place at the end; if a move fails, what was moved is put back, so a
// failure leaves the project as it was. Afterwards the project is compiled.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { nangoCompile, type CompileOutcome } from '../toolchain/compile';
import type { ToolBins } from '../toolchain/tools';
import type { Finding, Verdict } from '../runs/report';
import { interactionTestFiles, scriptRelativePath } from '../workspace/scaffold';
import { unifiedDiff } from './diff';
import { AssemblyRefused, type AssemblyProblem } from './problems';
import { projectProblems } from './project';
import { interactionUnit } from './unit';

export { interactionUnit } from './unit';
export { AssemblyRefused, type AssemblyProblem } from './problems';
export { locateRefusal, renderRefusalMarkdown, renderRefusalText, type AssemblyRefusal } from './refusal';

export interface AssemblyCandidate {
  readonly key: string;
  readonly integrationId: string;
  readonly interactionId: string;
  readonly kind: 'action' | 'sync';
  /** The interaction folder the agent worked in. */
  readonly folder: string;
  readonly attempt: number;
  /** The latest verification's verdict for this attempt; undefined when it was never verified. */
  readonly verdict?: Verdict;
  /** The session's latest turn when a person's feedback started it (2, 3, …): not verified yet says so. */
  readonly turn?: number;
  readonly costUsd: number;
  /**
   * Whether a person accepted this attempt as its folder is now (src/core/review): Assemble takes only
   * accepted interactions unless told to include the others. `reason` says why not (never reviewed,
   * rejected, or changed since it was accepted). The front ends' candidates always say it
   * (IntegrationBuilder.assemblyCandidates); absent only where no person reviews — Verify's assemble check,
   * which lays one interaction out in a scratch project.
   */
  readonly acceptance?: { readonly accepted: true; readonly by: string; readonly at: string } | { readonly accepted: false; readonly reason: string };
}

export type FileStatus = 'new' | 'same' | 'conflict';

export interface PlannedFile {
  /** Relative to the project, posix. */
  readonly rel: string;
  readonly content: string;
  readonly status: FileStatus;
  /** What is in the project now (for a conflict's diff). */
  readonly existing?: string;
  /** A conflict's unified diff, from the project's file (a/) to what Assemble would write (b/). */
  readonly diff?: string;
  /** The interactions it comes from (index.ts: all of them). */
  readonly from: readonly string[];
}

export interface AssemblyPlan {
  readonly projectDir: string;
  readonly integrationId: string;
  readonly included: readonly AssemblyCandidate[];
  /** Not verified or not accepted, and not asked for: left out, with why. */
  readonly refused: readonly { readonly key: string; readonly reason: string }[];
  readonly files: readonly PlannedFile[];
}

export interface AssemblyReport {
  readonly version: 1;
  readonly integrationId: string;
  readonly projectDir: string;
  readonly at: string;
  readonly interactions: readonly {
    key: string;
    attempt: number;
    verdict: Verdict | 'unverified';
    /** Who accepted it and when; absent when it was taken without acceptance (the user included it). */
    accepted?: { by: string; at: string };
    costUsd: number;
    files: string[];
  }[];
  readonly refused: readonly { key: string; reason: string }[];
  readonly written: readonly string[];
  readonly unchanged: readonly string[];
  /** Conflicts the caller chose to keep as they are. */
  readonly skipped: readonly string[];
  readonly compile: { readonly ok: boolean; readonly findings: readonly Finding[]; readonly detail?: string };
}

/** The scaffold files a new Nango project needs, taken from an interaction folder. */
const PROJECT_SKELETON = ['package.json', 'tsconfig.json', '.nango/.gitkeep', 'vite.config.ts', 'vitest.setup.ts'];

async function read(file: string): Promise<string | undefined> {
  return fs.readFile(file, 'utf8').catch(() => undefined);
}

/**
 * The files of one interaction folder that go into the project: its unit (the script and what it
 * imports), its fixtures and its generated tests; with the unit's problems.
 */
async function filesOf(c: AssemblyCandidate): Promise<{ files: { rel: string; content: string }[]; problems: AssemblyProblem[] }> {
  const script = scriptRelativePath({ integrationId: c.integrationId, id: c.interactionId, kind: c.kind });
  const unit = await interactionUnit(c.folder, script);
  const out: { rel: string; content: string }[] = [...unit.files];
  const problems = unit.problems.map((p): AssemblyProblem => ({ kind: p.kind, message: p.message, keys: [c.key], file: p.file, line: p.line }));
  const own = interactionTestFiles({ integrationId: c.integrationId, id: c.interactionId });
  const entries = await fs.readdir(path.join(c.folder, c.integrationId, 'tests')).catch(() => [] as string[]);
  for (const name of entries.sort()) {
    const rel = `${c.integrationId}/tests/${name}`;
    if (!own.includes(rel)) continue;
    if (out.some((f) => f.rel === rel)) continue; // the script imports it: it is in the unit already
    const content = await read(path.join(c.folder, c.integrationId, 'tests', name));
    if (content !== undefined) out.push({ rel, content });
  }
  return { files: out, problems };
}

/** index.ts with these imports added: import lines sorted and unique, anything else kept after them. */
export function mergeIndex(existing: string | undefined, imports: readonly string[]): string {
  const lines = (existing ?? '').split('\n');
  const isImport = (l: string) => /^import\s+['"][^'"]+['"];?\s*$/.test(l.trim());
  const norm = (l: string) => l.trim().replace(/"/g, "'").replace(/;?$/, ';');
  const all = new Set([...lines.filter(isImport).map(norm), ...imports.map(norm)]);
  const rest = lines.filter((l) => !isImport(l));
  while (rest.length && !rest[0]?.trim()) rest.shift();
  while (rest.length && !rest[rest.length - 1]?.trim()) rest.pop();
  const sorted = [...all].sort();
  return [...sorted, ...(rest.length ? ['', ...rest] : [])].join('\n') + '\n';
}

export async function planAssembly(opts: {
  projectDir: string;
  integrationId: string;
  candidates: readonly AssemblyCandidate[];
  /** Include interactions that are not verified (the user confirmed). */
  includeUnverified?: boolean;
  /** Include interactions nobody accepted, or whose acceptance no longer holds (the user confirmed). */
  includeUnaccepted?: boolean;
  /** The project is compiled after writing (default true): the Nango CLI must then be installed for it. */
  compile?: boolean;
  /** Toolchain binaries to use instead of the ones found above the project. */
  bins?: ToolBins;
}): Promise<AssemblyPlan> {
  const refused: { key: string; reason: string }[] = [];
  const included: AssemblyCandidate[] = [];
  for (const c of opts.candidates) {
    if (c.integrationId !== opts.integrationId) continue;
    if (c.verdict !== 'verified' && !opts.includeUnverified)
      refused.push({
        key: c.key,
        reason: c.verdict ? `its verification says ${c.verdict}` : c.turn ? `turn ${c.turn} (your feedback) is not verified yet` : 'it was never verified',
      });
    else if (c.acceptance && !c.acceptance.accepted && !opts.includeUnaccepted)
      refused.push({ key: c.key, reason: `it is not accepted (${c.acceptance.reason})` });
    else included.push(c);
  }
  const problems: AssemblyProblem[] = [];
  if (included.length) {
    for (const p of await projectProblems(opts.projectDir, { toolchain: opts.compile !== false, bins: opts.bins }))
      problems.push({ kind: p.kind, message: p.message, keys: [] });
  }
  // Every file from every interaction, once: a file two interactions both bring must be the same file.
  const wanted = new Map<string, { content: string; from: string[] }>();
  const conflicting = new Set<string>();
  for (const c of included) {
    const { files: own, problems: unitProblems } = await filesOf(c);
    problems.push(...unitProblems);
    for (const f of own) {
      const prior = wanted.get(f.rel);
      if (!prior) wanted.set(f.rel, { content: f.content, from: [c.key] });
      else if (prior.content === f.content) prior.from.push(c.key);
      else if (!conflicting.has(f.rel)) {
        conflicting.add(f.rel);
        problems.push({
          kind: 'helper-conflict',
          keys: [prior.from[0] as string, c.key],
          file: f.rel,
          message: `both bring ${f.rel}, in different versions (the diff: a/ is ${prior.from[0]}'s, b/ is ${c.key}'s). A project holds one version of a file, and the other interaction was never verified with it: make the two the same file, or give each its own name, and verify them again`,
          diff: unifiedDiff(f.rel, prior.content, f.content),
        });
      }
    }
  }
  if (problems.length) throw new AssemblyRefused(opts.integrationId, problems);

  const files: PlannedFile[] = [];
  for (const [rel, { content, from }] of wanted) {
    const existing = await read(path.join(opts.projectDir, ...rel.split('/')));
    const status: FileStatus = existing === undefined ? 'new' : existing === content ? 'same' : 'conflict';
    files.push({ rel, content, from, existing, status, ...(status === 'conflict' ? { diff: unifiedDiff(rel, existing as string, content) } : {}) });
  }
  if (included.length) {
    const imports = included.map(
      (c) => `import './${scriptRelativePath({ integrationId: c.integrationId, id: c.interactionId, kind: c.kind }).replace(/\.ts$/, '.js')}';`,
    );
    const existingIndex = await read(path.join(opts.projectDir, 'index.ts'));
    const merged = mergeIndex(existingIndex, imports);
    // index.ts is merged, never a conflict: our lines are added to the user's.
    files.push({
      rel: 'index.ts',
      content: merged,
      existing: existingIndex,
      status: existingIndex === merged ? 'same' : 'new',
      from: included.map((c) => c.key),
    });
    // A project that does not exist yet gets the scaffold's files (never replacing the user's own).
    for (const rel of PROJECT_SKELETON) {
      if ((await read(path.join(opts.projectDir, ...rel.split('/')))) !== undefined) continue;
      const source = await read(path.join((included[0] as AssemblyCandidate).folder, ...rel.split('/')));
      if (source === undefined) continue;
      const content = rel === 'package.json' ? projectPackageJson(source, opts.projectDir) : source;
      files.push({ rel, content, status: 'new', from: [] });
    }
  }
  return { projectDir: opts.projectDir, integrationId: opts.integrationId, included, refused, files };
}

function projectPackageJson(source: string, projectDir: string): string {
  try {
    const pkg = JSON.parse(source) as Record<string, unknown>;
    pkg.name = path
      .basename(projectDir)
      .toLowerCase()
      .replace(/[^a-z0-9-]+/g, '-');
    pkg.description = 'Nango integrations, assembled by Integration Builder from verified interactions.';
    return JSON.stringify(pkg, null, 2) + '\n';
  } catch {
    return source;
  }
}

export class AssemblyCancelled extends Error {
  constructor() {
    super('assembly cancelled: nothing was written');
  }
}

export interface ApplyOptions {
  /** Overwrite every conflicting file. */
  readonly force?: boolean;
  /** Overwrite this conflicting file (the user said so after seeing its diff). */
  readonly overwrite?: (file: PlannedFile) => boolean;
  /** Run the toolchain's compile on the project afterwards (default true). */
  readonly compile?: boolean;
  readonly timeoutMs?: number;
  /** Cancels before anything is moved into the project (nothing written), or stops the compile. */
  readonly signal?: AbortSignal;
  readonly onStep?: (step: 'staging' | 'writing' | 'compiling') => void;
  readonly now?: () => Date;
  /** Toolchain binaries to use instead of the ones found above the project. */
  readonly bins?: ToolBins;
}

/** The first directory `mkdir -p` would create for `dir`, undefined when it exists. */
async function firstMissingDir(dir: string): Promise<string | undefined> {
  let missing: string | undefined;
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    if (
      await fs.stat(d).then(
        () => true,
        () => false,
      )
    )
      return missing;
    missing = d;
    if (path.dirname(d) === d) return missing;
  }
}

/** Removes `dir` and the folders under it that hold no file; never removes a file. */
async function removeEmptyDirs(dir: string): Promise<void> {
  const entries = await fs.readdir(dir, { withFileTypes: true }).catch(() => undefined);
  if (!entries) return;
  for (const e of entries) if (e.isDirectory()) await removeEmptyDirs(path.join(dir, e.name));
  await fs.rmdir(dir).catch(() => undefined);
}

/**
 * Writes the plan: new files, and conflicts only when `overwrite` says so for that file (or `force`).
 * Staged in a sibling folder first; moved into place at the end; a failed move puts everything back
 * (files restored, files and folders it created removed). A file that changed in the project since the
 * plan was made (the user edited it while looking at a diff) stops the assembly before anything moves.
 */
export async function applyAssembly(plan: AssemblyPlan, opts: ApplyOptions = {}): Promise<AssemblyReport> {
  const toWrite = plan.files.filter((f) => f.status === 'new' || (f.status === 'conflict' && (opts.force || opts.overwrite?.(f))));
  const skipped = plan.files.filter((f) => f.status === 'conflict' && !toWrite.includes(f)).map((f) => f.rel);
  const cancelled = () => opts.signal?.aborted === true;
  if (cancelled()) throw new AssemblyCancelled();
  // The project may have changed since the plan (a nango.yaml added, the CLI removed): asked again, still before any write.
  if (plan.included.length) {
    const now = await projectProblems(plan.projectDir, { toolchain: opts.compile !== false, bins: opts.bins });
    if (now.length)
      throw new AssemblyRefused(
        plan.integrationId,
        now.map((p) => ({ kind: p.kind, message: p.message, keys: [] })),
      );
  }
  opts.onStep?.('staging');
  const createdProjectDir = await firstMissingDir(plan.projectDir);
  await fs.mkdir(plan.projectDir, { recursive: true });
  const stage = await fs.mkdtemp(path.join(path.dirname(path.resolve(plan.projectDir)), `.${path.basename(plan.projectDir)}.assemble-`));
  const moved: { target: string; backup?: string }[] = [];
  const createdDirs: string[] = [];
  try {
    for (const f of toWrite) {
      const staged = path.join(stage, 'new', ...f.rel.split('/'));
      await fs.mkdir(path.dirname(staged), { recursive: true });
      await fs.writeFile(staged, f.content);
    }
    // What the plan saw must still be there: never replace a file nobody looked at.
    for (const f of plan.files) {
      const now = await read(path.join(plan.projectDir, ...f.rel.split('/')));
      if (now !== f.existing) throw new Error(`${f.rel} changed in the project while assembling; run Assemble again to see its current content`);
    }
    if (cancelled()) throw new AssemblyCancelled();
    opts.onStep?.('writing');
    for (const f of toWrite) {
      const target = path.join(plan.projectDir, ...f.rel.split('/'));
      const created = await firstMissingDir(path.dirname(target));
      if (created) createdDirs.push(created);
      await fs.mkdir(path.dirname(target), { recursive: true });
      let backup: string | undefined;
      if (f.existing !== undefined) {
        backup = path.join(stage, 'old', ...f.rel.split('/'));
        await fs.mkdir(path.dirname(backup), { recursive: true });
        await fs.copyFile(target, backup);
      }
      await fs.rename(path.join(stage, 'new', ...f.rel.split('/')), target);
      moved.push({ target, backup });
    }
  } catch (err) {
    for (const m of moved.reverse()) {
      if (m.backup) await fs.copyFile(m.backup, m.target).catch(() => undefined);
      else await fs.rm(m.target, { force: true }).catch(() => undefined);
    }
    await fs.rm(stage, { recursive: true, force: true });
    // Folders this assembly created, and the project folder if it did not exist: removed when empty.
    for (const d of [...createdDirs.reverse(), ...(createdProjectDir ? [createdProjectDir] : [])]) await removeEmptyDirs(d);
    if (err instanceof AssemblyCancelled) throw err;
    throw new Error(`assembling ${plan.integrationId} failed, the project was left as it was: ${(err as Error).message}`);
  }
  await fs.rm(stage, { recursive: true, force: true });
  let compile: CompileOutcome = { ran: false, ok: true, findings: [], detail: 'not compiled' };
  if (opts.compile !== false && plan.included.length) {
    opts.onStep?.('compiling');
    compile = await nangoCompile(
      plan.projectDir,
      { timeoutMs: opts.timeoutMs ?? 180_000, signal: opts.signal, bins: opts.bins },
      plan.integrationId,
      plan.projectDir,
    );
    if (cancelled()) compile = { ran: false, ok: false, findings: [], detail: 'compile cancelled: the files were written, the project was not compiled' };
  }
  return {
    version: 1,
    integrationId: plan.integrationId,
    projectDir: plan.projectDir,
    at: (opts.now?.() ?? new Date()).toISOString(),
    interactions: plan.included.map((c) => ({
      key: c.key,
      attempt: c.attempt,
      verdict: c.verdict ?? 'unverified',
      ...(c.acceptance?.accepted ? { accepted: { by: c.acceptance.by, at: c.acceptance.at } } : {}),
      costUsd: c.costUsd,
      files: plan.files.filter((f) => f.rel !== 'index.ts' && f.from.includes(c.key)).map((f) => f.rel),
    })),
    refused: [...plan.refused],
    written: toWrite.map((f) => f.rel),
    unchanged: plan.files.filter((f) => f.status === 'same').map((f) => f.rel),
    skipped,
    compile: { ok: compile.ok, findings: compile.findings, detail: compile.detail },
  };
}

export function renderAssemblyReport(r: AssemblyReport): string {
  const out = [
    `# Assembly of ${r.integrationId}`,
    '',
    `Project: \`${r.projectDir}\` · ${r.at}`,
    '',
    '| Interaction | Attempt | Verification | Accepted | Cost |',
    '|---|--:|---|---|--:|',
  ];
  for (const i of r.interactions)
    out.push(`| ${i.key} | ${i.attempt} | ${i.verdict} | ${i.accepted ? `${i.accepted.by}, ${i.accepted.at}` : 'no'} | $${i.costUsd.toFixed(4)} |`);
  if (r.refused.length) out.push('', '## Left out', '', ...r.refused.map((x) => `- ${x.key}: ${x.reason}`));
  out.push('', `Written: ${r.written.length} file(s); unchanged: ${r.unchanged.length}; kept as they were (conflicts not overwritten): ${r.skipped.length}`);
  for (const f of r.skipped) out.push(`- kept: \`${f}\``);
  out.push('', `## Compile: ${r.compile.ok ? '✓ passed' : '✗ failed'}`);
  if (r.compile.detail && !r.compile.ok) out.push('', r.compile.detail);
  for (const f of r.compile.findings) out.push(`- ${f.location ? `\`${f.location.file}:${f.location.line ?? ''}\` ` : ''}${f.message}`);
  return out.join('\n') + '\n';
}
