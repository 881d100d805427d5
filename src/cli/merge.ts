// The CLI's side of shards (src/core/shard/): `--shard K/N` takes this machine's share of the
// interactions asked about, and `merge <dir>…` gathers the shards' work roots into one.
//
//   integration-builder generate --all --shard 2/3 --work-root shard-out     on each machine of a matrix
//   integration-builder merge shards/1 shards/2 shards/3 [--work-root <dir>]  then, on one machine:
//   integration-builder verify --all · status · assemble <integration>        on the merged work root
import * as path from 'node:path';
import { MergeRefused, mergeWorkRoots, shardLabel, writeShardNote, type MergeResult, type Shard } from '../core/app/shards';

interface ShardIo {
  readonly out: (s: string) => void;
  readonly err: (s: string) => void;
  readonly cwd: string;
}

/**
 * Says what this shard holds and, for generate, notes it in the work root (for merge). Returns false when
 * the share is empty: there is nothing to do, which is not a failure (a spec smaller than the matrix).
 */
export async function startShard(
  shard: Shard,
  share: readonly { readonly interaction: { readonly key: string } }[],
  of: number,
  how: { readonly command: string; readonly workRoot: string; readonly err: (s: string) => void },
): Promise<boolean> {
  const keys = share.map((t) => t.interaction.key);
  if (how.command === 'generate') await writeShardNote(how.workRoot, shard, keys);
  how.err(`shard ${shardLabel(shard)}: ${keys.length} of ${of} interaction(s)${keys.length ? `: ${keys.join(', ')}` : ' — nothing to do here'}`);
  return keys.length > 0;
}

/** `merge <dir>…`: exit 0 when merged, 2 when refused (every problem said, nothing written). */
export async function runMerge(
  o: { readonly shards: readonly string[]; readonly json: boolean },
  io: ShardIo,
  ctx: { readonly specKeys: readonly string[]; readonly workRoot: string },
): Promise<number> {
  let result: MergeResult;
  try {
    result = await mergeWorkRoots({ shards: o.shards.map((d) => path.resolve(io.cwd, d)), target: ctx.workRoot });
  } catch (err) {
    if (!(err instanceof MergeRefused)) throw err;
    for (const p of err.problems) io.err(`${p.file}: ${p.message}`);
    io.err(`integration-builder: the merge was refused (${err.problems.length} problem(s)); nothing was written to ${ctx.workRoot}`);
    if (o.json) io.out(JSON.stringify({ merged: false, target: ctx.workRoot, problems: err.problems }, null, 2));
    return 2;
  }
  const inSpec = new Set(ctx.specKeys);
  const merged = new Set(result.runs.map((r) => r.key));
  const notes = [...result.notes];
  const unclaimed = [...inSpec].filter((k) => !merged.has(k));
  if (unclaimed.length) notes.push(`${unclaimed.length} interaction(s) of the spec are in no shard: ${unclaimed.join(', ')}`);
  const foreign = [...merged].filter((k) => !inSpec.has(k));
  if (foreign.length) notes.push(`${foreign.length} merged interaction(s) are not in the spec (status and assemble will not list them): ${foreign.join(', ')}`);
  for (const n of notes) io.err(`note: ${n}`);
  if (o.json) {
    io.out(JSON.stringify({ merged: true, ...result, notes }, null, 2));
    return 0;
  }
  const shardOf = new Map(result.shards.map((s) => [s.dir, s.shard ? `shard ${s.shard}` : path.basename(s.dir)]));
  io.out(`merged ${result.runs.length} interaction(s) from ${result.shards.length} shard(s) into ${result.target}`);
  for (const r of result.runs)
    io.out(`  ${r.key.padEnd(40)} ${r.status.padEnd(13)} #${r.attempt}  ${r.sealed ? 'sealed' : 'UNSEALED'}  from ${shardOf.get(r.from) ?? r.from}`);
  for (const s of result.shards.filter((x) => x.rebased)) io.out(`  paths rebased from ${s.ranAt ?? ''} (${shardOf.get(s.dir) ?? s.dir})`);
  io.out('next: integration-builder verify --all, status, assemble <integration> (with the same --work-root)');
  return 0;
}
