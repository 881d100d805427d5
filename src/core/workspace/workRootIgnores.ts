// The work root stays out of the user's git status, and nothing in it is hidden from the agents' own
// search tools. A `.gitignore` holding `*` in the work root did the first and broke the second: opencode's
// grep, glob and list tools run ripgrep, which honours git ignore rules in every folder above the one it
// searches, so an agent searching its own folder found nothing at all. Instead:
// - git: the work root is named in the checkout's own `info/exclude` (never committed, never shared),
//   as one anchored folder pattern. A folder pattern only ever matches that folder, so ripgrep searching
//   from inside it still lists every file, while git, and every search started above it, skips it.
// - ripgrep: a `.ignore` in the work root re-includes everything below it. ripgrep ranks `.ignore` above
//   every git rule, so no rule of the user's (a `.gitignore` with `*.json`, a global `tests/`) can hide an
//   agent's files from it either. git does not read `.ignore`, so this changes nothing in its status.
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';

/** What an older version wrote into the work root; removed when found exactly so (a user's edit is kept). */
export const LEGACY_GITIGNORE = '# Integration Builder work folders and run records\n*\n';

export const WORK_ROOT_IGNORE = [
  "# Integration Builder: nothing in the agents' work folders is hidden from their search tools (ripgrep),",
  '# whatever git ignore rules lie above. git does not read this file; the work root is kept out of git',
  "# status by an entry in the checkout's .git/info/exclude.",
  '!*',
  '',
].join('\n');

export interface GitCheckout {
  /** The working tree's top folder (where `.git` is). */
  readonly top: string;
  /** Where `info/exclude` lives: the repository's common folder (shared by linked worktrees). */
  readonly commonDir: string;
}

/** The git checkout holding `dir`: the nearest `.git` folder or file (worktree, submodule) at or above it. */
export async function findCheckout(dir: string): Promise<GitCheckout | undefined> {
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    const dotGit = path.join(d, '.git');
    const st = await fs.stat(dotGit).catch(() => undefined);
    if (st?.isDirectory()) return { top: d, commonDir: await commonDirOf(dotGit) };
    if (st?.isFile()) {
      const pointer = /^gitdir:\s*(.+?)\s*$/m.exec(await fs.readFile(dotGit, 'utf8').catch(() => ''))?.[1];
      if (pointer) return { top: d, commonDir: await commonDirOf(path.resolve(d, pointer)) };
    }
    if (path.dirname(d) === d) return undefined;
  }
}

/** A linked worktree's git folder names the shared one in `commondir`; `info/exclude` is shared. */
async function commonDirOf(gitDir: string): Promise<string> {
  const common = (await fs.readFile(path.join(gitDir, 'commondir'), 'utf8').catch(() => '')).trim();
  return common ? path.resolve(gitDir, common) : gitDir;
}

/**
 * The `info/exclude` line naming `folder` inside the checkout at `top`: anchored at the top (`/…`), a
 * folder only (`…/`), gitignore's special characters escaped. Undefined when no line can name it: the
 * folder is the checkout itself, or its path holds a line break.
 */
export function excludeLine(top: string, folder: string): string | undefined {
  const rel = path.relative(path.resolve(top), path.resolve(folder));
  if (!rel || rel.startsWith('..') || path.isAbsolute(rel) || /[\r\n]/.test(rel)) return undefined;
  return `/${rel
    .split(path.sep)
    .join('/')
    .replace(/[\\*?[\]]/g, (c) => `\\${c}`)}/`;
}

/**
 * Whether git already ignores the folder (a rule of the user's, or of a folder above it: a test's work
 * root inside an ignored folder); undefined when git cannot say (not installed, a checkout it cannot read).
 */
function gitIgnores(top: string, folder: string): Promise<boolean | undefined> {
  const rel = path.relative(top, folder).split(path.sep).join('/');
  // The checkout found on disk, not one a caller's GIT_DIR points at (as inside a git hook).
  const env = { ...process.env };
  delete env.GIT_DIR;
  delete env.GIT_WORK_TREE;
  return new Promise((resolve) => {
    execFile('git', ['-C', top, 'check-ignore', '-q', '--', `${rel}/`], { timeout: 10_000, env }, (err) => {
      if (!err) resolve(true);
      // Exit 1: not ignored. Anything else (128: not a checkout git reads; ENOENT: no git) says nothing.
      else resolve((err as { code?: unknown }).code === 1 ? false : undefined);
    });
  });
}

export interface WorkRootIgnores {
  /** The `info/exclude` the work root was added to, when it was added now. */
  readonly excludedIn?: string;
  /** Why the work root may still show in git status (nothing was thrown: agents can run regardless). */
  readonly warning?: string;
}

/**
 * Keeps `workRoot` (which exists) out of the git status of the checkout holding it, if any, and makes
 * everything below it visible to ripgrep. Idempotent: a work root git already ignores (our line, or the
 * user's own rule) gets no new line, so repeated runs, and test folders inside an ignored folder, leave
 * `info/exclude` as it is.
 */
export async function keepWorkRootOutOfGit(workRoot: string): Promise<WorkRootIgnores> {
  const legacy = path.join(workRoot, '.gitignore');
  if ((await fs.readFile(legacy, 'utf8').catch(() => undefined)) === LEGACY_GITIGNORE) await fs.rm(legacy, { force: true });
  const ignore = path.join(workRoot, '.ignore');
  // Written when it differs only: file watchers on the workspace need not hear of it at every start.
  if ((await fs.readFile(ignore, 'utf8').catch(() => undefined)) !== WORK_ROOT_IGNORE) await fs.writeFile(ignore, WORK_ROOT_IGNORE);

  const checkout = await findCheckout(workRoot);
  if (!checkout) return {};
  const line = excludeLine(checkout.top, workRoot);
  if (!line)
    return {
      warning: `the work root ${workRoot} cannot be named in ${path.join(checkout.commonDir, 'info', 'exclude')} (it is the checkout itself, or its path holds a line break), so git status may list it`,
    };
  const file = path.join(checkout.commonDir, 'info', 'exclude');
  try {
    const existing = await fs.readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return '';
      throw err;
    });
    if (existing.split(/\r?\n/).some((l) => l.trimEnd() === line)) return {};
    if ((await gitIgnores(checkout.top, workRoot)) === true) return {};
    await fs.mkdir(path.dirname(file), { recursive: true });
    const lead = existing && !existing.endsWith('\n') ? '\n' : '';
    await fs.appendFile(file, `${lead}# Integration Builder: agents' work folders and run records\n${line}\n`);
    return { excludedIn: file };
  } catch (err) {
    return { warning: `could not add the work root to ${file} (${(err as Error).message}), so git status may list it` };
  }
}
