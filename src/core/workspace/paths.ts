// Where interaction folders live: one sibling folder per interaction under the work root.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { MAX_ID_LENGTH } from '../spec/schema';
import { keepWorkRootOutOfGit, type WorkRootIgnores } from './workRootIgnores';

export const DEFAULT_WORK_ROOT = '.integration-builder/work';

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
    id === '' ? 'is empty'
    : id === '.' || id === '..' ? 'is a relative folder name'
    : /[/\\:\0]/.test(id) ? 'holds a path character'
    : id.length > MAX_ID_LENGTH ? `is longer than ${MAX_ID_LENGTH} characters`
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
