// The Agents board's rows on the host side, without the editor (src/extension/boardPanel.ts sends
// them): the Agents view's rows (its PanelModel) plus when each run entered its state, its last tool
// call and its edits — from the live stream, or read once from the stored transcript of a run that is
// not live (again when its attempt or state changes).
import { stateSince, summarizeItems } from '../shared/board';
import type { BoardRow, Edits, LastTool } from '../shared/boardProtocol';
import { PanelModel } from './panelModel';

/** What the board keeps of a run record that the panel's row does not carry. */
interface RecordFacts {
  readonly queuedAt: string;
  readonly attempt: number;
  readonly status: string;
  readonly endedAt?: string;
  readonly hasSession: boolean;
}

/** What a stored transcript says of a run, for the attempt and state it was read at. */
interface TranscriptSummary {
  readonly stamp: string;
  readonly lastTool?: LastTool;
  /** Absent: the transcript could not be read. */
  readonly edits?: Edits;
}

/** The store's view of a transcript: entries, never a throw for a file it could not read. */
export type ReadTranscript = (key: string, attempt: number, mayBeAbsent: boolean) => Promise<unknown[]>;

export class BoardRows {
  private readonly records = new Map<string, RecordFacts>();
  private readonly waitingSince = new Map<string, string>();
  private readonly transcripts = new Map<string, TranscriptSummary>();
  private readonly reading = new Set<string>();

  constructor(
    private readonly model: PanelModel,
    private readonly readTranscript: ReadTranscript,
    private readonly clock: () => number = Date.now,
  ) {}

  /** A run record was seen (the orchestrator's, or one loaded from disk). */
  remember(run: { key: string; queuedAt: string; attempt: number; status: string; endedAt?: string; sessionId?: string }): void {
    this.records.set(run.key, { queuedAt: run.queuedAt, attempt: run.attempt, status: run.status, endedAt: run.endedAt, hasSession: !!run.sessionId });
  }

  /** A permission request arrived: the run waits for a person from now. */
  permissionAsked(key: string): void {
    if (!this.waitingSince.has(key)) this.waitingSince.set(key, new Date(this.clock()).toISOString());
  }

  /**
   * Every run on the board now. `live`: the keys whose stream the model follows as it happens. The
   * keys returned in `unread` have a stored transcript not read yet: `read` them, then ask again.
   */
  rows(live: ReadonlySet<string>): { rows: BoardRow[]; unread: string[] } {
    const unread: string[] = [];
    const rows = this.model.rows().map((r): BoardRow => {
      if (r.waiting) this.permissionAsked(r.key);
      else this.waitingSince.delete(r.key);
      const items = this.model.items(r.key);
      let summary: { lastTool?: LastTool; edits?: Edits } | undefined;
      // Findings alone (a verification report) are not a stream.
      if (live.has(r.key) || items.some((i) => i.kind !== 'finding')) summary = summarizeItems(items);
      else {
        const stored = this.transcripts.get(r.key);
        const stamp = this.stamp(r.key);
        if (stored && stored.stamp === stamp) summary = stored;
        else if (stamp && !this.reading.has(r.key)) unread.push(r.key);
      }
      return {
        ...r,
        since: stateSince(r, { queuedAt: this.records.get(r.key)?.queuedAt, waitingSince: this.waitingSince.get(r.key) }),
        ...(summary?.lastTool ? { lastTool: summary.lastTool } : {}),
        ...(summary?.edits ? { edits: summary.edits } : {}),
      };
    });
    return { rows, unread };
  }

  /** Reads the stored transcripts of these runs, one after the other, into a throwaway model. */
  async read(keys: readonly string[]): Promise<void> {
    const todo = keys.filter((k) => !this.reading.has(k));
    todo.forEach((k) => this.reading.add(k));
    try {
      for (const key of todo) {
        const facts = this.records.get(key);
        const stamp = this.stamp(key);
        if (!facts || !stamp) continue;
        try {
          const m = new PanelModel();
          m.loadTranscript(key, await this.readTranscript(key, facts.attempt, !facts.hasSession));
          this.transcripts.set(key, { stamp, ...summarizeItems(m.items(key)) });
        } catch {
          // Not read again until the run changes; the row shows its edits as unknown.
          this.transcripts.set(key, { stamp });
        }
      }
    } finally {
      todo.forEach((k) => this.reading.delete(k));
    }
  }

  private stamp(key: string): string | undefined {
    const r = this.records.get(key);
    return r && `${r.attempt}:${r.status}:${r.endedAt ?? ''}`;
  }
}
