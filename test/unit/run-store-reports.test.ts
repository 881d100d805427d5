// Run records share their folder with the verification reports kept next to them; loading the records
// must not take a report (same `version` and `key`) for a run — it has no tokens, and restoring it broke
// the orchestrator (found by the CLI's terminal test: generate after verify).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { newRunRecord } from '../../src/core/runs/record';
import { RunStore } from '../../src/core/runs/store';
import { saveReport, type VerifyReport } from '../../src/core/verify';

let root: string;
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('RunStore.loadAll next to verification reports', () => {
  it('loads the run records only', async () => {
    root = mkdtempSync(path.join(tmpdir(), 'ib-store-'));
    const store = new RunStore(root);
    const run = newRunRecord({
      key: 'slack/send-message',
      integrationId: 'slack',
      interactionId: 'send-message',
      specFile: '/spec.json',
      folder: path.join(root, 'slack/send-message'),
      demo: true,
      now: new Date().toISOString(),
    });
    await store.save(run);
    await store.flush();
    const report = {
      version: 1,
      key: 'slack/send-message',
      integrationId: 'slack',
      interactionId: 'send-message',
      attempt: 1,
      verdict: 'failed',
      at: new Date().toISOString(),
      checks: [],
      findings: [],
    } as unknown as VerifyReport;
    await saveReport(report, store.fileOf(run.key));
    const loaded = await store.loadAll();
    expect(loaded.map((r) => [r.key, typeof r.tokens])).toEqual([['slack/send-message', 'object']]);
  });
});
