// The checks that keep the skills handed to every session (skills/<name>/SKILL.md, Agent Skills format:
// `name` and `description` in its frontmatter) loadable: opencode skips a skill whose name or
// description breaks the format, silently. Only the tests run them (test/unit/skills.test.ts).
import { promises as fs } from 'node:fs';
import * as path from 'node:path';

export interface SkillInfo {
  readonly dir: string;
  readonly name: string;
  readonly description: string;
  readonly bodyLines: number;
}

export const SKILL_NAME = /^[a-z0-9]+(-[a-z0-9]+)*$/;
export const MAX_NAME = 64;
export const MAX_DESCRIPTION = 1024;
export const MAX_BODY_LINES = 500;

/** Problems with one skill folder, each a located sentence; empty when it is valid. */
export async function checkSkill(dir: string): Promise<{ skill?: SkillInfo; problems: string[] }> {
  const file = path.join(dir, 'SKILL.md');
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch {
    return { problems: [`${file}: missing`] };
  }
  const m = /^---\n([\s\S]*?)\n---\n?([\s\S]*)$/.exec(text.replace(/\r\n/g, '\n'));
  if (!m) return { problems: [`${file}:1: no frontmatter (--- name/description ---)`] };
  const fields = new Map<string, string>();
  for (const line of (m[1] as string).split('\n')) {
    const kv = /^([A-Za-z-]+):\s*(.*)$/.exec(line);
    if (kv) fields.set(kv[1] as string, (kv[2] as string).trim().replace(/^(['"])(.*)\1$/, '$2'));
  }
  const problems: string[] = [];
  const name = fields.get('name') ?? '';
  const description = fields.get('description') ?? '';
  if (!name) problems.push(`${file}:2: frontmatter has no name`);
  else {
    if (!SKILL_NAME.test(name) || name.length > MAX_NAME)
      problems.push(`${file}:2: name "${name}" must be lowercase words joined by single hyphens, at most ${MAX_NAME} characters`);
    if (name !== path.basename(dir)) problems.push(`${file}:2: name "${name}" differs from its folder name "${path.basename(dir)}"`);
  }
  if (!description) problems.push(`${file}: frontmatter has no description`);
  else if (description.length > MAX_DESCRIPTION) problems.push(`${file}: description is ${description.length} characters (at most ${MAX_DESCRIPTION})`);
  const bodyLines = (m[2] as string).split('\n').length;
  if (bodyLines >= MAX_BODY_LINES) problems.push(`${file}: body is ${bodyLines} lines (keep it well under ${MAX_BODY_LINES}; move detail into references/)`);
  // A session cannot read a skill's other files (references/, scripts/): they lie outside its folder,
  // `external_directory` is denied and the confinement check counts such a read against the agent. So
  // everything a skill says must be in its SKILL.md; a relative link is a problem.
  const body = m[2] as string;
  const bodyStart = (m[1] as string).split('\n').length + 3;
  body.split('\n').forEach((line, i) => {
    for (const link of line.matchAll(/\]\(([^)\s]+)\)/g)) {
      const target = (link[1] as string).split('#')[0] as string;
      if (!target || /^[a-z][a-z0-9+.-]*:/i.test(target)) continue;
      problems.push(`${file}:${bodyStart + i}: link ${target}: a session cannot read files outside its interaction folder; put the text in SKILL.md`);
    }
  });
  return { skill: problems.length ? undefined : { dir, name, description, bodyLines }, problems };
}

/** Every skill folder under `root` (folders holding a SKILL.md). */
export async function listSkillDirs(root: string): Promise<string[]> {
  const entries = await fs.readdir(root, { withFileTypes: true }).catch(() => []);
  return entries
    .filter((e) => e.isDirectory())
    .map((e) => path.join(root, e.name))
    .sort();
}
