// bench/scale.mjs's workload: N distinct interactions made from the example spec's five APIs, and the
// model's own time at a concurrency (the bench's ideal_s).
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { idealMs, scaleTargets } from '../../bench/support/scale-entry';

const REPO = path.resolve(__dirname, '../..');

describe('scale bench workload', () => {
  it('makes N distinct runnable interactions over the five APIs, each copy keeping its kind', () => {
    const targets = scaleTargets(REPO, 45);
    const keys = targets.map((t) => t.interaction.key);
    expect(new Set(keys).size).toBe(45);
    // Round-robin over the APIs: the first five are one of each.
    expect(new Set(targets.slice(0, 5).map((t) => t.integration.id)).size).toBe(5);
    expect(new Set(targets.map((t) => t.integration.id)).size).toBe(5);
    const byKey = new Map(targets.map((t) => [t.interaction.key, t.interaction]));
    const sync = byKey.get('google-calendar/sync-events');
    const copy = [...byKey.values()].find((i) => i.id === 'sync-events-2');
    expect(sync?.kind).toBe('sync');
    expect(copy?.kind).toBe('sync');
    expect(copy?.integrationId).toBe('google-calendar');
  });

  it('ideal: the FIFO queue of model times at a concurrency', () => {
    expect(idealMs([10, 10, 10, 10], 2)).toBe(20);
    expect(idealMs([10, 10, 10], 20)).toBe(10);
    expect(idealMs([30, 10, 10, 10], 2)).toBe(30);
    expect(idealMs([], 20)).toBe(0);
  });
});
