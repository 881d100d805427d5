// An interaction is a unit: its script and every file of its folder the script imports, directly or
// through another such file (models, mappers, helpers). Assemble ships the unit whole, and Verify lays it
// into a fresh project to prove it compiles there. Imports are read with the TypeScript compiler's own
// pre-processor (static imports, `import type`, re-exports, `import()`, `require`), not with a regex,
// and resolved as Nango's compile resolves them: node16 ESM, where `./x.js` names the source `./x.ts`.
// The compiler is the project's own (loadTypeScript: not bundled into the extension, whose activation
// and first use it would weigh down by megabytes); without one, nothing is vouched for.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { loadTypeScript } from '../toolchain/typescript';

export interface UnitFile {
  /** Relative to the interaction folder (and to the project it is assembled into), posix. */
  readonly rel: string;
  readonly content: string;
}

export type UnitProblemKind = 'script-missing' | 'import-outside' | 'import-missing' | 'import-reserved' | 'link-outside' | 'toolchain-missing';

export interface UnitProblem {
  readonly kind: UnitProblemKind;
  /** One line for people, naming the file and the import. */
  readonly message: string;
  /** The file holding the import (relative to the folder, posix), when there is one. */
  readonly file?: string;
  /** 1-based. */
  readonly line?: number;
  readonly column?: number;
  /** The import as written. */
  readonly specifier?: string;
}

export interface InteractionUnit {
  readonly scriptRel: string;
  /** The script first, then the files it imports (sorted): everything Assemble ships besides tests. */
  readonly files: readonly UnitFile[];
  readonly problems: readonly UnitProblem[];
}

/**
 * Files of the project Assemble writes itself (index.ts is merged, the others kept as the project has
 * them): an interaction's code importing one of them would ship something that is not its own.
 */
export function isProjectFile(rel: string): boolean {
  return rel === 'index.ts' || rel === 'package.json' || rel === 'tsconfig.json' || rel === '.nango' || rel.startsWith('.nango/');
}

/** Where a relative specifier may point, in the order TypeScript's node16 resolution tries them. */
function candidates(target: string): string[] {
  return rawCandidates(target).map((c) => path.posix.normalize(c));
}

function rawCandidates(target: string): string[] {
  const swap = (from: string, to: readonly string[]) => to.map((ext) => target.slice(0, -from.length) + ext);
  if (target.endsWith('.js')) return [...swap('.js', ['.ts', '.tsx', '.d.ts']), target];
  if (target.endsWith('.mjs')) return [...swap('.mjs', ['.mts', '.d.mts']), target];
  if (target.endsWith('.cjs')) return [...swap('.cjs', ['.cts', '.d.cts']), target];
  if (target.endsWith('.jsx')) return [...swap('.jsx', ['.tsx']), target];
  if (/\.(ts|tsx|mts|cts|json)$/.test(target)) return [target];
  // Without an extension (a type-only import, or a folder with an index): as the compiler would look.
  return [target, `${target}.ts`, `${target}.tsx`, `${target}.d.ts`, `${target}/index.ts`, `${target}/index.tsx`, `${target}/index.d.ts`];
}

function lineAndColumn(text: string, pos: number): { line: number; column: number } {
  let line = 1;
  let start = 0;
  for (let i = 0; i < pos && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      start = i + 1;
    }
  }
  return { line, column: pos - start + 1 };
}

/** `abs` inside `root` (both real paths)? */
function inside(root: string, abs: string): boolean {
  const rel = path.relative(root, abs);
  return rel === '' || (!rel.startsWith(`..${path.sep}`) && rel !== '..' && !path.isAbsolute(rel));
}

/**
 * Reads the unit of the interaction whose script is `scriptRel` in `folder`. Never throws on what the
 * folder holds: a missing script, an import that leaves the folder, names no file, or names a project
 * file is a problem with its file and line.
 */
export async function interactionUnit(folder: string, scriptRel: string): Promise<InteractionUnit> {
  const problems: UnitProblem[] = [];
  const realFolder = await fs.realpath(folder).catch(() => undefined);
  if (!realFolder)
    return { scriptRel, files: [], problems: [{ kind: 'script-missing', message: `the interaction folder ${folder} does not exist`, file: scriptRel }] };

  /** The file's content when `rel` is a regular file really inside the folder; 'outside' for a link out. */
  const readInside = async (rel: string): Promise<string | 'outside' | undefined> => {
    const abs = path.join(folder, ...rel.split('/'));
    const st = await fs.stat(abs).catch(() => undefined);
    if (!st?.isFile()) return undefined;
    // A link in the folder to a file elsewhere would ship (and compile) something the agent never wrote here.
    // A path that cannot be resolved cannot be shown to stay inside: it counts as outside (fail closed).
    const real = await fs.realpath(abs).catch(() => undefined);
    if (real === undefined || !inside(realFolder, real)) return 'outside';
    return fs.readFile(abs, 'utf8');
  };

  const ts = loadTypeScript(folder);
  if (!ts)
    return {
      scriptRel,
      files: [],
      problems: [
        {
          kind: 'toolchain-missing',
          message: `TypeScript cannot be loaded from the project above ${folder} (the nango package brings it), so the script's imports cannot be read`,
          file: scriptRel,
        },
      ],
    };
  const files = new Map<string, string>();
  const script = await readInside(scriptRel);
  if (script === undefined)
    return { scriptRel, files: [], problems: [{ kind: 'script-missing', message: `its script ${scriptRel} is missing in ${folder}`, file: scriptRel }] };
  if (script === 'outside')
    return {
      scriptRel,
      files: [],
      problems: [{ kind: 'link-outside', message: `its script ${scriptRel} is a link to a file outside the interaction folder`, file: scriptRel }],
    };
  files.set(scriptRel, script);

  const queue = [scriptRel];
  while (queue.length) {
    const rel = queue.shift() as string;
    const text = files.get(rel) as string;
    if (!/\.(ts|tsx|mts|cts|js|mjs|cjs|jsx)$/.test(rel)) continue; // data (JSON) imports nothing
    const info = ts.preProcessFile(text, true, true);
    const refs = [...info.importedFiles, ...info.referencedFiles];
    for (const ref of refs) {
      const spec = ref.fileName;
      const relative = spec.startsWith('./') || spec.startsWith('../') || spec === '.' || spec === '..';
      if (!relative && !spec.startsWith('/') && !info.referencedFiles.includes(ref)) continue; // a package: the project provides it
      const at = lineAndColumn(text, ref.pos);
      const where = `${rel}:${at.line}`;
      const target = spec.startsWith('/') ? undefined : path.posix.normalize(path.posix.join(path.posix.dirname(rel), spec)).replace(/(.)\/+$/, '$1');
      if (target === undefined || target === '..' || target.startsWith('../')) {
        problems.push({
          kind: 'import-outside',
          file: rel,
          ...at,
          specifier: spec,
          message: `${where} imports ${spec}, which is outside the interaction folder: Assemble ships only the folder's own files, so the project would not have it`,
        });
        continue;
      }
      let found: { rel: string; content: string } | 'outside' | undefined;
      for (const c of candidates(target)) {
        const known = files.get(c);
        const content = known ?? (await readInside(c));
        if (content === undefined) continue;
        found = content === 'outside' ? 'outside' : { rel: c, content };
        break;
      }
      if (found === 'outside') {
        problems.push({
          kind: 'link-outside',
          file: rel,
          ...at,
          specifier: spec,
          message: `${where} imports ${spec}, a link to a file outside the interaction folder`,
        });
      } else if (found === undefined) {
        problems.push({
          kind: 'import-missing',
          file: rel,
          ...at,
          specifier: spec,
          message: `${where} imports ${spec}, but the folder has no such file (looked for ${candidates(target).join(', ')})`,
        });
      } else if (isProjectFile(found.rel)) {
        problems.push({
          kind: 'import-reserved',
          file: rel,
          ...at,
          specifier: spec,
          message: `${where} imports ${spec} (${found.rel}), a file of the project that Assemble merges or keeps as it is; move what it needs into a file of its own`,
        });
      } else if (!files.has(found.rel)) {
        files.set(found.rel, found.content);
        queue.push(found.rel);
      }
    }
  }
  const rest = [...files.keys()].filter((r) => r !== scriptRel).sort();
  return { scriptRel, files: [{ rel: scriptRel, content: script }, ...rest.map((rel) => ({ rel, content: files.get(rel) as string }))], problems };
}
