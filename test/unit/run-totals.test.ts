// One total for every view: the status bar (Orchestrator.totals → totalSpent), the Agents panel's header
// (PanelModel.totals) and the records (runSummary) agree on what a batch with restarts has cost.
import { describe, expect, it } from 'vitest';
import { ZERO_TOKENS, type Tokens } from '../../src/core/agent/events';
import { newRunRecord, nextAttempt, runSummary, type RunRecord } from '../../src/core/runs/record';
import { attemptSpent, interactionSpent, priorSpent, totalSpent } from '../../src/core/runs/totals';
import { PanelModel } from '../../src/extension/panelModel';

const t = (input: number, output: number, reasoning = 0, cacheRead = 0, cacheWrite = 0): Tokens => ({ input, output, reasoning, cacheRead, cacheWrite });

function run(key: string, costUsd: number, tokens: Tokens): RunRecord {
  const r = newRunRecord({
    key,
    integrationId: key.split('/')[0]!,
    interactionId: key.split('/')[1]!,
    specFile: '/s.json',
    folder: `/w/${key}`,
    demo: false,
    now: '2026-12-02T10:00:00.000Z',
  });
  return { ...r, status: 'running', costUsd, tokens };
}

describe('what runs spent, counted once', () => {
  const restarted = (() => {
    const first = run('g/a', 0.4, t(1000, 100, 0, 5000, 200));
    const second = nextAttempt({ ...first, status: 'failed' }, '2026-12-02T10:05:00.000Z');
    return { ...second, status: 'running' as const, costUsd: 0.1, tokens: t(300, 30, 10) };
  })();
  const plain = run('g/b', 0.25, t(500, 50));

  it('attempt, earlier attempts and the interaction', () => {
    expect(attemptSpent(restarted)).toEqual({ costUsd: 0.1, tokens: 340 });
    expect(priorSpent(restarted)).toEqual({ costUsd: 0.4, tokens: 1100 });
    expect(interactionSpent(restarted)).toEqual({ costUsd: 0.5, tokens: 1440 });
    expect(interactionSpent(run('g/z', 0, ZERO_TOKENS))).toEqual({ costUsd: 0, tokens: 0 });
  });

  it('the status bar, the panel header and the records show the same total', () => {
    const runs = [restarted, plain];
    const bar = totalSpent(runs);
    const panel = new PanelModel();
    for (const r of runs) panel.onRun(r);
    const header = panel.totals();
    const records = runs
      .map(runSummary)
      .reduce((s, r) => ({ costUsd: s.costUsd + (r.costUsd ?? 0), tokens: s.tokens + (r.tokens ?? 0) }), { costUsd: 0, tokens: 0 });
    expect(bar.costUsd).toBeCloseTo(0.75, 10);
    expect(bar.tokens).toBe(1990);
    expect(header.costUsd).toBeCloseTo(bar.costUsd, 10);
    expect(header.tokens).toBe(bar.tokens);
    expect(records.costUsd).toBeCloseTo(bar.costUsd, 10);
    expect(records.tokens).toBe(bar.tokens);
  });
});
