// Where interaction folders live: one sibling folder per interaction under the work root.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';

export const DEFAULT_WORK_ROOT = '.integration-builder/work';

/** Resolves the work root setting against the workspace folder (absolute settings are kept). */
export function resolveWorkRoot(workspaceFolder: string, setting: string | undefined): string {
  const value = setting && setting.trim() ? setting.trim() : DEFAULT_WORK_ROOT;
  return path.resolve(workspaceFolder, value);
}

/** `<workRoot>/<integration>/<interaction>`; ids are kebab-case, so they are safe path segments. */
export function interactionFolder(workRoot: string, integrationId: string, interactionId: string): string {
  return path.join(workRoot, integrationId, interactionId);
}

/**
 * Creates the work root with a `.gitignore` that ignores everything in it: agents' folders and run
 * records never end up in the user's commits by accident.
 */
export async function ensureWorkRoot(workRoot: string): Promise<void> {
  await fs.mkdir(workRoot, { recursive: true });
  const ignore = path.join(workRoot, '.gitignore');
  await fs.writeFile(ignore, '# Integration Builder work folders and run records\n*\n', { flag: 'wx' }).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'EEXIST') throw err;
  });
}
