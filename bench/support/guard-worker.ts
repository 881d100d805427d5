// The guard process of bench/guard-restore.mjs: one FixtureGuard (as the extension host would run it,
// sweep on at its default) over N interaction folders, each scaffolded by scaffoldInteraction, given
// recorded fixtures and a baseline (createBaseline). The parent process does every write (tampering
// and the agents' own edits) and asks this process, over IPC, for its CPU time and memory.
import { type FSWatcher, promises as fs, watch } from 'node:fs';
import * as path from 'node:path';
import { FixtureGuard } from '../../src/core/guard/fixtureGuard';
import { createBaseline } from '../../src/core/guard/manifest';
import { interactionFolder } from '../../src/core/workspace/paths';
import { scaffoldInteraction, scriptRelativePath } from '../../src/core/workspace/scaffold';
import { targetsFor } from '../../test/support/specs';
import type { GuardBenchFolder, GuardBenchReply, GuardBenchRequest } from './guard-shared';

const mb = (bytes: number) => bytes / 2 ** 20;
const send = (m: GuardBenchReply) => process.send?.(m);

// Recorded fixtures of a few sizes, like real API responses (2, 8 and 32 KiB).
function fixture(id: string, kib: number): string {
  const items: unknown[] = [];
  let text = '';
  for (let i = 0; text.length < kib * 1024; i++) {
    items.push({
      id: `${id}-${i}`,
      summary: `Item ${i}`,
      updated: `2025-03-${String((i % 28) + 1).padStart(2, '0')}T10:00:00Z`,
      etag: `"${(i * 2654435761) % 2 ** 32}"`,
    });
    text = JSON.stringify({ input: {}, output: { items } }, null, 2);
  }
  return text + '\n';
}

let guard: FixtureGuard | undefined;
let violations = 0;
const violationAt: number[] = [];
const bareEventAt: number[] = [];
let bare: FSWatcher | undefined;
const errors: string[] = [];
let peakRss = 0;
setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 50).unref();

/** inotify watches this process holds (Linux), from /proc/self/fdinfo. */
async function inotifyWatches(): Promise<number> {
  let n = 0;
  const fds = await fs.readdir('/proc/self/fdinfo').catch(() => [] as string[]);
  for (const fd of fds) {
    const text = await fs.readFile(`/proc/self/fdinfo/${fd}`, 'utf8').catch(() => '');
    n += text.split('\n').filter((l) => l.startsWith('inotify wd:')).length;
  }
  return n;
}

async function setup(root: string, folders: number): Promise<GuardBenchReply> {
  const rssBefore = mb(process.memoryUsage.rss());
  const out: GuardBenchFolder[] = [];
  const integrations = ['google-calendar', 'hubspot', 'salesforce', 'github', 'slack'];
  const perIntegration = Math.ceil(folders / integrations.length);
  const workRoot = path.join(root, 'work');
  for (const integration of integrations) {
    const ids = Array.from({ length: perIntegration }, (_, i) => `interaction-${i + 1}`);
    for (const { interaction } of targetsFor(integration, ids)) {
      if (out.length >= folders) break;
      const folder = interactionFolder(workRoot, integration, interaction.id);
      await scaffoldInteraction(folder, interaction);
      const tests = path.join(folder, integration, 'tests');
      const fixtures = [2, 8, 32].map((kib, i) => ({ rel: `${integration}/tests/${interaction.id}${i ? `-${i}` : ''}.test.json`, kib }));
      for (const f of fixtures) await fs.writeFile(path.join(folder, f.rel), fixture(`${interaction.id}-${f.kib}`, f.kib));
      await fs.writeFile(path.join(tests, `${interaction.id}.test.ts`), `import { it } from 'vitest';\nit('replays', () => {});\n`);
      const baselineDir = path.join(workRoot, '.runs', integration, `${interaction.id}.baseline`);
      await createBaseline(folder, baselineDir, { integrationId: integration, scriptRel: scriptRelativePath(interaction) });
      out.push({ folder, key: interaction.key, baselineDir, fixtures: fixtures.map((f) => f.rel), script: scriptRelativePath(interaction) });
    }
  }
  guard = new FixtureGuard({ currentActivity: () => ({ text: 'bench', callIds: ['bench'] }) });
  guard.onViolation(() => {
    violations++;
    violationAt.push(performance.timeOrigin + performance.now());
  });
  guard.onError((e) => errors.push(e.error.message));
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (const f of out) await guard.watch({ folder: f.folder, key: f.key, baselineDir: f.baselineDir });
  const watchMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return {
    type: 'ready',
    folders: out,
    watchMs,
    watchCpuMs: (cpu.user + cpu.system) / 1000,
    rssBeforeMb: rssBefore,
    rssAfterMb: mb(process.memoryUsage.rss()),
    inotifyWatches: await inotifyWatches(),
  };
}

process.on('message', (raw) => {
  const m = raw as GuardBenchRequest;
  void (async (): Promise<GuardBenchReply> => {
    switch (m.type) {
      case 'setup':
        return setup(m.root, m.folders);
      case 'mark': {
        // A window boundary: CPU since process start and RSS now; peak RSS since the last mark.
        const cpu = process.cpuUsage();
        const reply: GuardBenchReply = {
          type: 'mark',
          cpuMs: (cpu.user + cpu.system) / 1000,
          rssMb: mb(process.memoryUsage.rss()),
          peakRssMb: mb(peakRss),
          violations,
          errors,
        };
        peakRss = process.memoryUsage.rss();
        return reply;
      }
      case 'times':
        return { type: 'times', violationAt: violationAt.splice(0), bareEventAt: bareEventAt.splice(0) };
      case 'bare':
        bare?.close();
        bare = watch(m.dir, () => bareEventAt.push(performance.timeOrigin + performance.now()));
        return { type: 'watching' };
      case 'stop':
        bare?.close();
        await guard?.dispose();
        return { type: 'stopped' };
    }
  })().then(
    (reply) => send(reply),
    (err: Error) => send({ type: 'failed', message: err.stack ?? err.message }),
  );
});
send({ type: 'started' });
