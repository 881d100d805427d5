// The Agents panel's state on the host side, in plain TypeScript (no vscode): agent rows and each
// agent's stream, built from AgentEvents, violations and verification reports, and a coalescer that
// sends at most one message per agent per interval (~50 ms) with just the items that changed. The
// latest state is kept, so a re-shown or reloaded view repaints at once from `snapshot`. The webview
// sees none of this code, only the messages of src/shared/protocol.ts.
import { totalTokens, type AgentEvent } from '../core/agent/events';
import { attemptSpent, priorSpent } from '../core/runs/totals';
import type { Violation } from '../core/guard/violations';
import { describeRun, type RunRecord } from '../core/runs/record';
import type { VerifyReport } from '../core/verify/types';
import { firstBad } from '../shared/firstBad';
import type { AgentRow, HostMessage, StreamItem, Totals } from '../shared/protocol';

/** What earlier attempts spent, for the panel's totals (one definition: src/core/runs/totals.ts). */
function priorOf(run: RunRecord): { priorCostUsd: number; priorTokens: number } {
  const p = priorSpent(run);
  return { priorCostUsd: p.costUsd, priorTokens: p.tokens };
}

const ATTENTION: Record<string, number> = {
  blocked: 0,
  failed: 2,
  interrupted: 3,
  'needs-review': 4,
  running: 5,
  queued: 6,
  stopped: 7,
  verified: 8,
  'not-started': 9,
};

/** Blocked and waiting-for-permission first, then failed…, running, and verified last. */
export function sortByAttention(rows: readonly AgentRow[]): AgentRow[] {
  const rank = (r: AgentRow) => (r.waiting ? 1 : (ATTENTION[r.status] ?? 9));
  return [...rows].sort((a, b) => rank(a) - rank(b) || a.key.localeCompare(b.key));
}

const oneLine = (s: string, n = 200) => {
  const t = s.replace(/\s+/g, ' ').trim();
  return t.length > n ? `${t.slice(0, n - 1)}…` : t;
};

function toolTitle(tool: string, input: Record<string, unknown>): string {
  const pick = (k: string) => (typeof input[k] === 'string' ? (input[k] as string) : undefined);
  return oneLine(
    pick('command') ?? pick('filePath') ?? pick('path') ?? pick('pattern') ?? pick('reason') ?? (Object.keys(input).length ? JSON.stringify(input) : tool),
  );
}

const MAX_OUTPUT = 20_000;

interface AgentState {
  row: AgentRow;
  items: StreamItem[];
  index: Map<string, number>;
}

export class PanelModel {
  private readonly agents = new Map<string, AgentState>();

  private state(key: string): AgentState {
    let s = this.agents.get(key);
    if (!s) {
      s = {
        row: { key, status: 'not-started', attempt: 0, steps: 0, costUsd: 0, tokens: 0, violations: 0, demo: false, waiting: false },
        items: [],
        index: new Map(),
      };
      this.agents.set(key, s);
    }
    return s;
  }

  /** Upserts an item; returns it. */
  private put(s: AgentState, item: StreamItem): StreamItem {
    const at = s.index.get(item.id);
    if (at === undefined) {
      s.index.set(item.id, s.items.length);
      s.items.push(item);
    } else s.items[at] = item;
    return item;
  }

  private get(s: AgentState, id: string): StreamItem | undefined {
    const at = s.index.get(id);
    return at === undefined ? undefined : s.items[at];
  }

  /** A run record changed. A new attempt starts a new stream. Returns whether the stream was reset. */
  onRun(run: RunRecord): boolean {
    const s = this.state(run.key);
    const reset = s.row.attempt !== 0 && s.row.attempt !== run.attempt;
    if (reset) {
      s.items = [];
      s.index.clear();
    }
    s.row = {
      ...s.row,
      status: run.status,
      detail: describeRun(run),
      attempt: run.attempt,
      startedAt: run.startedAt,
      endedAt: run.endedAt,
      steps: run.steps,
      ...attemptSpent(run),
      ...priorOf(run),
      violations: run.violations ?? 0,
      demo: run.demo,
      unsandboxed: run.sandbox === 'unsandboxed',
      verdict: reset ? undefined : s.row.verdict,
    };
    if (run.status !== 'running' && run.status !== 'queued') s.row.waiting = false;
    return reset;
  }

  /**
   * The feedback turns of the run's attempt that the stream does not show yet, added to it (each where
   * its turn begins: it is recorded as the turn is sent). Returns the items added.
   */
  onFeedback(run: RunRecord): StreamItem[] {
    const s = this.state(run.key);
    const added: StreamItem[] = [];
    for (const f of run.feedback ?? []) {
      const id = `prompt-turn-${f.turn}`;
      if (!s.index.has(id)) added.push(this.put(s, { id, kind: 'prompt', text: f.text, turn: f.turn }));
    }
    // The verdict shown was the turn before's: the new turn has none until it is verified.
    if (added.length) s.row = { ...s.row, verdict: undefined };
    return added;
  }

  /** Replays a stored transcript (runs from before a reload). */
  loadTranscript(key: string, entries: readonly unknown[]): void {
    const s = this.state(key);
    s.items = [];
    s.index.clear();
    for (const e of entries) {
      const entry = e as Record<string, unknown>;
      if (entry.type === 'prompt') {
        const turn = entry.feedback === true && typeof entry.turn === 'number' ? entry.turn : undefined;
        this.put(
          s,
          turn
            ? { id: `prompt-turn-${turn}`, kind: 'prompt', text: String(entry.text ?? ''), turn }
            : { id: 'prompt', kind: 'prompt', text: String(entry.text ?? '') },
        );
      } else if (entry.type === 'violation') this.onViolation(entry as unknown as Violation);
      else if (entry.type === 'unreadable-line')
        this.put(s, {
          id: `unreadable-${String(entry.line)}`,
          kind: 'error',
          text: `line ${Number(entry.line) + 1} of the transcript file cannot be read (${String(entry.error ?? 'not JSON')}); it is left out`,
        });
      else if (entry.type === 'unreadable-file')
        this.put(s, {
          id: 'unreadable-file',
          kind: 'error',
          text: `the transcript of this attempt cannot be read (${String(entry.error ?? 'unknown error')}): what the agent did is unknown`,
        });
      else if (typeof entry.type === 'string') this.onEvent(key, entry as unknown as AgentEvent);
    }
  }

  /** Returns the items it changed. */
  onEvent(key: string, e: AgentEvent): StreamItem[] {
    const s = this.state(key);
    switch (e.type) {
      case 'text':
      case 'reasoning': {
        const prev = this.get(s, e.partId);
        const text = (prev && (prev.kind === 'text' || prev.kind === 'reasoning') ? prev.text : '') + e.delta;
        return [this.put(s, { id: e.partId, kind: e.type, text, done: false })];
      }
      case 'text.done':
        return [this.put(s, { id: e.partId, kind: 'text', text: e.text, done: true })];
      case 'reasoning.done':
        return [this.put(s, { id: e.partId, kind: 'reasoning', text: e.text, done: true })];
      case 'tool.started':
        return [
          this.put(s, {
            id: e.callId || e.partId,
            kind: 'tool',
            tool: e.tool,
            title: toolTitle(e.tool, e.input),
            state: 'running',
            ...diffOf(e.tool, e.input),
          }),
        ];
      case 'tool.finished': {
        const output = e.output.length > MAX_OUTPUT ? `${e.output.slice(0, MAX_OUTPUT)}\n… (${e.output.length - MAX_OUTPUT} more characters)` : e.output;
        return [
          this.put(s, {
            id: e.callId || e.partId,
            kind: 'tool',
            tool: e.tool,
            title: toolTitle(e.tool, e.input),
            state: e.ok ? 'ok' : 'error',
            output,
            ...diffOf(e.tool, e.input),
          }),
        ];
      }
      case 'permission.asked':
        s.row = { ...s.row, waiting: true };
        return [this.put(s, { id: `perm:${e.requestId}`, kind: 'permission', requestId: e.requestId, permission: e.permission, patterns: [...e.patterns] })];
      case 'permission.answered': {
        const prev = this.get(s, `perm:${e.requestId}`);
        s.row = { ...s.row, waiting: s.items.some((i) => i.kind === 'permission' && !i.answered && i.requestId !== e.requestId) };
        if (!prev || prev.kind !== 'permission') return [];
        return [this.put(s, { ...prev, answered: e.reply })];
      }
      case 'error':
        return [this.put(s, { id: `err:${s.items.length}`, kind: 'error', text: `${e.name}: ${e.message}` })];
      case 'finished':
        return [this.put(s, { id: `end:${e.messageId}`, kind: 'end', text: `Finished (${e.finish}). The agent's claim is not a verdict: verify it.` })];
      case 'step':
        // Counted the way the run record counts them; the record, published right after, sets the same numbers.
        s.row = { ...s.row, steps: s.row.steps + 1, costUsd: s.row.costUsd + e.costUsd, tokens: s.row.tokens + totalTokens(e.tokens) };
        return [];
      case 'status':
        // The row's status comes from the run record (onRun), not from the session's busy, idle or retry.
        return [];
      default:
        return [];
    }
  }

  onViolation(v: Violation): StreamItem[] {
    const s = this.state(v.key);
    // Counted now; the run record (authoritative) arrives just after and sets the same number.
    s.row = { ...s.row, violations: s.row.violations + 1 };
    return [this.put(s, { id: `viol:${v.time}:${v.file}:${s.items.length}`, kind: 'violation', text: v.detail })];
  }

  /** Findings go in place, after the item their step points at (tool calls by call id). */
  onReport(r: VerifyReport): StreamItem[] {
    const s = this.state(r.key);
    s.row = { ...s.row, verdict: r.verdict };
    for (let i = s.items.length - 1; i >= 0; i--) if (s.items[i]?.kind === 'finding') s.items.splice(i, 1);
    s.index = new Map(s.items.map((it, i) => [it.id, i]));
    const findings = r.checks.flatMap((c) => c.findings);
    findings.forEach((f, n) => {
      const item: StreamItem = {
        id: `finding:${n}`,
        kind: 'finding',
        severity: f.severity,
        rule: f.rule,
        text: f.message + (f.location ? ` (${f.location.file}${f.location.line ? `:${f.location.line}` : ''})` : ''),
        line: f.step?.line,
      };
      const after = f.step?.callId ? s.index.get(f.step.callId) : undefined;
      if (after === undefined) s.items.push(item);
      else s.items.splice(after + 1, 0, item);
      s.index = new Map(s.items.map((it, i) => [it.id, i]));
    });
    return s.items;
  }

  /** The finding item at the first bad step (src/shared/firstBad.ts, the notification's rule too). */
  firstBadItem(key: string): string | undefined {
    const s = this.agents.get(key);
    const findings = (s?.items ?? []).filter((i): i is Extract<StreamItem, { kind: 'finding' }> => i.kind === 'finding');
    return firstBad(findings)?.id;
  }

  rows(): AgentRow[] {
    return sortByAttention([...this.agents.values()].map((s) => s.row).filter((r) => r.status !== 'not-started'));
  }

  totals(): Totals {
    const rows = this.rows();
    return {
      agents: rows.length,
      running: rows.filter((r) => r.status === 'running').length,
      // The same total as the status bar's (src/core/runs/totals.ts): every attempt of every interaction.
      costUsd: rows.reduce((n, r) => n + r.costUsd + (r.priorCostUsd ?? 0), 0),
      tokens: rows.reduce((n, r) => n + r.tokens + (r.priorTokens ?? 0), 0),
      violations: rows.reduce((n, r) => n + r.violations, 0),
      attention: rows.filter((r) => r.waiting || r.status === 'blocked' || r.status === 'failed').length,
    };
  }

  items(key: string): StreamItem[] {
    return [...(this.agents.get(key)?.items ?? [])];
  }

  has(key: string): boolean {
    return this.agents.has(key);
  }
}

function diffOf(tool: string, input: Record<string, unknown>): { before?: string; after?: string } {
  if (tool === 'write' && typeof input.content === 'string') return { before: '', after: input.content.slice(0, MAX_OUTPUT) };
  if (tool === 'edit' && typeof input.oldString === 'string' && typeof input.newString === 'string')
    return { before: input.oldString.slice(0, MAX_OUTPUT), after: input.newString.slice(0, MAX_OUTPUT) };
  return {};
}

/**
 * Batches what goes to the webview: per agent, the changed items are collected and sent at most once
 * per `intervalMs`; the list is sent at most once per interval too. Only the selected agent's stream is
 * sent (the others' are kept in the model until selected). Nothing is dropped: an item changed twice is
 * sent once, in its latest form.
 */
export class Coalescer {
  private readonly pending = new Map<string, Map<string, StreamItem>>();
  private readonly resets = new Set<string>();
  private listDirty = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private seq = 0;
  selected: string | undefined;
  /** Called with each stream message's sequence number as it is sent (benchmarks match it to render times). */
  onSent: ((seq: number, key: string) => void) | undefined;

  constructor(
    private readonly model: PanelModel,
    private readonly post: (m: HostMessage) => void,
    private readonly intervalMs = 50,
    private readonly demo: () => boolean = () => false,
  ) {}

  items(key: string, items: readonly StreamItem[]): void {
    if (key === this.selected && !this.resets.has(key)) {
      let m = this.pending.get(key);
      if (!m) this.pending.set(key, (m = new Map()));
      for (const it of items) {
        m.delete(it.id); // keep the latest version at its newest position
        m.set(it.id, it);
      }
    }
    this.listDirty = true;
    this.schedule();
  }

  list(): void {
    this.listDirty = true;
    this.schedule();
  }

  /**
   * The agent's stream was replaced in the model (a new attempt, findings placed in it): the next
   * flush sends it whole with `reset`, so the webview drops what it showed before.
   */
  reset(key: string): void {
    if (key === this.selected) {
      this.resets.add(key);
      this.pending.delete(key);
    }
    this.listDirty = true;
    this.schedule();
  }

  /** Sends everything now (a view that was just shown or selected something). */
  repaint(): void {
    this.pending.clear();
    this.resets.clear();
    this.post({ type: 'agents', agents: this.model.rows(), totals: this.model.totals(), demo: this.demo() });
    if (this.selected) this.post({ type: 'stream', key: this.selected, items: this.model.items(this.selected), reset: true, sentAt: Date.now() });
    this.listDirty = false;
  }

  private schedule(): void {
    this.timer ??= setTimeout(() => this.flush(), this.intervalMs);
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.listDirty) this.post({ type: 'agents', agents: this.model.rows(), totals: this.model.totals(), demo: this.demo() });
    this.listDirty = false;
    for (const key of this.resets) {
      if (key !== this.selected) continue;
      const seq = ++this.seq;
      this.onSent?.(seq, key);
      this.post({ type: 'stream', key, items: this.model.items(key), reset: true, sentAt: Date.now(), seq });
    }
    this.resets.clear();
    for (const [key, m] of this.pending) {
      if (!m.size) continue;
      const seq = ++this.seq;
      this.onSent?.(seq, key);
      this.post({ type: 'stream', key, items: [...m.values()], reset: false, sentAt: Date.now(), seq });
    }
    this.pending.clear();
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
  }
}
