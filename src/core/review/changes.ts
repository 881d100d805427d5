// What an agent changed in its interaction folder, against what the harness gave it: the scaffold (as
// scaffoldFiles writes it) and the sealed baseline's copies of the protected files (which the recorder
// updates: a fixture it recorded is the harness's, not a change of the agent's). The review's diff shows
// exactly these files, each against its "before".
import { promises as fs } from 'node:fs';
import * as path from 'node:path';

export interface ChangedFile {
  /** Relative to the interaction folder, posix. */
  readonly rel: string;
  readonly status: 'added' | 'modified' | 'deleted';
  /** What the harness gave the agent (absent for a file the agent added). */
  readonly before?: string;
}

const SKIPPED_DIRS: ReadonlySet<string> = new Set(['node_modules']);

async function listFiles(folder: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (rel: string): Promise<void> => {
    const entries = await fs.readdir(path.join(folder, ...rel.split('/').filter(Boolean)), { withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        if (!SKIPPED_DIRS.has(e.name)) await walk(r);
      } else if (e.isFile() || e.isSymbolicLink()) out.push(r);
    }
  };
  await walk('');
  return out.sort();
}

/**
 * The files the agent added, changed or deleted, against `scaffold` (relative path → content) with the
 * baseline's copies (`<baselineDir>/files/<rel>`) taking precedence where the harness keeps one.
 */
export async function agentChanges(folder: string, scaffold: ReadonlyMap<string, string>, baselineDir?: string): Promise<ChangedFile[]> {
  const baseline = baselineDir ? await listFiles(path.join(baselineDir, 'files')) : [];
  const before = new Map<string, string>(scaffold);
  for (const rel of baseline) {
    const content = await fs.readFile(path.join(baselineDir as string, 'files', ...rel.split('/')), 'utf8').catch(() => undefined);
    if (content !== undefined) before.set(rel, content);
  }
  const now = await listFiles(folder);
  const changes: ChangedFile[] = [];
  for (const rel of now) {
    const content = await fs.readFile(path.join(folder, ...rel.split('/')), 'utf8').catch(() => undefined);
    const was = before.get(rel);
    if (was === undefined) changes.push({ rel, status: 'added' });
    else if (content !== was) changes.push({ rel, status: 'modified', before: was });
  }
  for (const [rel, was] of before) if (!now.includes(rel)) changes.push({ rel, status: 'deleted', before: was });
  return changes.sort((a, b) => reviewRank(a.rel) - reviewRank(b.rel) || (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
}

/**
 * The order a reviewer reads them in: the scripts first (actions and syncs), then the rest of the code
 * (models, mappers, helpers), the tests, the other files, and last what the toolchain generated from
 * them (`.nango/`, `build/`, `dist/`: shown, as everything the folder holds is, but not first).
 */
function reviewRank(rel: string): number {
  if (/^(\.nango|build|dist)\//.test(rel)) return 4;
  if (/(^|\/)tests?\//.test(rel)) return 2;
  if (/\/(actions|syncs)\/[^/]+\.ts$/.test(rel)) return 0;
  if (/\.ts$/.test(rel)) return 1;
  return 3;
}
