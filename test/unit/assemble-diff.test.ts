// The conflict diff is a real unified diff: GNU `patch` applies it to the project's file and gets
// exactly what Assemble would write.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { unifiedDiff } from '../../src/core/assemble/diff';

const dir = mkdtempSync(path.join(tmpdir(), 'ib-diff-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function patched(a: string, diff: string): string {
  const file = path.join(dir, 'file.ts');
  writeFileSync(file, a);
  writeFileSync(path.join(dir, 'change.diff'), diff);
  execFileSync('patch', ['--quiet', '--force', file, path.join(dir, 'change.diff')], { stdio: ['ignore', 'pipe', 'pipe'] });
  return readFileSync(file, 'utf8');
}

// A small deterministic generator of similar files.
function rng(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
}

describe('unifiedDiff', () => {
  it('is empty for equal texts and names both sides', () => {
    expect(unifiedDiff('x.ts', 'a\n', 'a\n')).toBe('');
    expect(unifiedDiff('g/actions/x.ts', 'a\nb\n', 'a\nc\n')).toBe('--- a/g/actions/x.ts\n+++ b/g/actions/x.ts\n@@ -1,2 +1,2 @@\n a\n-b\n+c\n');
  });

  it('patch turns the project file into the assembled one, for edits of every shape', () => {
    const base = Array.from({ length: 60 }, (_, i) => `line ${i}`);
    const cases: [string, string][] = [
      ['', 'new\n'],
      ['old\n', ''],
      ['a\nb\n', 'a\nb'],
      ['a\nb', 'a\nb\n'],
      ['a\nb', 'a\nc'],
      [base.join('\n') + '\n', ['inserted', ...base].join('\n') + '\n'],
      [base.join('\n') + '\n', [...base.slice(0, 10), ...base.slice(12, 40), 'changed', ...base.slice(41)].join('\n') + '\n'],
    ];
    const r = rng(7);
    for (let n = 0; n < 40; n++) {
      const b = [...base];
      for (let e = 0; e < 1 + Math.floor(r() * 6); e++) {
        const at = Math.floor(r() * b.length);
        const what = r();
        if (what < 0.33) b.splice(at, 1);
        else if (what < 0.66) b.splice(at, 0, `added ${n}.${e}`);
        else b[at] = `changed ${n}.${e}`;
      }
      cases.push([base.join('\n') + '\n', b.join('\n') + '\n']);
    }
    for (const [a, b] of cases) {
      const diff = unifiedDiff('file.ts', a, b);
      expect(patched(a, diff), diff).toBe(b);
    }
  });

  it('keeps each hunk small: far-apart changes are separate hunks with 3 lines of context', () => {
    const a = Array.from({ length: 40 }, (_, i) => `l${i}`).join('\n') + '\n';
    const b = a.replace('l2\n', 'L2\n').replace('l30\n', 'L30\n');
    const diff = unifiedDiff('f', a, b);
    expect(diff.match(/^@@ .* @@$/gm)).toEqual(['@@ -1,6 +1,6 @@', '@@ -28,7 +28,7 @@']);
  });
});
