// opencode's own file tools (read, write, edit, glob, grep, list, apply_patch, …) run inside the opencode
// server, not in the shell sandbox, and opencode checks their paths as strings. The harness checks them
// again before they run, on real paths: every argument that can name a file is resolved (symlinks
// followed, `..` applied, relative to the folder or the call's working directory) and must stay inside
// the interaction folder; writes must not touch what only the harness writes; a search must not walk
// through a link that leaves the folder. Anything it cannot decide is refused (fail closed).
import { lstatSync, readdirSync, readlinkSync, realpathSync } from 'node:fs';
import * as path from 'node:path';
import { isProtected, relativeTo } from '../guard/protectedPaths';

export interface AccessScope {
  readonly folder: string;
  readonly integrationId: string;
  /** The agent's own script (`<integration>/actions/<id>.ts`): never protected. */
  readonly scriptRel?: string;
}

export type AccessDecision = { readonly ok: true } | { readonly ok: false; readonly reason: string };

const OK: AccessDecision = { ok: true };
const refuse = (reason: string): AccessDecision => ({ ok: false, reason });

/** Tools that change files (their targets must not be protected). */
const WRITING = new Set(['write', 'edit', 'multiedit', 'apply_patch', 'patch']);
/** Tools that search a tree (a link inside it that leaves the folder would be followed). */
const SEARCHING = new Set(['glob', 'grep', 'list']);
/** Argument names that hold a path. */
const PATH_KEYS = /^(filePath|file_path|path|paths|file|files|dir|directory|cwd|workdir|root|target|destination|source)$/i;
/** Argument names that hold a glob or pattern of paths. */
const GLOB_KEYS = /^(pattern|include|exclude|glob|ignore)$/i;
/** Tools whose `pattern` is a regular expression over contents, not a path. */
const CONTENT_PATTERN = new Set(['grep']);
/** Our own tools and tools that name no file. */
const NO_FILES = new Set(['record_fixture', 'run_tests', 'report_blocked', 'todowrite', 'todoread', 'webfetch', 'websearch', 'skill', 'question', 'task', 'invalid']);

/** The real path of `p`, also when it (or its tail) does not exist yet: the deepest existing ancestor is resolved. */
export function resolveReal(p: string): string {
  const abs = path.resolve(p);
  const rest: string[] = [];
  let cur = abs;
  for (;;) {
    try {
      const real = realpathSync(cur);
      return rest.length ? path.join(real, ...rest.reverse()) : real;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      // A dangling link: where it points is what a write would create.
      if (code === 'ENOENT') {
        let st;
        try {
          st = lstatSync(cur);
        } catch {
          st = undefined;
        }
        if (st?.isSymbolicLink()) return resolveReal(path.resolve(path.dirname(cur), readlinkSync(cur)) + (rest.length ? path.sep + rest.reverse().join(path.sep) : ''));
      } else if (code !== 'ENOTDIR') throw err;
      const parent = path.dirname(cur);
      if (parent === cur) return abs;
      rest.push(path.basename(cur));
      cur = parent;
    }
  }
}

/** Paths inside an apply_patch body. */
export function patchTargets(patch: string): string[] {
  const out: string[] = [];
  for (const m of patch.matchAll(/^\*\*\* (?:Add|Update|Delete) File: (.+)$|^\*\*\* Move to: (.+)$/gm)) out.push((m[1] ?? m[2] ?? '').trim());
  return out.filter(Boolean);
}

/** Links under `dir` (inside the folder) whose target leaves the folder; stops after `limit` entries. */
export function escapingLinks(folderReal: string, dir: string, limit = 20_000): { links: string[]; complete: boolean } {
  const links: string[] = [];
  let seen = 0;
  const stack = [dir];
  while (stack.length) {
    const cur = stack.pop() as string;
    let entries;
    try {
      entries = readdirSync(cur, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const e of entries) {
      if (++seen > limit) return { links, complete: false };
      const abs = path.join(cur, e.name);
      if (e.isSymbolicLink()) {
        if (relativeTo(folderReal, resolveReal(abs)) === undefined) links.push(abs);
      } else if (e.isDirectory()) stack.push(abs);
    }
  }
  return { links, complete: true };
}

/** Every path-like argument of a tool call (keys by name, patterns split into their fixed prefix). */
function namedPaths(tool: string, args: Record<string, unknown>): { paths: string[]; globs: string[] } {
  const paths: string[] = [];
  const globs: string[] = [];
  const visit = (key: string, value: unknown) => {
    if (typeof value === 'string') {
      if (PATH_KEYS.test(key)) paths.push(value);
      else if (GLOB_KEYS.test(key) && !(key === 'pattern' && CONTENT_PATTERN.has(tool))) globs.push(value);
      else if (/^(patch|patchText|patch_text|input)$/.test(key) && /^\*\*\* (Begin Patch|Add File|Update File|Delete File)/m.test(value)) paths.push(...patchTargets(value));
    } else if (Array.isArray(value)) for (const v of value) visit(key, v);
    else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value as Record<string, unknown>)) visit(k, v);
  };
  for (const [k, v] of Object.entries(args)) visit(k, v);
  return { paths, globs };
}

/** Whether a tool call may run. Relative paths start at the folder (the session's directory). */
export function checkToolAccess(tool: string, args: Record<string, unknown>, scope: AccessScope): AccessDecision {
  if (NO_FILES.has(tool)) return OK;
  let folderReal: string;
  try {
    folderReal = realpathSync(scope.folder);
  } catch (err) {
    return refuse(`the interaction folder cannot be resolved (${(err as Error).message})`);
  }
  const { paths, globs } = namedPaths(tool, args);
  try {
    for (const p of paths) {
      if (!p.trim()) continue;
      const real = resolveReal(path.resolve(scope.folder, p));
      const rel = relativeTo(folderReal, real);
      if (rel === undefined) return refuse(`${p} is outside the interaction folder (it resolves to ${real}); only files in ${scope.folder} are reachable`);
      if (WRITING.has(tool) && isProtected(rel, scope.integrationId, scope.scriptRel)) return refuse(`${rel} is written by the harness only (fixtures, generated tests and scaffold files); record with record_fixture, test with run_tests`);
      if (SEARCHING.has(tool)) {
        const { links, complete } = escapingLinks(folderReal, real);
        if (!complete) return refuse(`${p} holds too many files to check for links that leave the folder`);
        if (links.length) return refuse(`${links.map((l) => path.relative(folderReal, l)).join(', ')} ${links.length === 1 ? 'is a link' : 'are links'} out of the interaction folder; remove ${links.length === 1 ? 'it' : 'them'} first`);
      }
    }
    for (const g of globs) {
      if (!g.trim()) continue;
      const posix = g.split(path.sep).join('/');
      if (path.posix.isAbsolute(posix) || posix.startsWith('~') || posix.split('/').includes('..')) return refuse(`the pattern ${g} reaches outside the interaction folder`);
    }
    if (SEARCHING.has(tool) && !paths.length) {
      const { links, complete } = escapingLinks(folderReal, folderReal);
      if (!complete) return refuse('the folder holds too many files to check for links that leave it');
      if (links.length) return refuse(`${links.map((l) => path.relative(folderReal, l)).join(', ')} ${links.length === 1 ? 'is a link' : 'are links'} out of the interaction folder; remove ${links.length === 1 ? 'it' : 'them'} first`);
    }
  } catch (err) {
    return refuse(`a path of this call cannot be checked (${(err as Error).message})`);
  }
  return OK;
}
