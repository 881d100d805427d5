// agent-overhead: what the harness (Orchestrator + AgentConnection + RunStore + tool server) costs per
// interaction, against a bare @opencode-ai/sdk script doing the same scripted session on the same
// opencode server, measured in the same run.
//
// Setup (bench/support/agent-overhead-*.ts, bundled with esbuild at run time):
//   - this process: one scripted OpenAI-compatible model (5 ms between SSE chunks) and one real
//     opencode server (node_modules/opencode-ai; offline, private XDG dirs via agentStack's
//     offlineEnv; the harness plugin loaded as the extension loads it), shared by both sides;
//   - two long-lived worker processes, one per side: "harness" (the orchestrator, as the extension
//     wires it) and "bare" (the SDK alone). Each batch's CPU and memory are its worker's own.
// The scripted session (3 model steps): write the interaction's script, one bash `ls`, final text.
// Both sides scaffold the same folder, create the same session (title, permission rules) and send
// the same prompt; see agent-overhead-worker.ts for exactly what each side does.
// Warm-up (discarded): 1-session batches on each side, then 5 + 5 sessions at once.
// Between batches (never timed) every opencode instance is disposed (global.dispose): opencode keeps
// one instance per directory, and without it the server slows down and grows batch after batch.
//
// Figures:
//   ratio_1, ratio_20   harness wall time per batch / bare wall time per batch, for a batch of 1 and
//                       of 20 concurrent sessions: the median over rounds of each round's ratio.
//                       Harness wall = generate() → whenIdle() resolved (records flushed); bare wall =
//                       first scaffold → last session idle. A round runs one batch of each side back
//                       to back, A/B then B/A (ABBA), so load that comes and goes (other test runs on
//                       the same 2 cores) and drift of the server hit a round's pair alike, and the
//                       median drops rounds a burst of load hit. ratio_*_of_medians: median harness
//                       batch / median bare batch (same data, less robust to bursts).
//   start_to_prompt_ms  generate() → the scripted model receives the session's first tool-bearing
//                       request (the prompt has gone through opencode to the model), median of the
//                       1-session batches. Chosen over promptSentAt because it is what the user waits
//                       for and has sub-ms resolution; start_to_prompt_sent_ms is the promptSentAt one.
//   last_token_to_finished_ms  the model's last SSE byte of the final step (its response's 'finish')
//                       → the run's status becoming needs-review, median of the 1-session batches.
//                       last_token_to_finished_event_ms: to the `finished` AgentEvent instead.
//   peak_rss_mb         peak RSS (process.memoryUsage.rss() every 50 ms) of the harness worker — the
//                       process running the orchestrator — over its 20-session batches. The model is
//                       not in it (a real provider is remote either); the server is not either.
//                       bare_peak_rss_mb: the same for the bare worker. server_peak_rss_mb: the
//                       opencode server's VmHWM over the whole run.
//   *_20 / bare_*       the same measures at 20 sessions / for the bare side.
//   *_cpu_ms_per_session_*  CPU per session of the worker (client) and of the opencode server, medians
//                       over batches. Far less sensitive to other load than wall time: the harness's
//                       own cost shows up here. cpu_overhead_share_*: (harness − bare client CPU) /
//                       (bare client + server CPU), i.e. the harness's extra CPU as a share of all the
//                       CPU a session costs.
//   load_avg_start/end  1-minute load average, to judge how noisy the run was.
// Knobs (env): AGENT_OVERHEAD_ROUNDS_1 (default 8), AGENT_OVERHEAD_ROUNDS_20 (default 3, at least 2; a
// 20-session batch takes ~20-45 s per side on 2 cores), AGENT_OVERHEAD_BUDGET_S (default 285): no
// 20-session round beyond the second starts if it would likely end past this (rounds_20 says how
// many ran).
import { build } from 'esbuild';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NODE_CJS } from '../scripts/bundles.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const BIN = join(root, 'node_modules/opencode-ai/bin/opencode.exe');
const ROUNDS_1 = Number(process.env.AGENT_OVERHEAD_ROUNDS_1 ?? 8);
const ROUNDS_20 = Number(process.env.AGENT_OVERHEAD_ROUNDS_20 ?? 3);
const CHUNK_DELAY_MS = 5;
const BUDGET_S = Number(process.env.AGENT_OVERHEAD_BUDGET_S ?? 285);

const median = (xs) => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!s.length) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const round = (x, d = 1) => Math.round(x * 10 ** d) / 10 ** d;

async function bundle(entry, outfile) {
  await build({
    entryPoints: [join(root, entry)],
    outfile,
    ...NODE_CJS,
    plugins: [
      {
        // agentStack imports esbuild (to build the harness plugin): load the installed one, by
        // absolute path, so the bundle works from a temp folder.
        name: 'external-esbuild',
        setup(b) {
          b.onResolve({ filter: /^esbuild$/ }, () => ({ path: require.resolve('esbuild'), external: true }));
        },
      },
      {
        // agentStack finds the repo (opencode binary, harness plugin source) from its __dirname: keep
        // each source file's __dirname its own folder, not the temp folder the bundle runs from.
        name: 'source-dirname',
        setup(b) {
          b.onLoad({ filter: /\.ts$/ }, async (args) => {
            const text = await readFile(args.path, 'utf8');
            return { contents: text.replace(/\b__dirname\b/g, JSON.stringify(dirname(args.path))), loader: 'ts' };
          });
        },
      },
    ],
  });
  return outfile;
}

export async function run({ log }) {
  const started = Date.now();
  const loadStart = loadavg()[0];
  const elapsed = () => `${((Date.now() - started) / 1000).toFixed(0)} s`;
  if (!existsSync(BIN)) throw new Error(`opencode binary missing: ${BIN} (npm ci)`);
  const tmp = mkdtempSync(join(tmpdir(), 'ib-bench-bundle-'));
  let bench;
  const onSignal = (sig) => {
    bench?.killNow();
    rmSync(tmp, { recursive: true, force: true });
    process.exit(sig === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const [parent, worker] = await Promise.all([
      bundle('bench/support/agent-overhead-entry.ts', join(tmp, 'agent-overhead.cjs')),
      bundle('bench/support/agent-overhead-worker.ts', join(tmp, 'agent-overhead-worker.cjs')),
    ]);
    const { OverheadBench } = require(parent);
    bench = new OverheadBench({ bin: BIN, workerBundle: worker, chunkDelayMs: CHUNK_DELAY_MS, log: (l) => log(`  ${l}`) });
    await bench.start();
    const serverStart = bench.serverMemory();
    log(
      `opencode server up (pid ${bench.server.pid}, ${round(serverStart?.rssMb ?? NaN)} MiB) at ${bench.endpoint.url}; scripted model at ${bench.model.url} [${elapsed()}]`,
    );

    // Warm-up (discarded): the first sessions load the provider, the tools, the agent; the workers JIT.
    const warm = [];
    for (const n of [1, 1]) {
      for (const side of ['harness', 'bare']) warm.push(round((await bench.batch(side, n)).wallMs, 0));
    }
    await bench.reset();
    // ... and 10 sessions at once (5 per side, together), so the server has grown towards a many-session
    // load before the first measured 20-session batch, whichever side that is.
    const [wh, wb] = await Promise.all([bench.batch('harness', 5), bench.batch('bare', 5)]);
    warm.push(`${round(wh.wallMs, 0)} + ${round(wb.wallMs, 0)} (5 + 5 at once)`);
    await bench.reset();
    log(`warm-up done: ${warm.join(', ')} ms [${elapsed()}]`);

    const measure = async (n, maxRounds, minRounds = maxRounds) => {
      const sides = { harness: [], bare: [] };
      const ratios = [];
      let rounds = maxRounds;
      for (let r = 0; r < rounds; r++) {
        const roundStart = Date.now();
        const order = r % 2 === 0 ? ['harness', 'bare'] : ['bare', 'harness'];
        const got = {};
        for (const side of order) {
          got[side] = await bench.batch(side, n);
          await bench.reset();
        }
        sides.harness.push(got.harness);
        sides.bare.push(got.bare);
        ratios.push(got.harness.wallMs / got.bare.wallMs);
        const h = got.harness;
        const b = got.bare;
        log(
          `n=${n} round ${r + 1}/${rounds}: wall ${round(h.wallMs, 0)} / ${round(b.wallMs, 0)} ms, ratio ${round(ratios.at(-1), 3)}; ` +
            `CPU client ${round(h.clientCpuMs, 0)} / ${round(b.clientCpuMs, 0)} ms, server ${round(h.serverCpuMs, 0)} / ${round(b.serverCpuMs, 0)} ms; ` +
            `peak RSS ${round(h.peakRssMb)} / ${round(b.peakRssMb)} MiB (harness / bare) [${elapsed()}]`,
        );
        // Keep the run within its time budget: no round that would likely end past it, beyond the minimum.
        const roundMs = Date.now() - roundStart;
        if (r + 1 >= minRounds && r + 1 < rounds && Date.now() - started + roundMs > BUDGET_S * 1000) {
          log(`n=${n}: stopping after ${r + 1} rounds (another would end past the ${BUDGET_S} s budget)`);
          rounds = r + 1;
        }
      }
      const wall = (side) => median(sides[side].map((x) => x.wallMs));
      return {
        rounds,
        harnessMs: wall('harness'),
        bareMs: wall('bare'),
        ratio: wall('harness') / wall('bare'),
        paired: median(ratios),
        /** Median over all sessions of a per-session timing. */
        per: (side, k) => median(sides[side].flatMap((x) => x.sessions.map((s) => s[k]))),
        /** Median over batches of a batch figure per session. */
        cpu: (side, k) => median(sides[side].map((x) => x[k] / n)),
        peak: (side) => (rounds ? Math.max(...sides[side].map((x) => x.peakRssMb)) : NaN),
        before: (side) => (rounds ? Math.min(...sides[side].map((x) => x.rssBeforeMb)) : NaN),
      };
    };

    const one = await measure(1, ROUNDS_1);
    const twenty = await measure(20, ROUNDS_20, Math.min(2, ROUNDS_20));
    const server = bench.serverMemory();
    const share = (m) => (m.cpu('harness', 'clientCpuMs') - m.cpu('bare', 'clientCpuMs')) / (m.cpu('bare', 'clientCpuMs') + m.cpu('bare', 'serverCpuMs'));

    const figures = {
      ratio_1: round(one.paired, 3),
      ratio_20: round(twenty.paired, 3),
      start_to_prompt_ms: round(one.per('harness', 'startToModelMs')),
      last_token_to_finished_ms: round(one.per('harness', 'lastByteToEndMs')),
      peak_rss_mb: round(twenty.peak('harness')),
      server_peak_rss_mb: round(server?.peakMb ?? NaN),
      // extras
      ratio_1_of_medians: round(one.ratio, 3),
      ratio_20_of_medians: round(twenty.ratio, 3),
      harness_batch_1_ms: round(one.harnessMs),
      bare_batch_1_ms: round(one.bareMs),
      harness_batch_20_ms: round(twenty.harnessMs),
      bare_batch_20_ms: round(twenty.bareMs),
      start_to_prompt_sent_ms: round(one.per('harness', 'startToPromptSentMs')),
      bare_start_to_prompt_ms: round(one.per('bare', 'startToModelMs')),
      start_to_prompt_ms_20: round(twenty.per('harness', 'startToModelMs')),
      bare_start_to_prompt_ms_20: round(twenty.per('bare', 'startToModelMs')),
      last_token_to_finished_event_ms: round(one.per('harness', 'lastByteToFinishedMs')),
      bare_last_token_to_idle_ms: round(one.per('bare', 'lastByteToEndMs')),
      last_token_to_finished_ms_20: round(twenty.per('harness', 'lastByteToEndMs')),
      bare_last_token_to_idle_ms_20: round(twenty.per('bare', 'lastByteToEndMs')),
      harness_client_cpu_ms_per_session_1: round(one.cpu('harness', 'clientCpuMs')),
      bare_client_cpu_ms_per_session_1: round(one.cpu('bare', 'clientCpuMs')),
      harness_client_cpu_ms_per_session_20: round(twenty.cpu('harness', 'clientCpuMs')),
      bare_client_cpu_ms_per_session_20: round(twenty.cpu('bare', 'clientCpuMs')),
      harness_server_cpu_ms_per_session_1: round(one.cpu('harness', 'serverCpuMs')),
      bare_server_cpu_ms_per_session_1: round(one.cpu('bare', 'serverCpuMs')),
      harness_server_cpu_ms_per_session_20: round(twenty.cpu('harness', 'serverCpuMs')),
      bare_server_cpu_ms_per_session_20: round(twenty.cpu('bare', 'serverCpuMs')),
      cpu_overhead_share_1: round(share(one), 4),
      cpu_overhead_share_20: round(share(twenty), 4),
      rss_before_20_mb: round(twenty.before('harness')),
      bare_peak_rss_mb: round(twenty.peak('bare')),
      bare_rss_before_20_mb: round(twenty.before('bare')),
      server_start_rss_mb: round(serverStart?.rssMb ?? NaN),
      server_end_rss_mb: round(server?.rssMb ?? NaN),
      server_sessions: bench.sessionsRun,
      rounds_1: ROUNDS_1,
      rounds_20: twenty.rounds,
      chunk_delay_ms: CHUNK_DELAY_MS,
      load_avg_start: round(loadStart, 2),
      load_avg_end: round(loadavg()[0], 2),
      total_s: round((Date.now() - started) / 1000, 0),
    };
    log(
      `ratio_1 ${figures.ratio_1} (median batches ${figures.harness_batch_1_ms} / ${figures.bare_batch_1_ms} ms), ` +
        `ratio_20 ${figures.ratio_20} (median batches ${figures.harness_batch_20_ms} / ${figures.bare_batch_20_ms} ms), ` +
        `start→prompt ${figures.start_to_prompt_ms} ms, last token→finished ${figures.last_token_to_finished_ms} ms, ` +
        `peak RSS ${figures.peak_rss_mb} MiB (bare ${figures.bare_peak_rss_mb}, server ${figures.server_peak_rss_mb}) [${elapsed()}]`,
    );
    return figures;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await bench?.close();
    rmSync(tmp, { recursive: true, force: true });
  }
}
