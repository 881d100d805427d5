// Builds the verify-all benchmark's workspace: one interaction built for real (the demo model's script,
// a fixture recorded with the real Nango CLI against the demo stand-in, the generated tests), then N
// copies under their own ids, each with the harness's baseline, a run record and an honest transcript,
// as a finished harness run leaves them.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { createBaseline, baselineDirFor } from '../../src/core/guard/manifest';
import { demoImplementation, demoInput } from '../../src/core/model/demo';
import { DEMO_NANGO_SECRET, DemoNango } from '../../src/core/model/demoNango';
import { newRunRecord } from '../../src/core/runs/record';
import { RunStore } from '../../src/core/runs/store';
import { loadSpecFile } from '../../src/core/spec/loader';
import { NangoToolchain } from '../../src/core/toolchain/nango';
import type { VerifyTarget } from '../../src/core/verify/types';
import { scaffoldInteraction, scriptRelativePath } from '../../src/core/workspace/scaffold';

async function copyRenamed(from: string, to: string, oldId: string, newId: string): Promise<void> {
  const st = await fs.stat(from);
  if (st.isDirectory()) {
    await fs.mkdir(to, { recursive: true });
    for (const name of await fs.readdir(from)) {
      if (name === 'node_modules' || name === 'build') continue;
      await copyRenamed(path.join(from, name), path.join(to, name.split(oldId).join(newId)), oldId, newId);
    }
    return;
  }
  const text = await fs.readFile(from, 'utf8');
  await fs.writeFile(to, text.split(oldId).join(newId));
}

export async function setup(workRoot: string, n: number, examplePath: string, log: (l: string) => void): Promise<VerifyTarget[]> {
  const spec = await loadSpecFile(examplePath);
  const calendar = spec.integrations.find((i) => i.id === 'google-calendar');
  const it = calendar?.interactions.find((i) => i.id === 'create-event');
  if (!calendar || !it) throw new Error('the example workspace has no google-calendar/create-event');
  const template = path.join(workRoot, '.template', 'google-calendar', it.id);
  await scaffoldInteraction(template, it, { replace: true });
  await fs.writeFile(path.join(template, scriptRelativePath(it)), demoImplementation(it));
  const nango = new DemoNango();
  await nango.start();
  try {
    const toolchain = new NangoToolchain({ secretKey: DEMO_NANGO_SECRET, host: nango.url, timeoutMs: 180_000 });
    const rec = await toolchain.record({ folder: template, interaction: it, input: demoInput(it) });
    if (rec.kind !== 'recorded') throw new Error(`recording the template failed: ${rec.kind}`);
    const tests = await toolchain.runTests({ folder: template, interaction: it });
    if (!tests.ok) throw new Error(`the template's tests fail:\n${tests.output}`);
  } finally {
    await nango.close();
  }
  log('template interaction built and recorded');
  const store = new RunStore(workRoot);
  const targets: VerifyTarget[] = [];
  for (let i = 1; i <= n; i++) {
    const id = `create-event-${i}`;
    const key = `google-calendar/${id}`;
    const folder = path.join(workRoot, 'google-calendar', id);
    await copyRenamed(template, folder, it.id, id);
    const scriptRel = scriptRelativePath({ integrationId: 'google-calendar', id, kind: 'action' });
    await createBaseline(folder, baselineDirFor(store.fileOf(key)), { integrationId: 'google-calendar', scriptRel });
    const run = newRunRecord({ key, integrationId: 'google-calendar', interactionId: id, specFile: examplePath, folder, demo: true, now: new Date().toISOString() });
    run.status = 'needs-review';
    await store.save(run);
    const source = await fs.readFile(path.join(folder, scriptRel), 'utf8');
    const entries = [
      { type: 'prompt', text: `Build ${key}` },
      { type: 'tool.started', tool: 'write', callId: 'c1', input: { filePath: scriptRel, content: source } },
      { type: 'tool.finished', tool: 'write', callId: 'c1', input: { filePath: scriptRel, content: source }, ok: true, output: 'Wrote file' },
      { type: 'step', costUsd: 0.01 },
      { type: 'tool.finished', tool: 'record_fixture', callId: 'c2', input: { input: '{}' }, ok: true, output: 'Recorded' },
      { type: 'tool.finished', tool: 'run_tests', callId: 'c3', input: {}, ok: true, output: '1 passed' },
      { type: 'finished', finish: 'stop', text: 'Implemented; verify before trusting it.' },
    ];
    await store.appendTranscript(key, 1, entries);
    targets.push({ key, integrationId: 'google-calendar', interactionId: id, kind: 'action', folder, run });
  }
  await store.flush();
  await fs.rm(path.dirname(path.dirname(template)), { recursive: true, force: true });
  return targets;
}
