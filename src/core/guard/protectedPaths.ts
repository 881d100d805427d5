// Which files of an interaction folder an agent may not change. Recorded test data lives under
// `<integration>/tests/` and only the harness's recorder writes there, so everything in that folder is
// protected, new files included (a fixture the agent "adds" is as fake as one it edits). The files the
// harness generated at the root are protected too. The agent's own script, and whatever else it creates
// elsewhere in its folder, stay its own.
import * as path from 'node:path';

/** Root files the scaffold writes (scaffold.ts); the agent's script is the only source file it writes. */
export const GENERATED_ROOT_FILES: readonly string[] = ['index.ts', 'package.json', 'tsconfig.json'];

/** What the protected paths depend on: the integration (for its tests folder) and the agent's script. */
export interface ProtectedScope {
  readonly integrationId: string;
  /** `<integration>/(actions|syncs)/<id>.ts`, relative and posix. */
  readonly scriptRel: string;
}

/** `<integration>/tests`: where the recorder writes fixtures and `nango generate:tests` writes tests. */
export function testsDirOf(integrationId: string): string {
  return `${integrationId}/tests`;
}

/**
 * A relative path in posix form without `.` segments, or undefined when it is absolute or leaves the
 * folder. `''` is the folder itself.
 */
export function normalizeRel(rel: string): string | undefined {
  if (rel === '' || rel === '.') return '';
  const posix = rel.split(path.sep).join('/');
  if (path.posix.isAbsolute(posix)) return undefined;
  const norm = path.posix.normalize(posix).replace(/\/+$/, '');
  if (norm === '.') return '';
  if (norm === '..' || norm.startsWith('../')) return undefined;
  return norm;
}

/** `abs` relative to `folder` in posix form, or undefined when it is not inside the folder. */
export function relativeTo(folder: string, abs: string): string | undefined {
  const rel = path.relative(folder, abs);
  if (rel === '') return '';
  if (rel === '..' || rel.startsWith(`..${path.sep}`) || path.isAbsolute(rel)) return undefined;
  return rel.split(path.sep).join('/');
}

/** Whether the agent may not change (create, edit, delete) the file at `rel`. */
export function isProtected(rel: string, integrationId: string, scriptRel?: string): boolean {
  const p = normalizeRel(rel);
  if (p === undefined || p === '') return false;
  if (scriptRel !== undefined && p === normalizeRel(scriptRel)) return false;
  if (GENERATED_ROOT_FILES.includes(p)) return true;
  return p.startsWith(`${testsDirOf(integrationId)}/`);
}

/**
 * The directories protected files need: the folder, the integration folder and its tests folder. They
 * are watched, and recreated when an agent removes or replaces them.
 */
export function baseDirs(integrationId: string): string[] {
  return ['', integrationId, testsDirOf(integrationId)];
}

/** `a/b/c.json` → `['a', 'a/b']` */
export function ancestorDirs(rel: string): string[] {
  const parts = rel.split('/');
  const out: string[] = [];
  for (let i = 1; i < parts.length; i++) out.push(parts.slice(0, i).join('/'));
  return out;
}
