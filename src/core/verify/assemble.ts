// The assemble check: verified must mean "assembles". The interaction's files are laid into a fresh
// project exactly as Assemble would write them (Assemble's own plan and writer, into a folder that does
// not exist yet) and that project is compiled the way Verify compiles the folder itself: `nango compile`
// for one interaction, one shared type check when Verify all checks many. A script that compiles in its
// folder only thanks to a file it never imports through the unit, a file outside the folder, or a link
// out of it, fails here.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { applyAssembly, AssemblyRefused, interactionUnit, planAssembly, type AssemblyProblem } from '../assemble';
import { nangoCompile, sharedTypecheck, type CompileOutcome } from '../toolchain/compile';
import type { ToolRunOptions } from '../toolchain/tools';
import type { Finding, VerifyTarget } from './types';

export interface AssembleOutcome {
  /** False when the check could not run (no toolchain, the layout could not be written). */
  readonly ran: boolean;
  readonly findings: Finding[];
  readonly detail?: string;
}

/** A laid-out copy: the fresh project, or why there is none (findings, or an error the check reports). */
interface Layout {
  readonly dir: string;
  readonly project?: string;
  readonly outcome?: AssembleOutcome;
}

const RULE: Record<AssemblyProblem['kind'], string> = {
  'script-missing': 'assemble.script-missing',
  'import-outside': 'assemble.import-outside-folder',
  'import-missing': 'assemble.import-missing',
  'import-reserved': 'assemble.import-project-file',
  'link-outside': 'assemble.link-outside-folder',
  'helper-conflict': 'assemble.helper-conflict',
  'not-a-folder': 'assemble.could-not-lay-out',
  'nango-yaml': 'assemble.could-not-lay-out',
  'bad-layout': 'assemble.could-not-lay-out',
  'package-json': 'assemble.could-not-lay-out',
  'toolchain-missing': 'toolchain.missing',
};

function problemFindings(problems: readonly AssemblyProblem[]): Finding[] {
  return problems.map((p) => ({
    check: 'assemble',
    rule: RULE[p.kind],
    severity: 'error',
    message: p.kind === 'toolchain-missing' ? p.message : `Assemble could not ship this interaction: ${p.message}`,
    ...(p.file ? { location: { file: p.file, ...(p.line ? { line: p.line } : {}) } } : {}),
  }));
}

/** Lays the interaction into `<scratch>/assemble-…/project` as Assemble would; never throws. */
async function layOut(target: VerifyTarget, scratchDir: string, tool: ToolRunOptions): Promise<Layout> {
  await fs.mkdir(scratchDir, { recursive: true });
  const dir = await fs.mkdtemp(path.join(scratchDir, 'assemble-'));
  const project = path.join(dir, 'project');
  try {
    const candidate = {
      key: target.key,
      integrationId: target.integrationId,
      interactionId: target.interactionId,
      kind: target.kind,
      folder: target.folder,
      attempt: target.run?.attempt ?? 1,
      costUsd: 0,
    };
    const plan = await planAssembly({
      projectDir: project,
      integrationId: target.integrationId,
      candidates: [candidate],
      includeUnverified: true,
      bins: tool.bins,
    });
    await applyAssembly(plan, { compile: false, bins: tool.bins });
    return { dir, project };
  } catch (err) {
    if (err instanceof AssemblyRefused) {
      const findings = problemFindings(err.problems);
      const toolchain = err.problems.every((p) => p.kind === 'toolchain-missing');
      return { dir, outcome: { ran: !toolchain, findings, detail: toolchain ? findings[0]?.message : undefined } };
    }
    return { dir, outcome: { ran: false, findings: [], detail: `the interaction could not be laid out as Assemble would: ${(err as Error).message}` } };
  }
}

/** Compile findings of the laid-out project, as this check's own (the files are at the same paths as in the folder). */
function fromCompile(r: CompileOutcome): AssembleOutcome {
  const findings = r.findings.map((f): Finding =>
    f.rule === 'toolchain.missing'
      ? { ...f, check: 'assemble' }
      : { ...f, check: 'assemble', rule: f.rule.replace(/^compile\./, 'assemble.compile-'), message: `as assembled into a fresh project: ${f.message}` },
  );
  return { ran: r.ran, findings, detail: r.detail };
}

/** The assemble check of one interaction, compiled with `nango compile`; its copy is removed afterwards. */
export async function assembleFindings(target: VerifyTarget, scratchDir: string, tool: ToolRunOptions): Promise<AssembleOutcome> {
  const layout = await layOut(target, scratchDir, tool);
  try {
    if (layout.outcome) return layout.outcome;
    return fromCompile(await nangoCompile(layout.project as string, tool, target.integrationId));
  } finally {
    await fs.rm(layout.dir, { recursive: true, force: true });
  }
}

/**
 * The assemble check of many interactions at once: each laid out on its own, all type-checked in one
 * compiler process (as Verify all compiles the folders). Keyed by interaction folder.
 */
export async function sharedAssembleFindings(
  targets: readonly VerifyTarget[],
  scratchDir: string,
  tool: ToolRunOptions,
): Promise<Map<string, AssembleOutcome>> {
  const out = new Map<string, AssembleOutcome>();
  const layouts = new Map<string, Layout>();
  try {
    for (const t of targets) layouts.set(t.folder, await layOut(t, scratchDir, tool));
    const projects = [...layouts.values()].filter((l) => !l.outcome).map((l) => l.project as string);
    const compiled = await sharedTypecheck(projects, scratchDir, tool);
    for (const [folder, l] of layouts) {
      const r = l.project === undefined ? undefined : compiled.get(l.project);
      out.set(folder, l.outcome ?? (r ? fromCompile(r) : { ran: false, findings: [], detail: 'the shared type check did not report on this interaction' }));
    }
    return out;
  } finally {
    for (const l of layouts.values()) await fs.rm(l.dir, { recursive: true, force: true });
  }
}

/**
 * When the folder itself does not compile, its copy would fail the same way (and say it twice): only
 * what the folder's own compile cannot see is checked — imports that leave the folder, link out of it
 * or name a project file. A missing import is the compile's finding already.
 */
export async function unitOnlyFindings(target: VerifyTarget, scriptRel: string): Promise<Finding[]> {
  const unit = await interactionUnit(target.folder, scriptRel);
  const problems = unit.problems.filter((p) => p.kind !== 'import-missing' && p.kind !== 'script-missing');
  return problemFindings(problems.map((p) => ({ kind: p.kind, message: p.message, keys: [target.key], file: p.file, line: p.line })));
}

/**
 * Packages of the folder's own (`node_modules/<name>` inside the interaction folder): the script's
 * imports resolve to them before the project's — in the compile, the tests and the recorder — so what
 * Verify would judge is the agent's package (a `nango` or `zod` of its own), and Assemble does not ship
 * it. Tool caches there (`node_modules/.vite`, `.cache`…) are no package. Unreadable is a finding.
 */
export async function ownPackageFindings(folder: string): Promise<Finding[]> {
  const dir = path.join(folder, 'node_modules');
  const finding = (message: string): Finding => ({
    check: 'compile',
    rule: 'compile.own-packages',
    severity: 'error',
    message,
    location: { file: 'node_modules' },
  });
  let st;
  try {
    st = await fs.lstat(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    return [finding(`node_modules in the folder cannot be read (${(err as Error).message}), so what the script's imports resolve to is unknown`)];
  }
  if (!st.isDirectory()) return [finding('node_modules in the folder is not a folder (a link or a file): the script must use the project’s packages')];
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch (err) {
    return [finding(`node_modules in the folder cannot be read (${(err as Error).message}), so what the script's imports resolve to is unknown`)];
  }
  const packages: string[] = [];
  for (const n of names.filter((n) => !n.startsWith('.'))) {
    if (!n.startsWith('@')) packages.push(n);
    else {
      // a scope: its packages, or the scope itself when it cannot be read (still a package of the folder's)
      let scoped: string[];
      try {
        scoped = (await fs.readdir(path.join(dir, n))).map((m) => `${n}/${m}`);
      } catch (err) {
        scoped = [`${n} (unreadable: ${(err as NodeJS.ErrnoException).code ?? 'error'})`];
      }
      packages.push(...(scoped.length ? scoped : [n]));
    }
  }
  if (!packages.length) return [];
  return [
    finding(
      `the folder has packages of its own (node_modules/${packages.slice(0, 5).join(', node_modules/')}${packages.length > 5 ? ', …' : ''}): the script's imports resolve to them before the project's, so Verify would judge those and Assemble does not ship them — use the project's packages`,
    ),
  ];
}
