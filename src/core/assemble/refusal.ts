// A refused assembly as people read it. AssemblyRefused names each problem relative to an interaction
// folder or the project; the front ends show where it is on this machine (the file to open, at its
// line), which interactions it concerns, and for two versions of one helper the diff between them.
// The CLI prints the text (and --json the located problems), the editor shows the Markdown: both from
// the same list, so neither can leave a problem out.
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { AssemblyProblem, AssemblyRefused } from './problems';

export interface LocatedProblem extends AssemblyProblem {
  /**
   * The file or folder to look at, absolute: the interaction's own file (for a helper conflict, the
   * first interaction's copy; `paths` holds both), or the project's file the problem is about, or the
   * project folder itself.
   */
  readonly path: string;
  /** Every copy the problem is about: a helper conflict's two versions, in the diff's a/ b/ order. */
  readonly paths: readonly string[];
}

export interface AssemblyRefusal {
  readonly integrationId: string;
  readonly projectDir: string;
  /** Always empty: a refusal happens before anything is written. Said so in the JSON for scripts. */
  readonly written: readonly string[];
  readonly problems: readonly LocatedProblem[];
}

/** The project's file a project problem is about; the folder for the others (their message names the file). */
const PROJECT_FILE: Partial<Record<AssemblyProblem['kind'], string>> = { 'nango-yaml': 'nango.yaml', 'package-json': 'package.json' };

/**
 * Places each problem on disk. `folderOf` gives an interaction's folder by key; a key it does not know
 * (it should always know them: they come from the candidates) is located at the project.
 */
export function locateRefusal(refused: AssemblyRefused, where: { projectDir: string; folderOf: (key: string) => string | undefined }): AssemblyRefusal {
  const problems = refused.problems.map((p): LocatedProblem => {
    const inFolders = p.keys.map((k) => where.folderOf(k)).filter((f): f is string => f !== undefined);
    let paths: string[];
    if (p.keys.length && inFolders.length) paths = inFolders.map((folder) => (p.file ? path.join(folder, ...p.file.split('/')) : folder));
    else {
      const projectFile = PROJECT_FILE[p.kind];
      paths = [projectFile ? path.join(where.projectDir, projectFile) : where.projectDir];
    }
    return { ...p, path: paths[0] as string, paths };
  });
  return { integrationId: refused.integrationId, projectDir: where.projectDir, written: [], problems };
}

/** A heading per kind, for people (the kind itself stays in the JSON). */
const TITLE: Record<AssemblyProblem['kind'], string> = {
  'not-a-folder': 'The project is not a folder',
  'nango-yaml': 'A nango.yaml project',
  'bad-layout': 'The project is laid out differently',
  'package-json': "The project's package.json is not JSON",
  'toolchain-missing': 'No Nango toolchain to compile the project with',
  'script-missing': 'The script is missing',
  'import-outside': 'An import from outside the interaction folder',
  'import-missing': 'An import that names no file',
  'import-reserved': 'An import of a file the project owns',
  'link-outside': 'A link out of the interaction folder',
  'helper-conflict': 'Two versions of one file',
};

const count = (n: number) => `${n} problem${n === 1 ? '' : 's'}`;

/** `file:line: message`, one problem to a line (as compilers print), each diff after its line. */
export function renderRefusalText(r: AssemblyRefusal): string {
  const out = [`assembling ${r.integrationId} into ${r.projectDir} was refused before writing anything (${count(r.problems.length)}):`];
  for (const p of r.problems) {
    const concerns = p.keys.length ? `${p.keys.join(' and ')}: ` : '';
    out.push(`${p.path}${p.line ? `:${p.line}` : ''}: ${concerns}${p.message}`);
    if (p.diff) out.push(p.diff.replace(/\n?$/, ''));
  }
  out.push(`nothing was written to ${r.projectDir}; fix the problems above and assemble again.`);
  return out.join('\n') + '\n';
}

/** The same as a Markdown document: one section per problem, its files as links, its diff as a diff. */
export function renderRefusalMarkdown(r: AssemblyRefusal): string {
  const link = (p: string, line?: number) => `[\`${p}${line ? `:${line}` : ''}\`](${pathToFileURL(p).href}${line ? `#L${line}` : ''})`;
  const out = [
    `# Assembly of ${r.integrationId} refused`,
    '',
    `Nothing was written to \`${r.projectDir}\`: Assemble checks everything before it writes, and found ${count(r.problems.length)}. Fix ${r.problems.length === 1 ? 'it' : 'them'} and assemble again.`,
  ];
  r.problems.forEach((p, i) => {
    out.push('', `## ${i + 1}. ${TITLE[p.kind]}${p.keys.length ? ` — ${p.keys.join(', ')}` : ''}`, '');
    out.push(p.message, '');
    out.push(p.paths.length > 1 ? `Files: ${p.paths.map((x) => link(x)).join(' and ')}` : `Where: ${link(p.path, p.line)}`);
    if (p.diff) {
      // A fence longer than any run of backticks in the diff, so a helper's own Markdown cannot end it.
      const fence = '`'.repeat(Math.max(3, ...[...p.diff.matchAll(/`+/g)].map((m) => m[0].length + 1)));
      out.push('', `${fence}diff`, p.diff.replace(/\n?$/, ''), fence);
    }
  });
  return out.join('\n') + '\n';
}
