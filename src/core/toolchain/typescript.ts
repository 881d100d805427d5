// The TypeScript compiler the code rules read scripts with. It is not bundled into the extension (some
// 9 MB of JavaScript, and the extension ships without node_modules): it is loaded at run time, as the
// other tools of the checks are, from the project that holds the interaction folder — a Nango project
// always has it (the nango CLI depends on it). Only the parser, the binder and symbol look-ups are used,
// which every TypeScript 4.x/5.x has.
import { createRequire } from 'node:module';
import * as path from 'node:path';

export type TS = typeof import('typescript');

const cache = new Map<string, TS | null>();

function tryRequire(fromFile: string, id: string): TS | undefined {
  try {
    const mod = createRequire(fromFile)(id) as TS & { default?: TS };
    const ts = typeof mod.createSourceFile === 'function' ? mod : mod.default;
    return ts && typeof ts.createSourceFile === 'function' ? ts : undefined;
  } catch {
    return undefined;
  }
}

/**
 * TypeScript as the project above `folder` has it: its own `typescript`, else the one the `nango`
 * package brings, else (in this repository's own tests and benchmarks) ours. Undefined when none can be
 * loaded; the caller reports that, so a missing compiler is a finding, never a pass.
 */
export function loadTypeScript(folder: string): TS | undefined {
  const key = path.resolve(folder);
  const cached = cache.get(key);
  if (cached !== undefined) return cached ?? undefined;
  // createRequire resolves node_modules from the given file's directory upwards, as Node would — from
  // the folder's parent: a `node_modules/typescript` inside the folder is the agent's, and loading it
  // would run the agent's code in the harness.
  const inFolder = path.join(path.dirname(key), '__integration_builder__.js');
  let ts = tryRequire(inFolder, 'typescript');
  if (!ts) {
    try {
      const nangoPackage = createRequire(inFolder).resolve('nango/package.json');
      ts = tryRequire(nangoPackage, 'typescript');
    } catch {
      ts = undefined;
    }
  }
  ts ??= tryRequire(__filename, 'typescript');
  cache.set(key, ts ?? null);
  return ts;
}
