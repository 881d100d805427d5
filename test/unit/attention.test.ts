// Attention (src/shared/attention.ts): run changes grouped into at most one notice; the count of runs that need you.
import { describe, expect, it } from 'vitest';
import { attentionStep, countNeedingYou, EMPTY_ATTENTION, WAITING, type AttentionChange, type AttentionState } from '../../src/shared/attention';

const ch = (key: string, status: string, detail?: string): AttentionChange => ({ key, status, detail });

/** Applies windows of changes one after the other; the notices said, in order. */
function play(windows: AttentionChange[][], from: AttentionState = EMPTY_ATTENTION) {
  let state = from;
  const notices = [];
  for (const w of windows) {
    const r = attentionStep(state, w);
    state = r.state;
    if (r.notice) notices.push(r.notice);
  }
  return { state, notices };
}

describe('attention', () => {
  it('a batch of runs is one summary when its last run ends, not one notice per run', () => {
    const { state, notices } = play([
      [ch('a/1', 'queued'), ch('a/2', 'queued'), ch('b/1', 'queued')],
      [ch('a/1', 'running'), ch('a/2', 'running')],
      [ch('a/1', 'needs-review')],
      [ch('b/1', 'running'), ch('a/2', 'verified')],
      [ch('b/1', 'needs-review')],
    ]);
    expect(notices).toEqual([
      {
        kind: 'batch-finished',
        severity: 'info',
        message: 'All 3 agent runs have finished: 2 awaiting review, 1 verified. 2 runs need you: a/1, b/1.',
        needYou: ['a/1', 'b/1'],
      },
    ]);
    expect(state.batch.size).toBe(0);
    // A later run is a new batch.
    const next = play([[ch('c/1', 'queued')], [ch('c/1', 'running')], [ch('c/1', 'verified')]], state);
    expect(next.notices).toEqual([{ kind: 'batch-finished', severity: 'info', message: 'c/1 has finished: verified.', needYou: [] }]);
  });

  it('runs blocked or failed while others go on are said together, once, with why for one alone', () => {
    const { notices } = play([
      [ch('a/1', 'queued'), ch('a/2', 'queued'), ch('a/3', 'queued'), ch('a/4', 'queued')],
      [ch('a/1', 'running'), ch('a/2', 'running'), ch('a/3', 'running'), ch('a/4', 'running')],
      [ch('a/1', 'blocked', 'asked to record with a secret'), ch('a/2', 'failed', 'provider errors'), ch('a/3', 'blocked', 'x')],
      // The same status again says nothing.
      [ch('a/1', 'blocked', 'asked to record with a secret')],
      [ch('a/4', 'interrupted', 'the server went away')],
    ]);
    expect(notices).toHaveLength(2);
    expect(notices[0]).toEqual({
      kind: 'needs-you',
      severity: 'warning',
      message: '3 runs need you: a/1, a/3 blocked; a/2 failed. 1 other run goes on.',
      needYou: ['a/1', 'a/3', 'a/2'],
    });
    // The last run ending ends the batch: the summary names everything that needs you.
    expect(notices[1]).toMatchObject({ kind: 'batch-finished', severity: 'warning', needYou: ['a/1', 'a/3', 'a/2', 'a/4'] });
    expect(notices[1]!.message).toBe('All 4 agent runs have finished: 2 blocked, 1 failed, 1 interrupted. 4 runs need you: a/1, a/3, a/2 and 1 more.');
  });

  it('one run alone says why it needs you', () => {
    const { notices } = play([[ch('a/1', 'running'), ch('a/2', 'running')], [ch('a/1', 'blocked', 'asked to record with a secret')]]);
    expect(notices).toEqual([
      { kind: 'needs-you', severity: 'warning', message: 'a/1 is blocked: asked to record with a secret. 1 other run goes on.', needYou: ['a/1'] },
    ]);
    const alone = play([[ch('a/1', 'running')], [ch('a/1', 'failed', 'provider errors')]]);
    expect(alone.notices).toEqual([{ kind: 'batch-finished', severity: 'warning', message: 'a/1 has finished: failed — provider errors.', needYou: ['a/1'] }]);
  });

  it('a run waiting for an answer to a permission is said at once, counted, and keeps the batch going until it ends', () => {
    const { notices, state } = play([
      [ch('a/1', 'running'), ch('a/2', 'running')],
      [ch('a/1', WAITING, 'asks permission to edit (fixtures/*)')],
      [ch('a/2', 'needs-review')],
      // Answered: running again, then done.
      [ch('a/1', 'running')],
      [ch('a/1', 'needs-review')],
    ]);
    expect(notices).toEqual([
      {
        kind: 'needs-you',
        severity: 'warning',
        message: 'a/1 is waiting for your answer: asks permission to edit (fixtures/*). 1 other run goes on.',
        needYou: ['a/1'],
      },
      {
        kind: 'batch-finished',
        severity: 'info',
        message: 'All 2 agent runs have finished: 2 awaiting review. 2 runs need you: a/1, a/2.',
        needYou: ['a/1', 'a/2'],
      },
    ]);
    expect(countNeedingYou(state.statuses.values())).toBe(2);
    const two = play([
      [ch('a/1', 'running'), ch('a/2', 'running'), ch('a/3', 'running')],
      [ch('a/1', WAITING), ch('a/2', 'blocked')],
    ]);
    expect(two.notices[0]?.message).toBe('2 runs need you: a/1 waiting for your answer; a/2 blocked. 1 other run goes on.');
    expect(countNeedingYou(two.state.statuses.values())).toBe(2);
  });

  it('a run that goes through several statuses in one window is said by the one it ended in', () => {
    const { notices } = play([
      [ch('a/1', 'running'), ch('a/2', 'running')],
      [ch('a/1', 'failed'), ch('a/1', 'queued'), ch('a/1', 'running')],
    ]);
    expect(notices).toEqual([]);
  });

  it('runs restored from disk are counted, not said; a verification failing outside a batch is said', () => {
    const restored = play([[ch('a/1', 'failed'), ch('a/2', 'interrupted'), ch('a/3', 'verified'), ch('a/4', 'needs-review')]]);
    expect(restored.notices).toEqual([]);
    expect(countNeedingYou(restored.state.statuses.values())).toBe(3);
    const verified = play([[ch('a/4', 'failed', 'tests failed'), ch('a/3', 'verified')]], restored.state);
    expect(verified.notices).toEqual([{ kind: 'needs-you', severity: 'warning', message: 'a/4 failed: tests failed.', needYou: ['a/4'] }]);
    expect(countNeedingYou(verified.state.statuses.values())).toBe(3);
  });

  it('a batch the person stopped ends without a notice', () => {
    const { notices, state } = play([
      [ch('a/1', 'queued'), ch('a/2', 'running')],
      [ch('a/1', 'stopped'), ch('a/2', 'stopped')],
    ]);
    expect(notices).toEqual([]);
    expect(state.batch.size).toBe(0);
  });

  it('what needs you', () => {
    expect(countNeedingYou(['blocked', 'failed', 'interrupted', 'needs-review'])).toBe(4);
    expect(countNeedingYou(['queued', 'running', 'verified', 'stopped', 'not-started'])).toBe(0);
  });
});
