// Can Assemble write into this project and compile it? Asked before anything is written: a project the
// Nango CLI will not compile (a nango.yaml project, no CLI to run, a package.json it cannot read) would
// otherwise be left holding files that were never checked there.
import { existsSync, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { findBin, type ToolBins } from '../toolchain/tools';

export type ProjectProblemKind = 'not-a-folder' | 'nango-yaml' | 'bad-layout' | 'package-json' | 'toolchain-missing';

export interface ProjectProblem {
  readonly kind: ProjectProblemKind;
  readonly message: string;
}

/** The first `node_modules/<name>/package.json` in `dir` or above it. */
function findPackage(dir: string, name: string): string | undefined {
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    const candidate = path.join(d, 'node_modules', ...name.split('/'), 'package.json');
    if (existsSync(candidate)) return candidate;
    if (path.dirname(d) === d) return undefined;
  }
}

/** Absent only when it does not exist: anything that cannot be looked at is 'other' (and refused). */
const kindOf = async (p: string): Promise<'file' | 'folder' | 'other' | undefined> => {
  const st = await fs.stat(p).catch((err: NodeJS.ErrnoException) => (err.code === 'ENOENT' || err.code === 'ENOTDIR' ? undefined : ('other' as const)));
  return st === undefined || st === 'other' ? st : st.isDirectory() ? 'folder' : st.isFile() ? 'file' : 'other';
};

/**
 * Why `projectDir` cannot take an assembly, or [] when it can. A folder that does not exist yet is fine
 * (Assemble creates the project). With `toolchain`, the Nango CLI and zod must be installed in the
 * project or above it, as `nango compile` needs them.
 */
export async function projectProblems(projectDir: string, opts: { toolchain: boolean; bins?: ToolBins }): Promise<ProjectProblem[]> {
  const out: ProjectProblem[] = [];
  const self = await kindOf(projectDir);
  if (self !== undefined && self !== 'folder') {
    out.push({ kind: 'not-a-folder', message: `${projectDir} is not a folder: set the Nango project to a folder (a new one is created)` });
    return out;
  }
  if (self === 'folder') {
    if ((await kindOf(path.join(projectDir, 'nango.yaml'))) !== undefined) {
      out.push({
        kind: 'nango-yaml',
        message: `${projectDir} is a nango.yaml project: Assemble writes zero-yaml scripts (createAction/createSync, listed in index.ts) and the Nango CLI does not compile them next to a nango.yaml. Migrate the project first (\`nango migrate-to-zero-yaml\`, https://nango.dev/docs/guides/platform/migrations/migrate-to-zero-yaml) or assemble into another folder`,
      });
    }
    const nangoDir = await kindOf(path.join(projectDir, '.nango'));
    if (nangoDir !== undefined && nangoDir !== 'folder')
      out.push({ kind: 'bad-layout', message: `${path.join(projectDir, '.nango')} is not a folder: the Nango CLI keeps its build state there` });
    const index = await kindOf(path.join(projectDir, 'index.ts'));
    if (index !== undefined && index !== 'file')
      out.push({ kind: 'bad-layout', message: `${path.join(projectDir, 'index.ts')} is not a file: it lists the project's scripts` });
    const pkgFile = path.join(projectDir, 'package.json');
    // No package.json is fine; one that cannot be read is not (fail closed).
    let pkg: string | undefined;
    try {
      pkg = await fs.readFile(pkgFile, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
        out.push({ kind: 'package-json', message: `${pkgFile} cannot be read (${(err as Error).message}): \`nango compile\` reads it first` });
    }
    if (pkg !== undefined) {
      try {
        JSON.parse(pkg);
      } catch (err) {
        out.push({ kind: 'package-json', message: `${pkgFile} is not JSON (${(err as Error).message}): \`nango compile\` reads it first and stops there` });
      }
    }
  }
  if (opts.toolchain) {
    if (!findBin(projectDir, 'nango', opts.bins)) {
      out.push({
        kind: 'toolchain-missing',
        message: `the Nango CLI is not installed in ${projectDir} or above it (node_modules/.bin/nango): Assemble compiles the project after writing, so install \`nango\` and \`zod\` there first`,
      });
    } else if (!findPackage(projectDir, 'zod')) {
      out.push({
        kind: 'toolchain-missing',
        message: `zod is not installed in ${projectDir} or above it (node_modules/zod): every script imports it, so the project cannot compile; install it there first`,
      });
    }
  }
  return out;
}
