// A TypeScript module of ours, bundled for a benchmark: CommonJS (the verification rules load the
// TypeScript compiler, which wants __filename), into bench/.build, then required.
import { build } from 'esbuild';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NODE_CJS } from '../../scripts/bundles.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const require = createRequire(import.meta.url);

/** `entry` (a path under the repo) bundled as bench/.build/<name>.cjs and loaded. */
export async function bundleCjs(entry, name) {
  const outfile = join(root, 'bench', '.build', `${name}.cjs`);
  await build({ ...NODE_CJS, entryPoints: [join(root, entry)], outfile, logLevel: 'error' });
  return require(outfile);
}
