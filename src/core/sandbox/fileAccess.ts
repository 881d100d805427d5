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
const NO_FILES = new Set([
  'record_fixture',
  'run_tests',
  'report_blocked',
  'todowrite',
  'todoread',
  'webfetch',
  'websearch',
  'skill',
  'question',
  'task',
  'invalid',
]);

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
        if (st?.isSymbolicLink())
          return resolveReal(path.resolve(path.dirname(cur), readlinkSync(cur)) + (rest.length ? path.sep + rest.reverse().join(path.sep) : ''));
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

/**
 * Whether a link in the folder leads out of it, or that cannot be told (a folder too large or unreadable): then no harness tool
 * that runs unconfined (the shared type check, ESLint) may read it — it would read through the link, and
 * what it read could come back in a finding's message (and in the next attempt's prompt).
 */
export function leadsOut(folder: string): boolean {
  let real: string;
  try {
    real = realpathSync(folder);
  } catch {
    return false; // no folder: nothing to read through
  }
  const { links, complete } = escapingLinks(real, real);
  return links.length > 0 || !complete;
}

/**
 * Links under `dir` (inside the folder) whose target leaves the folder; stops after `limit` entries.
 * A folder under it that cannot be read (its mode, say) may hold such a link: it is `unreadable`, and
 * the scan is not `complete` — never read as "no link there".
 */
export function escapingLinks(folderReal: string, dir: string, limit = 20_000): { links: string[]; complete: boolean; unreadable: string[] } {
  const links: string[] = [];
  const unreadable: string[] = [];
  let seen = 0;
  const stack = [dir];
  while (stack.length) {
    const cur = stack.pop() as string;
    let entries;
    try {
      entries = readdirSync(cur, { withFileTypes: true });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      // gone meanwhile, or not a folder (a search of one file): nothing under it to check
      if (code !== 'ENOENT' && code !== 'ENOTDIR') unreadable.push(cur);
      continue;
    }
    for (const e of entries) {
      if (++seen > limit) return { links, complete: false, unreadable };
      const abs = path.join(cur, e.name);
      if (e.isSymbolicLink()) {
        if (relativeTo(folderReal, resolveReal(abs)) === undefined) links.push(abs);
      } else if (e.isDirectory()) stack.push(abs);
    }
  }
  return { links, complete: unreadable.length === 0, unreadable };
}

/** Why a scan for links out was not complete, in a few words. */
export function incompleteScan(folderReal: string, scan: { unreadable: readonly string[] }, what: string): string {
  return scan.unreadable.length
    ? `${scan.unreadable.map((d) => path.relative(folderReal, d) || '.').join(', ')} cannot be read, so ${what} cannot be checked for links that leave the folder`
    : `${what} holds too many files to check for links that leave the folder`;
}

/** A search under `dir` is refused when a link there leads out of the folder, or when that cannot be checked. */
function linksOutRefusal(folderReal: string, dir: string, what: string): AccessDecision | undefined {
  const scan = escapingLinks(folderReal, dir);
  if (!scan.complete) return refuse(incompleteScan(folderReal, scan, what));
  const { links } = scan;
  if (!links.length) return undefined;
  return refuse(
    `${links.map((l) => path.relative(folderReal, l)).join(', ')} ${links.length === 1 ? 'is a link' : 'are links'} out of the interaction folder; remove ${links.length === 1 ? 'it' : 'them'} first`,
  );
}

/** Argument names that set where a call's relative paths start (a shell's working directory, a search's root). */
const BASE_KEYS = /^(cwd|workdir|dir|directory|root)$/i;
/** Free text a call carries (what a file gets, a command, a note): never a path by itself. */
const TEXT_KEYS =
  /^(content|contents|oldString|newString|old_string|new_string|command|description|prompt|text|patch|patchText|patch_text|input|todos|query|url|title|subject|message)$/i;
/** Argument names whose value is an apply_patch body. */
const PATCH_KEYS = /^(patch|patchText|patch_text|input)$/;

/** A URL (`https://…`, `file:///…` is a path and is not one of them). */
export const isUrl = (s: string): boolean => /^[a-z][\w+.-]*:\/\//i.test(s) && !/^file:/i.test(s);

/**
 * A string spelled as a path that can leave wherever it starts: absolute, in the home folder (`~`), or
 * climbing with `..`. One word (no white space), not a URL. Plain relative names stay where they start.
 */
export function climbsOrAbsolute(s: string): boolean {
  if (!s || /\s/.test(s) || isUrl(s)) return false;
  return /^(\/|~\/|~$|\.\.\/|\.\.$)/.test(s) || s.includes('/../') || s.endsWith('/..');
}

/** The arguments of a tool call that can name a file, sorted by how they name it. */
export interface ToolArgPaths {
  /** Arguments that hold a path by their name (`filePath`, `path`, `cwd`, `workdir`, …), and a patch's targets. */
  readonly paths: string[];
  /** Patterns of paths (`pattern`, `include`, `exclude`, `glob`, `ignore`; not a content search's `pattern`). */
  readonly globs: string[];
  /** Where the call's patterns (and a shell's relative paths) start: its `cwd`-style option, or a search's `path`; undefined: the session's directory. */
  readonly base?: string;
  /** Any other string argument spelled as a path that leaves where it starts (absolute, `~`, `..`): see climbsOrAbsolute. */
  readonly loose: string[];
}

/**
 * Every argument of a tool call that can name a file: keys by name, patterns of paths, patch targets and
 * nested objects (multiedit's edits). A content search's `pattern` (grep) is a regular expression, not
 * a path. Tools that name no file (our own, the web) give none. Shared by the live check (checkToolAccess)
 * and Verify's confinement check, which reads the same arguments from the transcript.
 */
export function toolArgPaths(tool: string, args: Record<string, unknown>): ToolArgPaths {
  const paths: string[] = [];
  const globs: string[] = [];
  const loose: string[] = [];
  let base: string | undefined;
  let searchRoot: string | undefined;
  if (NO_FILES.has(tool)) return { paths, globs, loose };
  const visit = (key: string, value: unknown) => {
    if (typeof value === 'string') {
      const contentPattern = key === 'pattern' && CONTENT_PATTERN.has(tool);
      if (PATH_KEYS.test(key)) {
        paths.push(value);
        if (BASE_KEYS.test(key) && base === undefined && value.trim()) base = value;
        if (key === 'path' && SEARCHING.has(tool) && searchRoot === undefined && value.trim()) searchRoot = value;
      } else if (GLOB_KEYS.test(key) && !contentPattern) globs.push(value);
      else if (PATCH_KEYS.test(key) && /^\*\*\* (Begin Patch|Add File|Update File|Delete File)/m.test(value)) paths.push(...patchTargets(value));
      else if (!contentPattern && !TEXT_KEYS.test(key) && climbsOrAbsolute(value.trim())) loose.push(value.trim());
    } else if (Array.isArray(value)) for (const v of value) visit(key, v);
    else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value as Record<string, unknown>)) visit(k, v);
  };
  for (const [k, v] of Object.entries(args)) visit(k, v);
  const start = base ?? searchRoot;
  return start === undefined ? { paths, globs, loose } : { paths, globs, base: start, loose };
}

/** Expands `{a,b}` alternatives of a pattern (not nested more than the limit allows). */
function braceAlternatives(pattern: string, limit = 64): string[] {
  const m = /\{([^{}]*,[^{}]*)\}/.exec(pattern);
  if (!m) return [pattern];
  const out: string[] = [];
  for (const alt of (m[1] as string).split(',')) {
    for (const p of braceAlternatives(pattern.slice(0, m.index) + alt + pattern.slice(m.index + m[0].length), limit)) {
      if (out.length >= limit) return out;
      out.push(p);
    }
  }
  return out;
}

/**
 * The highest folder a pattern of paths can reach, as a path (posix, relative to where the pattern
 * starts, or absolute): its fixed prefix, climbed further by any `..` after a wildcard, taken at the
 * worst case (`**` matches no folder at all): `../../**` reaches `../..`, `src/x/../a` stays in `src`,
 * and a `..` after a wildcard part climbs back from it. One reach for each `{a,b}` alternative.
 */
export function globReach(pattern: string): string[] {
  return [...new Set(braceAlternatives(pattern.split(path.sep).join('/')).map(reachOne))];
}

function reachOne(pattern: string): string {
  const absolute = pattern.startsWith('/');
  const fixed: string[] = [];
  let depth = 0; // folders below the fixed prefix a wildcard part went down (at least)
  let wild = false;
  for (const seg of pattern.split('/')) {
    if (!seg || seg === '.') continue;
    if (/[*?[\]]/.test(seg)) {
      wild = true;
      if (seg !== '**') depth += 1;
      continue;
    }
    if (!wild) {
      fixed.push(seg);
      continue;
    }
    if (seg === '..') {
      if (depth > 0) depth -= 1;
      else fixed.push('..');
    } else depth += 1;
  }
  return path.posix.normalize((absolute ? '/' : '') + (fixed.length ? fixed.join('/') : absolute ? '' : '.'));
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
  const { paths, globs } = toolArgPaths(tool, args);
  try {
    for (const p of paths) {
      if (!p.trim()) continue;
      const real = resolveReal(path.resolve(scope.folder, p));
      const rel = relativeTo(folderReal, real);
      if (rel === undefined) return refuse(`${p} is outside the interaction folder (it resolves to ${real}); only files in ${scope.folder} are reachable`);
      if (WRITING.has(tool) && isProtected(rel, scope.integrationId, scope.scriptRel))
        return refuse(`${rel} is written by the harness only (fixtures, generated tests and scaffold files); record with record_fixture, test with run_tests`);
      if (SEARCHING.has(tool)) {
        const refused = linksOutRefusal(folderReal, real, p);
        if (refused) return refused;
      }
    }
    for (const g of globs) {
      if (!g.trim()) continue;
      const posix = g.split(path.sep).join('/');
      if (path.posix.isAbsolute(posix) || posix.startsWith('~') || posix.split('/').includes('..'))
        return refuse(`the pattern ${g} reaches outside the interaction folder`);
    }
    if (SEARCHING.has(tool) && !paths.length) {
      const refused = linksOutRefusal(folderReal, folderReal, 'the folder');
      if (refused) return refused;
    }
  } catch (err) {
    return refuse(`a path of this call cannot be checked (${(err as Error).message})`);
  }
  return OK;
}
