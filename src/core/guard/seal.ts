// Tamper evidence for the baseline. Whenever the harness writes a run's baseline manifest it seals it:
// the manifest's sha256 goes into the run record with an HMAC over (run, attempt, hash) whose key lives
// in `<workRoot>/.runs/.integrity-key` — a file no sandboxed command can see, and that no record,
// manifest or transcript ever contains. A manifest rewritten afterwards (by anyone who cannot compute
// the HMAC) no longer matches its seal, and Verify says so.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { MANIFEST_FILE, sha256 } from './manifest';

export interface BaselineSeal {
  /** sha256 of the manifest file as the harness wrote it. */
  readonly manifestSha256: string;
  /** HMAC-SHA256 of `<run key>\n<attempt>\n<manifestSha256>` under the work root's integrity key. */
  readonly hmac: string;
  readonly at: string;
}

export const INTEGRITY_KEY_FILE = '.integrity-key';

const keys = new Map<string, Promise<Buffer>>();

/** The work root's integrity key (created on first use, readable by its owner only). */
export function integrityKey(runsDir: string, create = true): Promise<Buffer> {
  const file = path.join(runsDir, INTEGRITY_KEY_FILE);
  const cached = keys.get(file);
  if (cached) return cached;
  const load = (async () => {
    try {
      const hex = (await fs.readFile(file, 'utf8')).trim();
      if (!/^[0-9a-f]{64}$/.test(hex)) throw new Error(`${file} is not an integrity key`);
      return Buffer.from(hex, 'hex');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || !create) throw err;
      await fs.mkdir(runsDir, { recursive: true });
      const key = randomBytes(32);
      try {
        await fs.writeFile(file, key.toString('hex') + '\n', { mode: 0o600, flag: 'wx' });
        return key;
      } catch (e) {
        // Another process made it first: use theirs.
        if ((e as NodeJS.ErrnoException).code === 'EEXIST') return Buffer.from((await fs.readFile(file, 'utf8')).trim(), 'hex');
        throw e;
      }
    }
  })();
  keys.set(file, load);
  load.catch(() => keys.delete(file));
  return load;
}

function mac(key: Buffer, runKey: string, attempt: number, manifestSha256: string): string {
  return createHmac('sha256', key).update(`${runKey}\n${attempt}\n${manifestSha256}`).digest('hex');
}

/** Seals the manifest now in `baselineDir` for this run and attempt. */
export async function sealBaseline(runsDir: string, runKey: string, attempt: number, baselineDir: string, now = new Date()): Promise<BaselineSeal> {
  const manifestSha256 = sha256(await fs.readFile(path.join(baselineDir, MANIFEST_FILE)));
  return { manifestSha256, hmac: mac(await integrityKey(runsDir), runKey, attempt, manifestSha256), at: now.toISOString() };
}

export type SealCheck =
  { readonly ok: true } | { readonly ok: false; readonly rule: 'fixtures.baseline-unsealed' | 'fixtures.baseline-tampered'; readonly message: string };

/** Whether the manifest in `baselineDir` is the one the harness sealed for this run and attempt. */
export async function checkSeal(runsDir: string, runKey: string, attempt: number, baselineDir: string, seal: BaselineSeal | undefined): Promise<SealCheck> {
  if (!seal)
    return {
      ok: false,
      rule: 'fixtures.baseline-unsealed',
      message: 'the run record holds no seal of its baseline, so the baseline cannot be trusted (restart the interaction from scratch)',
    };
  let key: Buffer;
  let actual: string;
  try {
    key = await integrityKey(runsDir, false);
  } catch (err) {
    return {
      ok: false,
      rule: 'fixtures.baseline-tampered',
      message: `the work root's integrity key cannot be read (${(err as Error).message}), so the baseline's seal cannot be checked`,
    };
  }
  try {
    actual = sha256(await fs.readFile(path.join(baselineDir, MANIFEST_FILE)));
  } catch (err) {
    return { ok: false, rule: 'fixtures.baseline-tampered', message: `the baseline manifest cannot be read: ${(err as Error).message}` };
  }
  const want = Buffer.from(mac(key, runKey, attempt, seal.manifestSha256), 'hex');
  const got = Buffer.from(/^[0-9a-f]{64}$/.test(seal.hmac) ? seal.hmac : '', 'hex');
  if (got.length !== want.length || !timingSafeEqual(got, want))
    return {
      ok: false,
      rule: 'fixtures.baseline-tampered',
      message: 'the seal in the run record was not made by the harness (its HMAC does not match): the record or the baseline was rewritten',
    };
  if (actual !== seal.manifestSha256)
    return {
      ok: false,
      rule: 'fixtures.baseline-tampered',
      message: 'the baseline manifest is not the one the harness wrote (its hash differs from the sealed one): it was rewritten after the run',
    };
  return { ok: true };
}
