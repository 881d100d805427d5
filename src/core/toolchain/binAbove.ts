// Where a tool is installed: the first `node_modules/.bin/<name>` in a folder or above it, as npm puts
// a project's tools. The harness asks from the project above an interaction folder, never the folder.
import { existsSync } from 'node:fs';
import * as path from 'node:path';

export function binAbove(dir: string, name: string): string | undefined {
  let at = path.resolve(dir);
  for (;;) {
    const candidate = path.join(at, 'node_modules', '.bin', name);
    if (existsSync(candidate)) return candidate;
    const parent = path.dirname(at);
    if (parent === at) return undefined;
    at = parent;
  }
}
