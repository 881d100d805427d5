import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import ts from 'typescript';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { loadSpec } from '../../src/core/spec/loader';
import type { InteractionModel } from '../../src/core/spec/model';
import { pascalCase, ScaffoldError, scaffoldFiles, scaffoldInteraction, scriptRelativePath, testsRelativeDir } from '../../src/core/workspace/scaffold';

interface Entry {
  id: string;
  displayName?: string;
  description?: string;
  kind?: 'action' | 'sync';
}

/** Interactions built by the real loader from a one-integration spec. */
function load(entries: Entry[], integrationId = 'google-calendar'): InteractionModel[] {
  const text = JSON.stringify({
    integrations: [
      {
        id: integrationId,
        connectionId: 'test-conn',
        environment: 'dev',
        docs: 'https://developers.google.com/calendar/api/v3/reference',
        context: '',
        interactions: entries.map((e) => ({ displayName: 'Some Name', description: '', prompt: '', comments: '', ...e })),
      },
    ],
  });
  const spec = loadSpec('/virtual/interactions.json', text);
  expect(spec.diagnostics).toEqual([]);
  return [...spec.integrations[0]!.interactions];
}
const one = (e: Entry, integrationId?: string) => load([e], integrationId)[0]!;

const ACTION = (): InteractionModel => one({ id: 'create-event', displayName: 'Create Event', description: 'Create a calendar event', kind: 'action' });
const SYNC = (): InteractionModel => one({ id: 'sync-files', displayName: 'Sync Files', description: 'Sync all files', kind: 'sync' }, 'google-drive');

/** Syntax diagnostics of a TypeScript source (no type checking; the stubs are type-checked against the installed SDK below). */
function syntaxErrors(source: string): string[] {
  const out = ts.transpileModule(source, {
    reportDiagnostics: true,
    fileName: 'stub.ts',
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
  });
  return (out.diagnostics ?? []).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
}

/** The value of the first `description: '…'` in a stub, as the JS engine reads the literal. */
function literalAfter(source: string, key: string): string {
  const sf = ts.createSourceFile('stub.ts', source, ts.ScriptTarget.ES2022, true);
  let found: string | undefined;
  const visit = (node: ts.Node): void => {
    if (found !== undefined) return;
    if (ts.isPropertyAssignment(node) && node.name.getText(sf) === key && ts.isStringLiteral(node.initializer)) {
      found = node.initializer.text;
      return;
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  if (found === undefined) throw new Error(`no string property ${key} in the stub`);
  return found;
}

let tmp: string;
beforeEach(async () => {
  tmp = await fsp.mkdtemp(path.join(os.tmpdir(), 'ib-scaffold-'));
});
afterEach(async () => {
  vi.restoreAllMocks();
  await fsp.rm(tmp, { recursive: true, force: true });
});

/** Every file under a folder, relative, with `/` separators, sorted. Includes dot files and folders. */
async function listFiles(dir: string): Promise<string[]> {
  const entries = await fsp.readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)).split(path.sep).join('/'))
    .sort();
}

async function allEntries(dir: string): Promise<string[]> {
  return ((await fsp.readdir(dir, { recursive: true })) as string[]).map((e) => e.split(path.sep).join('/'));
}

describe('pascalCase', () => {
  it.each([
    ['create-event', 'CreateEvent'],
    ['sync-files', 'SyncFiles'],
    ['list', 'List'],
    ['get-v2-users', 'GetV2Users'],
    ['a--b', 'AB'],
    ['-leading-and-trailing-', 'LeadingAndTrailing'],
    ['snake_case_id', 'SnakeCaseId'],
    ['already-Mixed', 'AlreadyMixed'],
    ['', ''],
  ])('%j → %j', (id, expected) => {
    expect(pascalCase(id)).toBe(expected);
  });
});

describe('scriptRelativePath and testsRelativeDir', () => {
  it('puts actions under actions/ and syncs under syncs/, with / separators', () => {
    expect(scriptRelativePath({ integrationId: 'google-calendar', id: 'create-event', kind: 'action' })).toBe('google-calendar/actions/create-event.ts');
    expect(scriptRelativePath({ integrationId: 'google-drive', id: 'sync-files', kind: 'sync' })).toBe('google-drive/syncs/sync-files.ts');
    expect(testsRelativeDir({ integrationId: 'google-drive' })).toBe('google-drive/tests');
  });

  it('agrees with the kind the loader inferred', () => {
    const [a, s] = load([{ id: 'create-event' }, { id: 'sync-files' }]);
    expect(a!.kind).toBe('action');
    expect(s!.kind).toBe('sync');
    expect(scriptRelativePath(a!)).toBe('google-calendar/actions/create-event.ts');
    expect(scriptRelativePath(s!)).toBe('google-calendar/syncs/sync-files.ts');
  });
});

describe('scaffoldFiles: action', () => {
  const files = () => scaffoldFiles(ACTION());

  it('has exactly the project files, the script and the tests folder', () => {
    expect([...files().keys()].sort()).toEqual([
      '.nango/.gitkeep',
      'google-calendar/actions/create-event.ts',
      'google-calendar/tests/.gitkeep',
      'index.ts',
      'package.json',
      'tsconfig.json',
    ]);
    for (const k of files().keys()) expect(k).not.toContain('.opencode');
  });

  it("index.ts imports only this interaction's script, with a .js suffix", () => {
    expect(files().get('index.ts')).toBe("import './google-calendar/actions/create-event.js';\n");
  });

  it('package.json is a private ESM package with no dependencies', () => {
    const pkg = JSON.parse(files().get('package.json')!) as Record<string, unknown>;
    expect(pkg).toMatchObject({ name: 'google-calendar--create-event', private: true, type: 'module' });
    expect(pkg.scripts).toEqual({ compile: 'nango compile', test: 'vitest run' });
    expect(pkg).not.toHaveProperty('dependencies');
    expect(pkg).not.toHaveProperty('devDependencies');
    expect(pkg).not.toHaveProperty('peerDependencies');
    expect(files().get('package.json')!.endsWith('\n')).toBe(true);
  });

  it('tsconfig.json is strict, node16, no emit, and excludes build output', () => {
    const tsconfig = JSON.parse(files().get('tsconfig.json')!) as { include: string[]; exclude: string[]; compilerOptions: Record<string, unknown> };
    expect(tsconfig.compilerOptions).toMatchObject({ strict: true, module: 'node16', moduleResolution: 'node16', noEmit: true });
    expect(tsconfig.include).toContain('index.ts');
    expect(tsconfig.exclude).toEqual(expect.arrayContaining(['node_modules', 'dist', '.nango']));
    // What tsc itself reads from it.
    const parsed = ts.parseConfigFileTextToJson('tsconfig.json', files().get('tsconfig.json')!);
    expect(parsed.error).toBeUndefined();
  });

  it('the stub is a createAction with models named after the interaction, and valid TypeScript', () => {
    const stub = files().get('google-calendar/actions/create-event.ts')!;
    expect(stub).toContain("import { createAction } from 'nango';");
    expect(stub).toContain('const CreateEventInput = z.object({});');
    expect(stub).toContain('const CreateEventOutput = z.object({});');
    expect(stub).toContain('input: CreateEventInput,');
    expect(stub).toContain('output: CreateEventOutput,');
    expect(stub).toContain('export default action;');
    expect(stub).not.toContain('createSync');
    expect(literalAfter(stub, 'description')).toBe('Create a calendar event');
    expect(syntaxErrors(stub)).toEqual([]);
  });

  it('the tests folder keeps a .gitkeep, empty', () => {
    expect(files().get('google-calendar/tests/.gitkeep')).toBe('');
  });

  it('is deterministic', () => {
    expect([...files()]).toEqual([...files()]);
  });
});

describe('scaffoldFiles: sync', () => {
  const files = () => scaffoldFiles(SYNC());

  it('has the sync script under syncs/ and index.ts imports it with .js', () => {
    expect([...files().keys()].sort()).toEqual([
      '.nango/.gitkeep',
      'google-drive/syncs/sync-files.ts',
      'google-drive/tests/.gitkeep',
      'index.ts',
      'package.json',
      'tsconfig.json',
    ]);
    expect(files().get('index.ts')).toBe("import './google-drive/syncs/sync-files.js';\n");
    const pkg = JSON.parse(files().get('package.json')!) as Record<string, unknown>;
    expect(pkg.name).toBe('google-drive--sync-files');
    expect(pkg).not.toHaveProperty('dependencies');
  });

  it('the stub is a createSync with a record model named after the interaction, and valid TypeScript', () => {
    const stub = files().get('google-drive/syncs/sync-files.ts')!;
    expect(stub).toContain("import { createSync } from 'nango';");
    expect(stub).toContain('const SyncFilesRecord = z.object({');
    expect(stub).toContain('SyncFilesRecord: SyncFilesRecord');
    expect(stub).toContain("path: '/sync-files'");
    expect(stub).toContain('export default sync;');
    expect(stub).not.toContain('createAction');
    expect(literalAfter(stub, 'description')).toBe('Sync all files');
    expect(literalAfter(stub, 'group')).toBe('Sync Files');
    expect(syntaxErrors(stub)).toEqual([]);
  });
});

describe('scaffoldFiles: the stubs against the installed Nango SDK', () => {
  it("both stubs type-check with the scaffold's own tsconfig, and the sync stub uses nothing the SDK deprecates", async () => {
    const action = one({ id: 'create-event', displayName: 'Create Event', description: 'Create an event', kind: 'action' });
    const sync = one({ id: 'sync_events', displayName: 'Sync Events', description: 'Sync all events', kind: 'sync' });
    const syncStub = scaffoldFiles(sync).get('google-calendar/syncs/sync_events.ts')!;
    for (const deprecated of ['syncType', 'trackDeletes', 'deleteRecordsFromPreviousExecutions', 'lastSyncDate']) expect(syncStub).not.toContain(deprecated);
    // Inside the repository, so that `nango` and `zod` resolve from its node_modules as in a work folder.
    const scratch = path.resolve(__dirname, '../../.test-runs');
    await fsp.mkdir(scratch, { recursive: true });
    const dir = await fsp.mkdtemp(path.join(scratch, 'scaffold-stubs-'));
    try {
      const roots: string[] = [];
      for (const it0 of [action, sync]) {
        const folder = path.join(dir, it0.id);
        for (const [rel, content] of scaffoldFiles(it0)) {
          await fsp.mkdir(path.dirname(path.join(folder, rel)), { recursive: true });
          await fsp.writeFile(path.join(folder, rel), content);
        }
        roots.push(path.join(folder, 'index.ts'));
      }
      const tsconfig = JSON.parse(scaffoldFiles(action).get('tsconfig.json')!) as { compilerOptions: Record<string, unknown> };
      const program = ts.createProgram(roots, ts.convertCompilerOptionsFromJson(tsconfig.compilerOptions, dir).options);
      expect(ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, ' '))).toEqual([]);
    } finally {
      await fsp.rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('scaffoldFiles: an id with underscores, as Nango names scripts', () => {
  it('names the script, the package and the models after it, and the stub stays valid TypeScript', () => {
    const it0 = one({ id: 'compliance_master', displayName: 'Compliance Master', description: 'Get the compliance master', kind: 'action' }, 'connectsecure');
    const files = scaffoldFiles(it0);
    expect([...files.keys()].sort()).toEqual([
      '.nango/.gitkeep',
      'connectsecure/actions/compliance_master.ts',
      'connectsecure/tests/.gitkeep',
      'index.ts',
      'package.json',
      'tsconfig.json',
    ]);
    expect(files.get('index.ts')).toBe("import './connectsecure/actions/compliance_master.js';\n");
    expect(JSON.parse(files.get('package.json')!)).toMatchObject({ name: 'connectsecure--compliance_master' });
    const stub = files.get('connectsecure/actions/compliance_master.ts')!;
    expect(stub).toContain('const ComplianceMasterInput = z.object({});');
    expect(syntaxErrors(stub)).toEqual([]);
  });
});

describe('scaffoldFiles: escaping', () => {
  const NASTY = [
    'It\'s the user\'s "event"',
    "back\\slash \\n and \\' tricky",
    'line one\nline two',
    'windows\r\nline',
    'old mac\rline',
    'tab\there',
    'ends with a backslash \\',
    "'); throw new Error('injected'); ('",
    '${template} `backtick`',
    'unicode: ünïcødé — “quotes” \u2028 \u2029 end',
  ];

  it.each(NASTY)('an action description %j keeps the stub valid TypeScript', (description) => {
    const stub = scaffoldFiles(one({ id: 'create-event', displayName: 'Create Event', description, kind: 'action' })).get(
      'google-calendar/actions/create-event.ts',
    )!;
    expect(syntaxErrors(stub)).toEqual([]);
    // The literal holds the description, line breaks turned into spaces.
    const value = literalAfter(stub, 'description');
    expect(value.replace(/\s+/g, ' ')).toBe(description.replace(/\s+/g, ' '));
    expect(value).not.toMatch(/[\r\n]/);
  });

  it.each(NASTY)('a sync description and display name %j keep the stub valid TypeScript', (text) => {
    const stub = scaffoldFiles(one({ id: 'sync-files', displayName: text, description: text, kind: 'sync' })).get('google-calendar/syncs/sync-files.ts')!;
    expect(syntaxErrors(stub)).toEqual([]);
    expect(literalAfter(stub, 'description').replace(/\s+/g, ' ')).toBe(text.replace(/\s+/g, ' '));
    expect(literalAfter(stub, 'group').replace(/\s+/g, ' ')).toBe(text.replace(/\s+/g, ' '));
  });

  it('uses the display name when the description is empty', () => {
    const stub = scaffoldFiles(one({ id: 'create-event', displayName: "Create 'Event'", description: '', kind: 'action' })).get(
      'google-calendar/actions/create-event.ts',
    )!;
    expect(literalAfter(stub, 'description')).toBe("Create 'Event'");
    expect(syntaxErrors(stub)).toEqual([]);
  });
});

describe('scaffoldInteraction', () => {
  it('writes the action files and returns the script, tests folder and generated files', async () => {
    const folder = path.join(tmp, 'work', 'google-calendar', 'create-event');
    const interaction = ACTION();
    const result = await scaffoldInteraction(folder, interaction);
    expect(result.folder).toBe(folder);
    expect(result.scriptPath).toBe(path.join(folder, 'google-calendar', 'actions', 'create-event.ts'));
    expect(result.testsDir).toBe(path.join(folder, 'google-calendar', 'tests'));
    expect([...result.generated].sort()).toEqual(['.nango/.gitkeep', 'google-calendar/tests/.gitkeep', 'index.ts', 'package.json', 'tsconfig.json']);
    expect(result.generated).not.toContain('google-calendar/actions/create-event.ts');

    const expected = scaffoldFiles(interaction);
    expect(await listFiles(folder)).toEqual([...expected.keys()].sort());
    for (const [rel, content] of expected) expect(await fsp.readFile(path.join(folder, rel), 'utf8')).toBe(content);
    expect((await fsp.stat(result.testsDir)).isDirectory()).toBe(true);
  });

  it('writes the sync files', async () => {
    const folder = path.join(tmp, 'google-drive', 'sync-files');
    const result = await scaffoldInteraction(folder, SYNC());
    expect(result.scriptPath).toBe(path.join(folder, 'google-drive', 'syncs', 'sync-files.ts'));
    expect(await listFiles(folder)).toEqual([
      '.nango/.gitkeep',
      'google-drive/syncs/sync-files.ts',
      'google-drive/tests/.gitkeep',
      'index.ts',
      'package.json',
      'tsconfig.json',
    ]);
    expect([...result.generated].sort()).toEqual(['.nango/.gitkeep', 'google-drive/tests/.gitkeep', 'index.ts', 'package.json', 'tsconfig.json']);
  });

  it('creates no .opencode folder anywhere, and leaves nothing but the folder in its parent', async () => {
    const parent = path.join(tmp, 'google-calendar');
    const folder = path.join(parent, 'create-event');
    await scaffoldInteraction(folder, ACTION());
    for (const e of await allEntries(tmp)) expect(e.split('/')).not.toContain('.opencode');
    expect(await fsp.readdir(parent)).toEqual(['create-event']);
  });

  it('refuses an existing folder, and leaves it as it was', async () => {
    const folder = path.join(tmp, 'google-calendar', 'create-event');
    await fsp.mkdir(folder, { recursive: true });
    await fsp.writeFile(path.join(folder, 'mine.txt'), 'keep me');
    const err = await scaffoldInteraction(folder, ACTION()).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ScaffoldError);
    expect((err as ScaffoldError).folder).toBe(folder);
    expect((err as ScaffoldError).message).toContain(folder);
    expect((err as ScaffoldError).name).toBe('ScaffoldError');
    expect(await listFiles(folder)).toEqual(['mine.txt']);
    expect(await fsp.readdir(path.dirname(folder))).toEqual(['create-event']);
  });

  it('refuses an existing empty folder too', async () => {
    const folder = path.join(tmp, 'create-event');
    await fsp.mkdir(folder);
    await expect(scaffoldInteraction(folder, ACTION())).rejects.toBeInstanceOf(ScaffoldError);
    expect(await fsp.readdir(folder)).toEqual([]);
  });

  it('with replace, starts anew: the old content is gone', async () => {
    const folder = path.join(tmp, 'google-calendar', 'create-event');
    await scaffoldInteraction(folder, ACTION());
    const script = path.join(folder, 'google-calendar', 'actions', 'create-event.ts');
    await fsp.writeFile(script, 'export default "the agent wrote this";\n');
    await fsp.mkdir(path.join(folder, 'node_modules', 'x'), { recursive: true });
    await fsp.writeFile(path.join(folder, 'node_modules', 'x', 'index.js'), '');
    await fsp.writeFile(path.join(folder, 'google-calendar', 'tests', 'fixture.json'), '{}');

    const result = await scaffoldInteraction(folder, ACTION(), { replace: true });
    expect(result.folder).toBe(folder);
    const expected = scaffoldFiles(ACTION());
    expect(await listFiles(folder)).toEqual([...expected.keys()].sort());
    expect(await fsp.readFile(script, 'utf8')).toBe(expected.get('google-calendar/actions/create-event.ts'));
    expect(await fsp.readdir(path.dirname(folder))).toEqual(['create-event']);
  });

  it('with replace, also works when the folder does not exist yet', async () => {
    const folder = path.join(tmp, 'fresh', 'create-event');
    await scaffoldInteraction(folder, ACTION(), { replace: true });
    expect(await listFiles(folder)).toEqual([...scaffoldFiles(ACTION()).keys()].sort());
  });

  it('with replace, a sync can take the place of an action in the same folder', async () => {
    const folder = path.join(tmp, 'google-drive', 'sync-files');
    await fsp.mkdir(path.join(folder, 'google-drive', 'actions'), { recursive: true });
    await fsp.writeFile(path.join(folder, 'google-drive', 'actions', 'sync-files.ts'), 'old');
    await scaffoldInteraction(folder, SYNC(), { replace: true });
    expect(await listFiles(folder)).toEqual([
      '.nango/.gitkeep',
      'google-drive/syncs/sync-files.ts',
      'google-drive/tests/.gitkeep',
      'index.ts',
      'package.json',
      'tsconfig.json',
    ]);
  });

  it('when the folder cannot be created (its parent is a regular file), throws a ScaffoldError naming the folder and leaves no staging folder', async () => {
    const parentFile = path.join(tmp, 'google-calendar');
    await fsp.writeFile(parentFile, 'I am a file, not a folder');
    const folder = path.join(parentFile, 'create-event');
    const err = await scaffoldInteraction(folder, ACTION()).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ScaffoldError);
    expect((err as ScaffoldError).folder).toBe(folder);
    expect((err as ScaffoldError).message).toContain(folder);
    expect(await fsp.readFile(parentFile, 'utf8')).toBe('I am a file, not a folder');
    const left = await allEntries(tmp);
    expect(left.filter((e) => e.includes('.staging-'))).toEqual([]);
    expect(left).toEqual(['google-calendar']);
  });

  it('when a write fails midway, throws a ScaffoldError naming the folder and leaves neither the folder nor a staging folder', async () => {
    const folder = path.join(tmp, 'google-calendar', 'create-event');
    const realWrite = fsp.writeFile.bind(fsp);
    let calls = 0;
    vi.spyOn(fsp, 'writeFile').mockImplementation(async (...args: Parameters<typeof fsp.writeFile>) => {
      if (++calls === 3) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      return realWrite(...args);
    });
    const err = await scaffoldInteraction(folder, ACTION()).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(calls).toBe(3);
    expect(err).toBeInstanceOf(ScaffoldError);
    expect((err as ScaffoldError).folder).toBe(folder);
    expect((err as ScaffoldError).message).toContain(folder);
    expect((err as ScaffoldError).message).toContain('ENOSPC');
    expect(await fsp.readdir(path.dirname(folder))).toEqual([]);
  });

  it('when moving into place fails, leaves no staging folder behind', async () => {
    const folder = path.join(tmp, 'google-calendar', 'create-event');
    const rename = vi.spyOn(fsp, 'rename').mockRejectedValueOnce(Object.assign(new Error('EXDEV: cross-device link not permitted'), { code: 'EXDEV' }));
    await expect(scaffoldInteraction(folder, ACTION())).rejects.toThrow(ScaffoldError);
    expect(rename).toHaveBeenCalledTimes(1);
    const staging = String(rename.mock.calls[0]![0]);
    expect(path.dirname(staging)).toBe(path.dirname(folder));
    expect(path.basename(staging)).toMatch(/^\.create-event\.staging-/);
    expect(await fsp.readdir(path.dirname(folder))).toEqual([]);
  });

  it('scaffolds many interactions side by side in one parent', async () => {
    const interactions = load([
      { id: 'create-event', kind: 'action' },
      { id: 'delete-event', kind: 'action' },
      { id: 'sync-events', kind: 'sync' },
    ]);
    const parent = path.join(tmp, 'google-calendar');
    await Promise.all(interactions.map((it) => scaffoldInteraction(path.join(parent, it.id), it)));
    expect((await fsp.readdir(parent)).sort()).toEqual(['create-event', 'delete-event', 'sync-events']);
    for (const it of interactions) {
      const index = await fsp.readFile(path.join(parent, it.id, 'index.ts'), 'utf8');
      expect(index).toBe(`import './${scriptRelativePath(it).replace(/\.ts$/, '.js')}';\n`);
    }
  });
});
