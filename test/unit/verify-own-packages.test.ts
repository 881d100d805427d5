// Packages of the interaction folder's own (verify/assemble.ts ownPackageFindings): a package the agent
// put in `node_modules` is a finding (its imports would resolve to it), a tool cache there is not, a
// link or an unreadable scope fails closed.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ownPackageFindings } from '../../src/core/verify/assemble';

let dir: string;
const folder = () => (dir = mkdtempSync(path.join(tmpdir(), 'own-packages-')));
afterEach(() => {
  try {
    chmodSync(path.join(dir, 'node_modules', '@scope'), 0o755);
  } catch {
    // only the unreadable-scope test made it
  }
  rmSync(dir, { recursive: true, force: true });
});

describe('packages of the folder’s own', () => {
  it('none, or only tool caches (.vite, .cache): no finding', async () => {
    expect(await ownPackageFindings(folder())).toEqual([]);
    mkdirSync(path.join(dir, 'node_modules', '.vite'), { recursive: true });
    mkdirSync(path.join(dir, 'node_modules', '.cache'), { recursive: true });
    expect(await ownPackageFindings(dir)).toEqual([]);
  });

  it('a package or a scoped one is an error naming it', async () => {
    mkdirSync(path.join(folder(), 'node_modules', 'zod'), { recursive: true });
    mkdirSync(path.join(dir, 'node_modules', '@nangohq', 'node'), { recursive: true });
    const [f] = await ownPackageFindings(dir);
    expect(f).toMatchObject({ check: 'compile', rule: 'compile.own-packages', severity: 'error' });
    expect(f?.message).toContain('node_modules/@nangohq/node');
    expect(f?.message).toContain('node_modules/zod');
  });

  it('node_modules as a link out of the folder is a finding', async () => {
    const elsewhere = mkdtempSync(path.join(tmpdir(), 'own-packages-target-'));
    try {
      symlinkSync(elsewhere, path.join(folder(), 'node_modules'));
      expect((await ownPackageFindings(dir)).map((f) => f.rule)).toEqual(['compile.own-packages']);
    } finally {
      rmSync(elsewhere, { recursive: true, force: true });
    }
  });

  it('a scope that cannot be read still counts (fails closed)', async () => {
    if (process.getuid?.() === 0) {
      // root reads any folder: make the scope a file instead, which readdir cannot list either
      mkdirSync(path.join(folder(), 'node_modules'), { recursive: true });
      const { writeFileSync } = await import('node:fs');
      writeFileSync(path.join(dir, 'node_modules', '@scope'), 'not a folder');
    } else {
      mkdirSync(path.join(folder(), 'node_modules', '@scope', 'pkg'), { recursive: true });
      chmodSync(path.join(dir, 'node_modules', '@scope'), 0o000);
    }
    const [f] = await ownPackageFindings(dir);
    expect(f?.message).toMatch(/node_modules\/@scope \(unreadable: E[A-Z]+\)/);
  });
});
