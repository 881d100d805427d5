// A refused assembly as the CLI and the editor show it: each problem placed on disk (the interaction's
// file at its line, both copies of a conflicting helper, the project's own file), the text one problem
// to a line with its diff, the Markdown with links and a diff fence no helper can close.
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { AssemblyRefused, locateRefusal, renderRefusalMarkdown, renderRefusalText, type AssemblyProblem } from '../../src/core/assemble';

const project = path.resolve('/ws/nango-integrations');
const folderOf = (key: string) => (key.startsWith('google-calendar/') ? path.resolve('/ws/work', key) : undefined);
const diff = '--- a/google-calendar/models.ts\n+++ b/google-calendar/models.ts\n@@ -1 +1 @@\n-export const Event = 1; // ```ts\n+export const Event = 2;\n';
const problems: AssemblyProblem[] = [
  { kind: 'nango-yaml', keys: [], message: `${project} is a nango.yaml project: migrate it first` },
  { kind: 'toolchain-missing', keys: [], message: `the Nango CLI is not installed in ${project} or above it` },
  {
    kind: 'import-outside',
    keys: ['google-calendar/create-event'],
    file: 'google-calendar/actions/create-event.ts',
    line: 3,
    message: 'google-calendar/actions/create-event.ts:3 imports ../../../shared.js, which is outside the interaction folder',
  },
  {
    kind: 'helper-conflict',
    keys: ['google-calendar/create-event', 'google-calendar/update-event'],
    file: 'google-calendar/models.ts',
    message: 'both bring google-calendar/models.ts, in different versions',
    diff,
  },
  { kind: 'script-missing', keys: ['slack/send-message'], file: 'slack/actions/send-message.ts', message: 'its script is missing' },
];

describe('locateRefusal', () => {
  const r = locateRefusal(new AssemblyRefused('google-calendar', problems), { projectDir: project, folderOf });

  it('places each problem where a person would look, and keeps what the core said', () => {
    expect(r).toMatchObject({ integrationId: 'google-calendar', projectDir: project, written: [] });
    expect(r.problems.map((p) => p.paths)).toEqual([
      [path.join(project, 'nango.yaml')],
      [project],
      [path.resolve('/ws/work/google-calendar/create-event/google-calendar/actions/create-event.ts')],
      [
        path.resolve('/ws/work/google-calendar/create-event/google-calendar/models.ts'),
        path.resolve('/ws/work/google-calendar/update-event/google-calendar/models.ts'),
      ],
      // A key the front end does not know (it always should): placed at the project, never dropped.
      [project],
    ]);
    expect(r.problems.map((p) => p.path)).toEqual(r.problems.map((p) => p.paths[0]));
    r.problems.forEach((p, i) => expect(p).toMatchObject(problems[i]!));
  });

  it('as text: a header, one file:line: line per problem with whom it concerns, each diff after its line, and that nothing was written', () => {
    const lines = renderRefusalText(r).split('\n');
    expect(lines[0]).toBe(`assembling google-calendar into ${project} was refused before writing anything (5 problems):`);
    expect(lines).toContain(`${path.join(project, 'nango.yaml')}: ${project} is a nango.yaml project: migrate it first`);
    expect(lines).toContain(
      `${path.resolve('/ws/work/google-calendar/create-event/google-calendar/actions/create-event.ts')}:3: google-calendar/create-event: google-calendar/actions/create-event.ts:3 imports ../../../shared.js, which is outside the interaction folder`,
    );
    const conflict = lines.findIndex((l) => l.includes('both bring'));
    expect(lines[conflict]).toContain('google-calendar/create-event and google-calendar/update-event: ');
    expect(lines.slice(conflict + 1, conflict + 6)).toEqual(diff.trimEnd().split('\n'));
    expect(lines.at(-2)).toBe(`nothing was written to ${project}; fix the problems above and assemble again.`);
  });

  it('as Markdown: a section per problem with a readable title, links to the files (at the line), the diff fenced longer than any backticks in it', () => {
    const md = renderRefusalMarkdown(r);
    expect(md).toMatch(/^# Assembly of google-calendar refused\n\nNothing was written to `.*nango-integrations`/);
    expect(md).toContain('## 1. A nango.yaml project\n');
    expect(md).toContain('## 3. An import from outside the interaction folder — google-calendar/create-event\n');
    expect(md).toContain('## 4. Two versions of one file — google-calendar/create-event, google-calendar/update-event\n');
    const script = path.resolve('/ws/work/google-calendar/create-event/google-calendar/actions/create-event.ts');
    expect(md).toContain(`Where: [\`${script}:3\`](${pathToFileURL(script).href}#L3)`);
    expect(md).toContain(`Files: [\`${path.resolve('/ws/work/google-calendar/create-event/google-calendar/models.ts')}\`]`);
    expect(md).toContain(`\n\`\`\`\`diff\n${diff}\`\`\`\`\n`);
  });
});
