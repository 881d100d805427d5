import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkSkill, listSkillDirs } from '../../src/core/agent/skills';

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
    for (const needle of ['createAction', 'createSync', 'z.object', 'retries', 'nango.paginate', 'record_fixture', 'run_tests', 'report_blocked', 'comment saying why', 'never', 'folder']) {
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
      ['linked', '---\nname: linked\ndescription: x\n---\n# T\nSee [the ref](references/pagination.md) and [docs](https://nango.dev/docs).\n', /SKILL\.md:6: link references\/pagination\.md: a session cannot read files outside its interaction folder/],
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
