// What an agent did to files it may not change, kept per interaction as JSON lines next to the run
// records (`<interaction>.violations.jsonl`), so a reloaded window and verification still see it. The
// log counts: past a limit the session is stopped as tampering rather than left to keep trying.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { Emitter, type Event } from '../util/emitter';

/** `link-out`: a link in the folder whose target leaves it (reported, not removed: Verify fails it too). */
export type ViolationKind = 'changed' | 'added' | 'deleted' | 'link-out';

export interface Violation {
  /** When the guard saw it (ISO). */
  readonly time: string;
  readonly folder: string;
  /** The interaction key, `<integration>/<interaction>`. */
  readonly key: string;
  /** Relative to the interaction folder, posix. */
  readonly file: string;
  readonly kind: ViolationKind;
  /** Whether the baseline was put back (or the added file deleted). */
  readonly restored: boolean;
  /** One line for people: what changed, what was done, and during which tool call. */
  readonly detail: string;
  /** The tool call(s) running in the session when it was seen, in words, e.g. `bash: sed -i … tests/x.json`. */
  readonly activity?: string;
  /**
   * The ids of those tool calls (opencode's call ids, as the transcript has them): how Verify ties the
   * violation to its step. Absent: no tool call of the agent was running (a background process).
   */
  readonly callIds?: readonly string[];
}

/** The tool calls an agent is running right now, as the harness knows them from the plugin's hooks. */
export interface CurrentActivity {
  readonly text: string;
  readonly callIds: readonly string[];
}

export interface ViolationLimitReached {
  readonly file: string;
  readonly count: number;
  readonly limit: number;
  readonly last: Violation;
}

/** `<workRoot>/.runs/<integration>/<interaction>.json` → `….violations.jsonl` */
export function violationLogFor(runRecordFile: string): string {
  return runRecordFile.replace(/\.json$/, '') + '.violations.jsonl';
}

export class ViolationLog {
  private readonly limitReached = new Emitter<ViolationLimitReached>();
  /** Fires once, the first time the count reaches the limit: stop the session as tampering. */
  readonly onLimitReached: Event<ViolationLimitReached> = this.limitReached.event;
  private writing: Promise<void> = Promise.resolve();
  private fired = false;

  /**
   * @param limit violations before `onLimitReached` fires; 0 means no limit.
   * @param count violations already in the file (see `open`).
   */
  constructor(
    readonly file: string,
    readonly limit: number,
    private counted = 0,
  ) {}

  /** A log that continues an existing file: its count includes what is already there. */
  static async open(file: string, limit: number): Promise<ViolationLog> {
    const existing = await readViolations(file);
    return new ViolationLog(file, limit, existing.length);
  }

  get count(): number {
    return this.counted;
  }

  get limitHit(): boolean {
    return this.limit > 0 && this.counted >= this.limit;
  }

  /**
   * Counts the violation at once (the limit event fires before this returns, so the caller can stop the
   * session without waiting for the disk) and appends it; appends are serialised.
   */
  append(v: Violation): Promise<void> {
    this.counted++;
    const line = JSON.stringify(v) + '\n';
    this.writing = this.writing
      .catch(() => undefined)
      .then(async () => {
        await fs.mkdir(path.dirname(this.file), { recursive: true });
        await fs.appendFile(this.file, line);
      });
    if (this.limitHit && !this.fired) {
      this.fired = true;
      this.limitReached.fire({ file: this.file, count: this.counted, limit: this.limit, last: v });
    }
    return this.writing;
  }

  flush(): Promise<void> {
    return this.writing.catch(() => undefined);
  }

  async read(): Promise<Violation[]> {
    await this.flush();
    return readViolations(this.file);
  }

  dispose(): void {
    this.limitReached.dispose();
  }
}

/** Every violation in a log file; a missing file is an empty log, a torn last line is skipped. */
export async function readViolations(file: string): Promise<Violation[]> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const out: Violation[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      out.push(JSON.parse(line) as Violation);
    } catch {
      // A crash mid-append leaves at most one partial line; the rest of the log still counts.
    }
  }
  return out;
}
