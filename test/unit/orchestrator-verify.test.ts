// The orchestrator's side of verification: verdicts become run statuses, running runs are left out,
// and a failed verdict restarts from scratch within the configured number of attempts. The checks
// themselves are src/core/verify's (tested there); here a verifier function stands in for them.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AgentConnection } from '../../src/core/agent/connection';
import { Orchestrator, type Verifier } from '../../src/core/orchestrator';
import { verdictDetail } from '../../src/core/runs/verdict';
import { newRunRecord, type RunRecord } from '../../src/core/runs/record';
import { RunStore } from '../../src/core/runs/store';
import type { Verdict, VerifyReport, VerifyTarget } from '../../src/core/verify/types';
import { targetsFor } from '../support/specs';

let root: string;
beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), 'ib-orch-verify-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

function finishedRun(id: string): RunRecord {
  const run = newRunRecord({
    key: `google-calendar/${id}`,
    integrationId: 'google-calendar',
    interactionId: id,
    specFile: path.join(root, 'interactions.json'),
    folder: path.join(root, 'work', 'google-calendar', id),
    demo: false,
    now: '2026-11-22T10:00:00.000Z',
  });
  run.status = 'needs-review';
  run.detail = 'the agent says it is done; verify it';
  return run;
}

function report(t: VerifyTarget, verdict: Verdict): VerifyReport {
  const failed = verdict === 'failed';
  return {
    version: 1,
    key: t.key,
    integrationId: t.integrationId,
    interactionId: t.interactionId,
    folder: t.folder,
    attempt: t.run?.attempt ?? 1,
    verdict,
    startedAt: '2026-11-22T10:01:00.000Z',
    durationMs: 5,
    checks: [
      {
        check: 'compile',
        outcome: failed ? 'failed' : 'passed',
        durationMs: 1,
        findings: failed
          ? [
              {
                check: 'compile',
                rule: 'compile.error',
                severity: 'error',
                message: "Property 'x' does not exist",
                location: { file: 'google-calendar/actions/a.ts', line: 3 },
              },
            ]
          : [],
      },
      { check: 'tests', outcome: 'passed', durationMs: 1, findings: [] },
    ],
  };
}

async function setup(verdicts: Record<string, Verdict>, extra: Partial<ConstructorParameters<typeof Orchestrator>[0]> = {}) {
  const workRoot = path.join(root, 'work');
  const store = new RunStore(workRoot);
  for (const id of Object.keys(verdicts)) await store.save(finishedRun(id));
  const seen: VerifyTarget[][] = [];
  const verifier: Verifier = async (targets) => {
    seen.push([...targets]);
    return targets.map((t) => report(t, verdicts[t.interactionId]!));
  };
  const connection = new AgentConnection({ mode: { kind: 'local', server: { bin: path.join(root, 'no-opencode-here'), cwd: root, env: {}, config: {} } } });
  const o = new Orchestrator({ workRoot, connection, runs: store, verifier, ...extra });
  await o.restore();
  return { o, store, seen };
}

describe('Orchestrator.verify', () => {
  it('records each verdict as the run status, with the first finding as its detail', async () => {
    const { o, store } = await setup({ good: 'verified', bad: 'failed', meh: 'needs-review' });
    const fired: string[] = [];
    o.onVerified((r) => fired.push(`${r.key}=${r.verdict}`));
    const reports = await o.verify();
    expect(reports).toHaveLength(3);
    expect(o.get('google-calendar/good')!.status).toBe('verified');
    expect(o.get('google-calendar/bad')!.status).toBe('failed');
    expect(o.get('google-calendar/bad')!.detail).toBe("compile.error: Property 'x' does not exist");
    expect(o.get('google-calendar/meh')!.status).toBe('needs-review');
    expect(fired.sort()).toEqual(['google-calendar/bad=failed', 'google-calendar/good=verified', 'google-calendar/meh=needs-review']);
    expect(o.report('google-calendar/good')?.verdict).toBe('verified');
    await store.flush();
    const onDisk = await store.loadAll();
    expect(onDisk.find((r) => r.key === 'google-calendar/bad')!.status).toBe('failed');
  });

  it('verifies only the keys asked for', async () => {
    const { o, seen } = await setup({ one: 'verified', two: 'verified' });
    await o.verify(['google-calendar/two']);
    expect(seen.flat().map((t) => t.key)).toEqual(['google-calendar/two']);
    expect(o.get('google-calendar/one')!.status).toBe('needs-review');
  });

  it('without a verifier it says so', async () => {
    const { o } = await setup({ one: 'verified' }, { verifier: undefined });
    await expect(o.verify()).rejects.toThrow(/verification is not available/);
  });

  it('a failed verdict restarts from scratch when automatic restarts are on, keeping the attempt in the history', async () => {
    const { o } = await setup({ bad: 'failed' }, { autoRestartAttempts: 1 });
    o.rememberTargets(targetsFor('google-calendar', ['bad']));
    await o.verify();
    await o.whenIdle();
    const run = o.get('google-calendar/bad')!;
    expect(run.attempt).toBe(2);
    expect(run.history[0]).toMatchObject({ attempt: 1, status: 'failed' });
    // The second attempt could not start (no opencode here); it is not restarted again past the limit.
    expect(run.status).toBe('failed');
    await o.verify();
    await o.whenIdle();
    expect(o.get('google-calendar/bad')!.attempt).toBe(2);
  });

  it('a policy changed while the service runs (a setting changed in the editor) applies to the next decision', async () => {
    const { o } = await setup({ bad: 'failed' });
    o.rememberTargets(targetsFor('google-calendar', ['bad']));
    await o.verify();
    await o.whenIdle();
    expect(o.get('google-calendar/bad')!.attempt).toBe(1);
    o.updatePolicy({ autoRestartAttempts: 1, concurrency: 7, budgetUsd: 3 });
    expect(o.concurrency).toBe(7);
    expect(o.budgetUsd).toBe(3);
    await o.verify();
    await o.whenIdle();
    expect(o.get('google-calendar/bad')!.attempt).toBe(2);
    o.updatePolicy({ budgetUsd: undefined });
    expect(o.budgetUsd).toBeUndefined();
  });

  it('verdictDetail names the first error and counts the rest', () => {
    const t: VerifyTarget = { key: 'a/b', integrationId: 'a', interactionId: 'b', kind: 'action', folder: '/x' };
    expect(verdictDetail(report(t, 'verified'))).toBe('verified: 2 checks passed');
    expect(verdictDetail(report(t, 'failed'))).toBe("compile.error: Property 'x' does not exist");
  });
});
