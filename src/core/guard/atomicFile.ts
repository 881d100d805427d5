// Writes that never leave half a file behind: a temp file in the same directory (so the rename stays on
// one file system), then a rename over the target. A rename also gives the file a new inode, which cuts
// it loose from any hard link or open file descriptor an agent still holds on the old one.
//
// The guard watches the directories these temp files appear in; it asks `isOwnFile` so that it never
// mistakes one of ours (a restore in flight, a liveness probe) for a file an agent added.
import { randomBytes } from 'node:crypto';
import { promises as fs, renameSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';

const own = new Set<string>();

/** Whether `abs` is a temp or probe file this process is writing right now. */
export function isOwnFile(abs: string): boolean {
  return own.has(abs);
}

/** Marks `abs` as ours while `fn` runs. */
export async function asOwnFile<T>(abs: string, fn: () => Promise<T>): Promise<T> {
  own.add(abs);
  try {
    return await fn();
  } finally {
    own.delete(abs);
  }
}

/** A name no agent can predict: short, so that it fits next to any file name. */
export function ownFileName(prefix: string): string {
  return `.ib-${prefix}-${process.pid}-${randomBytes(6).toString('hex')}`;
}

export async function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  const tmp = path.join(path.dirname(file), `${ownFileName('tmp')}.tmp`);
  await asOwnFile(tmp, async () => {
    try {
      await fs.writeFile(tmp, data, { flag: 'wx' });
      await fs.rename(tmp, file);
    } catch (err) {
      await fs.rm(tmp, { force: true }).catch(() => undefined);
      throw err;
    }
  });
}

/**
 * Puts `data` at `file` in place of whatever is there (a file, a symlink, a directory), as a new inode.
 * Two choices make this fast, and a restore is only as good as it is fast:
 * - What was there is moved aside and deleted afterwards, off the critical path, instead of renamed
 *   over: on ext4, replacing or deleting a file someone has just written waits until that write has
 *   reached the disk (1–15 ms on a busy disk), and a restore should not wait for the tampering to be
 *   saved. The name is absent for the few microseconds between the two renames.
 * - The three calls are synchronous: a few tens of microseconds each, where each trip through libuv's
 *   four-thread pool queues behind chokidar's own directory scans, which the same change sets off.
 */
export function replaceFileSync(file: string, data: string | Uint8Array): void {
  const dir = path.dirname(file);
  const tmp = path.join(dir, `${ownFileName('tmp')}.tmp`);
  const aside = path.join(dir, `${ownFileName('old')}.old`);
  own.add(tmp);
  own.add(aside);
  let movedAside = false;
  try {
    writeFileSync(tmp, data, { flag: 'wx' });
    try {
      renameSync(file, aside);
      movedAside = true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    try {
      renameSync(tmp, file);
    } catch (err) {
      if (movedAside) renameSync(aside, file);
      movedAside = false;
      throw err;
    }
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  } finally {
    own.delete(tmp);
    if (!movedAside) own.delete(aside);
    else void fs.rm(aside, { recursive: true, force: true }).finally(() => own.delete(aside));
  }
}
