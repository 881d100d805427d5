// Shards as the front ends use them (src/cli/merge.ts, src/cli/main.ts): a machine's share of the
// interactions asked about (`--shard K/N`), its note for merge, and the merge of shards' work roots.
// The rules themselves are in src/core/shard/ (shard.ts: which shard runs what; merge.ts: what a merge
// checks, refuses and writes).
import { shardShare, type Shard } from '../shard/shard';

export { MergeRefused, mergeWorkRoots, type MergeResult } from '../shard/merge';
export { parseShard, shardLabel, writeShardNote, type Shard } from '../shard/shard';

/** This shard's share of `targets` (the interactions asked about, split the same way on every shard); all of them without a shard. */
export function shardTargets<T extends { readonly interaction: { readonly key: string } }>(targets: readonly T[], shard: Shard | undefined): T[] {
  return shard ? shardShare(targets, (t) => t.interaction.key, shard) : [...targets];
}
