// record-step: what a recording costs (record_fixture's toolchain part): the recorder in one process
// (src/core/toolchain/recorder.ts: the CLI's own compile and dry run, forwarding to the key proxy itself)
// against the way it recorded before, and still does on a CLI without those pieces: the prebuild
// (prebuild.ts), then `nango dryrun --save` behind the forwarder process (keyProxy.ts). Both on the same
// folders (the verify samples, test/fixtures/verify: an action and a sync, with this repository's
// installed Nango CLI), through the harness's key proxy on a Unix socket, against the demo's loopback
// Nango stand-in, interleaved A/B then B/A, RUNS pairs of each (default 6), unconfined (the sandbox
// costs both sides the same; `npm run bench -- sandbox` measures it).
//
// Figures (CPU-s = user + system of the process tree, from the shell's `times`):
//   recorder_cpu_s, cli_cpu_s        medians of each side
//   ratio                            median over pairs of recorder / cli
//   saving_cpu_s_per_recording       cli_cpu_s − recorder_cpu_s
//   same_fixture                     the two saved the same fixture (byte for byte but the responses' Date header)
//   load_avg_start/end               1-minute load average (how noisy the machine was)
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleCjs } from './support/bundle.mjs';
import { cpuOf, measurePairs, pairFigures } from './support/cpuPairs.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

export async function run({ log }) {
  const load0 = loadavg()[0];
  const { NANGO_PREBUILD, compileModuleOf } = await bundleCjs('src/core/toolchain/prebuild.ts', 'prebuild');
  const { NANGO_RECORD, recorderDistOf } = await bundleCjs('src/core/toolchain/recorder.ts', 'recorder');
  const { RECORDER_FORWARDER, startKeyProxy } = await bundleCjs('src/core/toolchain/keyProxy.ts', 'keyProxy');
  const { DemoNango } = await bundleCjs('src/core/model/demoNango.ts', 'demoNango');
  const bin = join(root, 'node_modules', '.bin', 'nango');
  const compileModule = compileModuleOf(bin);
  const dist = recorderDistOf(bin);
  if (!compileModule || !dist) throw new Error(`the installed Nango CLI (${bin}) has not the modules the prebuild and the recorder use`);
  // answers as Google Calendar would: the created event, or one page of two events
  const event = (id) => ({
    id,
    status: 'confirmed',
    summary: `Event ${id}`,
    htmlLink: `https://calendar.example.test/e/${id}`,
    updated: '2026-01-01T08:00:00Z',
    start: { dateTime: '2026-01-01T09:00:00Z' },
    end: { dateTime: '2026-01-01T09:15:00Z' },
  });
  const nango = new DemoNango((method, _path, body) =>
    method === 'POST'
      ? { status: 200, body: { ...event('evt_1'), ...JSON.parse(body || '{}') } }
      : { status: 200, body: { items: [event('evt_1'), event('evt_2')] } },
  );
  await nango.start();
  const socketDir = mkdtempSync(join(tmpdir(), 'ib-bench-recorder-'));
  const work = join(root, '.test-runs', `bench-record-step-${process.pid}`);
  rmSync(work, { recursive: true, force: true });
  // under the repository, so the project's node_modules (nango, zod) resolve above each folder as in a run
  const samples = ['create-event', 'sync-events'].map((id) => {
    const folder = join(work, id);
    cpSync(join(root, 'test', 'fixtures', 'verify', 'google-calendar', id), folder, { recursive: true, filter: (src) => !/\/(node_modules|build)$/.test(src) });
    const fixture = join(folder, 'google-calendar', 'tests', `${id}.test.json`);
    const input = id === 'create-event' ? JSON.stringify(JSON.parse(readFileSync(fixture, 'utf8')).input) : undefined;
    return { id, folder, fixture, input };
  });
  let proxy;
  try {
    proxy = await startKeyProxy({
      upstream: nango.url,
      secretKey: 'demo-stand-in-secret',
      connectionId: 'conn-1',
      integrationId: 'google-calendar',
      socketDir,
    });
    const env = { NANGO_SECRET_KEY_DEV: proxy.token };
    const sides = (s) => ({
      recorder: [
        [
          'node',
          '--input-type=module',
          '-e',
          NANGO_RECORD,
          '--',
          dist,
          'dryrun',
          s.id,
          'conn-1',
          'dev',
          'google-calendar',
          proxy.url,
          ...(s.input ? [s.input] : []),
        ],
      ],
      cli: [
        ['node', '--input-type=module', '-e', NANGO_PREBUILD, '--', compileModule],
        [
          'node',
          '-e',
          RECORDER_FORWARDER,
          '--',
          proxy.url,
          bin,
          'dryrun',
          s.id,
          'conn-1',
          '--save',
          '-e',
          'dev',
          '--integration-id',
          'google-calendar',
          '--no-interactive',
          '--auto-confirm',
          ...(s.input ? ['--input', s.input] : []),
        ],
      ],
    });
    const reset = (s) => {
      rmSync(join(s.folder, 'build'), { recursive: true, force: true });
      rmSync(s.fixture, { force: true });
    };
    let sameFixture = true;
    for (const s of samples) {
      const saved = {};
      for (const [name, commands] of Object.entries(sides(s))) {
        reset(s);
        await cpuOf(commands, s.folder, env); // also warms the file cache
        // the one thing that differs between two recordings is the time the stand-in answered (its Date header)
        saved[name] = readFileSync(s.fixture, 'utf8').replace(/"date": "[^"]*"/g, '"date": ""');
      }
      sameFixture &&= saved.recorder.length > 0 && saved.recorder === saved.cli;
    }
    const runs = Number(process.env.RUNS || 6);
    const m = await measurePairs({ runs, items: samples, names: ['recorder', 'cli'], sides, reset, cwd: (s) => s.folder, env, log, label: (s) => s.id });
    return { runs, ...pairFigures(m, ['recorder', 'cli'], 'recording', load0), same_fixture: sameFixture };
  } finally {
    await proxy?.close();
    await nango.close();
    rmSync(work, { recursive: true, force: true });
    rmSync(socketDir, { recursive: true, force: true });
  }
}
