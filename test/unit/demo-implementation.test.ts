// The demo model's scripted honest build is what a newcomer first sees an agent write, so it is written
// the way the building skill teaches (skills/nango-interaction): a sync incremental with a checkpoint that
// changes its request and deletes by batchDelete, nothing the SDK deprecates. Both implementations
// type-check against the installed Nango SDK with the scaffold's own tsconfig; the demo-flow integration
// test then compiles, records and tests them with the real Nango CLI.
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { demoImplementation } from '../../src/core/model/demo';
import { loadSpecFile } from '../../src/core/spec/loader';
import { scaffoldFiles, scriptRelativePath } from '../../src/core/workspace/scaffold';

const EXAMPLE = path.resolve(__dirname, '../../examples/product-integrations/interactions.json');

describe('the demo model builds as the skill teaches', async () => {
  const spec = await loadSpecFile(EXAMPLE);
  const calendar = spec.integrations.find((i) => i.id === 'google-calendar')!;
  const action = calendar.interactions.find((i) => i.id === 'create-event')!;
  const sync = calendar.interactions.find((i) => i.id === 'sync-events')!;

  it('its sync: a checkpoint read, used in the request and saved per page; deletes by batchDelete; nothing deprecated', () => {
    const code = demoImplementation(sync);
    for (const deprecated of ['syncType', 'trackDeletes:', 'deleteRecordsFromPreviousExecutions', 'lastSyncDate'])
      expect(code, deprecated).not.toContain(deprecated);
    expect(code).toContain('checkpoint: SyncEventsCheckpoint,');
    expect(code).toContain('const checkpoint = await nango.getCheckpoint();');
    expect(code).toContain('params: checkpoint ? { updated_after: checkpoint.updated_after } : {},');
    expect(code).toMatch(/for await \(const page of nango\.paginate<unknown>\(\{[\s\S]*await nango\.saveCheckpoint\(\{ updated_after: newest \}\);\n {8}\}/);
    expect(code).toContain("await nango.batchDelete(deleted, 'SyncEventsRecord');");
  });

  it("both type-check against the installed SDK with the scaffold's tsconfig", async () => {
    // Inside the repository, so that `nango` and `zod` resolve from its node_modules as in a work folder.
    const scratch = path.resolve(__dirname, '../../.test-runs');
    await fsp.mkdir(scratch, { recursive: true });
    const dir = await fsp.mkdtemp(path.join(scratch, 'demo-implementation-'));
    try {
      const roots: string[] = [];
      for (const it0 of [action, sync]) {
        const folder = path.join(dir, it0.id);
        const files = scaffoldFiles(it0);
        files.set(scriptRelativePath(it0), demoImplementation(it0));
        for (const [rel, content] of files) {
          await fsp.mkdir(path.dirname(path.join(folder, rel)), { recursive: true });
          await fsp.writeFile(path.join(folder, rel), content);
        }
        roots.push(path.join(folder, 'index.ts'));
      }
      const tsconfig = JSON.parse(scaffoldFiles(action).get('tsconfig.json')!) as { compilerOptions: Record<string, unknown> };
      const program = ts.createProgram(roots, ts.convertCompilerOptionsFromJson(tsconfig.compilerOptions, dir).options);
      expect(ts.getPreEmitDiagnostics(program).map((d) => `${d.file?.fileName ?? ''}: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`)).toEqual([]);
    } finally {
      await fsp.rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
