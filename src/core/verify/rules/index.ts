// The code rules on the script an agent left, read as a syntax tree (TypeScript's parser and binder):
// casts, retries, pagination, typed models. Each rule lives in its own module with its own tests.
import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { normalizeRel, relativeTo } from '../../guard/protectedPaths';
import { castFindings } from './casts';
import type { CodeFinding } from './finding';
import { modelFindings } from './models';
import { InteractionModules, type ReadInteractionFile } from './modules';
import { paginationFindings } from './pagination';
import { retriesFindings } from './retries';
import { parseScript } from './script';
import type { TS } from '../../toolchain/typescript';

export type { CodeFinding } from './finding';
export type { ReadInteractionFile } from './modules';
export { loadTypeScript, type TS } from '../../toolchain/typescript';

export interface CodeRulesInput {
  readonly ts: TS;
  /** The script, relative to the interaction folder (posix). */
  readonly file: string;
  readonly source: string;
  /** What the spec says the interaction is; the script's own createAction/createSync wins when it has one. */
  readonly kind: 'action' | 'sync';
  /** Other files of the interaction (models, helpers the script imports). */
  readonly readFile: ReadInteractionFile;
}

export function codeRules(input: CodeRulesInput): CodeFinding[] {
  const s = parseScript(input.ts, input.file, input.source);
  const kind = s.definition?.kind ?? input.kind;
  const modules = new InteractionModules(input.readFile);
  return [...retriesFindings(s), ...(kind === 'sync' ? paginationFindings(s, modules, input.readFile) : []), ...modelFindings(s, modules), ...castFindings(s)];
}

/**
 * Files of the interaction folder as the rules may read them: relative paths inside the folder only,
 * and never through a symlink that leads out of it (a model "imported" from a neighbour is not the
 * interaction's own).
 */
export function folderReader(folder: string): ReadInteractionFile {
  return (rel) => {
    const norm = normalizeRel(rel);
    if (!norm) return undefined;
    const file = path.join(folder, ...norm.split('/'));
    try {
      if (!existsSync(file) || !statSync(file).isFile()) return undefined;
      if (relativeTo(realpathSync(folder), realpathSync(file)) === undefined) return undefined;
      return readFileSync(file, 'utf8');
    } catch {
      return undefined;
    }
  };
}
