// Assemble's planning and writing on small hand-made interaction folders (the real compile is in
// test/integration/assemble.test.ts): which interactions go in, which files, conflicts, idempotence,
// cancellation and roll-back.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applyAssembly, AssemblyCancelled, mergeIndex, planAssembly, type AssemblyCandidate } from '../../src/core/assemble';

let root: string;

function put(file: string, content: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, content);
}

/** An interaction folder as a finished run leaves it: scaffold files, the script, fixture and generated test. */
function folder(integration: string, id: string, kind: 'action' | 'sync', extra: Record<string, string> = {}): string {
  const dir = path.join(root, 'work', integration, id);
  put(path.join(dir, 'index.ts'), `import './${integration}/${kind}s/${id}.js';\n`);
  put(path.join(dir, 'package.json'), JSON.stringify({ name: id, type: 'module', devDependencies: { nango: '0.71.10' } }));
  put(path.join(dir, 'tsconfig.json'), '{ "compilerOptions": { "strict": true } }\n');
  put(path.join(dir, integration, `${kind}s`, `${id}.ts`), `// ${id}\nexport default 1;\n`);
  put(path.join(dir, integration, 'tests', `${id}.test.json`), `{ "fixture": "${id}" }\n`);
  put(path.join(dir, integration, 'tests', `${integration}-${id}.test.ts`), `// generated test of ${id}\n`);
  for (const [rel, content] of Object.entries(extra)) put(path.join(dir, rel), content);
  return dir;
}

function candidate(integration: string, id: string, kind: 'action' | 'sync', verdict: AssemblyCandidate['verdict'], extra?: Record<string, string>): AssemblyCandidate {
  return { key: `${integration}/${id}`, integrationId: integration, interactionId: id, kind, folder: folder(integration, id, kind, extra), attempt: 2, verdict, costUsd: 0.125 };
}

const read = (p: string) => readFileSync(p, 'utf8');

beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), 'ib-assemble-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('planAssembly', () => {
  it('takes the verified interactions of that API only, and says why each other one is left out', async () => {
    const candidates = [
      candidate('hubspot', 'create-contact', 'action', 'verified'),
      candidate('hubspot', 'sync-contacts', 'sync', 'verified'),
      candidate('hubspot', 'update-contact', 'action', 'failed'),
      candidate('hubspot', 'delete-contact', 'action', 'needs-review'),
      candidate('hubspot', 'list-owners', 'action', undefined),
      candidate('slack', 'send-message', 'action', 'verified'),
    ];
    const plan = await planAssembly({ projectDir: path.join(root, 'project'), integrationId: 'hubspot', candidates });
    expect(plan.included.map((c) => c.key)).toEqual(['hubspot/create-contact', 'hubspot/sync-contacts']);
    expect(plan.refused).toEqual([
      { key: 'hubspot/update-contact', reason: 'its verification says failed' },
      { key: 'hubspot/delete-contact', reason: 'its verification says needs-review' },
      { key: 'hubspot/list-owners', reason: 'it was never verified' },
    ]);
    const rels = plan.files.map((f) => f.rel);
    expect(rels).toEqual(
      expect.arrayContaining([
        'hubspot/actions/create-contact.ts',
        'hubspot/tests/create-contact.test.json',
        'hubspot/tests/hubspot-create-contact.test.ts',
        'hubspot/syncs/sync-contacts.ts',
        'hubspot/tests/sync-contacts.test.json',
        'hubspot/tests/hubspot-sync-contacts.test.ts',
        'index.ts',
        'package.json',
        'tsconfig.json',
      ]),
    );
    expect(rels.some((r) => r.includes('update-contact') || r.includes('slack'))).toBe(false);
    expect(plan.files.find((f) => f.rel === 'index.ts')?.content).toBe("import './hubspot/actions/create-contact.js';\nimport './hubspot/syncs/sync-contacts.js';\n");
  });

  it("takes only the interaction's own test files, not a neighbour's that happen to share a prefix", async () => {
    const c = candidate('hubspot', 'create-contact', 'action', 'verified', {
      'hubspot/tests/create-contact-2.test.json': '{}',
      'hubspot/tests/hubspot-create-contact.test.json': '{ "older": true }',
      'hubspot/tests/.baseline': 'x',
    });
    const plan = await planAssembly({ projectDir: path.join(root, 'project'), integrationId: 'hubspot', candidates: [c] });
    expect(plan.files.filter((f) => f.rel.startsWith('hubspot/tests/')).map((f) => f.rel)).toEqual([
      'hubspot/tests/create-contact.test.json',
      'hubspot/tests/hubspot-create-contact.test.json',
      'hubspot/tests/hubspot-create-contact.test.ts',
    ]);
  });

  it('includes the unverified ones only when asked, and the report says they are unverified', async () => {
    const candidates = [candidate('hubspot', 'create-contact', 'action', 'verified'), candidate('hubspot', 'update-contact', 'action', 'failed')];
    const project = path.join(root, 'project');
    const report = await applyAssembly(await planAssembly({ projectDir: project, integrationId: 'hubspot', candidates, includeUnverified: true }), { compile: false, now: () => new Date('2026-01-02T03:04:05Z') });
    expect(report.refused).toEqual([]);
    expect(report.interactions).toEqual([
      { key: 'hubspot/create-contact', attempt: 2, verdict: 'verified', costUsd: 0.125, files: ['hubspot/actions/create-contact.ts', 'hubspot/tests/create-contact.test.json', 'hubspot/tests/hubspot-create-contact.test.ts'] },
      { key: 'hubspot/update-contact', attempt: 2, verdict: 'failed', costUsd: 0.125, files: ['hubspot/actions/update-contact.ts', 'hubspot/tests/hubspot-update-contact.test.ts', 'hubspot/tests/update-contact.test.json'] },
    ]);
    expect(report.at).toBe('2026-01-02T03:04:05.000Z');
    expect(report.compile).toEqual({ ok: true, findings: [], detail: 'not compiled' });
  });

  it("a new project gets the scaffold's package.json and tsconfig.json; an existing project's own are never touched", async () => {
    const c = candidate('hubspot', 'create-contact', 'action', 'verified');
    const fresh = path.join(root, 'fresh');
    await applyAssembly(await planAssembly({ projectDir: fresh, integrationId: 'hubspot', candidates: [c] }), { compile: false });
    expect(JSON.parse(read(path.join(fresh, 'package.json')))).toMatchObject({ name: 'fresh', devDependencies: { nango: '0.71.10' } });
    expect(existsSync(path.join(fresh, 'tsconfig.json'))).toBe(true);

    const mine = path.join(root, 'mine');
    put(path.join(mine, 'package.json'), '{ "name": "my-integrations" }\n');
    const plan = await planAssembly({ projectDir: mine, integrationId: 'hubspot', candidates: [c] });
    expect(plan.files.some((f) => f.rel === 'package.json')).toBe(false);
    await applyAssembly(plan, { compile: false });
    expect(read(path.join(mine, 'package.json'))).toBe('{ "name": "my-integrations" }\n');
  });
});

describe('applyAssembly', () => {
  it('is idempotent: a second run writes nothing and keeps index.ts as it is', async () => {
    const candidates = [candidate('hubspot', 'sync-contacts', 'sync', 'verified'), candidate('hubspot', 'create-contact', 'action', 'verified')];
    const project = path.join(root, 'project');
    put(path.join(project, 'index.ts'), "import './slack/actions/send-message.js';\n\n// my notes\n");
    const first = await applyAssembly(await planAssembly({ projectDir: project, integrationId: 'hubspot', candidates }), { compile: false });
    expect(first.written).toContain('index.ts');
    const index = read(path.join(project, 'index.ts'));
    expect(index).toBe("import './hubspot/actions/create-contact.js';\nimport './hubspot/syncs/sync-contacts.js';\nimport './slack/actions/send-message.js';\n\n// my notes\n");
    const second = await applyAssembly(await planAssembly({ projectDir: project, integrationId: 'hubspot', candidates }), { compile: false });
    expect(second.written).toEqual([]);
    expect(second.unchanged).toContain('index.ts');
    expect(second.unchanged).toContain('hubspot/syncs/sync-contacts.ts');
    expect(read(path.join(project, 'index.ts'))).toBe(index);
  });

  it('a conflict is kept unless overwritten by name or by force', async () => {
    const candidates = [candidate('hubspot', 'create-contact', 'action', 'verified')];
    const project = path.join(root, 'project');
    const script = path.join(project, 'hubspot/actions/create-contact.ts');
    const fixture = path.join(project, 'hubspot/tests/create-contact.test.json');
    put(script, '// edited by hand\n');
    put(fixture, '{ "mine": true }\n');
    const plan = await planAssembly({ projectDir: project, integrationId: 'hubspot', candidates });
    expect(plan.files.filter((f) => f.status === 'conflict').map((f) => [f.rel, f.existing])).toEqual([
      ['hubspot/actions/create-contact.ts', '// edited by hand\n'],
      ['hubspot/tests/create-contact.test.json', '{ "mine": true }\n'],
    ]);
    expect(plan.files.find((f) => f.rel === 'hubspot/tests/create-contact.test.json')?.diff).toBe(
      '--- a/hubspot/tests/create-contact.test.json\n+++ b/hubspot/tests/create-contact.test.json\n@@ -1 +1 @@\n-{ "mine": true }\n+{ "fixture": "create-contact" }\n',
    );
    expect(plan.files.filter((f) => f.diff).length).toBe(2);
    const chosen = await applyAssembly(plan, { compile: false, overwrite: (f) => f.rel.endsWith('.ts') });
    expect(chosen.skipped).toEqual(['hubspot/tests/create-contact.test.json']);
    expect(read(script)).toBe('// create-contact\nexport default 1;\n');
    expect(read(fixture)).toBe('{ "mine": true }\n');
    const forced = await applyAssembly(await planAssembly({ projectDir: project, integrationId: 'hubspot', candidates }), { compile: false, force: true });
    expect(forced.written).toEqual(['hubspot/tests/create-contact.test.json']);
    expect(read(fixture)).toBe('{ "fixture": "create-contact" }\n');
  });

  it('refuses to write when a file changed in the project after the plan was made; nothing moves', async () => {
    const candidates = [candidate('hubspot', 'create-contact', 'action', 'verified')];
    const project = path.join(root, 'project');
    put(path.join(project, 'index.ts'), '');
    const plan = await planAssembly({ projectDir: project, integrationId: 'hubspot', candidates });
    // The user saves their own version while the diff is open.
    put(path.join(project, 'hubspot/actions/create-contact.ts'), '// written meanwhile\n');
    await expect(applyAssembly(plan, { force: true, compile: false })).rejects.toThrow(/hubspot\/actions\/create-contact\.ts changed in the project while assembling/);
    expect(read(path.join(project, 'hubspot/actions/create-contact.ts'))).toBe('// written meanwhile\n');
    expect(read(path.join(project, 'index.ts'))).toBe('');
    expect(existsSync(path.join(project, 'hubspot/tests'))).toBe(false);
  });

  it('a failed move puts back what was replaced and removes what it created, folders included', async () => {
    const candidates = [candidate('hubspot', 'create-contact', 'action', 'verified')];
    const project = path.join(root, 'project');
    put(path.join(project, 'index.ts'), "import './slack/actions/send-message.js';\n");
    // The generated test's path is taken by a folder: its move fails after others were moved.
    mkdirSync(path.join(project, 'hubspot/tests/hubspot-create-contact.test.ts/blocker'), { recursive: true });
    const plan = await planAssembly({ projectDir: project, integrationId: 'hubspot', candidates });
    await expect(applyAssembly(plan, { compile: false })).rejects.toThrow(/the project was left as it was/);
    expect(read(path.join(project, 'index.ts'))).toBe("import './slack/actions/send-message.js';\n");
    expect(existsSync(path.join(project, 'hubspot/actions'))).toBe(false);
    expect(existsSync(path.join(project, 'hubspot/tests/create-contact.test.json'))).toBe(false);
    expect(existsSync(path.join(project, 'hubspot/tests/hubspot-create-contact.test.ts/blocker'))).toBe(true);
    expect(readdirSync(root).filter((n) => n.includes('.assemble-'))).toEqual([]);
  });

  it('a project that did not exist is gone again after a failure', async () => {
    const c = candidate('hubspot', 'create-contact', 'action', 'verified');
    const project = path.join(root, 'new-parent', 'project');
    const plan = await planAssembly({ projectDir: project, integrationId: 'hubspot', candidates: [c] });
    // Make one staged file unwritable by planning a path no file can have.
    const broken = { ...plan, files: [...plan.files, { rel: 'hubspot/tests/\u0000bad', content: '', status: 'new' as const, from: [] }] };
    await expect(applyAssembly(broken, { compile: false })).rejects.toThrow(/left as it was/);
    expect(existsSync(path.join(root, 'new-parent'))).toBe(false);
  });

  it('cancelled before the move: nothing is written', async () => {
    const c = candidate('hubspot', 'create-contact', 'action', 'verified');
    const project = path.join(root, 'project');
    mkdirSync(project);
    const ac = new AbortController();
    const steps: string[] = [];
    const plan = await planAssembly({ projectDir: project, integrationId: 'hubspot', candidates: [c] });
    await expect(
      applyAssembly(plan, {
        compile: false,
        signal: ac.signal,
        onStep: (s) => {
          steps.push(s);
          if (s === 'staging') ac.abort();
        },
      }),
    ).rejects.toBeInstanceOf(AssemblyCancelled);
    expect(steps).toEqual(['staging']);
    expect(readdirSync(project)).toEqual([]);
    expect(readdirSync(root).filter((n) => n.includes('.assemble-'))).toEqual([]);
  });
});

describe('mergeIndex', () => {
  it("adds imports sorted and once, keeps the user's other lines after them", () => {
    expect(mergeIndex("import './b/actions/x.js';\nimport \"./a/syncs/y.js\"\n\n// mine\n", ["import './b/actions/x.js';", "import './a/actions/z.js';"])).toBe(
      "import './a/actions/z.js';\nimport './a/syncs/y.js';\nimport './b/actions/x.js';\n\n// mine\n",
    );
    expect(mergeIndex(undefined, ["import './a.js';"])).toBe("import './a.js';\n");
    const once = mergeIndex('', ["import './a.js';", "import './a.js'"]);
    expect(mergeIndex(once, ["import './a.js';"])).toBe(once);
  });
});
