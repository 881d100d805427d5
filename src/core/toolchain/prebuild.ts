// The build before `nango dryrun`, where the harness runs the CLI's dry run itself (a CLI without the
// pieces of the one-process recorder, recorder.ts, or `recorder: 'cli'`). `nango dryrun` reads the script
// names from the *previous* build before it compiles (its action parses build/*.cjs, then type-checks and
// builds again, then runs), so a folder must have a build before it can be recorded. `nango compile` made
// that build, at a cost of ~6 CPU-s: the whole CLI's modules (~2.8 CPU-s) and a type check the dry run
// does again straight after. The prebuild makes the same build with Nango's own bundler (`compileFunction`
// of the installed CLI: esbuild and Nango's plugin, the same .cjs the dry run then overwrites) without
// loading the rest of the CLI and without the duplicate type check (~2.1 CPU-s), and without running the
// script (bundling does not import it). The type check is not lost: the dry run's own compile fails on a
// type error before the script runs (exit code NANGO_COMPILE_ERROR), and the recorder reports it as before.
// A build that fails, or a CLI without that module (NANGO_PIECES_MISSING), falls back to `nango compile`,
// whose report the agent gets: the type errors first, then the rest, as the CLI prints them. Its build
// step (BUILD_ENTRY_POINTS) is also run_tests' generator's (generate.ts), whose output
// test/integration/run-tests-generate.test.ts compares with the CLI's, build/*.cjs included.
import { pathToFileURL } from 'node:url';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { packageDirOf } from './replay/run';

/** The exit code of `nango` when its compile fails (Nango's NangoCliExitCode.CompileError). */
export const NANGO_COMPILE_ERROR = 10;
/**
 * The exit code of the harness's scripts that run the installed CLI's own modules (the prebuild, the
 * generator, the recorder) when that CLI lacks one they use: the harness then runs the CLI itself.
 */
export const NANGO_PIECES_MISSING = 90;

/**
 * The build step of `nango compile` after its type check, as script text for the sandbox: with Nango's
 * compile module loaded as `c`, builds every entry point index.ts imports into build/*.cjs; leaves
 * `root` and `entryPoints` defined. Exits 1 with the CLI's own message when a build fails.
 */
export const BUILD_ENTRY_POINTS = `
const root = process.cwd();
const index = await c.readIndexContent(root);
if (index.isErr()) {
  console.error('Could not read index.ts');
  process.exit(1);
}
const entryPoints = c.getEntryPoints(index.value);
if (entryPoints.length === 0) {
  console.error("No entry points found in index.ts, add one like this \`import './syncs/github/fetch.js'\`");
  process.exit(1);
}
for (const entryPoint of entryPoints) {
  const res = await c.compileFunction({ entryPoint: root + '/' + entryPoint, projectRootPath: root, sourcemap: 'inline' });
  if (res.isErr()) {
    const err = res.error;
    console.error('✗ Failed to build ' + entryPoint + '\\n' + (err && typeof err.toText === 'function' ? err.toText() : String((err && err.message) || err)));
    process.exit(1);
  }
}
`;

/**
 * Runs inside the sandbox, in the interaction folder (`node --input-type=module -e NANGO_PREBUILD -- <compile.js URL>`):
 * builds every entry point index.ts imports, as `nango compile` does after its type check.
 */
export const NANGO_PREBUILD = `
const url = process.argv.slice(1).filter((a, i) => !(i === 0 && a === '--'))[0];
let c;
try {
  c = await import(url);
} catch (e) {
  console.error('the prebuild could not load Nango\\'s compiler: ' + (e && e.message));
  process.exit(${NANGO_PIECES_MISSING});
}
if (typeof c.readIndexContent !== 'function' || typeof c.getEntryPoints !== 'function' || typeof c.compileFunction !== 'function') {
  console.error('the installed Nango CLI has no compileFunction');
  process.exit(${NANGO_PIECES_MISSING});
}
${BUILD_ENTRY_POINTS}
console.log('✓ Built ' + entryPoints.length + ' file(s)');
`;

/**
 * The file URL (with a trailing slash) of the installed CLI's `dist/` folder, when it holds every one of
 * `files` (paths under it); undefined for a `nango` that is not the package, or a version without them.
 */
export function nangoDistWith(bin: string, files: readonly string[]): string | undefined {
  const dir = packageDirOf(bin, 'nango');
  if (!dir) return undefined;
  const dist = path.join(dir, 'dist');
  return files.every((f) => existsSync(path.join(dist, ...f.split('/')))) ? pathToFileURL(dist).href + '/' : undefined;
}

/** The file URL of the installed CLI's compile module, or undefined when it is not where this Nango keeps it. */
export function compileModuleOf(bin: string): string | undefined {
  const dist = nangoDistWith(bin, ['zeroYaml/compile.js']);
  return dist && `${dist}zeroYaml/compile.js`;
}
