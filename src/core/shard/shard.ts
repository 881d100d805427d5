// Shards: a spec split across machines (a CI matrix), each shard a separate `generate` with a work root
// of its own, gathered afterwards by `merge` (./merge.ts).
//
// Which shard runs an interaction: the interactions asked about are ordered by the sha256 of their key
// (`<integration>/<interaction>`, the key itself breaking a tie) and dealt out in turn — shard K of N
// takes the K-th, the (K+N)-th, … of that order. Why this and not `hash(key) mod N`:
// - deterministic and independent of the spec's order: reordering entries, or files, changes nothing,
//   since only the keys decide;
// - balanced: shard sizes differ by at most one (hash mod N leaves a shard of a small spec empty, or
//   one shard with twice the work, and the slowest shard is the matrix's wall time);
// - the price: adding or removing an interaction may move others to another shard. Nothing ties an
//   interaction to a shard beyond one run of the matrix, so nothing is lost by that.
// Every shard must be given the same spec and the same selection (`--all`, or the same ids), which is
// what a matrix running one command with a different K does.
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic } from '../guard/atomicFile';

export interface Shard {
  /** 1-based. */
  readonly index: number;
  readonly count: number;
}

/** The most shards one spec can be split into (a matrix is far smaller; a typo like 1/30000 is caught). */
export const MAX_SHARDS = 1000;

/** `K/N` → the shard; throws, saying what is wrong, for anything but two integers with 1 ≤ K ≤ N. */
export function parseShard(text: string): Shard {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  if (!m) throw new Error(`--shard takes K/N (this machine's shard K of N, e.g. 2/3), not ${JSON.stringify(text)}`);
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(count)) throw new Error(`--shard ${text.trim()}: K and N must be whole numbers`);
  if (count < 1) throw new Error(`--shard ${text.trim()}: N (the number of shards) must be at least 1`);
  if (count > MAX_SHARDS) throw new Error(`--shard ${text.trim()}: N may be at most ${MAX_SHARDS}`);
  if (index < 1 || index > count) throw new Error(`--shard ${text.trim()}: K must be between 1 and ${count}`);
  return { index, count };
}

export const shardLabel = (s: Shard): string => `${s.index}/${s.count}`;

/** The rank of a key in the shard order: the hex sha256 of the key. */
export function shardRank(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/**
 * The shard (1-based) of each key among `keys` split `count` ways: keys ordered by rank, dealt out in
 * turn. Duplicate keys count once.
 */
export function assignShards(keys: readonly string[], count: number): Map<string, number> {
  const order = [...new Set(keys)]
    .map((key) => ({ key, rank: shardRank(key) }))
    .sort((a, b) => (a.rank < b.rank ? -1 : a.rank > b.rank ? 1 : a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const out = new Map<string, number>();
  order.forEach((e, i) => out.set(e.key, (i % count) + 1));
  return out;
}

/** The items of `shard`'s share, in their given order. */
export function shardShare<T>(items: readonly T[], keyOf: (item: T) => string, shard: Shard): T[] {
  const assigned = assignShards(items.map(keyOf), shard.count);
  return items.filter((item) => assigned.get(keyOf(item)) === shard.index);
}

// ---------------------------------------------------------------------------------------------
// The shard note: what a shard was asked to run, kept in its work root for `merge` to say what is missing.

export const SHARD_NOTE_FILE = 'shard.json';

export interface ShardNote {
  readonly version: 1;
  /** This work root's shard, 1-based. */
  readonly shard: number;
  readonly of: number;
  /** The interactions of its share, sorted. */
  readonly keys: readonly string[];
  readonly at: string;
}

/** `<workRoot>/.runs/shard.json` (beside the integration folders, where the run store never looks). */
export function shardNoteFile(workRoot: string): string {
  return path.join(workRoot, '.runs', SHARD_NOTE_FILE);
}

export async function writeShardNote(workRoot: string, shard: Shard, keys: readonly string[], now = new Date()): Promise<void> {
  const note: ShardNote = { version: 1, shard: shard.index, of: shard.count, keys: [...keys].sort(), at: now.toISOString() };
  await fs.mkdir(path.join(workRoot, '.runs'), { recursive: true });
  await writeFileAtomic(shardNoteFile(workRoot), JSON.stringify(note, null, 2) + '\n');
}

/** The note of a shard's work root; undefined when there is none; throws when it is not a note. */
export async function readShardNote(workRoot: string): Promise<ShardNote | undefined> {
  const file = shardNoteFile(workRoot);
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const n = JSON.parse(text) as ShardNote;
  const ok =
    n &&
    n.version === 1 &&
    Number.isInteger(n.shard) &&
    Number.isInteger(n.of) &&
    n.shard >= 1 &&
    n.shard <= n.of &&
    Array.isArray(n.keys) &&
    n.keys.every((k) => typeof k === 'string');
  if (!ok) throw new Error('not a shard note (version 1)');
  return n;
}
