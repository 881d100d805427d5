// scale: N interactions (default 200) through the whole pipeline on this machine — scaffold, session on
// our own opencode server, the harness tools (record_fixture and run_tests with the real Nango CLI against
// the demo's Nango stand-in), the sandbox, the fixture guard — with the demo model paced like a real one,
// at concurrency 20; then Verify of all of them (compile, tests, lint, …), as the CLI's `generate --demo`
// does. The stack is the CLI's own (createAgentStack); see bench/support/scale-entry.ts.
//
// The model: the demo's honest build (6 steps, src/core/model/demo.ts), each step answered after
// SCALE_STEP_MS (default 2000) and its output tokens streamed at SCALE_TOKENS_PER_S (default 50): text
// and reasoning arrive as deltas at that rate; a tool call's arguments (which the scripted model sends
// in three chunks) take their time at that rate before the step's first byte.
//
// Figures:
//   n                      interactions (SCALE_N; default 200; SCALE_QUICK=1: 10).
//   wall_s                 generate() of all N → every run ended → Verify of all N done.
//   ideal_s                the model's own time at that concurrency: the FIFO queue's makespan were the
//                          harness and toolchain free (each run = the sum of its steps' paced times).
//   wall_ratio             wall_s / ideal_s.
//   cpu_s_per_interaction  CPU (user + system) of this process and every process under it, over the
//                          whole run (stack start to stack closed), / N: the harness, the demo model and
//                          Nango stand-in (in this process, as in the CLI), opencode, the sandboxed
//                          shells, the Nango CLI, tsc, vitest, eslint. From /proc/self/stat: own CPU
//                          plus cutime/cstime, which hold every reaped descendant's CPU; plus what a
//                          once-a-second sampler of the tree saw of processes that were never reaped
//                          into it (orphaned away from the tree while running: cpu_s_unreaped,
//                          processes_orphaned; or still running at the end: processes_left).
//   opencode_peak_rss_mb   the opencode server's VmHWM.
//   host_peak_rss_mb       this process's peak RSS (the orchestrator, guard, tool server, verifier; the
//                          demo model and Nango stand-in too).
//   verified               interactions whose Verify verdict is verified.
// Extras: generate_s / verify_s (the two phases), cpu_s_host / cpu_s_children, the children's CPU as
// sampled once a second by kind of process (a process shorter than a second may be missed there, hence
// cpu_s_sampled_children ≤ cpu_s_children), statuses and verdicts, the model's request count, the
// stream's text/reasoning delta events.
// Knobs (env): SCALE_N, SCALE_QUICK=1, SCALE_STEP_MS, SCALE_TOKENS_PER_S, SCALE_CONCURRENCY (default 20),
// SCALE_VERIFY_CONCURRENCY (default 2, the setting's default), SCALE_KEEP=1 keeps the work root.
import { build, stop as stopEsbuild } from 'esbuild';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { harnessPluginOptions } from '../scripts/bundles.mjs';
import { bundleCjs } from './support/bundle.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const num = (name, fallback) => {
  const v = process.env[name];
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name}=${v} is not a number`);
  return n;
};

export async function run({ log }) {
  const n = Math.round(num('SCALE_N', process.env.SCALE_QUICK === '1' ? 10 : 200));
  if (n < 1) throw new Error('SCALE_N must be at least 1');
  const pace = { stepDelayMs: num('SCALE_STEP_MS', 2000), tokensPerSecond: num('SCALE_TOKENS_PER_S', 50) };
  const concurrency = Math.max(1, Math.round(num('SCALE_CONCURRENCY', 20)));
  const verifyConcurrency = Math.max(1, Math.round(num('SCALE_VERIFY_CONCURRENCY', 2)));
  const bin = join(root, 'node_modules/opencode-ai/bin/opencode.exe');
  if (!existsSync(bin)) throw new Error(`opencode binary missing: ${bin} (npm ci)`);

  // Inside the repo, so the interaction folders resolve nango, vitest, tsc and eslint from its node_modules.
  const base = join(root, '.test-runs', `bench-scale-${process.pid}`);
  rmSync(base, { recursive: true, force: true });
  mkdirSync(base, { recursive: true });
  const harnessPlugin = join(base, 'harness-plugin.mjs');
  await build(harnessPluginOptions(join(root, 'src/harness-plugin/plugin.ts'), harnessPlugin));
  const { runScale } = await bundleCjs('bench/support/scale-entry.ts', 'scale-entry');
  // esbuild's service process would otherwise run under this one all along (and count in its tree).
  stopEsbuild();

  const load0 = loadavg()[0];
  const onSignal = () => {
    rmSync(base, { recursive: true, force: true });
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  try {
    log(`n=${n}, concurrency ${concurrency}, a step ${pace.stepDelayMs} ms + ${pace.tokensPerSecond} tokens/s; load ${load0.toFixed(2)}`);
    const figures = await runScale({ repo: root, workRoot: join(base, 'work'), harnessPlugin, n, concurrency, pace, verifyConcurrency, log });
    const result = { ...figures, load_avg_start: Math.round(load0 * 100) / 100, load_avg_end: Math.round(loadavg()[0] * 100) / 100 };
    log(
      `wall ${result.wall_s} s (ideal ${result.ideal_s} s, ratio ${result.wall_ratio}); ${result.cpu_s_per_interaction} CPU-s per interaction; ` +
        `opencode peak ${result.opencode_peak_rss_mb} MiB, host peak ${result.host_peak_rss_mb} MiB; verified ${result.verified}/${n}`,
    );
    return result;
  } finally {
    process.off('SIGINT', onSignal);
    if (process.env.SCALE_KEEP !== '1') rmSync(base, { recursive: true, force: true });
    else log(`kept ${base}`);
  }
}
