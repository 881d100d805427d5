// The work root is kept out of the user's git status by the checkout's info/exclude, not by a `.gitignore`
// holding `*` (ripgrep honoured it, and the agents' grep and glob tools found nothing in their own
// folders). Checked with the real git and the real ripgrep, as the agents' tools run it: from inside an
// interaction folder, under ignore rules of the user's that would hide its files.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findOnPath } from '../../src/core/agent/binaries';
import { ensureWorkRoot } from '../../src/core/workspace/paths';
import { excludeLine, findCheckout, LEGACY_GITIGNORE, WORK_ROOT_IGNORE } from '../../src/core/workspace/workRootIgnores';

const RG = findOnPath('rg');
let root: string;

const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const put = (file: string, content: string) => {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, content);
};

/** What opencode's glob and grep tools run (ripgrep from the session's folder, hidden files included). */
const rg = (cwd: string, args: string[]): string[] => {
  try {
    return execFileSync(RG as string, ['--no-config', '--hidden', '--glob=!**/.git/**', ...args, '.'], {
      cwd,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    })
      .split('\n')
      .filter(Boolean)
      .map((f) => f.replace(/^\.\//, ''))
      .sort();
  } catch (err) {
    if ((err as { status?: number }).status === 1) return []; // nothing found (or every file ignored)
    throw err;
  }
};
const rgFiles = (cwd: string) => rg(cwd, ['--files']);
const rgGrep = (cwd: string, pattern: string) => rg(cwd, ['-l', '-e', pattern]);

/** An interaction folder as an agent sees it: its script, fixtures and scaffold files. */
function interactionFolder(workRoot: string): string {
  const folder = path.join(workRoot, 'google-calendar', 'create-event');
  put(path.join(folder, 'google-calendar/actions/create-event.ts'), 'export const needle = 1;\n');
  put(path.join(folder, 'google-calendar/tests/create-event.test.json'), '{ "needle": true }\n');
  put(path.join(folder, 'index.ts'), "import './google-calendar/actions/create-event.js'; // needle\n");
  put(path.join(folder, 'package.json'), '{ "name": "needle" }\n');
  return folder;
}
const AGENT_FILES = ['google-calendar/actions/create-event.ts', 'google-calendar/tests/create-event.test.json', 'index.ts', 'package.json'];

beforeEach(() => {
  root = realpathSync(mkdtempSync(path.join(tmpdir(), 'ib-work-root-')));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('ensureWorkRoot in a git checkout', () => {
  it('adds the work root to .git/info/exclude once, and git status lists nothing of it', async () => {
    const ws = path.join(root, 'ws');
    git(root, 'init', '-q', ws);
    put(path.join(ws, 'interactions.json'), '{}\n');
    const workRoot = path.join(ws, '.integration-builder', 'work');
    expect(await ensureWorkRoot(workRoot)).toEqual({ excludedIn: path.join(ws, '.git', 'info', 'exclude') });
    interactionFolder(workRoot);
    put(path.join(workRoot, '.runs', 'google-calendar', 'create-event.json'), '{}\n');

    expect(git(ws, 'status', '--porcelain', '--untracked-files=all')).toBe('?? interactions.json\n');
    expect(existsSync(path.join(workRoot, '.gitignore'))).toBe(false);
    const exclude = readFileSync(path.join(ws, '.git', 'info', 'exclude'), 'utf8');
    expect(exclude).toContain("# Integration Builder: agents' work folders and run records\n/.integration-builder/work/\n");
    // The lines git init wrote are kept as they were.
    expect(exclude.startsWith('# git ls-files --others --exclude-from=.git/info/exclude')).toBe(true);

    // Again (every start of the stack): no second line.
    expect(await ensureWorkRoot(workRoot)).toEqual({});
    expect(readFileSync(path.join(ws, '.git', 'info', 'exclude'), 'utf8')).toBe(exclude);
  });

  // These need ripgrep itself (opencode's grep and glob run it); .ci/run installs it, a bare machine may lack it.
  it.skipIf(!RG)('ripgrep run from an interaction folder finds every file, even under user rules that would hide them', async () => {
    const ws = path.join(root, 'ws');
    git(root, 'init', '-q', ws);
    // Rules of the user's own that match the agent's files by name, in the repository and in info/exclude.
    put(path.join(ws, '.gitignore'), '*.ts\ntests/\n');
    put(path.join(ws, '.git', 'info', 'exclude'), '*.json\n');
    const workRoot = path.join(ws, '.integration-builder', 'work');
    await ensureWorkRoot(workRoot);
    const folder = interactionFolder(workRoot);

    expect(rgFiles(folder)).toEqual(AGENT_FILES);
    expect(rgGrep(folder, 'needle')).toEqual(AGENT_FILES);
    expect(rgGrep(path.join(folder, 'google-calendar'), 'needle')).toEqual(['actions/create-event.ts', 'tests/create-event.test.json']);
    // Searched from the workspace, the work root stays out, as in git status.
    expect(rgGrep(ws, 'needle')).toEqual([]);
  });

  // Needs ripgrep too (see above): skipped only on a machine without it.
  it.skipIf(!RG)(
    'the .gitignore an older version wrote is removed (it hid every file from ripgrep); one the user edited is kept, and ripgrep still sees past it',
    async () => {
      const ws = path.join(root, 'ws');
      git(root, 'init', '-q', ws);
      const workRoot = path.join(ws, '.integration-builder', 'work');
      const folder = interactionFolder(workRoot);
      put(path.join(workRoot, '.gitignore'), LEGACY_GITIGNORE);
      expect(rgFiles(folder)).toEqual([]); // the bug, as the agents met it

      await ensureWorkRoot(workRoot);
      expect(existsSync(path.join(workRoot, '.gitignore'))).toBe(false);
      expect(readFileSync(path.join(workRoot, '.ignore'), 'utf8')).toBe(WORK_ROOT_IGNORE);
      expect(rgFiles(folder)).toEqual(AGENT_FILES);
      expect(git(ws, 'status', '--porcelain', '--untracked-files=all')).toBe('');

      put(path.join(workRoot, '.gitignore'), `${LEGACY_GITIGNORE}# mine\n`);
      await ensureWorkRoot(workRoot);
      expect(readFileSync(path.join(workRoot, '.gitignore'), 'utf8')).toBe(`${LEGACY_GITIGNORE}# mine\n`);
      expect(rgFiles(folder)).toEqual(AGENT_FILES);
    },
  );

  it('adds no line when git already ignores the work root (a rule of the user, or a folder above it that is ignored)', async () => {
    const ws = path.join(root, 'ws');
    git(root, 'init', '-q', ws);
    put(path.join(ws, '.gitignore'), '.integration-builder/\n.test-runs/\n');
    const before = readFileSync(path.join(ws, '.git', 'info', 'exclude'), 'utf8');
    expect(await ensureWorkRoot(path.join(ws, '.integration-builder', 'work'))).toEqual({});
    expect(await ensureWorkRoot(path.join(ws, '.test-runs', 'cli-123', '.integration-builder', 'work'))).toEqual({});
    expect(readFileSync(path.join(ws, '.git', 'info', 'exclude'), 'utf8')).toBe(before);
  });

  it('a linked worktree: the line goes into the shared info/exclude, and the worktree status lists nothing of it', async () => {
    const main = path.join(root, 'main');
    git(root, 'init', '-q', main);
    put(path.join(main, 'README.md'), 'x\n');
    git(main, 'add', 'README.md');
    git(main, 'commit', '-q', '-m', 'first');
    const linked = path.join(root, 'linked');
    git(main, 'worktree', 'add', '-q', linked);
    const workRoot = path.join(linked, 'custom work');
    expect(await findCheckout(workRoot)).toEqual({ top: linked, commonDir: path.join(main, '.git') });
    expect(await ensureWorkRoot(workRoot)).toEqual({ excludedIn: path.join(main, '.git', 'info', 'exclude') });
    interactionFolder(workRoot);
    expect(git(linked, 'status', '--porcelain', '--untracked-files=all')).toBe('');
  });

  it('a folder name with gitignore characters is escaped, and git takes the line literally', async () => {
    const ws = path.join(root, 'ws');
    git(root, 'init', '-q', ws);
    const workRoot = path.join(ws, 'we*ird [1]?', 'work');
    put(path.join(ws, 'weXird 1Y', 'work', 'kept.txt'), 'a neighbour the pattern must not match\n');
    await ensureWorkRoot(workRoot);
    interactionFolder(workRoot);
    expect(readFileSync(path.join(ws, '.git', 'info', 'exclude'), 'utf8')).toContain('\n/we\\*ird \\[1\\]\\?/work/\n');
    expect(git(ws, 'status', '--porcelain', '--untracked-files=all')).toBe('?? "weXird 1Y/work/kept.txt"\n');
  });
});

describe('ensureWorkRoot outside a git checkout', () => {
  // Needs ripgrep (opencode's grep and glob run it): skipped only on a machine without it; .ci/run installs it.
  it.skipIf(!RG)('creates the work root with its .ignore and no .gitignore; ripgrep finds every file', async () => {
    const workRoot = path.join(root, 'ws', '.integration-builder', 'work');
    expect(await ensureWorkRoot(workRoot)).toEqual({});
    expect(existsSync(path.join(workRoot, '.gitignore'))).toBe(false);
    expect(readFileSync(path.join(workRoot, '.ignore'), 'utf8')).toBe(WORK_ROOT_IGNORE);
    expect(rgFiles(interactionFolder(workRoot))).toEqual(AGENT_FILES);
  });
});

describe('excludeLine', () => {
  const top = path.join(path.sep, 'ws');
  it('names the folder from the top of the checkout, as a folder, anchored', () => {
    expect(excludeLine(top, path.join(top, '.integration-builder', 'work'))).toBe('/.integration-builder/work/');
    expect(excludeLine(top, path.join(top, '!important', '#work'))).toBe('/!important/#work/');
  });
  it('names nothing it cannot name: the checkout itself, a folder outside it, a line break', () => {
    expect(excludeLine(top, top)).toBeUndefined();
    expect(excludeLine(top, path.join(path.sep, 'elsewhere'))).toBeUndefined();
    expect(excludeLine(top, path.join(top, 'a\nb'))).toBeUndefined();
  });
});
