// test-step: what run_tests' generator costs when the recorder's dry run has just type-checked the same
// files (src/core/toolchain/generate.ts: Nango's own bundler, definitions parser, test writers and
// templates, without the CLI's second type check) against `nango generate:tests` (what run_tests ran
// before, and still runs whenever the files changed). Both on the same folders (the verify samples,
// test/fixtures/verify: an action and a sync, with this repository's installed Nango CLI), interleaved
// A/B then B/A, RUNS pairs of each (default 6), unconfined (the sandbox costs both sides the same).
//
// Figures (CPU-s = user + system of the process tree, from the shell's `times`):
//   generator_cpu_s, generate_tests_cpu_s   medians of each side
//   ratio                                   median over pairs of generator / generate:tests
//   saving_cpu_s_per_run_tests              generate_tests_cpu_s − generator_cpu_s
//   same_output                             the two wrote byte-identical files (tests, configs, build, .nango)
//   load_avg_start/end                      1-minute load average (how noisy the machine was)
import { cpSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleCjs } from './support/bundle.mjs';
import { cpuOf, measurePairs, pairFigures } from './support/cpuPairs.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** What a generation leaves: every file but the sources, by path, with its content. */
function generated(folder, rel = '') {
  const out = {};
  for (const name of readdirSync(join(folder, rel))) {
    const r = rel ? `${rel}/${name}` : name;
    if (statSync(join(folder, r)).isDirectory()) Object.assign(out, generated(folder, r));
    else out[r] = readFileSync(join(folder, r), 'utf8');
  }
  return out;
}

/** Removes what a generation writes, so each side starts from the same folder. */
function reset(folder) {
  for (const f of ['build', '.nango/nango.json', 'vite.config.ts', 'vitest.setup.ts']) rmSync(join(folder, f), { recursive: true, force: true });
  const tests = join(folder, 'google-calendar', 'tests');
  for (const f of readdirSync(tests)) if (f.endsWith('.test.ts')) rmSync(join(tests, f));
}

export async function run({ log }) {
  const load0 = loadavg()[0];
  const gen = await bundleCjs('src/core/toolchain/generate.ts', 'generate');
  const bin = join(root, 'node_modules', '.bin', 'nango');
  const dist = gen.nangoDistOf(bin);
  if (!dist) throw new Error(`the installed Nango CLI (${bin}) has not the modules the generator uses`);
  const work = join(root, '.test-runs', `bench-test-step-${process.pid}`);
  rmSync(work, { recursive: true, force: true });
  // under the repository, so the project's node_modules (nango, zod) resolve above each folder as in a run
  const folders = ['create-event', 'sync-events'].map((id) => {
    const folder = join(work, id);
    cpSync(join(root, 'test', 'fixtures', 'verify', 'google-calendar', id), folder, { recursive: true, filter: (src) => !/\/(node_modules|build)$/.test(src) });
    return folder;
  });
  try {
    const sides = {
      generator: ['node', '--input-type=module', '-e', gen.NANGO_GENERATE, '--', dist],
      generate_tests: [bin, 'generate:tests', '--no-interactive', '--auto-confirm'],
    };
    let sameOutput = true;
    for (const folder of folders) {
      const out = {};
      for (const [name, argv] of Object.entries(sides)) {
        reset(folder);
        await cpuOf([argv], folder); // also warms the file cache
        out[name] = generated(folder);
      }
      const tests = Object.keys(out.generate_tests).filter((f) => f.endsWith('.test.ts'));
      sameOutput &&= tests.length > 0 && JSON.stringify(out.generator) === JSON.stringify(out.generate_tests);
    }
    const runs = Number(process.env.RUNS || 6);
    const m = await measurePairs({
      runs,
      items: folders,
      names: ['generator', 'generate_tests'],
      sides: () => ({ generator: [sides.generator], generate_tests: [sides.generate_tests] }),
      reset,
      cwd: (folder) => folder,
      log,
      label: (folder) => folder.split('/').pop(),
    });
    return { runs, ...pairFigures(m, ['generator', 'generate_tests'], 'run_tests', load0), same_output: sameOutput };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
