// Feedback turns and restarts that remember (issue 16 item 2), on the in-memory backend with a fixed
// clock: a person's feedback goes to the finished attempt's own session as a new turn — same folder,
// same attempt, guard and seal kept — and is verified like the first turn; the old verdict is kept in
// the record and never read as the new one. A restart from scratch tells the new attempt what Verify
// found in the old one (the findings, not its code).
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Orchestrator, type Verifier } from '../../src/core/orchestrator';
import { RunStore } from '../../src/core/runs/store';
import { reportFileFor, saveReport } from '../../src/core/verify';
import type { Finding, VerifyReport, VerifyTarget } from '../../src/core/verify/types';
import { FakeBackend, FakeTools } from '../support/fakeBackend';
import { targetsFor } from '../support/specs';

let root: string;
let backend: FakeBackend;
let o: Orchestrator;
let store: RunStore;
const KEY = 'google-calendar/create-event';
const clock = () => new Date('2026-12-02T12:00:00.000Z');
const target = () => targetsFor('google-calendar', ['create-event']);
const folderOf = () => path.join(root, 'work', 'google-calendar', 'create-event');

/** Verdicts the fake verifier gives, in order; each report is saved beside the record, as the real one is. */
let verdicts: { verdict: VerifyReport['verdict']; findings?: Finding[] }[];
const verified: VerifyTarget[] = [];
const verifier: Verifier = async (targets) => {
  const out: VerifyReport[] = [];
  for (const t of targets) {
    verified.push(t);
    const next = verdicts.shift() ?? { verdict: 'verified' };
    const report = {
      version: 1,
      key: t.key,
      integrationId: t.integrationId,
      interactionId: t.interactionId,
      folder: t.folder,
      attempt: t.run?.attempt ?? 0,
      verdict: next.verdict,
      checks: [{ check: 'tests', outcome: next.verdict === 'verified' ? 'passed' : 'failed', findings: next.findings ?? [], durationMs: 1 }],
      startedAt: clock().toISOString(),
      durationMs: 1,
    } as unknown as VerifyReport;
    await saveReport(report, store.fileOf(t.key));
    out.push(report);
  }
  return out;
};

function orchestrator(extra: Partial<ConstructorParameters<typeof Orchestrator>[0]> = {}): Orchestrator {
  store = new RunStore(path.join(root, 'work'));
  o = new Orchestrator({ workRoot: path.join(root, 'work'), connection: backend, runs: store, tools: new FakeTools(), now: clock, verifier, ...extra });
  o.rememberTargets(target());
  return o;
}

/** The prompts of the `session`-th session made (1: the first), once it has `n` of them. */
async function prompts(n: number, session = 1): Promise<string[]> {
  await vi.waitFor(() => expect(backend.calls.filter((c) => c.startsWith('createSession'))).toHaveLength(session));
  await vi.waitFor(() => expect(backend.sessionIn(folderOf())?.prompts.length).toBe(n));
  return backend.sessionIn(folderOf())!.prompts.map((p) => p.text);
}

async function finish(text = 'Done: tests pass.'): Promise<void> {
  const sessionId = backend.sessionIn(folderOf())!.ref.sessionId;
  backend.emit(sessionId, { type: 'finished', messageId: `m${Math.random()}`, finish: 'stop', text });
  await o.whenIdle();
}

beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), 'ib-feedback-'));
  backend = new FakeBackend();
  verdicts = [];
  verified.length = 0;
});
afterEach(() => {
  o?.dispose();
  rmSync(root, { recursive: true, force: true });
});

describe('feedback turns', () => {
  it('goes to the same session as a new turn, in the folder as it is, and is verified like the first; the old verdict is kept, not read as the new one', async () => {
    orchestrator({ verifyAfterRun: true });
    verdicts = [
      { verdict: 'verified' },
      { verdict: 'failed', findings: [{ check: 'tests', rule: 'tests.failed', severity: 'error', message: 'expected 2 events' }] },
    ];
    o.generate(target());
    await prompts(1);
    await finish();
    expect(o.get(KEY)!.status).toBe('verified');
    const sessionId = backend.sessionIn(folderOf())!.ref.sessionId;
    // What the agent left in its folder stays: a feedback turn does not scaffold anew.
    writeFileSync(path.join(folderOf(), 'NOTES.md'), 'left by turn 1');

    await o.sendFeedback(KEY, '  Handle a 404 for a deleted calendar.  ');
    const [, second] = await prompts(2);
    expect(backend.sessionIn(folderOf())!.ref.sessionId).toBe(sessionId);
    expect(backend.calls.filter((c) => c.startsWith('createSession'))).toHaveLength(1);
    expect(backend.calls).toContain(`reattach ${sessionId}`);
    expect(second).toContain('# Feedback on your work (turn 2)');
    expect(second).toContain('Handle a 404 for a deleted calendar.');
    expect(readFileSync(path.join(folderOf(), 'NOTES.md'), 'utf8')).toBe('left by turn 1');

    const during = o.get(KEY)!;
    expect(during.attempt).toBe(1);
    expect(during.status).toBe('running');
    expect(during.verification).toBeUndefined();
    expect(during.feedback).toEqual([
      {
        at: '2026-12-02T12:00:00.000Z',
        text: 'Handle a 404 for a deleted calendar.',
        turn: 2,
        before: { status: 'verified', detail: expect.any(String), verification: expect.objectContaining({ verdict: 'verified', attempt: 1 }) },
      },
    ]);
    // The first turn's report is moved aside: nothing (Assemble, the views) reads it as this turn's.
    const reportFile = reportFileFor(store.fileOf(KEY));
    expect(existsSync(reportFile)).toBe(false);
    expect(JSON.parse(readFileSync(reportFile.replace(/\.verify\.json$/, '.attempt-1.turn-1.verify.json'), 'utf8'))).toMatchObject({ verdict: 'verified' });

    await finish('Done: handles 404.');
    const after = o.get(KEY)!;
    expect(verified).toHaveLength(2);
    expect(after.status).toBe('failed');
    expect(after.verification).toMatchObject({ verdict: 'failed', attempt: 1 });
    expect(after.feedback).toHaveLength(1);
    // The transcript keeps both turns' prompts.
    const entries = (await store.readTranscript(KEY, 1)) as { type: string; feedback?: boolean; turn?: number }[];
    expect(entries.filter((e) => e.type === 'prompt').map((e) => e.turn ?? 1)).toEqual([1, 2]);
    const saved = (await new RunStore(path.join(root, 'work')).loadAll()).find((r) => r.key === KEY)!;
    expect(saved.feedback?.[0]?.before.verification?.verdict).toBe('verified');
  });

  it('is refused while the run goes on, when empty, or for an interaction that never ran', async () => {
    orchestrator();
    await expect(o.sendFeedback(KEY, 'x')).rejects.toThrow(/has not run/);
    o.generate(target());
    await prompts(1);
    await expect(o.sendFeedback(KEY, 'x')).rejects.toThrow(/still running/);
    await finish();
    await expect(o.sendFeedback(KEY, '   ')).rejects.toThrow(/empty/);
  });

  it('a session that is gone ends the turn failed, saying to restart from scratch', async () => {
    orchestrator();
    o.generate(target());
    await prompts(1);
    await finish();
    backend.session(backend.sessionIn(folderOf())!.ref.sessionId).deleted = true;
    await o.sendFeedback(KEY, 'Use the v3 endpoint.');
    await o.whenIdle();
    const run = o.get(KEY)!;
    expect(run.status).toBe('failed');
    expect(run.detail).toMatch(/is gone .*restart from scratch/);
    expect(run.feedback).toHaveLength(1);
  });
});

describe('restart from scratch', () => {
  it('tells the new attempt what Verify found in the old one (findings, never code)', async () => {
    orchestrator();
    verdicts = [
      {
        verdict: 'failed',
        findings: [
          {
            check: 'fixtures',
            rule: 'fixtures.missing',
            severity: 'error',
            message: 'no recorded fixture for the request the script makes',
            location: { file: 'google-calendar/actions/create-event.ts', line: 12 },
          },
          { check: 'lint', rule: 'lint.style', severity: 'info', message: 'prefer const' },
        ],
      },
    ];
    o.generate(target());
    const [first] = await prompts(1);
    expect(first).not.toContain('What went wrong last time');
    await finish();
    await o.verify([KEY]);
    expect(o.get(KEY)!.status).toBe('failed');
    await o.restartFromScratch(target()[0]!);
    const [second] = await prompts(1, 2);
    expect(o.get(KEY)!.attempt).toBe(2);
    expect(second).toContain('## What went wrong last time');
    expect(second).toContain('attempt 1 of this interaction was verified as failed');
    expect(second).toContain('fixtures.missing: no recorded fixture for the request the script makes (google-calendar/actions/create-event.ts:12)');
    // Info-level notes are not repeated as failures.
    expect(second).not.toContain('prefer const');
  });

  it('after a verified attempt, a restart starts with no such section', async () => {
    orchestrator({ verifyAfterRun: true });
    o.generate(target());
    await prompts(1);
    await finish();
    expect(o.get(KEY)!.status).toBe('verified');
    await o.restartFromScratch(target()[0]!);
    const [second] = await prompts(1, 2);
    expect(second).not.toContain('What went wrong last time');
  });

  it('an automatic restart after a failed verdict is verified when it ends (it used to be left out as still active)', async () => {
    orchestrator({ autoRestartAttempts: 1 });
    verdicts = [
      { verdict: 'failed', findings: [{ check: 'tests', rule: 'tests.failed', severity: 'error', message: 'expected 2 events' }] },
      { verdict: 'verified' },
    ];
    o.generate(target());
    await prompts(1);
    await finish();
    await o.verify([KEY]);
    const [second] = await prompts(1, 2);
    expect(second).toContain('tests.failed: expected 2 events');
    await finish();
    expect(verified).toHaveLength(2);
    const run = o.get(KEY)!;
    expect(run.attempt).toBe(2);
    expect(run.status).toBe('verified');
    expect(run.history[0]).toMatchObject({ attempt: 1, status: 'failed' });
  });
});
