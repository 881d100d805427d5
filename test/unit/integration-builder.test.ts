// The application service both front ends call (src/core/app/integrationBuilder.ts): one store per work
// root, status that never shows an unreadable record as "not started", start-up restore, Assemble's
// candidates, and the stack built over the service's own store.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IntegrationBuilder } from '../../src/core/app/integrationBuilder';
import type { AssemblyReport } from '../../src/core/assemble';
import { newRunRecord, type RunRecord } from '../../src/core/runs/record';
import { saveReport } from '../../src/core/verify';
import type { VerifyReport } from '../../src/core/verify/types';
import { interactionFolder } from '../../src/core/workspace/paths';

let root: string;
let workRoot: string;
beforeEach(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'ib-app-'));
  workRoot = path.join(root, 'work');
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

function record(id: string, patch: Partial<RunRecord> = {}): RunRecord {
  const run = newRunRecord({
    key: `calendar/${id}`,
    integrationId: 'calendar',
    interactionId: id,
    specFile: path.join(root, 'integrations.yaml'),
    folder: interactionFolder(workRoot, 'calendar', id),
    demo: true,
    now: '2026-12-02T10:00:00.000Z',
  });
  return Object.assign(run, patch);
}

function deadOwner() {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return { pid: Number(r.stdout), host: os.hostname(), since: new Date().toISOString() };
}

function report(key: string, attempt: number, verdict: VerifyReport['verdict']): VerifyReport {
  return { version: 1, key, attempt, verdict, at: '2026-12-02T11:00:00.000Z', checks: [] } as unknown as VerifyReport;
}

const calendar = {
  id: 'calendar',
  interactions: [
    { key: 'calendar/create-event', id: 'create-event', kind: 'action' as const },
    { key: 'calendar/list-events', id: 'list-events', kind: 'sync' as const },
    { key: 'calendar/delete-event', id: 'delete-event', kind: 'action' as const },
    { key: 'calendar/broken', id: 'broken', kind: 'action' as const },
  ],
};

describe('IntegrationBuilder', () => {
  it('status: each asked interaction from its record; an unreadable record is said so, a run whose process is gone is interrupted', async () => {
    const app = new IntegrationBuilder(workRoot);
    await app.runs.save(record('create-event', { status: 'verified', attempt: 2, costUsd: 0.5 }));
    await app.runs.save(record('list-events', { status: 'running', owner: deadOwner() }));
    await app.runs.flush();
    mkdirSync(path.join(app.runs.dir, 'calendar'), { recursive: true });
    writeFileSync(app.runs.fileOf('calendar/broken'), '{"version": 1, "key": "calendar/bro');
    writeFileSync(path.join(app.runs.dir, 'calendar', 'stray.json'), 'not json');
    const { rows, otherProblems } = await app.status(['calendar/create-event', 'calendar/list-events', 'calendar/delete-event', 'calendar/broken']);
    expect(rows.map((r) => [r.key, r.status, r.attempt])).toEqual([
      ['calendar/create-event', 'verified', 2],
      ['calendar/list-events', 'interrupted', 1],
      ['calendar/delete-event', 'not-started', 0],
      ['calendar/broken', 'unreadable', 0],
    ]);
    expect(rows[1]?.detail).toMatch(/cut short/);
    expect(rows[3]?.file).toBe(app.runs.fileOf('calendar/broken'));
    // A problem of no interaction asked about is handed back to be said, not dropped.
    expect(otherProblems.map((p) => path.basename(p.file))).toEqual(['stray.json']);
  });

  it('restore at start-up: a run left going on our own server is marked interrupted and saved; a remote one is reported; the latest reports come back', async () => {
    const app = new IntegrationBuilder(workRoot);
    await app.runs.save(record('create-event', { status: 'running', sessionId: 'ses_1' }));
    await app.runs.save(record('list-events', { status: 'running', serverOwned: false, sessionId: 'ses_2', serverUrl: 'http://127.0.0.1:4096' }));
    await app.runs.save(record('delete-event', { status: 'failed', attempt: 2 }));
    await app.runs.flush();
    await saveReport(report('calendar/delete-event', 2, 'failed'), app.runs.fileOf('calendar/delete-event'));
    await saveReport(report('calendar/create-event', 0, 'verified'), app.runs.fileOf('calendar/create-event'));
    const restored = await app.restoreFromDisk();
    const byKey = new Map(restored.runs.map((r) => [r.run.key, r.run]));
    expect(byKey.get('calendar/create-event')?.status).toBe('interrupted');
    expect(byKey.get('calendar/create-event')?.detail).toBe('the window closed while the agent was working');
    expect(byKey.get('calendar/list-events')?.status).toBe('running');
    expect(restored.remoteRunning).toBe(true);
    // Only the report of the run's current attempt.
    expect(restored.reports.map((r) => r.key)).toEqual(['calendar/delete-event']);
    const onDisk = JSON.parse(readFileSync(app.runs.fileOf('calendar/create-event'), 'utf8')) as RunRecord;
    expect(onDisk.status).toBe('interrupted');
  });

  it("Assemble's candidates: finished runs with their attempt's verdict, the folder always the work root's own, unreadable records left out and said", async () => {
    const app = new IntegrationBuilder(workRoot);
    await app.runs.save(record('create-event', { status: 'verified', attempt: 2 }));
    // A record that names another folder cannot point Assemble at it: it cannot be used at all.
    await app.runs.save(record('broken', { status: 'verified', folder: '/etc' }));
    await app.runs.save(record('list-events', { status: 'needs-review' }));
    await app.runs.save(
      record('delete-event', { status: 'running', owner: { pid: process.pid, host: os.hostname(), since: new Date(Date.now() - 60_000).toISOString() } }),
    );
    await app.runs.flush();
    await saveReport(report('calendar/create-event', 1, 'failed'), app.runs.fileOf('calendar/create-event'));
    await saveReport(report('calendar/list-events', 1, 'needs-review'), app.runs.fileOf('calendar/list-events'));
    const { candidates, leftOut } = await app.assemblyCandidates(calendar);
    expect(candidates.map((c) => [c.key, c.verdict, c.folder])).toEqual([
      // The report is of attempt 1, the run is at 2: its verdict is the record's.
      ['calendar/create-event', 'verified', interactionFolder(workRoot, 'calendar', 'create-event')],
      ['calendar/list-events', 'needs-review', interactionFolder(workRoot, 'calendar', 'list-events')],
    ]);
    expect(leftOut.map((l) => l.key)).toEqual(['calendar/broken']);
    expect(leftOut[0]?.message).toMatch(/cannot be used: .*folder/);
  });

  it('an unreadable record is moved aside before a new run replaces it, and the report of an assembly is kept beside the records', async () => {
    const app = new IntegrationBuilder(workRoot);
    mkdirSync(path.join(app.runs.dir, 'calendar'), { recursive: true });
    writeFileSync(app.runs.fileOf('calendar/broken'), 'torn');
    const said = await app.setAsideUnreadable(['calendar/broken', 'calendar/create-event']);
    expect(said).toHaveLength(1);
    expect(said[0]).toMatch(/kept as .*broken\.json\.unreadable-\d+/);
    expect(readdirSync(path.join(app.runs.dir, 'calendar')).filter((f) => f.startsWith('broken.json.unreadable-'))).toHaveLength(1);
    const file = await app.saveAssemblyReport({ integrationId: 'calendar', version: 1 } as unknown as AssemblyReport);
    expect(file).toBe(path.join(app.runs.dir, 'calendar.assembly.json'));
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ integrationId: 'calendar' });
  });

  it('the agent stack is built over the service’s own store (one repository), and close stops it', async () => {
    const app = new IntegrationBuilder(workRoot);
    // A remote server that is never contacted: building the stack starts nothing on this machine.
    const stack = await app.start({
      demo: false,
      model: 'provider/model',
      serverUrls: ['http://127.0.0.1:9'],
      demoDataDir: path.join(root, 'demo'),
      skillPaths: [],
      harnessPlugin: path.join(root, 'plugin.mjs'),
      nango: { host: 'http://127.0.0.1:9' },
      concurrency: 1,
      maxRetries: 0,
      violationLimit: 3,
      verifyAfterRun: false,
      autoRestartAttempts: 0,
      verifyConcurrency: 1,
      log: () => undefined,
    });
    expect(stack.runs).toBe(app.runs);
    expect(await app.start({} as never)).toBe(stack);
    expect(app.orchestrator).toBe(stack.orchestrator);
    await app.close();
    expect(app.orchestrator).toBeUndefined();
  });

  it('without a service: totals come from the records on disk, stop has nothing to stop, generate and feedback say the service must start', async () => {
    const app = new IntegrationBuilder(workRoot);
    await app.runs.save(
      record('create-event', { status: 'verified', costUsd: 0.25, tokens: { input: 100, output: 20, reasoning: 5, cacheRead: 1000, cacheWrite: 0 } }),
    );
    await app.runs.save(record('list-events', { status: 'failed', costUsd: 0.5 }));
    await app.runs.flush();
    expect(await app.totals()).toEqual({ costUsd: 0.75, tokens: 125, running: 0, queued: 0 });
    await expect(app.stop()).resolves.toBeUndefined();
    expect(() => app.generate([])).toThrow(/has not started/);
    expect(() => app.sendFeedback('calendar/create-event', 'x')).toThrow(/has not started/);
    expect(app.folderOf('calendar/create-event')).toBe(interactionFolder(workRoot, 'calendar', 'create-event'));
    expect(() => app.folderOf('calendar/../../etc')).toThrow();
  });
});
