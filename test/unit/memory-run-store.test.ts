// Memory that does not grow with N (issue 15, item 3): the run store's map of writes in flight after
// many runs. Each run writes as the orchestrator does — its record saved again and again (every status
// change, cost updates), transcript lines appended per event — and some runs' writes fail (a records
// folder that cannot be made); the map holds one entry per file being written, none once they settle.
import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { newRunRecord } from '../../src/core/runs/record';
import { RunStore } from '../../src/core/runs/store';

const N = 200;
let workRoot: string;
beforeEach(async () => {
  workRoot = await fsp.mkdtemp(path.join(os.tmpdir(), 'ib-runs-memory-'));
});
afterEach(async () => {
  await fsp.rm(workRoot, { recursive: true, force: true });
});

function record(integrationId: string, interactionId: string) {
  return newRunRecord({
    key: `${integrationId}/${interactionId}`,
    integrationId,
    interactionId,
    specFile: '/ws/interactions.json',
    folder: path.join(workRoot, integrationId, interactionId),
    model: 'demo/scripted',
    demo: true,
    now: '2026-01-01T00:00:00.000Z',
  });
}

describe('RunStore memory over N runs (issue 15, item 3)', () => {
  it(`holds one write per file in flight, and none after ${N} runs' writes settle, failed ones included`, async () => {
    const store = new RunStore(workRoot);
    // Records of the `broken` API cannot be written: its folder under .runs/ is a file.
    await fsp.mkdir(path.join(workRoot, '.runs'), { recursive: true });
    await fsp.writeFile(path.join(workRoot, '.runs', 'broken'), 'not a folder');
    const writes: Promise<void>[] = [];
    let peak = 0;
    for (let i = 0; i < N; i++) {
      const run = record(i % 10 === 0 ? 'broken' : 'api', `interaction-${i}`);
      for (let k = 0; k < 10; k++) {
        writes.push(store.save({ ...run, steps: k }).catch(() => undefined));
        writes.push(store.appendTranscript(run.key, 1, [{ type: 'step', k }]).catch(() => undefined));
      }
      // At most a record and a transcript per run being written: repeated writes of one file chain, not pile up.
      peak = Math.max(peak, store.pendingWrites);
      expect(store.pendingWrites).toBeLessThanOrEqual(2 * (i + 1));
      // Runs end as others start: every tenth, let what was written so far settle.
      if (i % 10 === 9) await Promise.all(writes.splice(0));
    }
    await Promise.all(writes);
    await store.flush();
    expect(peak).toBeGreaterThan(0);
    expect(store.pendingWrites).toBe(0);
    // The writes did happen (and the failed ones failed): the map's emptiness is not from writing nothing.
    const saved = await store.loadAllChecked();
    expect(saved.records).toHaveLength(N - N / 10);
    expect(saved.records.every((r) => r.steps === 9)).toBe(true);
  });
});
