// The demo model builds every interaction of the example workspace end to end, with the real
// opencode, offline, and labels every run as a demo.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentConnection } from '../../src/core/agent/connection';
import { buildOpencodeConfig } from '../../src/core/agent/opencodeConfig';
import { DEMO_MODEL_ID, DemoModel, demoImplementation } from '../../src/core/model/demo';
import { Orchestrator } from '../../src/core/orchestrator';
import { RunStore } from '../../src/core/runs/store';
import { loadSpecFile } from '../../src/core/spec/loader';
import { scriptRelativePath } from '../../src/core/workspace/scaffold';
import { OPENCODE_BIN, REPO, offlineEnv } from '../support/agentStack';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';

const EXAMPLE = path.join(REPO, 'examples/product-integrations/interactions.json');

describe('demo model', () => {
  let root: string;
  let demo: DemoModel;
  let connection: AgentConnection;

  beforeAll(async () => {
    root = mkdtempSync(path.join(tmpdir(), 'ib-demo-'));
    demo = new DemoModel();
    await demo.start();
    const providers = demo.providerConfig();
    connection = new AgentConnection({
      mode: {
        kind: 'local',
        server: {
          bin: OPENCODE_BIN,
          cwd: root,
          env: offlineEnv(root),
          config: buildOpencodeConfig({ model: DEMO_MODEL_ID, providers, enabledProviders: Object.keys(providers) }),
        },
      },
    });
  });
  afterAll(async () => {
    await connection?.dispose();
    await demo?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('writes syntactically valid TypeScript for every example interaction', async () => {
    const spec = await loadSpecFile(EXAMPLE);
    for (const integ of spec.integrations) {
      for (const it of integ.interactions) {
        const out = ts.transpileModule(demoImplementation(it), { reportDiagnostics: true, compilerOptions: { module: ts.ModuleKind.ESNext } });
        expect(out.diagnostics ?? [], it.key).toEqual([]);
      }
    }
  });

  it('builds the whole example workspace end to end, labelled as a demo', async () => {
    const spec = await loadSpecFile(EXAMPLE);
    const targets = spec.integrations.flatMap((integration) => integration.interactions.map((interaction) => ({ integration, interaction })));
    const workRoot = path.join(root, 'work');
    const o = new Orchestrator({
      workRoot,
      connection,
      runs: new RunStore(workRoot),
      model: DEMO_MODEL_ID,
      demo: true,
      concurrency: 4,
      onSessionCreated: (run, target) => demo.assign(run.sessionId!, target.interaction),
    });
    o.generate(targets);
    await o.whenIdle();
    for (const { interaction } of targets) {
      const run = o.get(interaction.key)!;
      expect(run.status, `${interaction.key}: ${run.detail}`).toBe('needs-review');
      expect(run.demo).toBe(true);
      expect(run.model).toBe(DEMO_MODEL_ID);
      expect(run.finalText).toMatch(/This was the demo model replaying a recorded build/);
      const source = readFileSync(path.join(run.folder, scriptRelativePath(interaction)), 'utf8');
      expect(source).toContain(interaction.kind === 'sync' ? 'createSync' : 'createAction');
      expect(source).toContain('retries: 3');
    }
    expect(o.totals().costUsd).toBeGreaterThan(0);
  });
});
