// sandbox: what the agent sandbox costs.
//
// 1. Per command: the agent shell running `true` in bubblewrap with a run's policy (what opencode runs for
//    every bash call of an agent), against plain `/bin/bash -c true` (what opencode runs without us),
//    interleaved pair by pair in one process, COMMAND_RUNS pairs (default 200).
// 2. Per run: the demo build of one interaction (createAgentStack as the CLI wires it: our opencode
//    server, the demo model, the harness tools, the guard, the real Nango CLI against the demo Nango
//    stand-in), with the sandbox (`bwrap`) and without (`unsandboxed`), interleaved A/B then B/A,
//    RUN_ROUNDS rounds (default 3). Needs `npm run build` (dist/harness-plugin.mjs).
//
// Figures:
//   command_overhead_ms_p50/_p95   per-pair (sandboxed − plain) wall time of one command, percentiles
//   command_sandboxed_ms_p50, command_plain_ms_p50   the two sides' own medians
//   run_overhead_ratio             median over rounds of (sandboxed build wall / unsandboxed build wall)
//   run_sandboxed_s, run_unsandboxed_s   the medians of each side
//   load_avg_start/end             1-minute load average (how noisy the machine was)
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleCjs } from './support/bundle.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const median = (xs) => pct(xs, 50);
const round = (x, d = 2) => Math.round(x * 10 ** d) / 10 ** d;

function timed(file, args, opts) {
  return new Promise((resolve, reject) => {
    const t = process.hrtime.bigint();
    execFile(file, args, opts, (err) => (err ? reject(err) : resolve(Number(process.hrtime.bigint() - t) / 1e6)));
  });
}

export async function run({ log }) {
  const load0 = loadavg()[0];
  const sandboxMod = await bundleCjs('src/core/sandbox/index.ts', 'sandbox');
  const support = await sandboxMod.detectSandbox();
  if (!support.available) throw new Error(`no sandbox here: ${support.reason}`);
  const work = join(root, '.test-runs', `bench-sandbox-${process.pid}`);
  rmSync(work, { recursive: true, force: true });
  try {
    // 1. one command
    const folder = join(work, 'cmd', 'google-calendar', 'create-event');
    mkdirSync(join(folder, 'google-calendar', 'tests'), { recursive: true });
    const sandbox = new sandboxMod.AgentSandbox({ mode: 'bwrap', bwrap: support.bwrap, shellDir: join(work, 'shell') });
    const l = await sandbox.prepare({ folder, integrationId: 'google-calendar' }, join(work, 'cmd', 'policy.sandbox'));
    const env = { ...process.env, ...l.shellEnv() };
    const runs = Number(process.env.COMMAND_RUNS || 200);
    for (let i = 0; i < 10; i++) await timed(sandbox.shell, ['-c', 'true'], { cwd: folder, env });
    const sandboxed = [];
    const plain = [];
    const diff = [];
    for (let i = 0; i < runs; i++) {
      const order = i % 2 === 0;
      const a = order ? await timed(sandbox.shell, ['-c', 'true'], { cwd: folder, env }) : undefined;
      const b = await timed('/bin/bash', ['-c', 'true'], { cwd: folder });
      const a2 = order ? a : await timed(sandbox.shell, ['-c', 'true'], { cwd: folder, env });
      sandboxed.push(a2);
      plain.push(b);
      diff.push(a2 - b);
    }
    log(
      `one command: sandboxed p50 ${median(sandboxed).toFixed(1)} ms, plain p50 ${median(plain).toFixed(1)} ms, overhead p50 ${median(diff).toFixed(1)} / p95 ${pct(diff, 95).toFixed(1)} ms`,
    );

    // 2. the demo build of one interaction
    const plugin = join(root, 'dist', 'harness-plugin.mjs');
    if (!existsSync(plugin)) throw new Error('dist/harness-plugin.mjs is missing: run `npm run build` first');
    const stackMod = await bundleCjs('src/core/session/stack.ts', 'stack');
    const specMod = await bundleCjs('src/core/spec/loader.ts', 'spec-loader');
    const binMod = await bundleCjs('src/core/agent/binaries.ts', 'binaries');
    const spec = await specMod.loadSpecFile(join(root, 'examples', 'product-integrations', 'interactions.json'));
    const integration = spec.integrations.find((i) => i.id === 'google-calendar');
    const interaction = integration.interactions.find((i) => i.id === 'create-event');
    const rounds = Number(process.env.RUN_ROUNDS || 3);
    const buildOnce = async (mode, n) => {
      const workRoot = join(work, `run-${mode}-${n}`);
      const stack = await stackMod.createAgentStack({
        workRoot,
        demo: true,
        opencodeBin: join(root, 'node_modules', 'opencode-ai', 'bin', 'opencode.exe'),
        ripgrep: binMod.findRipgrep(),
        demoDataDir: join(workRoot, '.runs', '.demo-opencode'),
        skillPaths: [join(root, 'skills')],
        harnessPlugin: plugin,
        nango: { host: 'http://127.0.0.1:9' },
        concurrency: 1,
        maxRetries: 5,
        violationLimit: 3,
        verifyAfterRun: false,
        autoRestartAttempts: 0,
        verifyConcurrency: 1,
        log: () => undefined,
        sandbox: { mode, bwrap: support.bwrap, shellDir: join(workRoot, '.runs', '.sandbox') },
      });
      try {
        await stack.connection.ensure();
        const t = Date.now();
        stack.orchestrator.generate([{ integration, interaction }]);
        await stack.orchestrator.whenIdle();
        const s = (Date.now() - t) / 1000;
        const run = stack.orchestrator.get(interaction.key);
        if (run?.status !== 'needs-review') throw new Error(`the ${mode} demo build ended ${run?.status}: ${run?.detail}`);
        if (run.sandbox !== mode) throw new Error(`the run says ${run.sandbox}, not ${mode}`);
        return s;
      } finally {
        await stack.close();
      }
    };
    const ratios = [];
    const sbx = [];
    const uns = [];
    for (let r = 0; r < rounds; r++) {
      const order = r % 2 === 0 ? ['bwrap', 'unsandboxed'] : ['unsandboxed', 'bwrap'];
      const got = {};
      for (const mode of order) got[mode] = await buildOnce(mode, r);
      sbx.push(got.bwrap);
      uns.push(got.unsandboxed);
      ratios.push(got.bwrap / got.unsandboxed);
      log(
        `round ${r + 1}: sandboxed ${got.bwrap.toFixed(1)} s, unsandboxed ${got.unsandboxed.toFixed(1)} s, ratio ${(got.bwrap / got.unsandboxed).toFixed(3)}`,
      );
    }
    return {
      command_overhead_ms_p50: round(median(diff)),
      command_overhead_ms_p95: round(pct(diff, 95)),
      command_sandboxed_ms_p50: round(median(sandboxed)),
      command_plain_ms_p50: round(median(plain)),
      command_runs: runs,
      run_overhead_ratio: round(median(ratios), 3),
      run_sandboxed_s: round(median(sbx)),
      run_unsandboxed_s: round(median(uns)),
      run_rounds: rounds,
      load_avg_start: round(load0),
      load_avg_end: round(loadavg()[0]),
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
