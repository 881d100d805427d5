// Where interaction folders live: one sibling folder per interaction under the work root.
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
