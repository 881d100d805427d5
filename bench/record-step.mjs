// record-step: what the recorder's first step costs — the build `nango dryrun` needs before it can read
// the script names (src/core/toolchain/prebuild.ts) — made by the prebuild (Nango's own bundler, without
// the rest of the CLI and without the type check the dry run does again) against `nango compile` (what
// the recorder ran before). Both on the same folders (the verify samples, test/fixtures/verify: an action
// and a sync, with this repository's installed Nango CLI), interleaved A/B then B/A, RUNS pairs of each
// (default 6), unconfined (the sandbox costs both sides the same; `npm run bench -- sandbox` measures it).
//
// Figures (CPU-s = user + system of the process tree, from the shell's `times`):
//   prebuild_cpu_s, compile_cpu_s     medians of each side
//   ratio                             median over pairs of prebuild / compile
//   saving_cpu_s_per_recording        compile_cpu_s − prebuild_cpu_s
//   same_build                        the two wrote byte-identical build/*.cjs
//   load_avg_start/end                1-minute load average (how noisy the machine was)
import { execFile } from 'node:child_process';
import { cpSync, existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleCjs } from './support/bundle.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const round = (x, d = 2) => Math.round(x * 10 ** d) / 10 ** d;

/** Runs argv in cwd under bash and returns the CPU-s of its process tree (bash's `times`, children's line). */
function cpuOf(argv, cwd) {
  const quoted = argv.map((a) => `'${a.replaceAll("'", `'\\''`)}'`).join(' ');
  return new Promise((resolve, reject) => {
    execFile(
      'bash',
      ['-c', `${quoted} >/dev/null 2>&1 || exit 7; times`],
      { cwd, env: { ...process.env, NANGO_CLI_UPGRADE_MODE: 'ignore', NANGO_CLI_TELEMETRY: 'false', NANGO_CLI_DEPENDENCY_UPDATE: 'false' } },
      (err, out) => {
        if (err) return reject(new Error(`${argv.join(' ')} failed in ${cwd}`));
        const lines = out.trim().split('\n');
        const secs = (lines[1] ?? '').split(/\s+/).map((t) => {
          const m = /^(\d+)m([\d.]+)s$/.exec(t);
          return m ? Number(m[1]) * 60 + Number(m[2]) : NaN;
        });
        resolve(secs[0] + secs[1]);
      },
    );
  });
}

function builds(folder) {
  const dir = join(folder, 'build');
  return existsSync(dir) ? Object.fromEntries(readdirSync(dir).map((f) => [f, readFileSync(join(dir, f), 'utf8')])) : {};
}

export async function run({ log }) {
  const load0 = loadavg()[0];
  const prebuild = await bundleCjs('src/core/toolchain/prebuild.ts', 'prebuild');
  const bin = join(root, 'node_modules', '.bin', 'nango');
  const compileModule = prebuild.compileModuleOf(bin);
  if (!compileModule) throw new Error(`the installed Nango CLI (${bin}) has no compile module for the prebuild`);
  const work = join(root, '.test-runs', `bench-record-step-${process.pid}`);
  rmSync(work, { recursive: true, force: true });
  // under the repository, so the project's node_modules (nango, zod) resolve above each folder as in a run
  const folders = ['create-event', 'sync-events'].map((id) => {
    const folder = join(work, id);
    cpSync(join(root, 'test', 'fixtures', 'verify', 'google-calendar', id), folder, { recursive: true, filter: (src) => !/\/(node_modules|build)$/.test(src) });
    return folder;
  });
  try {
    const sides = {
      prebuild: ['node', '--input-type=module', '-e', prebuild.NANGO_PREBUILD, '--', compileModule],
      compile: [bin, 'compile', '--no-interactive', '--auto-confirm'],
    };
    let sameBuild = true;
    for (const folder of folders) {
      const out = {};
      for (const [name, argv] of Object.entries(sides)) {
        rmSync(join(folder, 'build'), { recursive: true, force: true });
        await cpuOf(argv, folder); // also warms the file cache
        out[name] = builds(folder);
      }
      sameBuild &&= Object.keys(out.prebuild).length > 0 && JSON.stringify(out.prebuild) === JSON.stringify(out.compile);
    }
    const runs = Number(process.env.RUNS || 6);
    const a = [];
    const b = [];
    const ratios = [];
    for (let i = 0; i < runs; i++) {
      for (const folder of folders) {
        const order = i % 2 === 0 ? ['prebuild', 'compile'] : ['compile', 'prebuild'];
        const got = {};
        for (const side of order) got[side] = await cpuOf(sides[side], folder);
        a.push(got.prebuild);
        b.push(got.compile);
        ratios.push(got.prebuild / got.compile);
        log(`${i + 1}/${runs} ${folder.split('/').pop()}: prebuild ${got.prebuild.toFixed(2)} CPU-s, nango compile ${got.compile.toFixed(2)} CPU-s`);
      }
    }
    return {
      runs,
      prebuild_cpu_s: round(median(a)),
      compile_cpu_s: round(median(b)),
      ratio: round(median(ratios), 3),
      saving_cpu_s_per_recording: round(median(b) - median(a)),
      same_build: sameBuild,
      load_avg_start: round(load0),
      load_avg_end: round(loadavg()[0]),
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
