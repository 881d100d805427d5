// Where interaction folders live: one sibling folder per interaction under the work root.
import { SETTINGS } from '../settings';
import { constants as fsConstants, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { MAX_ID_LENGTH } from '../spec/schema';
import { keepWorkRootOutOfGit, type WorkRootIgnores } from './workRootIgnores';

export const DEFAULT_WORK_ROOT = SETTINGS.workRoot.default;

/** Resolves the work root setting against the workspace folder (absolute settings are kept). */
export function resolveWorkRoot(workspaceFolder: string, setting: string | undefined): string {
  const value = setting && setting.trim() ? setting.trim() : DEFAULT_WORK_ROOT;
  return path.resolve(workspaceFolder, value);
}

/**
 * Throws unless `id` is one safe path segment: not empty, not `.` or `..`, no separator, drive colon or
 * NUL, and no longer than an id may be. The spec's rules are stricter and reported where the id is
 * written; this is the last line for an id that reaches a path anyway (an entry with errors is still
 * listed), so that no id can ever name a folder outside the work root.
 */
export function assertSafeSegment(id: string, what: string, remedy = 'fix it in the spec'): void {
  const why =
    id === ''
      ? 'is empty'
      : id === '.' || id === '..'
        ? 'is a relative folder name'
        : /[/\\:\0]/.test(id)
          ? 'holds a path character'
          : id.length > MAX_ID_LENGTH
            ? `is longer than ${MAX_ID_LENGTH} characters`
            : undefined;
  if (why) throw new Error(`${what} ${JSON.stringify(id)} ${why}, so it cannot name a folder or file; ${remedy}`);
}

/** `<workRoot>/<integration>/<interaction>`; each id must be one safe path segment (see assertSafeSegment). */
export function interactionFolder(workRoot: string, integrationId: string, interactionId: string): string {
  assertSafeSegment(integrationId, 'integration id');
  assertSafeSegment(interactionId, 'interaction id');
  return path.join(workRoot, integrationId, interactionId);
}

/**
 * Creates the work root, kept out of the user's git status (agents' folders and run records never end
 * up in a commit by accident) without hiding anything in it from the agents' own search tools: see
 * workRootIgnores.ts for how, and why not a `.gitignore`.
 */
export async function ensureWorkRoot(workRoot: string): Promise<WorkRootIgnores> {
  await fs.mkdir(workRoot, { recursive: true });
  return keepWorkRootOutOfGit(workRoot);
}

/** Folders of the kernel's, never a place for work folders: reading some of them blocks for ever. */
export const SYSTEM_TREES: readonly string[] = ['/proc', '/sys', '/dev'];

function isInside(parent: string, child: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

function systemTree(abs: string): string | undefined {
  return process.platform === 'win32' ? undefined : SYSTEM_TREES.find((t) => isInside(t, abs));
}

export interface WorkRootCheckOptions {
  /** The folder of the project (the spec's folder, the workspace folder): the work root may not be it or hold it. */
  readonly projectDir: string;
  /** The command will write there: the nearest folder that exists must be writable. */
  readonly write?: boolean;
}

/**
 * Why `workRoot` cannot be the work root, in one sentence, or undefined when it can. Reads only (nothing
 * is created), and nothing under /proc, /sys or /dev is ever touched. Refused: the project itself or a
 * folder holding it (agents' folders and run records would sit among the user's files); a folder inside
 * another work root (`.runs/` above it: its interaction folders, fixtures and records); a path through
 * a file; a folder this user cannot write in (with `write`).
 */
export async function workRootProblem(workRoot: string, options: WorkRootCheckOptions): Promise<string | undefined> {
  const abs = path.resolve(workRoot);
  const named = `the work root ${abs}`;
  const system = systemTree(abs);
  if (system) return `${named} is under ${system}, a system folder: choose a folder of your own`;
  const project = path.resolve(options.projectDir);
  if (isInside(abs, project)) {
    return `${named} is ${abs === project ? 'the project folder itself' : `a folder holding the project ${project}`}: interaction folders and run records would be mixed with your files; choose a folder of its own (default ${DEFAULT_WORK_ROOT})`;
  }
  const usual = path.resolve(project, DEFAULT_WORK_ROOT);
  if (abs !== usual && isInside(usual, abs)) {
    return `${named} is inside the project's work root ${usual}, among its interaction folders (and their fixtures): choose a folder outside it`;
  }
  // The nearest folder that exists: every name above the work root must be a folder.
  let existing = abs;
  for (;;) {
    let st;
    try {
      st = await fs.stat(existing);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') {
        const up = path.dirname(existing);
        if (up === existing) return `${named} cannot be created: no folder above it exists`;
        existing = up;
        continue;
      }
      return `${named} cannot be checked: ${existing}: ${(err as Error).message}`;
    }
    if (!st.isDirectory()) {
      return existing === abs ? `${named} is a file, not a folder` : `${named} cannot be created: ${existing} is a file, not a folder`;
    }
    break;
  }
  let real: string;
  try {
    real = path.join(await fs.realpath(existing), path.relative(existing, abs));
  } catch (err) {
    return `${named} cannot be checked: ${existing}: ${(err as Error).message}`;
  }
  const realSystem = systemTree(real);
  if (realSystem) return `${named} is ${real}, under ${realSystem}, a system folder: choose a folder of your own`;
  const realProject = await fs.realpath(project).catch(() => project);
  if (isInside(real, realProject))
    return `${named} is (through a link) ${real === realProject ? 'the project folder itself' : `a folder holding the project ${realProject}`}: choose a folder of its own (default ${DEFAULT_WORK_ROOT})`;
  // Inside another work root: its interaction folders, their fixtures, its run records.
  for (let d = path.dirname(real); ; d = path.dirname(d)) {
    const runs = await fs.stat(path.join(d, '.runs')).catch(() => undefined);
    if (runs?.isDirectory()) {
      return `${named} is inside the work root ${d} (it holds .runs/): a work root inside another one would land in that one's interaction folders, fixtures or run records; choose a folder outside it`;
    }
    if (path.dirname(d) === d) break;
  }
  if (options.write) {
    try {
      await fs.access(existing, fsConstants.W_OK);
    } catch {
      return `${named} cannot be written: ${existing} is not writable for this user`;
    }
  }
  return undefined;
}
