// guard-restore: how fast the fixture guard puts a tampered fixture back, and what watching 50
// interaction folders costs.
//
// Setup: the guard runs in its own Node process (bench/support/guard-worker.ts, bundled with esbuild
// at run time): one FixtureGuard, sweep on at its default (1 s), over GUARD_BENCH_FOLDERS (50)
// interaction folders made by scaffoldInteraction across 5 integrations, each with three recorded
// fixtures (2, 8 and 32 KiB), a generated test and a baseline (createBaseline). Every write comes
// from this process, a separate one, as an agent's shell would.
//
// Figures:
//   p50_ms, p95_ms      restore latency over GUARD_BENCH_WRITES (200) tampering writes, spread over
//                       every folder and fixture size: from just before this process's
//                       writeFileSync(fixture, other content) to the moment this process reads the
//                       baseline content back, polling the file in a tight loop (readFileSync, a few µs
//                       a read). One write at a time, 30 ms apart. Also max_ms, mean_ms, and
//                       write_call_p50_ms: how long the tampering writeFileSync itself took (its
//                       truncate + write + close; ext4 starts writing the data out at that close),
//                       which is inside the latency. reported_p50_ms / _p95_ms: from the same write
//                       to the guard process emitting the violation (after its restore), on the
//                       clock both processes share (performance.timeOrigin + now()).
//                       bare_fs_watch_wakeup_p50_ms / _p95_ms: the floor under all of these: the same
//                       kind of write seen by a bare fs.watch in the guard's process (event delivery
//                       and waking an idle process, which on a small VM is most of the latency).
//   cpu_s_50_folders    the guard process's CPU seconds (user + system, process.cpuUsage) over a
//                       GUARD_BENCH_WINDOW_S (10 s) window with all folders watched while the agents
//                       edit their own files: 50 writes/s in all (each folder once a second: 4 in 5 to
//                       its script, 1 in 5 to a notes file at its root, which the guard sees and lets be).
//   rss_mb_50_folders   the guard process's RSS at the end of that window (peak in the window:
//                       rss_peak_mb_50_folders). rss_mb_0_folders: the same process, bundle loaded, before
//                       any folder was set up or watched: the difference is what the folders cost.
//   cpu_s_50_folders_idle  the same window with no writes at all (the sweep's cost, mostly).
//   watch_50_folders_ms / watch_cpu_ms  time and CPU to watch the 50 folders (watches proven live by
//                       a probe, each folder checked against its baseline). inotify_watches: kernel
//                       watches the guard holds.
//   violations_logged   must equal the writes (every tampering write reported once); restore_timeouts
//                       must be 0; guard_errors must be 0.
import { build } from 'esbuild';
import { fork } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NODE_CJS } from '../scripts/bundles.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const FOLDERS = Number(process.env.GUARD_BENCH_FOLDERS ?? 50);
const WRITES = Number(process.env.GUARD_BENCH_WRITES ?? 200);
const WINDOW_S = Number(process.env.GUARD_BENCH_WINDOW_S ?? 10);
const GAP_MS = 30;
const RESTORE_TIMEOUT_MS = 5000;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const quantile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
};
const round = (x, d = 2) => Math.round(x * 10 ** d) / 10 ** d;

function connect(child) {
  const waiting = [];
  child.on('message', (m) => {
    if (m.type === 'failed') waiting.shift()?.reject(new Error(`guard worker: ${m.message}`));
    else waiting.shift()?.resolve(m);
  });
  child.on('exit', (code) => {
    for (const w of waiting.splice(0)) w.reject(new Error(`guard worker exited (${code})`));
  });
  const next = () => new Promise((resolve, reject) => waiting.push({ resolve, reject }));
  return { next, ask: (msg) => (child.send(msg), next()) };
}

export async function run({ log }) {
  const tmp = mkdtempSync(join(tmpdir(), 'ib-bench-guard-'));
  let child;
  try {
    const bundle = join(tmp, 'guard-worker.cjs');
    await build({
      entryPoints: [join(root, 'bench/support/guard-worker.ts')],
      outfile: bundle,
      ...NODE_CJS,
    });
    child = fork(bundle, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const worker = connect(child);
    await worker.next(); // started
    const rss0 = (await worker.ask({ type: 'mark' })).rssMb;
    const ready = await worker.ask({ type: 'setup', root: tmp, folders: FOLDERS });
    const folders = ready.folders;
    log(
      `${folders.length} folders watched in ${round(ready.watchMs, 0)} ms (${round(ready.watchCpuMs, 0)} ms CPU), ${ready.inotifyWatches} inotify watches, RSS ${round(rss0, 1)} → ${round(ready.rssAfterMb, 1)} MiB`,
    );

    // Idle window: nothing is written.
    await sleep(1000);
    const idle0 = await worker.ask({ type: 'mark' });
    await sleep(WINDOW_S * 1000);
    const idle1 = await worker.ask({ type: 'mark' });

    // Busy window: the agents edit their own files, 50 writes/s across the folders.
    const busy0 = await worker.ask({ type: 'mark' });
    const started = Date.now();
    let n = 0;
    while (Date.now() - started < WINDOW_S * 1000) {
      const f = folders[n % folders.length];
      if (n % 5 === 4) writeFileSync(join(f.folder, 'NOTES.md'), `step ${n}\n`);
      else writeFileSync(join(f.folder, f.script), `// edit ${n}\nexport default {};\n`);
      n++;
      await sleep(20);
    }
    const busy1 = await worker.ask({ type: 'mark' });
    if (busy1.violations !== busy0.violations) throw new Error(`the agents' own edits raised ${busy1.violations - busy0.violations} violations`);
    log(
      `windows of ${WINDOW_S} s: idle ${round((idle1.cpuMs - idle0.cpuMs) / 1000, 3)} s CPU; with ${n} own-file writes ${round((busy1.cpuMs - busy0.cpuMs) / 1000, 3)} s CPU, RSS ${round(busy1.rssMb, 1)} MiB`,
    );

    // Restore latency: one tampering write at a time from this process, polled until restored.
    const latencies = [];
    const writeCalls = [];
    const writeAt = [];
    await worker.ask({ type: 'times' }); // forget earlier ones
    let timeouts = 0;
    for (let i = 0; i < WRITES; i++) {
      const f = folders[i % folders.length];
      const rel = f.fixtures[Math.floor(i / folders.length) % f.fixtures.length];
      const file = join(f.folder, rel);
      const baseline = readFileSync(join(f.baselineDir, 'files', rel));
      const fake = Buffer.from(`{"faked": ${i}}\n`);
      const t0 = performance.now();
      writeAt.push(performance.timeOrigin + t0);
      writeFileSync(file, fake);
      writeCalls.push(performance.now() - t0);
      let restored = false;
      for (;;) {
        let now;
        try {
          now = readFileSync(file);
        } catch {
          now = undefined;
        }
        if (now && now.equals(baseline)) {
          restored = true;
          break;
        }
        if (performance.now() - t0 > RESTORE_TIMEOUT_MS) break;
      }
      const ms = performance.now() - t0;
      if (restored) latencies.push(ms);
      else timeouts++;
      await sleep(GAP_MS);
    }
    await sleep(200);
    const end = await worker.ask({ type: 'mark' });
    const { violationAt } = await worker.ask({ type: 'times' });

    // The floor: the same writes seen by a bare fs.watch in the same (otherwise idle) process.
    const bareDir = join(tmp, 'bare');
    mkdirSync(bareDir);
    await worker.ask({ type: 'bare', dir: bareDir });
    const bareWriteAt = [];
    for (let i = 0; i < WRITES; i++) {
      const t0 = performance.now();
      bareWriteAt.push(performance.timeOrigin + t0);
      writeFileSync(join(bareDir, 'f.json'), `{"faked": ${i}}\n`);
      await sleep(GAP_MS);
    }
    const { bareEventAt } = await worker.ask({ type: 'times' });
    const logged = end.violations - busy1.violations;
    const reported = violationAt.length === writeAt.length ? violationAt.map((t, i) => t - writeAt[i]) : [];
    // The first event of each write (a write raises several).
    const wake = bareWriteAt
      .map((t, i) => (bareEventAt.find((e) => e >= t && (i + 1 === bareWriteAt.length || e < bareWriteAt[i + 1])) ?? NaN) - t)
      .filter(Number.isFinite);

    const figures = {
      p50_ms: round(quantile(latencies, 0.5), 3),
      p95_ms: round(quantile(latencies, 0.95), 3),
      cpu_s_50_folders: round((busy1.cpuMs - busy0.cpuMs) / 1000, 3),
      rss_mb_50_folders: round(busy1.rssMb, 1),
      // extras
      max_ms: round(Math.max(...latencies), 3),
      mean_ms: round(latencies.reduce((a, b) => a + b, 0) / latencies.length, 3),
      write_call_p50_ms: round(quantile(writeCalls, 0.5), 3),
      reported_p50_ms: reported.length ? round(quantile(reported, 0.5), 3) : null,
      reported_p95_ms: reported.length ? round(quantile(reported, 0.95), 3) : null,
      bare_fs_watch_wakeup_p50_ms: round(quantile(wake, 0.5), 3),
      bare_fs_watch_wakeup_p95_ms: round(quantile(wake, 0.95), 3),
      writes: WRITES,
      restore_timeouts: timeouts,
      violations_logged: logged,
      tampering_from: 'a separate process (the bench parent); the guard runs in its own child process',
      rss_peak_mb_50_folders: round(busy1.peakRssMb, 1),
      rss_mb_0_folders: round(rss0, 1),
      cpu_s_50_folders_idle: round((idle1.cpuMs - idle0.cpuMs) / 1000, 3),
      window_s: WINDOW_S,
      own_file_writes_in_window: n,
      folders: folders.length,
      watch_50_folders_ms: round(ready.watchMs, 0),
      watch_cpu_ms: round(ready.watchCpuMs, 0),
      inotify_watches: ready.inotifyWatches,
      guard_errors: end.errors.length,
      load_avg_end: round(loadavg()[0], 2),
    };
    if (end.errors.length) log(`guard errors: ${end.errors.join('; ')}`);
    log(
      `restore latency over ${latencies.length} writes: p50 ${figures.p50_ms} ms, p95 ${figures.p95_ms} ms, max ${figures.max_ms} ms; ` +
        `${logged} violations logged, ${timeouts} timeouts`,
    );
    await worker.ask({ type: 'stop' });
    return figures;
  } finally {
    child?.kill();
    rmSync(tmp, { recursive: true, force: true });
  }
}
