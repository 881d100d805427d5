// Run records on disk: `<workRoot>/.runs/<integration>/<interaction>.json`, written atomically
// (temp file + rename) so a crash or a reload never leaves half a record.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { assertSafeSegment } from '../workspace/paths';
import type { RunRecord } from './record';

/**
 * The integration and interaction of a run key (`<integration>/<interaction>`), each one safe path
 * segment. Keys come from the spec (checked there) but also from records read back from disk, which
 * anything may have written: a key holding `..` or a separator would make the store read, write or
 * delete outside `.runs/`.
 */
export function runKeyParts(key: string): readonly [integration: string, interaction: string] {
  const parts = key.split('/');
  if (parts.length !== 2) throw new Error(`run key ${JSON.stringify(key)} is not <integration>/<interaction>, so it cannot name a run record`);
  const [integration, interaction] = parts as [string, string];
  const remedy = `run key ${JSON.stringify(key)} cannot name a run record`;
  assertSafeSegment(integration, 'integration id', remedy);
  assertSafeSegment(interaction, 'interaction id', remedy);
  return [integration, interaction];
}

export class RunStore {
  readonly dir: string;
  private writing = new Map<string, Promise<void>>();
  /** Values never written to disk (an agent that printed a secret gets `[redacted]` in its transcript). */
  private secrets: string[] = [];

  constructor(workRoot: string) {
    this.dir = path.join(workRoot, '.runs');
  }

  /** Adds values to redact from everything this store writes. */
  redact(values: readonly string[]): void {
    for (const v of values) if (v && v.length >= 8 && !this.secrets.includes(v)) this.secrets.push(v);
    this.secrets.sort((a, b) => b.length - a.length);
  }

  private scrub(text: string): string {
    let out = text;
    for (const s of this.secrets) if (out.includes(s)) out = out.split(s).join('[redacted]');
    return out;
  }

  /** `<workRoot>/.runs/<integration>/<interaction>.json`; throws for a key that would name a file elsewhere. */
  fileOf(key: string): string {
    const [integration, interaction] = runKeyParts(key);
    return path.join(this.dir, integration, `${interaction}.json`);
  }

  /** The transcript of one attempt: one JSON line per event (deltas left out; their `.done` events hold the text). */
  transcriptOf(key: string, attempt: number): string {
    return this.fileOf(key).replace(/\.json$/, `.attempt-${attempt}.jsonl`);
  }

  /** Appends lines to a transcript; appends to one file are serialised. */
  appendTranscript(key: string, attempt: number, entries: readonly unknown[]): Promise<void> {
    let file: string;
    try {
      file = this.transcriptOf(key, attempt);
    } catch (err) {
      return Promise.reject(err as Error); // a promise, as callers that do not await expect: never a throw
    }
    const body = this.scrub(entries.map((e) => JSON.stringify(e)).join('\n') + '\n');
    const id = `${key}#${attempt}`;
    const prev = this.writing.get(id) ?? Promise.resolve();
    const next = prev
      .catch(() => undefined)
      .then(async () => {
        await fs.mkdir(path.dirname(file), { recursive: true });
        await fs.appendFile(file, body);
      });
    this.track(id, next);
    return next;
  }

  async readTranscript(key: string, attempt: number): Promise<unknown[]> {
    const text = await fs.readFile(this.transcriptOf(key, attempt), 'utf8');
    return text
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l) as unknown);
  }

  /** Writes a record atomically. Writes of the same key are serialised, last one wins. */
  save(run: RunRecord): Promise<void> {
    let file: string;
    try {
      file = this.fileOf(run.key);
    } catch (err) {
      return Promise.reject(err as Error); // a promise, as callers that do not await expect: never a throw
    }
    const body = this.scrub(JSON.stringify(run, null, 2) + '\n');
    const prev = this.writing.get(run.key) ?? Promise.resolve();
    const next = prev
      .catch(() => undefined)
      .then(async () => {
        await fs.mkdir(path.dirname(file), { recursive: true });
        const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
        await fs.writeFile(tmp, body);
        await fs.rename(tmp, file);
      });
    this.track(run.key, next);
    return next;
  }

  /** Keeps the latest write per file until it settles, so the map holds only writes in flight. */
  private track(id: string, next: Promise<void>): void {
    this.writing.set(id, next);
    const drop = () => {
      if (this.writing.get(id) === next) this.writing.delete(id);
    };
    next.then(drop, drop);
  }

  /** Files with a write in flight. */
  get pendingWrites(): number {
    return this.writing.size;
  }

  async flush(): Promise<void> {
    await Promise.allSettled([...this.writing.values()]);
  }

  /**
   * Every record on disk. Unreadable files are reported, not thrown, and so is a record whose key does
   * not name the file it was read from (a key with `..` would have later saves, transcripts and
   * baselines land outside `.runs/`; a copied record would have two files fight over one key).
   */
  async loadAll(onError: (file: string, err: Error) => void = () => undefined): Promise<RunRecord[]> {
    const out: RunRecord[] = [];
    let integrations: string[];
    try {
      integrations = await fs.readdir(this.dir);
    } catch {
      return out;
    }
    for (const integration of integrations.sort()) {
      let files: string[];
      try {
        files = await fs.readdir(path.join(this.dir, integration));
      } catch {
        continue;
      }
      // `<interaction>.json` only: reports kept next to a record (`<interaction>.verify.json`) are not runs.
      for (const f of files.filter((x) => /^[^.]+\.json$/.test(x)).sort()) {
        const file = path.join(this.dir, integration, f);
        try {
          const run = JSON.parse(await fs.readFile(file, 'utf8')) as RunRecord;
          if (run?.version !== 1 || typeof run.key !== 'string') {
            onError(file, new Error('not a run record (version 1)'));
            continue;
          }
          const own = this.fileOf(run.key); // throws for an unsafe key: reported below, the record skipped
          if (own !== file) throw new Error(`its key ${JSON.stringify(run.key)} belongs in ${own}, not here; the record was skipped`);
          out.push(run);
        } catch (err) {
          onError(file, err as Error);
        }
      }
    }
    return out;
  }

  async delete(key: string): Promise<void> {
    await fs.rm(this.fileOf(key), { force: true });
  }
}
