// Shards: which machine runs which interaction (`--shard K/N`), and the flag's validation. The merge of
// shards' work roots is in shard-merge.test.ts; three real shards merged and verified in
// test/integration/shard-merge.test.ts.
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main, parseArgs, UsageError } from '../../src/cli/main';
import { assignShards, parseShard, shardRank, shardShare, type Shard } from '../../src/core/shard/shard';
import { loadSpecFile } from '../../src/core/spec/loader';
import { capturedIo } from '../support/cliIo';

const REPO = path.resolve(__dirname, '../..');
const EXAMPLE = path.join(REPO, 'examples/product-integrations/interactions.json');

async function exampleKeys(): Promise<string[]> {
  const spec = await loadSpecFile(EXAMPLE);
  return spec.integrations.flatMap((i) => i.interactions.map((x) => x.key));
}

/** A deterministic shuffle (a small LCG), so a failure can be replayed. */
function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2147483648;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

describe('parseShard', () => {
  it('reads K/N with 1 ≤ K ≤ N', () => {
    expect(parseShard('1/1')).toEqual({ index: 1, count: 1 });
    expect(parseShard('2/3')).toEqual({ index: 2, count: 3 });
    expect(parseShard(' 5 / 5 ')).toEqual({ index: 5, count: 5 });
    expect(parseShard('07/10')).toEqual({ index: 7, count: 10 });
  });

  it('refuses anything else, saying what is wrong', () => {
    const bad: [string, RegExp][] = [
      ['0/3', /K must be between 1 and 3/],
      ['4/3', /K must be between 1 and 3/],
      ['1/0', /N \(the number of shards\) must be at least 1/],
      ['0/0', /must be at least 1/],
      ['1/1001', /N may be at most 1000/],
      ['-1/3', /takes K\/N/],
      ['1.5/3', /takes K\/N/],
      ['1/3.0', /takes K\/N/],
      ['a/b', /takes K\/N/],
      ['2', /takes K\/N/],
      ['2/', /takes K\/N/],
      ['/3', /takes K\/N/],
      ['1/2/3', /takes K\/N/],
      ['1e1/20', /takes K\/N/],
      ['99999999999999999999/99999999999999999999', /whole numbers/],
      ['', /takes K\/N/],
    ];
    for (const [text, re] of bad) expect(() => parseShard(text), text).toThrow(re);
  });
});

describe('shard selection', () => {
  it('is a partition: every interaction in exactly one shard, shard sizes within one, for N = 1..5', async () => {
    const lists = [await exampleKeys(), ['a/x'], ['a/x', 'a/y'], Array.from({ length: 37 }, (_, i) => `api-${i % 4}/op-${i}`)];
    for (const keys of lists) {
      for (let n = 1; n <= 5; n++) {
        const shares = Array.from({ length: n }, (_, k) => shardShare(keys, (x) => x, { index: k + 1, count: n }));
        const all = shares.flat();
        expect(all.sort(), `N=${n}`).toEqual([...keys].sort());
        expect(new Set(all).size).toBe(keys.length);
        const sizes = shares.map((s) => s.length);
        expect(Math.max(...sizes) - Math.min(...sizes), `N=${n} sizes ${sizes.join(',')}`).toBeLessThanOrEqual(1);
      }
    }
  });

  it('is deterministic and does not depend on the order of the spec', async () => {
    const keys = await exampleKeys();
    for (let n = 1; n <= 5; n++) {
      const base = assignShards(keys, n);
      for (let seed = 1; seed <= 5; seed++) {
        const again = assignShards(shuffled(keys, seed), n);
        for (const k of keys) expect(again.get(k), `${k} N=${n} seed=${seed}`).toBe(base.get(k));
        // A share keeps the order it was given, and holds the same keys whatever that order.
        const shard: Shard = { index: 1, count: n };
        expect(shardShare(shuffled(keys, seed), (x) => x, shard).sort()).toEqual(shardShare(keys, (x) => x, shard).sort());
      }
    }
    // The rank is the sha256 of the key: the same on every machine, every Node version.
    expect(shardRank('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('deals keys out in order of their hash', () => {
    const keys = ['a/x', 'a/y', 'b/z', 'c/w'];
    const byRank = [...keys].sort((p, q) => (shardRank(p) < shardRank(q) ? -1 : 1));
    const assigned = assignShards(keys, 3);
    expect(byRank.map((k) => assigned.get(k))).toEqual([1, 2, 3, 1]);
    // Duplicates count once.
    expect([...assignShards(['a/x', 'a/x'], 2).entries()]).toEqual([['a/x', 1]]);
  });
});

describe('--shard on the command line', () => {
  it('parses K/N for generate, verify and status', () => {
    expect(parseArgs(['generate', '--all', '--demo', '--shard', '2/3']).shard).toEqual({ index: 2, count: 3 });
    expect(parseArgs(['generate', '--all', '--demo', '--shard=1/1']).shard).toEqual({ index: 1, count: 1 });
    expect(parseArgs(['status', '--shard', '3/3']).shard).toEqual({ index: 3, count: 3 });
    expect(parseArgs(['verify', '--all', '--shard', '1/2']).shard).toEqual({ index: 1, count: 2 });
    expect(parseArgs(['generate', '--all', '--demo']).shard).toBeUndefined();
  });

  it('refuses bad values and other commands with a usage error naming the flag', () => {
    const bad: [string[], RegExp][] = [
      [['generate', '--all', '--shard', '0/3'], /--shard 0\/3: K must be between 1 and 3/],
      [['generate', '--all', '--shard', '4/3'], /--shard 4\/3: K must be between 1 and 3/],
      [['generate', '--all', '--shard', '1/0'], /--shard 1\/0: N/],
      [['generate', '--all', '--shard', 'x'], /--shard takes K\/N/],
      [['generate', '--all', '--shard=2.5/3'], /--shard takes K\/N/],
      [['generate', '--all', '--shard'], /--shard needs a value/],
      [['generate', '--all', '--shard='], /--shard needs a value/],
      [['assemble', 'hubspot', '--shard', '1/2'], /--shard applies to generate, verify and status, not assemble/],
      [['merge', 'a', '--shard', '1/2'], /--shard applies to generate, verify and status, not merge/],
      [['merge'], /merge takes the shards' work roots/],
      [['merge', '--all'], /merge takes the shards' work roots/],
    ];
    for (const [argv, re] of bad) {
      expect(() => parseArgs(argv), argv.join(' ')).toThrow(re);
      expect(() => parseArgs(argv)).toThrow(UsageError);
    }
  });

  describe('main', () => {
    let dir: string;
    let out: string[];
    let err: string[];
    const io = capturedIo(() => ({ cwd: dir, out, err }));
    beforeEach(() => {
      dir = mkdtempSync(path.join(tmpdir(), 'ib-shard-'));
      cpSync(EXAMPLE, path.join(dir, 'interactions.json'));
      out = [];
      err = [];
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it('a bad --shard exits 2 with the usage, before anything is written', async () => {
      for (const v of ['0/3', '4/3', '1/0', 'two/three']) {
        expect(await main(['generate', '--all', '--demo', '--shard', v], io())).toBe(2);
        expect(err.join('\n')).toMatch(/--shard/);
        expect(err.join('\n')).toMatch(/^usage: integration-builder/m);
      }
      expect(readdirSync(dir)).toEqual(['interactions.json']);
    });

    it('status --shard lists only its share; the shares of N shards are the whole spec', async () => {
      const keys = await exampleKeys();
      const seen: string[] = [];
      for (let k = 1; k <= 3; k++) {
        out = [];
        await main(['status', '--json', '--shard', `${k}/3`], io());
        const rows = JSON.parse(out.join('')) as { key: string }[];
        expect(rows.length).toBeGreaterThanOrEqual(Math.floor(keys.length / 3));
        seen.push(...rows.map((r) => r.key));
        expect(err.join('\n')).toContain(`shard ${k}/3: ${rows.length} of ${keys.length} interaction(s)`);
      }
      expect(seen.sort()).toEqual([...keys].sort());
      // status reads only: no shard note, no work root.
      expect(existsSync(path.join(dir, '.integration-builder'))).toBe(false);
    });

    it('a shard with an empty share has nothing to do: exit 0, a shard note for merge, no agent started', async () => {
      // 20 interactions in 25 shards: shard 25 gets none.
      expect(await main(['generate', '--all', '--demo', '--shard', '25/25', '--work-root', 'shard-out'], io())).toBe(0);
      expect(err.join('\n')).toContain('shard 25/25: 0 of 20 interaction(s) — nothing to do here');
      expect(readdirSync(path.join(dir, 'shard-out', '.runs'))).toEqual(['shard.json']);
    });
  });
});

describe('the example GitHub Actions workflow', () => {
  const text = readFileSync(path.join(REPO, 'examples/github-actions/integration-builder-shards.yml'), 'utf8');

  it('runs a matrix of three shards, keeps .runs/ in the artifacts, and merges, verifies and assembles', () => {
    expect(text).toMatch(/^ {8}shard: \[1, 2, 3\]$/m);
    expect(text).toContain('npx integration-builder generate --all --shard ${{ matrix.shard }}/3 --work-root shard-out');
    expect(text.match(/include-hidden-files: true/g)).toHaveLength(2);
    expect(text).toContain('npx integration-builder merge shards/shard-1 shards/shard-2 shards/shard-3 --work-root shard-out');
    expect(text).toContain('npx integration-builder verify --all --work-root shard-out');
    expect(text).toContain('npx integration-builder assemble "$api" --work-root shard-out');
  });

  it('every command in it is one the CLI accepts', () => {
    const commands = [...text.matchAll(/npx integration-builder ([^\n|)]+)/g)].map((m) => (m[1] as string).trim());
    expect(commands.length).toBeGreaterThanOrEqual(6);
    for (const c of commands) {
      const argv = c
        .replace('${{ matrix.shard }}', '2')
        .replace('"$MODEL"', 'anthropic/claude-sonnet-4-5')
        .replace('"$api"', 'google-calendar')
        .replace(/ \|\| .*$/, '')
        .split(/\s+/);
      expect(() => parseArgs(argv), c).not.toThrow();
    }
  });
});
