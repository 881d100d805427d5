// Run records on disk: `<workRoot>/.runs/<integration>/<interaction>.json`, written atomically
// (temp file + rename) so a crash or a reload never leaves half a record.
import { promises as fs, type Dirent } from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic } from '../guard/atomicFile';
import { assertSafeSegment, interactionFolder } from '../workspace/paths';
import type { RunRecord } from './record';
import { INTERACTION_STATUSES } from './status';

/** A run record that exists but cannot be used: torn, not a record, or pointing somewhere it may not. */
export interface RunRecordProblem {
  /** The file (or `.runs/` itself when that cannot be read). */
  readonly file: string;
  /** The `<integration>/<interaction>` the file stands for by its place in `.runs/`, when it is one. */
  readonly key?: string;
  readonly message: string;
}

/** A transcript line that could not be read (a write cut short): kept in its place, so line numbers hold. */
/** A transcript the views could not read at all (see readTranscriptForView). */
export interface UnreadableTranscriptFile {
  readonly type: 'unreadable-file';
  readonly error: string;
}

export interface UnreadableTranscriptLine {
  readonly type: 'unreadable-line';
  /** 0-based line in the JSONL file. */
  readonly line: number;
  readonly error: string;
  /** The start of the line as it is on disk. */
  readonly text: string;
}

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
  /** Transcripts whose last append failed (they may end in half a line). */
  private readonly tornTranscripts = new Set<string>();

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

  /** The work root whose records this store keeps. */
  get workRoot(): string {
    return path.dirname(this.dir);
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
        // After a failed append (a full disk) the file may end mid-line: start on a line of our own, so
        // the torn line stays one torn line and does not take these entries with it.
        const lead = this.tornTranscripts.has(file) ? '\n' : '';
        try {
          await fs.appendFile(file, lead + body);
          this.tornTranscripts.delete(file);
        } catch (err) {
          this.tornTranscripts.add(file);
          throw err;
        }
      });
    this.track(id, next);
    return next;
  }

  /**
   * The entries of an attempt's transcript. A line that is not JSON (a write cut short by a kill or a full
   * disk) does not cost the others: it becomes an `unreadable-line` entry in its place, which the
   * transcript view shows. Throws only when the file cannot be read at all.
   */
  async readTranscript(key: string, attempt: number): Promise<unknown[]> {
    const text = await fs.readFile(this.transcriptOf(key, attempt), 'utf8');
    return parseTranscriptLines(text);
  }

  /**
   * The same for the views, which never throw and never show an empty list for evidence they could not
   * read: a file that cannot be read becomes one `unreadable-file` entry saying why. A missing file is
   * no entry only when `mayBeAbsent` (a run that never reached its session has no transcript).
   */
  async readTranscriptForView(key: string, attempt: number, mayBeAbsent: boolean): Promise<unknown[]> {
    try {
      return await this.readTranscript(key, attempt);
    } catch (err) {
      if (mayBeAbsent && (err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      const entry: UnreadableTranscriptFile = { type: 'unreadable-file', error: (err as Error).message };
      return [entry];
    }
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
        // Temp file and rename; a failed write (a full disk) removes its temp file, and the record on
        // disk stays the last one written in full.
        await writeFileAtomic(file, body);
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
   * baselines land outside `.runs/`; a copied record would have two files fight over one key), one
   * with a status no version of ours writes, and one whose folder is not its interaction's folder under
   * this work root (Verify and the guard would look at whatever folder it names).
   */
  async loadAll(onError: (file: string, err: Error) => void = () => undefined): Promise<RunRecord[]> {
    const { records, problems } = await this.loadAllChecked();
    for (const p of problems) onError(p.file, new Error(p.message));
    return records;
  }

  /** Every usable record, and every record file (or folder) that could not be used, with why. */
  async loadAllChecked(): Promise<{ records: RunRecord[]; problems: RunRecordProblem[] }> {
    const records: RunRecord[] = [];
    const problems: RunRecordProblem[] = [];
    let integrations: Dirent[];
    try {
      integrations = await fs.readdir(this.dir, { withFileTypes: true });
    } catch (err) {
      // No `.runs/` yet: no runs. Any other failure is evidence we cannot read, never "nothing ran".
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
        problems.push({ file: this.dir, message: `the run records cannot be read: ${(err as Error).message}` });
      return { records, problems };
    }
    // Integration folders only: not the stray files, nor our own `.sandbox/`, `.demo-opencode/`, `.integrity-key`.
    for (const integration of integrations
      .filter((d) => d.isDirectory() && !d.name.startsWith('.'))
      .map((d) => d.name)
      .sort()) {
      let files: string[];
      try {
        files = await fs.readdir(path.join(this.dir, integration));
      } catch (err) {
        problems.push({ file: path.join(this.dir, integration), message: `the run records of ${integration} cannot be read: ${(err as Error).message}` });
        continue;
      }
      // `<interaction>.json` only: reports kept next to a record (`<interaction>.verify.json`) are not runs.
      for (const f of files.filter((x) => /^[^.]+\.json$/.test(x)).sort()) {
        const file = path.join(this.dir, integration, f);
        const key = `${integration}/${f.slice(0, -'.json'.length)}`;
        try {
          records.push(this.checkRecord(file, await fs.readFile(file, 'utf8')));
        } catch (err) {
          problems.push({ file, key, message: (err as Error).message });
        }
      }
    }
    return { records, problems };
  }

  /** The record in `text`, read from `file`; throws, saying why, when it cannot be used. */
  private checkRecord(file: string, text: string): RunRecord {
    if (!text.trim()) throw new Error('the record is empty (a write cut short)');
    let run: RunRecord;
    try {
      run = JSON.parse(text) as RunRecord;
    } catch (err) {
      throw new Error(`the record is not valid JSON (truncated or corrupt): ${(err as Error).message}`);
    }
    if (!run || typeof run !== 'object' || run.version !== 1 || typeof run.key !== 'string') throw new Error('not a run record (version 1)');
    const own = this.fileOf(run.key); // throws for an unsafe key
    if (own !== file) throw new Error(`its key ${JSON.stringify(run.key)} belongs in ${own}, not here; the record was skipped`);
    if (!(INTERACTION_STATUSES as readonly unknown[]).includes(run.status))
      throw new Error(`the record has an unknown status ${JSON.stringify(run.status)}; the record was skipped`);
    const [integrationId, interactionId] = runKeyParts(run.key);
    if (run.integrationId !== integrationId || run.interactionId !== interactionId) {
      throw new Error(
        `its ids ${JSON.stringify(`${String(run.integrationId)}/${String(run.interactionId)}`)} do not match its key ${JSON.stringify(run.key)}; the record was skipped`,
      );
    }
    if (!Number.isInteger(run.attempt) || run.attempt < 1)
      throw new Error(`the record has no valid attempt number (${JSON.stringify(run.attempt)}); the record was skipped`);
    const expected = interactionFolder(this.workRoot, integrationId, interactionId);
    if (typeof run.folder !== 'string' || path.resolve(run.folder) !== expected) {
      throw new Error(
        `its folder ${JSON.stringify(run.folder)} is not the interaction's folder ${expected}; the record was refused (nothing in another folder is checked or trusted for it)`,
      );
    }
    if (!Array.isArray(run.history) || typeof run.costUsd !== 'number' || !run.tokens || typeof run.tokens !== 'object') {
      throw new Error('the record is incomplete (no history, cost or tokens); the record was skipped');
    }
    return run;
  }

  async delete(key: string): Promise<void> {
    await fs.rm(this.fileOf(key), { force: true });
  }
}

/** Transcript JSONL → entries; a line that is not a JSON object becomes an `unreadable-line` entry in its place. */
export function parseTranscriptLines(text: string): unknown[] {
  const out: unknown[] = [];
  text.split('\n').forEach((raw, line) => {
    if (!raw.trim()) return;
    let error: string | undefined;
    try {
      const value = JSON.parse(raw) as unknown;
      if (value && typeof value === 'object' && !Array.isArray(value)) {
        out.push(value);
        return;
      }
      error = 'not a JSON object';
    } catch (err) {
      error = (err as Error).message;
    }
    const entry: UnreadableTranscriptLine = { type: 'unreadable-line', line, error, text: raw.slice(0, 200) };
    out.push(entry);
  });
  return out;
}
