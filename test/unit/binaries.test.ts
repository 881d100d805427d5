import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  findOnPath,
  findOpencode,
  findRipgrep,
  OPENCODE_VERSION,
  pathWithRipgrep,
  storedOpencodePath,
  vscodeRipgrepCandidates,
} from '../../src/core/agent/binaries';

let tmp: string;
beforeEach(async () => {
  tmp = await fsp.mkdtemp(path.join(os.tmpdir(), 'ib-bin-'));
});
afterEach(async () => {
  await fsp.rm(tmp, { recursive: true, force: true });
});

/** Creates an executable file (and its folders); returns its path. */
async function exe(...segments: string[]): Promise<string> {
  const file = path.join(tmp, ...segments);
  await fsp.mkdir(path.dirname(file), { recursive: true });
  await fsp.writeFile(file, '#!/bin/sh\nexit 0\n', { mode: 0o755 });
  return file;
}

const dir = (...segments: string[]) => path.join(tmp, ...segments);
const PATH = (...dirs: string[]) => dirs.join(path.delimiter);

describe('findOnPath', () => {
  it('finds a program in the first folder of PATH that has it', async () => {
    const second = await exe('b', 'tool');
    const third = await exe('c', 'tool');
    expect(findOnPath('tool', PATH(dir('a'), dir('b'), dir('c')))).toBe(second);
    expect(findOnPath('tool', PATH(dir('c'), dir('b')))).toBe(third);
  });

  it('gives undefined when no folder has it, or PATH is empty', async () => {
    await exe('a', 'other');
    expect(findOnPath('tool', PATH(dir('a'), dir('missing')))).toBeUndefined();
    expect(findOnPath('tool', '')).toBeUndefined();
  });

  it('skips empty PATH entries (they do not mean the current folder)', async () => {
    const cwdTool = path.join(process.cwd(), 'package.json');
    expect(findOnPath(path.basename(cwdTool), PATH('', '', dir('none')))).toBeUndefined();
    const found = await exe('x', 'tool');
    expect(findOnPath('tool', PATH('', dir('x'), ''))).toBe(found);
  });

  it('uses process.env.PATH by default', async () => {
    const found = await exe('env', 'ib-test-tool');
    const saved = process.env.PATH;
    try {
      process.env.PATH = PATH(dir('nothing'), dir('env'));
      expect(findOnPath('ib-test-tool')).toBe(found);
    } finally {
      process.env.PATH = saved;
    }
  });
});

describe('findOpencode', () => {
  it('uses the setting when it exists', async () => {
    const custom = await exe('custom', 'my-opencode');
    await exe('storage', 'opencode', 'node_modules', 'opencode-ai', 'bin', 'opencode.exe');
    await exe('path', 'opencode');
    expect(findOpencode({ setting: custom, storageDir: dir('storage'), envPath: dir('path') })).toBe(custom);
  });

  it('gives undefined when the setting names a path that does not exist, even with opencode elsewhere', async () => {
    await exe('storage', 'opencode', 'node_modules', 'opencode-ai', 'bin', 'opencode.exe');
    await exe('path', 'opencode');
    expect(findOpencode({ setting: dir('nope', 'opencode'), storageDir: dir('storage'), envPath: dir('path') })).toBeUndefined();
  });

  it('ignores a blank setting', async () => {
    const onPath = await exe('path', 'opencode');
    expect(findOpencode({ setting: '', envPath: dir('path') })).toBe(onPath);
    expect(findOpencode({ setting: '   ', envPath: dir('path') })).toBe(onPath);
  });

  it('prefers our own install in the storage folder over PATH', async () => {
    const stored = await exe('storage', 'opencode', 'node_modules', 'opencode-ai', 'bin', 'opencode.exe');
    await exe('path', 'opencode');
    expect(stored).toBe(storedOpencodePath(dir('storage')));
    expect(findOpencode({ storageDir: dir('storage'), envPath: dir('path') })).toBe(stored);
  });

  it('falls back to PATH when the storage folder has no install', async () => {
    const onPath = await exe('path', 'opencode');
    await fsp.mkdir(dir('storage'));
    expect(findOpencode({ storageDir: dir('storage'), envPath: PATH(dir('empty'), dir('path')) })).toBe(onPath);
    expect(findOpencode({ envPath: dir('path') })).toBe(onPath);
  });

  it('gives undefined when there is none anywhere', () => {
    expect(findOpencode({ storageDir: dir('storage'), envPath: dir('path') })).toBeUndefined();
    expect(findOpencode({ envPath: '' })).toBeUndefined();
  });

  it('knows where the npm package puts the binary', () => {
    expect(storedOpencodePath('/s')).toBe(path.join('/s', 'opencode', 'node_modules', 'opencode-ai', 'bin', 'opencode.exe'));
    expect(OPENCODE_VERSION).toMatch(/^\d+\.\d+\.\d+$/);
  });
});

describe('findRipgrep', () => {
  const appRoot = () => dir('vscode', 'resources', 'app');

  it("lists VS Code's ripgrep locations under the app root, unpacked node_modules first", () => {
    expect(vscodeRipgrepCandidates('/app')).toEqual([
      path.join('/app', 'node_modules', '@vscode', 'ripgrep', 'bin', 'rg'),
      path.join('/app', 'node_modules.asar.unpacked', '@vscode', 'ripgrep', 'bin', 'rg'),
      path.join('/app', 'node_modules', 'vscode-ripgrep', 'bin', 'rg'),
    ]);
  });

  it('finds the rg VS Code ships in node_modules/@vscode/ripgrep', async () => {
    const rg = await exe('vscode', 'resources', 'app', 'node_modules', '@vscode', 'ripgrep', 'bin', 'rg');
    await exe('path', 'rg');
    expect(findRipgrep({ appRoot: appRoot(), envPath: dir('path') })).toBe(rg);
  });

  it('finds it in node_modules.asar.unpacked (packaged VS Code)', async () => {
    const rg = await exe('vscode', 'resources', 'app', 'node_modules.asar.unpacked', '@vscode', 'ripgrep', 'bin', 'rg');
    expect(findRipgrep({ appRoot: appRoot(), envPath: '' })).toBe(rg);
  });

  it('finds the older vscode-ripgrep package', async () => {
    const rg = await exe('vscode', 'resources', 'app', 'node_modules', 'vscode-ripgrep', 'bin', 'rg');
    expect(findRipgrep({ appRoot: appRoot(), envPath: '' })).toBe(rg);
  });

  it('prefers the first candidate when several exist', async () => {
    const first = await exe('vscode', 'resources', 'app', 'node_modules', '@vscode', 'ripgrep', 'bin', 'rg');
    await exe('vscode', 'resources', 'app', 'node_modules.asar.unpacked', '@vscode', 'ripgrep', 'bin', 'rg');
    await exe('vscode', 'resources', 'app', 'node_modules', 'vscode-ripgrep', 'bin', 'rg');
    expect(findRipgrep({ appRoot: appRoot(), envPath: '' })).toBe(first);
  });

  it('falls back to rg on PATH when the app root has none, or without an app root', async () => {
    await fsp.mkdir(appRoot(), { recursive: true });
    const onPath = await exe('path', 'rg');
    expect(findRipgrep({ appRoot: appRoot(), envPath: dir('path') })).toBe(onPath);
    expect(findRipgrep({ envPath: dir('path') })).toBe(onPath);
  });

  it('gives undefined when there is no rg at all', () => {
    expect(findRipgrep({ appRoot: appRoot(), envPath: dir('path') })).toBeUndefined();
    expect(findRipgrep({ envPath: '' })).toBeUndefined();
  });
});

describe('pathWithRipgrep', () => {
  const rg = path.join('/opt', 'rg-bin', 'rg');
  const rgDir = path.dirname(rg);

  it('puts the folder of rg in front of PATH', () => {
    expect(pathWithRipgrep(rg, PATH('/usr/bin', '/bin'))).toBe(PATH(rgDir, '/usr/bin', '/bin'));
  });

  it('does not add the folder again when PATH already has it, wherever it is', () => {
    expect(pathWithRipgrep(rg, PATH('/usr/bin', rgDir, '/bin'))).toBe(PATH('/usr/bin', rgDir, '/bin'));
    expect(pathWithRipgrep(rg, PATH(rgDir))).toBe(rgDir);
    const once = pathWithRipgrep(rg, PATH('/usr/bin'));
    expect(pathWithRipgrep(rg, once)).toBe(once);
    expect(once.split(path.delimiter).filter((d) => d === rgDir)).toHaveLength(1);
  });

  it('gives just the folder when PATH is empty (no trailing delimiter)', () => {
    expect(pathWithRipgrep(rg, '')).toBe(rgDir);
  });

  it('does not treat a longer folder with the same prefix as the same folder', () => {
    expect(pathWithRipgrep(rg, PATH(`${rgDir}-old`, '/bin'))).toBe(PATH(rgDir, `${rgDir}-old`, '/bin'));
  });

  it('uses process.env.PATH by default', () => {
    const saved = process.env.PATH;
    try {
      process.env.PATH = PATH('/a', '/b');
      expect(pathWithRipgrep(rg)).toBe(PATH(rgDir, '/a', '/b'));
    } finally {
      process.env.PATH = saved;
    }
  });

  it('works with a found rg', async () => {
    const found = await exe('path', 'rg');
    const envPath = PATH(dir('empty'), dir('path'));
    expect(findRipgrep({ envPath })).toBe(found);
    expect(pathWithRipgrep(found, envPath)).toBe(envPath);
  });
});
