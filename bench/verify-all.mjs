// verify-all: Verify all over N scripted interactions (default 50; VERIFY_ALL_N), with the real tools
// (nango, tsc, vitest, eslint) on 2 cores.
//
// Setup (bench/support/verify-all-setup.ts, bundled at run time): one interaction built for real (the
// demo model's script, a fixture recorded with the real Nango CLI against the demo stand-in, its
// generated test), copied N times under its own ids, each with a harness baseline, a run record and an
// honest transcript. Every copy must verify clean, or the benchmark fails.
//
// Figures:
//   wall_s        Verify all at once: verifyInteractions over all N (the extension's default concurrency 2,
//                 one shared type check of every folder).
//   serial_s      the same checks one interaction at a time (verifyInteractions per interaction: its own
//                 `nango compile`, no sharing).
//   speedup       serial_s / wall_s.
//   peak_rss_mb   peak RSS of this process and every process under it (the tools), sampled every 200 ms,
//                 during Verify all.
//   serial_peak_rss_mb  the same during the one-at-a-time pass.
//   per_interaction_s   wall_s / N.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

async function bundle(entry, name) {
  const outfile = join(root, 'bench', '.build', `${name}.mjs`);
  await build({ entryPoints: [entry], bundle: true, platform: 'node', format: 'esm', target: 'node20', outfile, mainFields: ['module', 'main'], logLevel: 'error', banner: { js: "import { createRequire as __cr } from 'module'; const require = __cr(import.meta.url);" } });
  return import(pathToFileURL(outfile).href);
}

/** RSS (MB) of a process and all its descendants. */
function treeRssMb(pid) {
  try {
    const out = execFileSync('ps', ['-e', '-o', 'pid=,ppid=,rss='], { encoding: 'utf8' });
    const rows = out.trim().split('\n').map((l) => l.trim().split(/\s+/).map(Number));
    const children = new Map();
    for (const [p, pp] of rows) children.set(pp, [...(children.get(pp) ?? []), p]);
    const rss = new Map(rows.map(([p, , r]) => [p, r]));
    let total = 0;
    const stack = [pid];
    while (stack.length) {
      const p = stack.pop();
      total += rss.get(p) ?? 0;
      stack.push(...(children.get(p) ?? []));
    }
    return total / 1024;
  } catch {
    return 0;
  }
}

function sampler() {
  let peak = 0;
  const timer = setInterval(() => (peak = Math.max(peak, treeRssMb(process.pid))), 200);
  return { stop: () => (clearInterval(timer), peak) };
}

export async function run({ log }) {
  const n = Number(process.env.VERIFY_ALL_N || 50);
  const setupMod = await bundle(join(root, 'bench/support/verify-all-setup.ts'), 'verify-all-setup');
  const verifyMod = await bundle(join(root, 'src/core/verify/index.ts'), 'verify-core');
  const storeMod = await bundle(join(root, 'src/core/runs/store.ts'), 'run-store');
  // Inside the repo, so the folders resolve nango, vitest, tsc and eslint from its node_modules.
  const work = join(root, '.test-runs', `bench-verify-all-${process.pid}`);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const load0 = loadavg()[0];
  try {
    const t0 = Date.now();
    const targets = await setupMod.setup(work, n, join(root, 'examples/product-integrations/interactions.json'), log);
    log(`${n} interactions ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const runs = new storeMod.RunStore(work);
    const check = (reports, label) => {
      const bad = reports.filter((r) => r.verdict !== 'verified');
      if (bad.length) throw new Error(`${label}: ${bad.length} interaction(s) did not verify, e.g. ${JSON.stringify(bad[0].checks.filter((c) => c.outcome !== 'passed'))}`);
    };

    let s = sampler();
    let t = Date.now();
    const all = await verifyMod.verifyInteractions(targets, { runs, concurrency: 2 });
    const wall = (Date.now() - t) / 1000;
    const peak = s.stop();
    check(all, 'all together');
    log(`all together: ${wall.toFixed(1)} s, peak ${peak.toFixed(0)} MB`);

    s = sampler();
    t = Date.now();
    const one = [];
    for (const target of targets) one.push(...(await verifyMod.verifyInteractions([target], { runs, concurrency: 1 })));
    const serial = (Date.now() - t) / 1000;
    const serialPeak = s.stop();
    check(one, 'one at a time');
    log(`one at a time: ${serial.toFixed(1)} s, peak ${serialPeak.toFixed(0)} MB`);

    return {
      wall_s: +wall.toFixed(1),
      speedup: +(serial / wall).toFixed(2),
      peak_rss_mb: +peak.toFixed(0),
      serial_s: +serial.toFixed(1),
      serial_peak_rss_mb: +serialPeak.toFixed(0),
      per_interaction_s: +(wall / n).toFixed(2),
      interactions: n,
      load_avg_start: +load0.toFixed(2),
      load_avg_end: +loadavg()[0].toFixed(2),
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
