// Assemble's planning and writing on small hand-made interaction folders (the real compile is in
// test/integration/assemble.test.ts): which interactions go in, which files, conflicts, idempotence,
// cancellation and roll-back.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applyAssembly, AssemblyCancelled, AssemblyRefused, mergeIndex, planAssembly, type AssemblyCandidate } from '../../src/core/assemble';

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

function candidate(
  integration: string,
  id: string,
  kind: 'action' | 'sync',
  verdict: AssemblyCandidate['verdict'],
  extra?: Record<string, string>,
): AssemblyCandidate {
  return {
    key: `${integration}/${id}`,
    integrationId: integration,
    interactionId: id,
    kind,
    folder: folder(integration, id, kind, extra),
    attempt: 2,
    verdict,
    costUsd: 0.125,
  };
}

const read = (p: string) => readFileSync(p, 'utf8');

/**
 * What a Nango project has installed above it: Assemble refuses a project it could not compile, so the
 * projects here sit under a stand-in install (these tests write without compiling; the real compile is
 * the integration test's).
 */
function installToolchainStandIn(dir: string): void {
  put(path.join(dir, 'node_modules', '.bin', 'nango'), '#!/bin/sh\nexit 0\n');
  put(path.join(dir, 'node_modules', 'zod', 'package.json'), '{ "name": "zod" }\n');
}

beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), 'ib-assemble-'));
  installToolchainStandIn(root);
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
      { ...candidate('hubspot', 'list-deals', 'action', undefined), turn: 2 },
      candidate('slack', 'send-message', 'action', 'verified'),
    ];
    const plan = await planAssembly({ projectDir: path.join(root, 'project'), integrationId: 'hubspot', candidates });
    expect(plan.included.map((c) => c.key)).toEqual(['hubspot/create-contact', 'hubspot/sync-contacts']);
    expect(plan.refused).toEqual([
      { key: 'hubspot/update-contact', reason: 'its verification says failed' },
      { key: 'hubspot/delete-contact', reason: 'its verification says needs-review' },
      { key: 'hubspot/list-owners', reason: 'it was never verified' },
      { key: 'hubspot/list-deals', reason: 'turn 2 (your feedback) is not verified yet' },
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
    expect(plan.files.find((f) => f.rel === 'index.ts')?.content).toBe(
      "import './hubspot/actions/create-contact.js';\nimport './hubspot/syncs/sync-contacts.js';\n",
    );
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
    const report = await applyAssembly(await planAssembly({ projectDir: project, integrationId: 'hubspot', candidates, includeUnverified: true }), {
      compile: false,
      now: () => new Date('2026-01-02T03:04:05Z'),
    });
    expect(report.refused).toEqual([]);
    expect(report.interactions).toEqual([
      {
        key: 'hubspot/create-contact',
        attempt: 2,
        verdict: 'verified',
        costUsd: 0.125,
        files: ['hubspot/actions/create-contact.ts', 'hubspot/tests/create-contact.test.json', 'hubspot/tests/hubspot-create-contact.test.ts'],
      },
      {
        key: 'hubspot/update-contact',
        attempt: 2,
        verdict: 'failed',
        costUsd: 0.125,
        files: ['hubspot/actions/update-contact.ts', 'hubspot/tests/hubspot-update-contact.test.ts', 'hubspot/tests/update-contact.test.json'],
      },
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
    expect(index).toBe(
      "import './hubspot/actions/create-contact.js';\nimport './hubspot/syncs/sync-contacts.js';\nimport './slack/actions/send-message.js';\n\n// my notes\n",
    );
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
    await expect(applyAssembly(plan, { force: true, compile: false })).rejects.toThrow(
      /hubspot\/actions\/create-contact\.ts changed in the project while assembling/,
    );
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

/** Everything under a folder (files and folders), relative and sorted: to show nothing was written. */
function tree(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return (readdirSync(dir, { recursive: true }) as string[]).map((e) => e.split(path.sep).join('/')).sort();
}

/** The refusal planAssembly throws, or fails the test. */
async function refusal(promise: Promise<unknown>): Promise<AssemblyRefused> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AssemblyRefused);
  return err as AssemblyRefused;
}

describe('an interaction is a unit: its script and the files it imports', () => {
  const withHelpers = (id: string, helper: string) =>
    candidate('hubspot', id, 'action', 'verified', {
      [`hubspot/actions/${id}.ts`]: `import { Contact } from '../models.js';\nimport { paginate } from '../helpers/paginate.js';\nexport default 1;\n`,
      'hubspot/models.ts': "import * as z from 'zod';\nexport const Contact = z.object({ id: z.string() });\n",
      'hubspot/helpers/paginate.ts': helper,
      'hubspot/helpers/unused.ts': '// never imported\n',
    });

  it('ships the helpers and models the script imports, once when two interactions bring the same file', async () => {
    const project = path.join(root, 'project');
    const plan = await planAssembly({
      projectDir: project,
      integrationId: 'hubspot',
      candidates: [withHelpers('create-contact', 'export const paginate = 1;\n'), withHelpers('update-contact', 'export const paginate = 1;\n')],
    });
    const helper = plan.files.find((f) => f.rel === 'hubspot/helpers/paginate.ts');
    expect(helper).toMatchObject({ status: 'new', from: ['hubspot/create-contact', 'hubspot/update-contact'] });
    expect(plan.files.find((f) => f.rel === 'hubspot/models.ts')?.from).toEqual(['hubspot/create-contact', 'hubspot/update-contact']);
    expect(plan.files.some((f) => f.rel === 'hubspot/helpers/unused.ts')).toBe(false);
    const report = await applyAssembly(plan, { compile: false });
    expect(read(path.join(project, 'hubspot/helpers/paginate.ts'))).toBe('export const paginate = 1;\n');
    expect(report.interactions[0]!.files).toEqual([
      'hubspot/actions/create-contact.ts',
      'hubspot/helpers/paginate.ts',
      'hubspot/models.ts',
      'hubspot/tests/create-contact.test.json',
      'hubspot/tests/hubspot-create-contact.test.ts',
    ]);
    expect(report.interactions[1]!.files).toContain('hubspot/helpers/paginate.ts');
  });

  it('two interactions bringing different versions of one helper: refused with the diff, nothing written', async () => {
    const project = path.join(root, 'project');
    mkdirSync(project);
    const candidates = [withHelpers('create-contact', 'export const paginate = 1;\n'), withHelpers('update-contact', 'export const paginate = 2;\n')];
    const err = await refusal(planAssembly({ projectDir: project, integrationId: 'hubspot', candidates }));
    expect(err.problems).toEqual([
      {
        kind: 'helper-conflict',
        keys: ['hubspot/create-contact', 'hubspot/update-contact'],
        file: 'hubspot/helpers/paginate.ts',
        message: expect.stringContaining(
          "both bring hubspot/helpers/paginate.ts, in different versions (the diff: a/ is hubspot/create-contact's, b/ is hubspot/update-contact's)",
        ),
        diff: '--- a/hubspot/helpers/paginate.ts\n+++ b/hubspot/helpers/paginate.ts\n@@ -1 +1 @@\n-export const paginate = 1;\n+export const paginate = 2;\n',
      },
    ]);
    expect(err.message.split('\n')[0]).toBe('assembling hubspot was refused, nothing was written:');
    expect(err.message).toContain('- hubspot/create-contact, hubspot/update-contact: both bring hubspot/helpers/paginate.ts');
    expect(err.message).toContain('+export const paginate = 2;');
    expect(tree(project)).toEqual([]);
  });

  it("a helper the project holds in another version is an ordinary conflict: the user's file is kept unless overwritten", async () => {
    const project = path.join(root, 'project');
    put(path.join(project, 'hubspot/helpers/paginate.ts'), '// mine\n');
    const plan = await planAssembly({
      projectDir: project,
      integrationId: 'hubspot',
      candidates: [withHelpers('create-contact', 'export const paginate = 1;\n')],
    });
    expect(plan.files.find((f) => f.rel === 'hubspot/helpers/paginate.ts')).toMatchObject({
      status: 'conflict',
      existing: '// mine\n',
      diff: expect.stringContaining('+export const paginate = 1;'),
    });
    const kept = await applyAssembly(plan, { compile: false });
    expect(kept.skipped).toEqual(['hubspot/helpers/paginate.ts']);
    expect(read(path.join(project, 'hubspot/helpers/paginate.ts'))).toBe('// mine\n');
  });

  it('an import of a file the folder does not have, or outside it, is refused at its line; nothing written', async () => {
    const project = path.join(root, 'project');
    const missing = candidate('hubspot', 'create-contact', 'action', 'verified', {
      'hubspot/actions/create-contact.ts': "import { createAction } from 'nango';\nimport { Contact } from '../models.js';\n",
    });
    const outside = candidate('hubspot', 'update-contact', 'action', 'verified', {
      'hubspot/actions/update-contact.ts': "import { auth } from '../../../create-contact/hubspot/auth.js';\n",
    });
    const err = await refusal(planAssembly({ projectDir: project, integrationId: 'hubspot', candidates: [missing, outside] }));
    expect(err.problems.map((p) => [p.kind, p.keys, p.file, p.line])).toEqual([
      ['import-missing', ['hubspot/create-contact'], 'hubspot/actions/create-contact.ts', 2],
      ['import-outside', ['hubspot/update-contact'], 'hubspot/actions/update-contact.ts', 1],
    ]);
    expect(err.message).toContain('- hubspot/create-contact: hubspot/actions/create-contact.ts:2 imports ../models.js, but the folder has no such file');
    expect(existsSync(project)).toBe(false);
  });

  it('a script missing from its folder is refused too, not thrown as a crash', async () => {
    const c = candidate('hubspot', 'create-contact', 'action', 'verified');
    rmSync(path.join(c.folder, 'hubspot/actions/create-contact.ts'));
    const err = await refusal(planAssembly({ projectDir: path.join(root, 'project'), integrationId: 'hubspot', candidates: [c] }));
    expect(err.problems).toEqual([
      {
        kind: 'script-missing',
        keys: ['hubspot/create-contact'],
        file: 'hubspot/actions/create-contact.ts',
        message: `its script hubspot/actions/create-contact.ts is missing in ${c.folder}`,
      },
    ]);
  });
});

describe('a project Assemble cannot compile into is refused before anything is written', () => {
  it('a nango.yaml project: refused with what to do, and the project is left exactly as it was', async () => {
    const project = path.join(root, 'project');
    put(path.join(project, 'nango.yaml'), 'integrations:\n  hubspot: {}\n');
    put(path.join(project, 'hubspot/syncs/contacts.ts'), '// old style\n');
    const before = tree(project);
    const err = await refusal(
      planAssembly({ projectDir: project, integrationId: 'hubspot', candidates: [candidate('hubspot', 'create-contact', 'action', 'verified')] }),
    );
    expect(err.problems).toEqual([{ kind: 'nango-yaml', keys: [], message: expect.stringContaining(`${project} is a nango.yaml project`) }]);
    expect(err.message).toContain('nango migrate-to-zero-yaml');
    expect(tree(project)).toEqual(before);
    expect(readdirSync(root).filter((n) => n.includes('.assemble-'))).toEqual([]);
  });

  it('a nango.yaml that appears after the plan: applyAssembly refuses before staging', async () => {
    const project = path.join(root, 'project');
    mkdirSync(project);
    const plan = await planAssembly({
      projectDir: project,
      integrationId: 'hubspot',
      candidates: [candidate('hubspot', 'create-contact', 'action', 'verified')],
    });
    put(path.join(project, 'nango.yaml'), 'integrations: {}\n');
    const steps: string[] = [];
    const err = await refusal(applyAssembly(plan, { compile: false, onStep: (s) => steps.push(s) }));
    expect(err.problems.map((p) => p.kind)).toEqual(['nango-yaml']);
    expect(steps).toEqual([]);
    expect(tree(project)).toEqual(['nango.yaml']);
  });

  it('no Nango CLI or zod in or above the project: refused, unless the project is not to be compiled', async () => {
    const bare = mkdtempSync(path.join(tmpdir(), 'ib-assemble-bare-'));
    try {
      const c = candidate('hubspot', 'create-contact', 'action', 'verified');
      const project = path.join(bare, 'project');
      const err = await refusal(planAssembly({ projectDir: project, integrationId: 'hubspot', candidates: [c] }));
      expect(err.problems).toEqual([
        { kind: 'toolchain-missing', keys: [], message: expect.stringContaining(`the Nango CLI is not installed in ${project} or above it`) },
      ]);
      put(path.join(bare, 'node_modules/.bin/nango'), '#!/bin/sh\n');
      expect((await refusal(planAssembly({ projectDir: project, integrationId: 'hubspot', candidates: [c] }))).problems[0]!.message).toContain(
        'zod is not installed',
      );
      // Written but not compiled (compile: false): nothing to run, so nothing to refuse.
      const plan = await planAssembly({ projectDir: project, integrationId: 'hubspot', candidates: [c], compile: false });
      expect((await applyAssembly(plan, { compile: false })).written).toContain('index.ts');
      // The compile asked for after all is refused before anything more is written.
      const again = await planAssembly({ projectDir: path.join(bare, 'other'), integrationId: 'hubspot', candidates: [c], compile: false });
      await refusal(applyAssembly(again));
      expect(existsSync(path.join(bare, 'other'))).toBe(false);
    } finally {
      rmSync(bare, { recursive: true, force: true });
    }
  });

  it('a project path that is a file, a package.json that is not JSON, a .nango that is a file', async () => {
    const c = candidate('hubspot', 'create-contact', 'action', 'verified');
    const file = path.join(root, 'a-file');
    put(file, 'x');
    expect((await refusal(planAssembly({ projectDir: file, integrationId: 'hubspot', candidates: [c] }))).problems.map((p) => p.kind)).toEqual([
      'not-a-folder',
    ]);
    const project = path.join(root, 'project');
    put(path.join(project, 'package.json'), '{ "name": ');
    put(path.join(project, '.nango'), 'not a folder');
    const err = await refusal(planAssembly({ projectDir: project, integrationId: 'hubspot', candidates: [c] }));
    expect(err.problems.map((p) => p.kind)).toEqual(['bad-layout', 'package-json']);
    expect(err.problems[1]!.message).toContain('package.json is not JSON');
    expect(tree(project)).toEqual(['.nango', 'package.json']);
  });

  it('nothing to include: nothing to refuse (the caller says there is nothing to assemble)', async () => {
    const project = path.join(root, 'project');
    put(path.join(project, 'nango.yaml'), '');
    const plan = await planAssembly({
      projectDir: project,
      integrationId: 'hubspot',
      candidates: [candidate('hubspot', 'create-contact', 'action', 'failed')],
    });
    expect(plan.included).toEqual([]);
    expect(plan.files).toEqual([]);
  });
});

describe('mergeIndex', () => {
  it("adds imports sorted and once, keeps the user's other lines after them", () => {
    expect(mergeIndex('import \'./b/actions/x.js\';\nimport "./a/syncs/y.js"\n\n// mine\n', ["import './b/actions/x.js';", "import './a/actions/z.js';"])).toBe(
      "import './a/actions/z.js';\nimport './a/syncs/y.js';\nimport './b/actions/x.js';\n\n// mine\n",
    );
    expect(mergeIndex(undefined, ["import './a.js';"])).toBe("import './a.js';\n");
    const once = mergeIndex('', ["import './a.js';", "import './a.js'"]);
    expect(mergeIndex(once, ["import './a.js';"])).toBe(once);
  });
});
