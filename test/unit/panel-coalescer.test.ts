import { describe, expect, it, vi } from 'vitest';
import { newRunRecord, type RunRecord } from '../../src/core/runs/record';
import { Coalescer, PanelModel } from '../../src/extension/panelModel';
import type { HostMessage } from '../../src/shared/protocol';

const KEY = 'g/a';
const run = (extra: Partial<RunRecord>): RunRecord => ({
  ...newRunRecord({ key: KEY, integrationId: 'g', interactionId: 'a', specFile: '/s', folder: '/w/g/a', demo: false, now: '2026-11-22T10:00:00.000Z' }),
  ...extra,
});
type Stream = Extract<HostMessage, { type: 'stream' }>;

describe('Coalescer.reset', () => {
  it('a new attempt of the selected agent goes out whole with reset, once per interval, with what came after it', () => {
    vi.useFakeTimers();
    try {
      const m = new PanelModel();
      const sent: HostMessage[] = [];
      const c = new Coalescer(m, (x) => sent.push(x), 50);
      c.selected = KEY;
      m.onRun(run({ status: 'running', attempt: 1 }));
      c.items(KEY, m.onEvent(KEY, { type: 'text.done', sessionId: 's1', messageId: 'm', partId: 'old', text: 'one' }));
      vi.advanceTimersByTime(50);
      sent.length = 0;
      // Restart from scratch: events of the old attempt still in flight, then the new record, then new events.
      c.items(KEY, m.onEvent(KEY, { type: 'text.done', sessionId: 's1', messageId: 'm', partId: 'old2', text: 'late' }));
      expect(m.onRun(run({ status: 'queued', attempt: 2 }))).toBe(true);
      c.reset(KEY);
      c.items(KEY, m.onEvent(KEY, { type: 'text.done', sessionId: 's2', messageId: 'm', partId: 'new', text: 'two' }));
      expect(sent).toEqual([]);
      vi.advanceTimersByTime(50);
      const streams = sent.filter((s): s is Stream => s.type === 'stream');
      expect(streams).toHaveLength(1);
      expect(streams[0]).toMatchObject({ key: KEY, reset: true, items: [{ id: 'new', text: 'two' }] });
      expect(sent.filter((s) => s.type === 'agents')).toHaveLength(1);
      // Afterwards, increments again.
      sent.length = 0;
      c.items(KEY, m.onEvent(KEY, { type: 'text.done', sessionId: 's2', messageId: 'm', partId: 'new2', text: 'three' }));
      vi.advanceTimersByTime(50);
      expect(sent.find((s) => s.type === 'stream')).toMatchObject({ reset: false, items: [{ id: 'new2' }] });
    } finally {
      vi.useRealTimers();
    }
  });

  it('an agent that is not selected sends no stream, only the list', () => {
    vi.useFakeTimers();
    try {
      const m = new PanelModel();
      const sent: HostMessage[] = [];
      const c = new Coalescer(m, (x) => sent.push(x), 50);
      c.selected = 'other/x';
      m.onRun(run({ status: 'running', attempt: 1 }));
      m.onRun(run({ status: 'queued', attempt: 2 }));
      c.reset(KEY);
      vi.advanceTimersByTime(50);
      expect(sent.map((s) => s.type)).toEqual(['agents']);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('PanelModel step', () => {
  it('a step adds its cost and tokens to the row as the run record counts them (input + output + reasoning)', () => {
    const m = new PanelModel();
    m.onRun(run({ status: 'running', attempt: 1 }));
    m.onEvent(KEY, {
      type: 'step',
      sessionId: 's',
      messageId: 'm',
      costUsd: 0.01,
      tokens: { input: 100, output: 20, reasoning: 5, cacheRead: 1000, cacheWrite: 0 },
    });
    m.onEvent(KEY, {
      type: 'step',
      sessionId: 's',
      messageId: 'm',
      costUsd: 0.02,
      tokens: { input: 10, output: 2, reasoning: 0, cacheRead: 0, cacheWrite: 0 },
    });
    expect(m.rows()[0]).toMatchObject({ steps: 2, costUsd: 0.03, tokens: 137 });
    expect(m.totals()).toMatchObject({ tokens: 137 });
    // The record published after the step is authoritative.
    m.onRun(run({ status: 'running', attempt: 1, steps: 2, costUsd: 0.03, tokens: { input: 110, output: 22, reasoning: 5, cacheRead: 1000, cacheWrite: 0 } }));
    expect(m.rows()[0]).toMatchObject({ steps: 2, tokens: 137 });
  });
});
