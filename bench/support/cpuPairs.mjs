// Side-by-side CPU measurement for the step benches (record-step, test-step): each side is a list of
// commands run one after the other under bash, measured by the shell's `times` (user + system of their
// process trees), in pairs, A/B then B/A, on each item, from the same starting state.
import { loadavg } from 'node:os';

const quote = (argv) => argv.map((a) => `'${a.replaceAll("'", `'\\''`)}'`).join(' ');
export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
export const round = (x, d = 2) => Math.round(x * 10 ** d) / 10 ** d;

/** The Nango CLI's quiet switches, as the harness sets them. */
const QUIET = { NANGO_CLI_UPGRADE_MODE: 'ignore', NANGO_CLI_TELEMETRY: 'false', NANGO_CLI_DEPENDENCY_UPDATE: 'false' };

/** Runs the commands (argv lists) in cwd, one after the other; the CPU-s of their process trees. Rejects when one fails. */
export async function cpuOf(commands, cwd, env = {}) {
  const { execFile } = await import('node:child_process');
  return new Promise((resolve, reject) => {
    execFile(
      'bash',
      ['-c', `${commands.map((argv) => `${quote(argv)} >/dev/null 2>&1 || exit 7`).join('; ')}; times`],
      { cwd, env: { ...process.env, ...QUIET, ...env } },
      (err, out) => {
        if (err) return reject(new Error(`${commands.map((c) => c.slice(0, 3).join(' ')).join('; ')} failed in ${cwd}`));
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

/**
 * `runs` rounds over the items; in each, both sides (`a` first in even rounds, `b` first in odd ones),
 * each after `reset(item)`. `sides(item)` gives `{ [a]: commands, [b]: commands }`. Returns each side's
 * CPU-s and the per-pair ratios a / b.
 */
export async function measurePairs({ runs, items, names: [a, b], sides, reset, cwd, env, log, label }) {
  const out = { [a]: [], [b]: [], ratios: [] };
  for (let i = 0; i < runs; i++) {
    for (const item of items) {
      const got = {};
      for (const side of i % 2 === 0 ? [a, b] : [b, a]) {
        reset(item);
        got[side] = await cpuOf(sides(item)[side], cwd(item), env);
      }
      out[a].push(got[a]);
      out[b].push(got[b]);
      out.ratios.push(got[a] / got[b]);
      log(`${i + 1}/${runs} ${label(item)}: ${a} ${got[a].toFixed(2)} CPU-s, ${b} ${got[b].toFixed(2)} CPU-s`);
    }
  }
  return out;
}

/**
 * The figures of a side-by-side run: each side's median (`<a>_cpu_s`, `<b>_cpu_s`), the median ratio
 * a / b, the saving b − a (`saving_cpu_s_per_<per>`), the load average at the start and now.
 */
export function pairFigures(m, [a, b], per, load0) {
  return {
    [`${a}_cpu_s`]: round(median(m[a])),
    [`${b}_cpu_s`]: round(median(m[b])),
    ratio: round(median(m.ratios), 3),
    [`saving_cpu_s_per_${per}`]: round(median(m[b]) - median(m[a])),
    load_avg_start: round(load0),
    load_avg_end: round(loadavg()[0]),
  };
}
