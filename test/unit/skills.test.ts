import { existsSync, mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import ts from 'typescript';
import { checkSkill, listSkillDirs } from '../support/skills';
import { loadSpec } from '../../src/core/spec/loader';
import { scaffoldFiles } from '../../src/core/workspace/scaffold';

const SKILLS = path.resolve(__dirname, '../../skills');

describe('our skills', () => {
  it('every skill in skills/ is valid: name pattern, folder name, description length, body size', async () => {
    const dirs = await listSkillDirs(SKILLS);
    expect(dirs.map((d) => path.basename(d))).toEqual(['api-docs-research', 'done-checklist', 'nango-interaction']);
    for (const dir of dirs) {
      const { problems, skill } = await checkSkill(dir);
      expect(problems, dir).toEqual([]);
      expect(skill!.description.length).toBeGreaterThan(40);
    }
  });

  it('the building skill covers what the issue asks for', async () => {
    const text = (await import('node:fs')).readFileSync(path.join(SKILLS, 'nango-interaction/SKILL.md'), 'utf8');
    for (const needle of [
      'createAction',
      'createSync',
      'z.object',
      'retries',
      'nango.paginate',
      'record_fixture',
      'run_tests',
      'report_blocked',
      'comment saying why',
      'never',
      'folder',
    ]) {
      expect(text.toLowerCase(), needle).toContain(needle.toLowerCase());
    }
  });
});

describe('the Nango reference in the building skill', () => {
  it("names only options the installed Nango SDK's types declare", () => {
    const skill = readFileSync(path.join(SKILLS, 'nango-interaction/SKILL.md'), 'utf8');
    const ref = skill.slice(skill.indexOf('## Reference: '));
    expect(ref.length).toBeGreaterThan(1000);
    const types = readFileSync(path.resolve(__dirname, '../../node_modules/@nangohq/types/dist/proxy/api.d.ts'), 'utf8');
    // Every key of the `paginate` settings in the table (rows with `type: '…'`), and the call options.
    const rows = ref.split('\n').filter((l) => l.startsWith('|') && l.includes("type: '"));
    expect(rows).toHaveLength(3);
    const keys = new Set([...rows.join('\n').matchAll(/\b([a-z][a-zA-Z_]*):\s/g)].map((m) => m[1] as string));
    for (const k of ['endpoint', 'params', 'headers', 'retries', 'retryOn', 'data']) {
      expect(ref).toContain(`${k}`);
      keys.add(k);
    }
    expect(keys.size).toBeGreaterThan(15);
    for (const k of keys) expect(types, `option "${k}"`).toMatch(new RegExp(`\\b${k}\\??:`));
    for (const style of ["'cursor'", "'link'", "'offset'", "'by-response-size'", "'per-page'"]) expect(types).toContain(style.replace(/'/g, "'"));
  });
});

/** Members a .d.ts declares (`name(`, `name?:`, `abstract name<`), each with whether its JSDoc says @deprecated. */
function declared(dts: string): Map<string, { deprecated: boolean }> {
  const out = new Map<string, { deprecated: boolean }>();
  let pending = false;
  for (const line of dts.split('\n')) {
    if (line.includes('@deprecated')) pending = true;
    const m = /^\s+(?:abstract\s+|protected\s+|readonly\s+)*([A-Za-z_$][\w$]*)\??\s*[(<:]/.exec(line);
    if (m) {
      out.set(m[1] as string, { deprecated: pending });
      pending = false;
    }
  }
  return out;
}

describe("the building skill's syncs section against the installed Nango SDK", () => {
  const NM = path.resolve(__dirname, '../../node_modules');
  const sdkDir = [path.join(NM, 'nango/node_modules/@nangohq/runner-sdk/dist'), path.join(NM, '@nangohq/runner-sdk/dist')].find((d) => existsSync(d)) as string;
  const action = readFileSync(path.join(sdkDir, 'action.d.ts'), 'utf8');
  const sync = readFileSync(path.join(sdkDir, 'sync.d.ts'), 'utf8');
  const props = readFileSync(path.join(sdkDir, 'scripts.d.ts'), 'utf8');
  const createSyncProps = props.slice(
    props.indexOf('export interface CreateSyncProps'),
    props.indexOf('export interface', props.indexOf('export interface CreateSyncProps') + 10),
  );
  const skill = readFileSync(path.join(SKILLS, 'nango-interaction/SKILL.md'), 'utf8');
  const section = skill.slice(skill.indexOf('## Syncs: checkpoints and deletes'), skill.indexOf('## Recording fixtures'));
  const code = [...skill.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1] as string);

  it('names the checkpoint and delete calls the SDK has, none of them deprecated; the ones it forbids are the deprecated ones', () => {
    expect(section.length).toBeGreaterThan(1500);
    const onAction = declared(action);
    const onSync = declared(sync);
    const syncProps = declared(createSyncProps);
    for (const m of ['getCheckpoint', 'saveCheckpoint', 'clearCheckpoint']) {
      expect(section, m).toContain(`nango.${m}(`);
      expect(onAction.get(m), m).toEqual({ deprecated: false });
    }
    for (const m of ['trackDeletesStart', 'trackDeletesEnd', 'batchDelete', 'batchSave']) {
      expect(section, m).toContain(`nango.${m}(`);
      expect(onSync.get(m), m).toEqual({ deprecated: false });
      // "syncs only": an action's nango has none of them, so compile rejects them there
      expect(onAction.has(m), m).toBe(false);
    }
    expect(syncProps.get('checkpoint')).toEqual({ deprecated: false });
    // What the section says never to use in a new sync is what the SDK itself deprecates (or the legacy filter).
    expect(syncProps.get('syncType')).toEqual({ deprecated: true });
    expect(syncProps.get('trackDeletes')).toEqual({ deprecated: true });
    expect(onSync.get('deleteRecordsFromPreviousExecutions')).toEqual({ deprecated: true });
    expect(onSync.has('lastSyncDate')).toBe(true);
    for (const word of ["syncType: 'incremental'", 'nango.lastSyncDate', 'trackDeletes: true', 'nango.deleteRecordsFromPreviousExecutions()'])
      expect(section).toContain(word);
    // getCheckpoint is typed from the sync's declaration: it takes no type argument (Nango's own guides pass one).
    expect(action).toMatch(/abstract getCheckpoint\(\): Promise<TCheckpointInferred \| null>;/);
    expect(section).toContain('It takes no type argument');
    // The page cursor comes from on_page, which the pagination settings declare.
    expect(readFileSync(path.join(NM, '@nangohq/types/dist/proxy/api.d.ts'), 'utf8')).toMatch(/\bon_page\?: \(paginationState: \{/);
  });

  it("no code example uses what the SDK deprecates, and each complete one compiles against the installed SDK with the scaffold's tsconfig", async () => {
    for (const c of code)
      for (const bad of ['syncType', 'lastSyncDate', 'trackDeletes:', 'deleteRecordsFromPreviousExecutions', 'endpoints:']) expect(c, bad).not.toContain(bad);
    const complete = code.filter((c) => c.startsWith('import '));
    expect(complete.length).toBeGreaterThanOrEqual(1);
    expect(complete.some((c) => c.includes('createSync') && c.includes('checkpoint: ') && c.includes('nango.saveCheckpoint('))).toBe(true);
    // Inside the repository, so that `nango` and `zod` resolve from its node_modules as in a work folder.
    const scratch = path.join(path.resolve(__dirname, '../..'), '.test-runs');
    mkdirSync(scratch, { recursive: true });
    const dir = mkdtempSync(path.join(scratch, 'skill-code-'));
    try {
      writeFileSync(path.join(dir, 'package.json'), '{ "type": "module" }\n');
      const files = complete.map((c, i) => {
        const f = path.join(dir, `example-${i}.ts`);
        writeFileSync(f, c);
        return f;
      });
      const tsconfig = JSON.parse(
        scaffoldFiles(
          loadSpec(
            '/x.json',
            JSON.stringify({
              integrations: [
                {
                  id: 'a',
                  connectionId: 'c',
                  environment: 'dev',
                  docs: 'https://x.dev',
                  context: '',
                  interactions: [{ id: 'b', displayName: 'B', description: '', prompt: '', comments: '', kind: 'sync' }],
                },
              ],
            }),
          ).integrations[0]!.interactions[0]!,
        ).get('tsconfig.json')!,
      ) as { compilerOptions: Record<string, unknown> };
      const options = ts.convertCompilerOptionsFromJson(tsconfig.compilerOptions, dir).options;
      const program = ts.createProgram(files, { ...options, noEmit: true });
      const diagnostics = ts
        .getPreEmitDiagnostics(program)
        .map((d) => `${d.file ? path.basename(d.file.fileName) : ''}: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`);
      expect(diagnostics).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('what the skill says about recording is what the installed CLI does: --save validates as --validate does', () => {
    const cli = readFileSync(path.join(NM, 'nango/dist/index.js'), 'utf8');
    const dryrun = cli.slice(cli.indexOf(".command('dryrun')"), cli.indexOf('.action(', cli.indexOf(".command('dryrun')")));
    expect(dryrun).toContain("'--validate, --validation'");
    expect(dryrun).toContain("'--save, --save-responses'");
    expect(cli).toContain('const shouldValidate = validation || saveResponses;');
    expect(skill).toContain('`--save` implies\n  `--validate`');
  });
});

describe('checkSkill', () => {
  const make = (folder: string, body: string) => {
    const root = mkdtempSync(path.join(tmpdir(), 'ib-skill-'));
    const dir = path.join(root, folder);
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'SKILL.md'), body);
    return { dir, done: () => rmSync(root, { recursive: true, force: true }) };
  };

  it('names each problem with its file', async () => {
    const cases: [string, string, RegExp][] = [
      ['ok-name', 'no frontmatter', /no frontmatter/],
      ['Bad_Name', '---\nname: Bad_Name\ndescription: x\n---\n', /lowercase words/],
      ['folder', '---\nname: other\ndescription: x\n---\n', /differs from its folder name "folder"/],
      ['long', `---\nname: long\ndescription: ${'x'.repeat(1100)}\n---\n`, /at most 1024/],
      ['big', `---\nname: big\ndescription: x\n---\n${'line\n'.repeat(600)}`, /well under 500/],
      ['nodesc', '---\nname: nodesc\n---\n', /no description/],
      [
        'linked',
        '---\nname: linked\ndescription: x\n---\n# T\nSee [the ref](references/pagination.md) and [docs](https://nango.dev/docs).\n',
        /SKILL\.md:6: link references\/pagination\.md: a session cannot read files outside its interaction folder/,
      ],
    ];
    for (const [folder, body, re] of cases) {
      const s = make(folder, body);
      const { problems } = await checkSkill(s.dir);
      expect(problems.join('\n'), folder).toMatch(re);
      expect(problems[0]).toContain(path.join(s.dir, 'SKILL.md'));
      s.done();
    }
  });
});
