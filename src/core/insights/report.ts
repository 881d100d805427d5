// Insights for a batch of runs: where agents spent their time and money, how they failed, which tool
// calls were slowest. Pure: run records, transcripts and verification reports in, an InsightsReport out
// (src/core/insights/load.ts reads them from a work root). Nothing here asks a server or a session, so
// a report can be made of any work root, a merged one from shards included.
//
// How time is counted. Every figure comes from the harness's own clock: the run record's `queuedAt`,
// `startedAt` and `endedAt`, and the `at` the harness stamps on each transcript line as it writes it.
// An attempt's time window runs from its queueing (the latest attempt) or its start (earlier attempts:
// the record keeps no queue time for them) to its `endedAt` (or, for an attempt with no end recorded,
// its last stamped transcript line). Every millisecond of the window goes to exactly one bucket, the
// first of these that holds at that instant, so the buckets add up to the window:
//   waiting/queue      before `startedAt`: queued behind the concurrency limit or the budget.
//   waiting/permission from `permission.asked` to its `permission.answered`: a person was asked.
//   toolchain          a harness tool that runs the toolchain (record_fixture: nango compile + dryrun;
//                      run_tests: the generated tests under vitest), from the harness's own line for the
//                      call (`harness.tool`) or the tool's start, whichever is earlier, to its finish.
//   tool               any other tool call of the agent (bash, read, write, edit, report_blocked…), from
//                      `tool.started` to `tool.finished` with the same call id. Parallel calls overlap:
//                      their wall time is counted once.
//   waiting/retry      from a provider retry (`status: retry`) to the next line that is not one.
//   model              the agent's turn is under way (from `status: busy`, or its first step, text or tool
//                      line, to `status: idle`, `finished` or `error`) and no tool runs: the model writing
//                      its next step, and opencode's own work between steps, which the transcript cannot
//                      tell apart from it.
//   waiting/setup      after `startedAt`, before the agent's turn began: scaffold, baseline, sandbox,
//                      server and session start, the prompt reaching the model.
//   waiting/idle       everything else: the end of the run after the turn (guard shut-down), gaps
//                      between turns.
// opencode's own `durationMs` of a tool call is kept beside ours but not used: it counts from another
// start (up to three times the harness's figure for a file read in the demo run) on another clock.
//
// A transcript that is missing or cannot be read leaves its attempt's time unknown (null, with why),
// never zero; torn lines are counted and the attempt marked partial. Cost and tokens come from the run
// record (per attempt, its history included). The failure taxonomy reads the latest verification of
// each interaction (earlier ones are not kept) and its first bad step by the one rule in
// src/shared/firstBad.ts.
import { addTokens, totalTokens, ZERO_TOKENS, type Tokens } from '../agent/events';
import type { HarnessToolName } from '../harness/toolServer';
import type { RunRecord } from '../runs/record';
import { interactionSpent } from '../runs/totals';
import type { InteractionStatus } from '../runs/status';
import type { CheckId, Severity, TranscriptRef, Verdict, VerifyReport } from '../verify/types';
import { firstBadStep } from '../../shared/firstBad';
import { describeToolCall } from '../agent/describeCall';

/** Harness tools that run the integration's toolchain (Nango's CLI, the tests under vitest). */
export const TOOLCHAIN_TOOLS: readonly HarnessToolName[] = ['record_fixture', 'run_tests'];

export type Bucket = 'model' | 'tool' | 'toolchain' | 'queue' | 'setup' | 'permission' | 'retry' | 'idle';
export type WaitingBucket = 'queue' | 'setup' | 'permission' | 'retry' | 'idle';
export const WAITING_BUCKETS: readonly WaitingBucket[] = ['queue', 'setup', 'permission', 'retry', 'idle'];

/** In words, for the JSON and the page: how each figure is made. */
export const DEFINITIONS: Readonly<Record<string, string>> = {
  window:
    "An attempt's time runs from its queueing (latest attempt; earlier attempts from their start, as the record keeps no queue time for them) to its recorded end (else its last timestamped transcript line). Each millisecond goes to one bucket, the first that holds, so the buckets add up to the window.",
  toolchain:
    'Harness tools that run the toolchain (record_fixture: nango compile and dryrun; run_tests: the generated tests): from the harness call line or the tool start, whichever is earlier, to the tool finish.',
  tool: "The agent's other tool calls (bash, read, write, edit, report_blocked…), tool start to tool finish; parallel calls count their wall time once.",
  model:
    "The agent's turn is under way (status busy, or its first step, to idle, finished or error) and no tool runs: the model writing, plus opencode's own work between steps, which the transcript cannot separate.",
  waiting:
    'Queue (before the start), setup (start to the first model activity: scaffold, baseline, sandbox, session), permission (a person was asked), provider retries, and idle (after the turn, between turns).',
  cost: 'Cost and tokens as the run record keeps them, every attempt of an interaction included, counted as every view counts them (src/core/runs/totals.ts): tokens are input + output + reasoning; cache reads and writes are priced in the cost, not counted.',
  taxonomy:
    'The latest verification of each interaction (earlier reports are not kept): error and warning findings by rule (notes hold no verdict and are left out); the first bad step by the rule of src/shared/firstBad.ts. How each attempt ended, and the verdict the run record keeps for it.',
  slowest: 'Tool calls by their wall time on the harness clock (start line to finish line); unfinished calls run to the end of their attempt.',
};

// ---------------------------------------------------------------------------------------------
// Input

/** One attempt's transcript as the loader found it. */
export type TranscriptEvidence =
  | { readonly kind: 'read'; readonly file: string; readonly entries: readonly unknown[] }
  | { readonly kind: 'missing'; readonly file: string }
  | { readonly kind: 'unreadable'; readonly file: string; readonly message: string };

/** Something the report could not read, shown as such. */
export interface EvidenceProblem {
  readonly kind: 'record' | 'transcript' | 'report';
  readonly file: string;
  readonly key?: string;
  readonly attempt?: number;
  readonly message: string;
}

export interface InsightsInput {
  readonly records: readonly RunRecord[];
  /** By `transcriptId(key, attempt)`; an attempt with no entry here is treated as missing. */
  readonly transcripts: ReadonlyMap<string, TranscriptEvidence>;
  /** The latest verification of each interaction that has one. */
  readonly reports: readonly VerifyReport[];
  /** Records, reports (and anything else) the loader could not use. */
  readonly problems: readonly EvidenceProblem[];
  readonly generatedAt: string;
  readonly workRoot?: string;
  /** How many of the slowest tool calls to list (default 15). */
  readonly slowestCount?: number;
}

export const transcriptId = (key: string, attempt: number): string => `${key}#${attempt}`;

// ---------------------------------------------------------------------------------------------
// Output

export interface TimeSplit {
  readonly wallMs: number;
  readonly modelMs: number;
  readonly toolMs: number;
  readonly toolchainMs: number;
  /** The sum of `waiting`. */
  readonly waitingMs: number;
  readonly waiting: Readonly<Record<WaitingBucket, number>>;
}

/** A stretch of an attempt in one bucket, in epoch milliseconds. */
export interface Segment {
  readonly bucket: Bucket;
  readonly start: number;
  readonly end: number;
}

export interface AttemptInsight {
  readonly attempt: number;
  readonly status: InteractionStatus;
  readonly detail?: string;
  readonly queuedAt?: string;
  readonly startedAt?: string;
  readonly endedAt?: string;
  readonly costUsd: number;
  readonly tokens: Tokens;
  /** read: every line read; partial: some lines torn; missing / unreadable: no time figures; not-started. */
  readonly transcript: 'read' | 'partial' | 'missing' | 'unreadable' | 'not-started';
  readonly transcriptFile?: string;
  /** 0-based lines of the transcript that could not be read. */
  readonly tornLines?: readonly number[];
  /** Null when it cannot be known; `timeNote` says why. */
  readonly time: TimeSplit | null;
  readonly timeNote?: string;
  readonly segments: readonly Segment[];
  /** Model steps and finished tool calls in the transcript. */
  readonly steps: number;
  readonly toolCalls: number;
}

export interface VerificationTime {
  readonly attempt: number;
  readonly verdict: Verdict;
  readonly startedAt: string;
  readonly durationMs: number;
  readonly checks: readonly { readonly check: CheckId; readonly durationMs: number; readonly outcome: string }[];
}

export interface InteractionInsight {
  readonly key: string;
  readonly integrationId: string;
  readonly interactionId: string;
  readonly status: InteractionStatus;
  readonly detail?: string;
  readonly model?: string;
  readonly demo: boolean;
  readonly attempts: readonly AttemptInsight[];
  readonly costUsd: number;
  readonly tokens: Tokens;
  readonly totalTokens: number;
  /** The sum over the attempts whose time is known. */
  readonly time: TimeSplit;
  /** Attempts that started but whose time cannot be known (their transcript is missing or unreadable, or has no timestamps). */
  readonly attemptsWithoutTime: number;
  readonly verification?: VerificationTime;
}

export interface ApiInsight {
  readonly integrationId: string;
  readonly interactions: number;
  readonly attempts: number;
  readonly costUsd: number;
  readonly tokens: Tokens;
  readonly totalTokens: number;
  readonly time: TimeSplit;
  readonly attemptsWithoutTime: number;
  readonly statuses: Readonly<Partial<Record<InteractionStatus, number>>>;
}

export interface RuleCount {
  readonly rule: string;
  readonly check: CheckId;
  readonly severity: Exclude<Severity, 'info'>;
  /** Findings of this rule over all reports. */
  readonly findings: number;
  /** Interactions whose latest verification has it. */
  readonly interactions: number;
  readonly keys: readonly string[];
}

export interface FirstBadStepRow {
  readonly key: string;
  readonly attempt: number;
  /** 0-based transcript line. */
  readonly line: number;
  readonly step?: number;
  /** What the line is: a tool's name, or the entry type (text.done: something the agent said). */
  readonly kind: string;
  /** One line: the tool call, the words, or why the line cannot be shown. */
  readonly what: string;
  readonly severity: 'error' | 'warning';
  /** The rules of the findings that point at this step. */
  readonly rules: readonly string[];
  /** The report verified an earlier attempt than the record's latest. */
  readonly earlierAttempt?: boolean;
}

export interface Taxonomy {
  /** Attempts by the status they ended with (latest attempts: their current status). */
  readonly outcomes: readonly { readonly status: InteractionStatus; readonly attempts: number }[];
  readonly verdicts: Readonly<Record<Verdict, number>> & { readonly unverified: number };
  readonly findings: readonly RuleCount[];
  readonly firstBadSteps: readonly FirstBadStepRow[];
  readonly firstBadByRule: readonly { readonly rule: string; readonly count: number }[];
  readonly firstBadByKind: readonly { readonly kind: string; readonly count: number }[];
  /** Attempts that ended blocked, stopped, interrupted or failed, with the record's one line of why. */
  readonly endings: readonly {
    readonly key: string;
    readonly attempt: number;
    readonly status: InteractionStatus;
    readonly detail: string;
    readonly verdict?: Verdict;
  }[];
  /** Every attempt by what Verify last said of it (the record keeps it per attempt; none: never verified). */
  readonly attemptVerdicts: Readonly<Record<Verdict, number>> & { readonly unverified: number };
}

export interface ToolCallRow {
  readonly key: string;
  readonly attempt: number;
  /** 0-based transcript line of its start. */
  readonly line: number;
  readonly callId: string;
  readonly tool: string;
  readonly what: string;
  readonly bucket: 'tool' | 'toolchain';
  readonly startedAt: string;
  readonly durationMs: number;
  /** opencode's own figure, kept for comparison (another start, another clock). */
  readonly reportedDurationMs?: number;
  /** Undefined while unfinished. */
  readonly ok?: boolean;
  readonly unfinished?: boolean;
}

export interface InsightsReport {
  readonly version: 1;
  readonly generatedAt: string;
  readonly workRoot?: string;
  readonly definitions: Readonly<Record<string, string>>;
  readonly totals: {
    readonly interactions: number;
    readonly apis: number;
    readonly attempts: number;
    readonly costUsd: number;
    readonly tokens: Tokens;
    readonly totalTokens: number;
    readonly time: TimeSplit;
    readonly attemptsWithoutTime: number;
    readonly toolCalls: number;
    readonly steps: number;
    /** The latest verifications' own time (not part of any attempt's window). */
    readonly verificationMs: number;
  };
  readonly interactions: readonly InteractionInsight[];
  readonly apis: readonly ApiInsight[];
  readonly taxonomy: Taxonomy;
  readonly slowestToolCalls: readonly ToolCallRow[];
  /** Evidence that could not be read: every one of them, never left out. */
  readonly problems: readonly EvidenceProblem[];
  /** What the report cannot know, in words. */
  readonly notes: readonly string[];
}

// ---------------------------------------------------------------------------------------------
// Time

export const ZERO_SPLIT: TimeSplit = {
  wallMs: 0,
  modelMs: 0,
  toolMs: 0,
  toolchainMs: 0,
  waitingMs: 0,
  waiting: { queue: 0, setup: 0, permission: 0, retry: 0, idle: 0 },
};

export function addSplits(a: TimeSplit, b: TimeSplit): TimeSplit {
  const waiting = { ...a.waiting };
  for (const w of WAITING_BUCKETS) waiting[w] += b.waiting[w];
  return {
    wallMs: a.wallMs + b.wallMs,
    modelMs: a.modelMs + b.modelMs,
    toolMs: a.toolMs + b.toolMs,
    toolchainMs: a.toolchainMs + b.toolchainMs,
    waitingMs: a.waitingMs + b.waitingMs,
    waiting,
  };
}

/** Buckets from first to last: at any instant the first one that holds wins. */
const PRIORITY: readonly Bucket[] = ['queue', 'permission', 'toolchain', 'tool', 'retry', 'model', 'setup', 'idle'];

interface Interval {
  readonly bucket: Bucket;
  readonly start: number;
  readonly end: number;
}

type Entry = Record<string, unknown>;

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const timeOf = (iso: unknown): number | undefined => {
  if (typeof iso !== 'string') return undefined;
  const t = Date.parse(iso);
  return Number.isFinite(t) ? t : undefined;
};

/** The window of `[start, end)` split by priority into segments; stretches no interval covers are `fallback`. */
export function segmentWindow(start: number, end: number, intervals: readonly Interval[], fallback: Bucket = 'idle'): Segment[] {
  if (!(end > start)) return [];
  const points: { t: number; bucket: Bucket; delta: 1 | -1 }[] = [];
  for (const i of intervals) {
    const s = Math.max(start, i.start);
    const e = Math.min(end, i.end);
    if (e <= s) continue;
    points.push({ t: s, bucket: i.bucket, delta: 1 }, { t: e, bucket: i.bucket, delta: -1 });
  }
  points.sort((a, b) => a.t - b.t);
  const open = new Map<Bucket, number>();
  const out: Segment[] = [];
  const push = (bucket: Bucket, s: number, e: number) => {
    if (e <= s) return;
    const last = out[out.length - 1];
    if (last && last.bucket === bucket && last.end === s) out[out.length - 1] = { bucket, start: last.start, end: e };
    else out.push({ bucket, start: s, end: e });
  };
  let at = start;
  let i = 0;
  while (at < end) {
    while (i < points.length && (points[i] as (typeof points)[number]).t <= at) {
      const p = points[i++] as (typeof points)[number];
      open.set(p.bucket, (open.get(p.bucket) ?? 0) + p.delta);
    }
    const next = i < points.length ? Math.min(end, (points[i] as (typeof points)[number]).t) : end;
    const bucket = PRIORITY.find((b) => (open.get(b) ?? 0) > 0) ?? fallback;
    push(bucket, at, next);
    at = next;
  }
  return out;
}

export function splitOf(segments: readonly Segment[]): TimeSplit {
  const by: Record<Bucket, number> = { model: 0, tool: 0, toolchain: 0, queue: 0, setup: 0, permission: 0, retry: 0, idle: 0 };
  for (const s of segments) by[s.bucket] += s.end - s.start;
  const waiting = { queue: by.queue, setup: by.setup, permission: by.permission, retry: by.retry, idle: by.idle };
  const waitingMs = WAITING_BUCKETS.reduce((n, w) => n + waiting[w], 0);
  return { wallMs: by.model + by.tool + by.toolchain + waitingMs, modelMs: by.model, toolMs: by.tool, toolchainMs: by.toolchain, waitingMs, waiting };
}

/** One attempt as the record keeps it (the latest from the record itself, earlier ones from its history). */
interface AttemptFacts {
  readonly attempt: number;
  readonly status: InteractionStatus;
  readonly detail?: string;
  readonly queuedAt?: string;
  readonly startedAt?: string;
  readonly endedAt?: string;
  readonly costUsd: number;
  readonly tokens: Tokens;
  /** What Verify last said of this attempt, as the record keeps it. */
  readonly verdict?: Verdict;
}

function attemptsOf(run: RunRecord): AttemptFacts[] {
  const earlier: AttemptFacts[] = (run.history ?? []).map((h) => ({
    attempt: h.attempt,
    status: h.status,
    detail: h.detail,
    startedAt: h.startedAt,
    endedAt: h.endedAt,
    costUsd: typeof h.costUsd === 'number' ? h.costUsd : 0,
    tokens: h.tokens ?? ZERO_TOKENS,
    verdict: h.verification?.attempt === h.attempt ? h.verification.verdict : undefined,
  }));
  return [
    ...earlier,
    {
      attempt: run.attempt,
      status: run.status,
      detail: run.detail,
      queuedAt: run.queuedAt,
      startedAt: run.startedAt,
      endedAt: run.endedAt,
      costUsd: run.costUsd,
      tokens: run.tokens,
      verdict: run.verification?.attempt === run.attempt ? run.verification.verdict : undefined,
    },
  ];
}

interface TranscriptFacts {
  readonly intervals: Interval[];
  readonly calls: ToolCallRow[];
  readonly firstActive?: number;
  readonly lastAt?: number;
  readonly stamped: number;
  readonly steps: number;
  readonly tornLines: number[];
}

/** Reads the intervals of an attempt out of its transcript lines (`end` closes what is still open). */
function readTranscript(key: string, attempt: number, entries: readonly unknown[], end: number | undefined): TranscriptFacts {
  const intervals: Interval[] = [];
  const calls: ToolCallRow[] = [];
  const tornLines: number[] = [];
  const started = new Map<string, { line: number; at: number; tool: string; input: Record<string, unknown> }>();
  const harnessAt = new Map<string, number>();
  const asked = new Map<string, number>();
  let active: number | undefined;
  let firstActive: number | undefined;
  let retryFrom: number | undefined;
  let lastAt: number | undefined;
  let stamped = 0;
  let steps = 0;
  const open = (t: number) => {
    if (active === undefined) active = t;
    if (firstActive === undefined) firstActive = t;
  };
  const close = (t: number) => {
    if (active !== undefined) intervals.push({ bucket: 'model', start: active, end: t });
    active = undefined;
  };
  entries.forEach((raw, line) => {
    const e = (raw && typeof raw === 'object' ? raw : {}) as Entry;
    if (e.type === 'unreadable-line') {
      tornLines.push(typeof e.line === 'number' ? e.line : line);
      return;
    }
    const at = timeOf(e.at);
    if (at === undefined) return;
    stamped++;
    lastAt = lastAt === undefined ? at : Math.max(lastAt, at);
    if (retryFrom !== undefined && !(e.type === 'status' && e.status === 'retry')) {
      intervals.push({ bucket: 'retry', start: retryFrom, end: at });
      retryFrom = undefined;
    }
    switch (e.type) {
      case 'status':
        if (e.status === 'busy') open(at);
        else if (e.status === 'idle') close(at);
        else if (e.status === 'retry') {
          open(at);
          retryFrom ??= at;
        }
        break;
      case 'step':
        open(at);
        steps++;
        break;
      case 'text.done':
      case 'reasoning.done':
        open(at);
        break;
      case 'finished':
      case 'error':
        close(at);
        break;
      case 'harness.tool': {
        const id = str(e.callId);
        if (id && !harnessAt.has(id)) harnessAt.set(id, at);
        break;
      }
      case 'permission.asked': {
        const id = str(e.requestId);
        if (id && !asked.has(id)) asked.set(id, at);
        break;
      }
      case 'permission.answered': {
        const id = str(e.requestId);
        const from = id === undefined ? undefined : asked.get(id);
        if (id !== undefined && from !== undefined) {
          intervals.push({ bucket: 'permission', start: from, end: at });
          asked.delete(id);
        }
        break;
      }
      case 'tool.started': {
        open(at);
        const id = str(e.callId) || str(e.partId);
        if (id && !started.has(id))
          started.set(id, { line, at, tool: str(e.tool) ?? '?', input: (e.input && typeof e.input === 'object' ? e.input : {}) as Record<string, unknown> });
        break;
      }
      case 'tool.finished': {
        const id = str(e.callId) || str(e.partId);
        const s = id ? started.get(id) : undefined;
        const tool = str(e.tool) ?? s?.tool ?? '?';
        const input = (e.input && typeof e.input === 'object' ? e.input : (s?.input ?? {})) as Record<string, unknown>;
        const begin = Math.min(s?.at ?? at, (id ? harnessAt.get(id) : undefined) ?? Infinity);
        const bucket = (TOOLCHAIN_TOOLS as readonly string[]).includes(tool) ? 'toolchain' : 'tool';
        intervals.push({ bucket, start: begin, end: at });
        calls.push({
          key,
          attempt,
          line: s?.line ?? line,
          callId: id ?? '',
          tool,
          what: describeToolCall(tool, input),
          bucket,
          startedAt: new Date(begin).toISOString(),
          durationMs: at - begin,
          reportedDurationMs: typeof e.durationMs === 'number' ? e.durationMs : undefined,
          ok: e.ok === true,
        });
        if (id) started.delete(id);
        break;
      }
      default:
        break;
    }
  });
  const stop = Math.max(end ?? lastAt ?? 0, lastAt ?? 0);
  if (retryFrom !== undefined) intervals.push({ bucket: 'retry', start: retryFrom, end: stop });
  close(stop);
  for (const [, from] of asked) intervals.push({ bucket: 'permission', start: from, end: stop });
  for (const [id, s] of started) {
    const begin = Math.min(s.at, harnessAt.get(id) ?? Infinity);
    const bucket = (TOOLCHAIN_TOOLS as readonly string[]).includes(s.tool) ? 'toolchain' : 'tool';
    intervals.push({ bucket, start: begin, end: stop });
    calls.push({
      key,
      attempt,
      line: s.line,
      callId: id,
      tool: s.tool,
      what: describeToolCall(s.tool, s.input),
      bucket,
      startedAt: new Date(begin).toISOString(),
      durationMs: stop - begin,
      unfinished: true,
    });
  }
  return { intervals, calls, firstActive, lastAt, stamped, steps, tornLines };
}

function analyseAttempt(
  key: string,
  facts: AttemptFacts,
  evidence: TranscriptEvidence | undefined,
): { insight: AttemptInsight; calls: ToolCallRow[]; problem?: EvidenceProblem } {
  const base = {
    attempt: facts.attempt,
    status: facts.status,
    detail: facts.detail,
    queuedAt: facts.queuedAt,
    startedAt: facts.startedAt,
    endedAt: facts.endedAt,
    costUsd: facts.costUsd,
    tokens: facts.tokens,
  };
  const started = timeOf(facts.startedAt);
  if (started === undefined) {
    // Never started (still queued, or stopped in the queue): no transcript is expected and no time was spent working.
    return {
      insight: { ...base, transcript: 'not-started', time: null, timeNote: 'the attempt never started', segments: [], steps: 0, toolCalls: 0 },
      calls: [],
    };
  }
  if (!evidence || evidence.kind !== 'read') {
    const file = evidence?.file;
    const message = !evidence
      ? 'no transcript was given for this attempt'
      : evidence.kind === 'missing'
        ? 'the transcript file does not exist'
        : `the transcript cannot be read: ${evidence.message}`;
    return {
      insight: {
        ...base,
        transcript: evidence?.kind === 'unreadable' ? 'unreadable' : 'missing',
        transcriptFile: file,
        time: null,
        timeNote: `${message}: its time cannot be known`,
        segments: [],
        steps: 0,
        toolCalls: 0,
      },
      calls: [],
      problem: { kind: 'transcript', file: file ?? '', key, attempt: facts.attempt, message },
    };
  }
  const ended = timeOf(facts.endedAt);
  const t = readTranscript(key, facts.attempt, evidence.entries, ended);
  const partial = t.tornLines.length > 0;
  const problem: EvidenceProblem | undefined = partial
    ? {
        kind: 'transcript',
        file: evidence.file,
        key,
        attempt: facts.attempt,
        message: `${t.tornLines.length} line(s) of the transcript cannot be read (lines ${t.tornLines.map((l) => l + 1).join(', ')}): its figures count only the lines that can`,
      }
    : undefined;
  const common = {
    ...base,
    transcript: partial ? ('partial' as const) : ('read' as const),
    transcriptFile: evidence.file,
    tornLines: partial ? t.tornLines : undefined,
    steps: t.steps,
    toolCalls: t.calls.filter((c) => !c.unfinished).length,
  };
  if (!t.stamped) {
    return {
      insight: { ...common, time: null, timeNote: 'the transcript has no timestamped line (written by another tool?): its time cannot be known', segments: [] },
      calls: [],
      problem,
    };
  }
  const queued = timeOf(facts.queuedAt);
  const windowStart = queued !== undefined && queued <= started ? queued : started;
  const windowEnd = Math.max(ended ?? t.lastAt ?? started, t.lastAt ?? started, started);
  const intervals: Interval[] = [
    ...t.intervals,
    { bucket: 'queue', start: windowStart, end: started },
    { bucket: 'setup', start: started, end: t.firstActive ?? windowEnd },
  ];
  const segments = segmentWindow(windowStart, windowEnd, intervals);
  const notes: string[] = [];
  if (ended === undefined) notes.push('no end is recorded: measured to its last transcript line');
  if (queued === undefined) notes.push('no queue time is recorded for an earlier attempt: measured from its start');
  if (partial) notes.push('some transcript lines cannot be read: the split counts only the lines that can');
  return { insight: { ...common, time: splitOf(segments), timeNote: notes.length ? notes.join('; ') : undefined, segments }, calls: t.calls, problem };
}

// ---------------------------------------------------------------------------------------------
// Taxonomy

function entryAt(evidence: TranscriptEvidence | undefined, line: number): { kind: string; what: string } {
  if (!evidence || evidence.kind !== 'read')
    return { kind: 'unreadable', what: `the transcript ${evidence?.kind === 'unreadable' ? 'cannot be read' : 'is missing'}: the step cannot be shown` };
  const e = evidence.entries[line] as Entry | undefined;
  if (!e || typeof e !== 'object') return { kind: 'unknown', what: `line ${line + 1} is not in the transcript` };
  const type = str(e.type) ?? 'unknown';
  if (type === 'unreadable-line') return { kind: 'unreadable', what: `line ${line + 1} cannot be read` };
  if (type === 'tool.started' || type === 'tool.finished') {
    const tool = str(e.tool) ?? '?';
    return { kind: tool, what: describeToolCall(tool, (e.input && typeof e.input === 'object' ? e.input : {}) as Record<string, unknown>) };
  }
  if (type === 'harness.tool') return { kind: str(e.tool) ?? 'harness.tool', what: str(e.tool) ?? 'harness tool' };
  if (type === 'text.done' || type === 'finished' || type === 'reasoning.done') {
    const text = (str(e.text) ?? '').replace(/\s+/g, ' ').trim();
    return { kind: type, what: text.length > 160 ? `${text.slice(0, 157)}…` : text || type };
  }
  if (type === 'violation') return { kind: 'violation', what: str(e.detail) ?? `${str(e.kind) ?? ''} ${str(e.file) ?? ''}`.trim() };
  return { kind: type, what: type };
}

const countBy = <T>(items: readonly T[], keyOf: (t: T) => string): { key: string; count: number }[] => {
  const m = new Map<string, number>();
  for (const i of items) m.set(keyOf(i), (m.get(keyOf(i)) ?? 0) + 1);
  return [...m].map(([key, count]) => ({ key, count })).sort((a, b) => b.count - a.count || a.key.localeCompare(b.key));
};

/**
 * Statuses an attempt can end with that are no success: the agent did not finish (blocked, stopped,
 * interrupted) or it failed — a verdict, or the run failing (tampering, the provider, an error); the
 * record does not say which for earlier attempts, so both are listed, with the record's own words.
 */
const UNSUCCESSFUL: ReadonlySet<InteractionStatus> = new Set(['blocked', 'stopped', 'interrupted', 'failed']);

function taxonomyOf(records: readonly RunRecord[], reports: readonly VerifyReport[], transcripts: ReadonlyMap<string, TranscriptEvidence>): Taxonomy {
  const attempts = records.flatMap((r) => attemptsOf(r).map((a) => ({ key: r.key, ...a })));
  const outcomes = countBy(attempts, (a) => a.status).map(({ key, count }) => ({ status: key as InteractionStatus, attempts: count }));
  const reportOf = new Map(reports.map((r) => [r.key, r]));
  const verdicts = { verified: 0, failed: 0, 'needs-review': 0, unverified: 0 };
  for (const r of records) {
    const report = reportOf.get(r.key);
    if (report) verdicts[report.verdict]++;
    else verdicts.unverified++;
  }
  const rules = new Map<string, { rule: string; check: CheckId; severity: 'error' | 'warning'; findings: number; keys: Set<string> }>();
  const firstBadSteps: FirstBadStepRow[] = [];
  for (const report of [...reports].sort((a, b) => a.key.localeCompare(b.key))) {
    for (const f of report.checks.flatMap((c) => c.findings)) {
      if (f.severity === 'info') continue;
      const id = `${f.rule}\u0000${f.severity}`;
      const row = rules.get(id) ?? { rule: f.rule, check: f.check, severity: f.severity, findings: 0, keys: new Set<string>() };
      row.findings++;
      row.keys.add(report.key);
      rules.set(id, row);
    }
    const step: TranscriptRef | undefined = firstBadStep(report);
    if (!step) continue;
    const at = report.checks
      .flatMap((c) => c.findings)
      .filter((f) => f.step && f.step.attempt === step.attempt && f.step.line === step.line && f.severity !== 'info');
    const severity = at.some((f) => f.severity === 'error') ? 'error' : 'warning';
    const { kind, what } = entryAt(transcripts.get(transcriptId(report.key, step.attempt)), step.line);
    const record = records.find((r) => r.key === report.key);
    firstBadSteps.push({
      key: report.key,
      attempt: step.attempt,
      line: step.line,
      step: step.step,
      kind: step.tool && kind === 'unreadable' ? step.tool : kind,
      what,
      severity,
      rules: [...new Set(at.filter((f) => f.severity === severity).map((f) => f.rule))].sort(),
      earlierAttempt: record && record.attempt > step.attempt ? true : undefined,
    });
  }
  const findings = [...rules.values()]
    .map((r) => ({ rule: r.rule, check: r.check, severity: r.severity, findings: r.findings, interactions: r.keys.size, keys: [...r.keys].sort() }))
    .sort(
      (a, b) =>
        (a.severity === b.severity ? 0 : a.severity === 'error' ? -1 : 1) ||
        b.interactions - a.interactions ||
        b.findings - a.findings ||
        a.rule.localeCompare(b.rule),
    );
  const endings = attempts
    .filter((a) => UNSUCCESSFUL.has(a.status))
    .map((a) => ({ key: a.key, attempt: a.attempt, status: a.status, detail: a.detail ?? '', verdict: a.verdict }))
    .sort((a, b) => a.key.localeCompare(b.key) || a.attempt - b.attempt);
  const attemptVerdicts = { verified: 0, failed: 0, 'needs-review': 0, unverified: 0 };
  for (const a of attempts) attemptVerdicts[a.verdict ?? 'unverified']++;
  return {
    outcomes,
    verdicts,
    attemptVerdicts,
    findings,
    firstBadSteps,
    firstBadByRule: countBy(
      firstBadSteps.flatMap((s) => s.rules),
      (r) => r,
    ).map(({ key, count }) => ({ rule: key, count })),
    firstBadByKind: countBy(firstBadSteps, (s) => s.kind).map(({ key, count }) => ({ kind: key, count })),
    endings,
  };
}

// ---------------------------------------------------------------------------------------------
// The report

export function buildInsightsReport(input: InsightsInput): InsightsReport {
  const problems: EvidenceProblem[] = [...input.problems];
  const calls: ToolCallRow[] = [];
  const reportOf = new Map(input.reports.map((r) => [r.key, r]));
  const records = [...input.records].sort((a, b) => a.key.localeCompare(b.key));
  const interactions: InteractionInsight[] = records.map((run) => {
    const attempts = attemptsOf(run).map((facts) => {
      const a = analyseAttempt(run.key, facts, input.transcripts.get(transcriptId(run.key, facts.attempt)));
      calls.push(...a.calls);
      if (a.problem) problems.push(a.problem);
      return a.insight;
    });
    const tokens = attempts.reduce((t, a) => addTokens(t, a.tokens), ZERO_TOKENS);
    const spent = interactionSpent(run);
    const report = reportOf.get(run.key);
    return {
      key: run.key,
      integrationId: run.integrationId,
      interactionId: run.interactionId,
      status: run.status,
      detail: run.detail,
      model: run.model,
      demo: run.demo,
      attempts,
      costUsd: spent.costUsd,
      tokens,
      totalTokens: spent.tokens,
      time: attempts.reduce((s, a) => (a.time ? addSplits(s, a.time) : s), ZERO_SPLIT),
      attemptsWithoutTime: attempts.filter((a) => a.transcript !== 'not-started' && !a.time).length,
      verification: report
        ? {
            attempt: report.attempt,
            verdict: report.verdict,
            startedAt: report.startedAt,
            durationMs: report.durationMs,
            checks: report.checks.map((c) => ({ check: c.check, durationMs: c.durationMs, outcome: c.outcome })),
          }
        : undefined,
    };
  });

  const byApi = new Map<string, InteractionInsight[]>();
  for (const i of interactions) byApi.set(i.integrationId, [...(byApi.get(i.integrationId) ?? []), i]);
  const apis: ApiInsight[] = [...byApi].map(([integrationId, list]) => {
    const tokens = list.reduce((t, i) => addTokens(t, i.tokens), ZERO_TOKENS);
    const statuses: Partial<Record<InteractionStatus, number>> = {};
    for (const i of list) statuses[i.status] = (statuses[i.status] ?? 0) + 1;
    return {
      integrationId,
      interactions: list.length,
      attempts: list.reduce((n, i) => n + i.attempts.length, 0),
      costUsd: list.reduce((n, i) => n + i.costUsd, 0),
      tokens,
      totalTokens: totalTokens(tokens),
      time: list.reduce((s, i) => addSplits(s, i.time), ZERO_SPLIT),
      attemptsWithoutTime: list.reduce((n, i) => n + i.attemptsWithoutTime, 0),
      statuses,
    };
  });

  const tokens = interactions.reduce((t, i) => addTokens(t, i.tokens), ZERO_TOKENS);
  const slowestToolCalls = [...calls]
    .sort((a, b) => b.durationMs - a.durationMs || a.key.localeCompare(b.key) || a.attempt - b.attempt || a.line - b.line)
    .slice(0, input.slowestCount ?? 15);

  const notes: string[] = [];
  if (interactions.some((i) => i.attempts.length > 1))
    notes.push('Earlier attempts have no queue time in the run record: their time is counted from their start.');
  if (interactions.some((i) => i.attempts.some((a) => a.transcript !== 'not-started' && a.endedAt === undefined)))
    notes.push('Some attempts have no recorded end (running, or their process went away): they are measured to their last transcript line.');
  const unverified = interactions.filter((i) => !i.verification).length;
  if (unverified) notes.push(`${unverified} interaction(s) have no verification report: they count in no finding.`);
  if (input.reports.some((r) => (records.find((x) => x.key === r.key)?.attempt ?? r.attempt) > r.attempt))
    notes.push('Some verifications are of an earlier attempt than the latest: their findings are of that attempt.');
  const withoutTime = interactions.reduce((n, i) => n + i.attemptsWithoutTime, 0);
  if (withoutTime)
    notes.push(
      `${withoutTime} attempt(s) have no readable, timestamped transcript: their time is unknown and left out of every sum (see the evidence problems).`,
    );

  return {
    version: 1,
    generatedAt: input.generatedAt,
    workRoot: input.workRoot,
    definitions: DEFINITIONS,
    totals: {
      interactions: interactions.length,
      apis: apis.length,
      attempts: interactions.reduce((n, i) => n + i.attempts.length, 0),
      costUsd: interactions.reduce((n, i) => n + i.costUsd, 0),
      tokens,
      totalTokens: totalTokens(tokens),
      time: interactions.reduce((s, i) => addSplits(s, i.time), ZERO_SPLIT),
      attemptsWithoutTime: withoutTime,
      toolCalls: interactions.reduce((n, i) => n + i.attempts.reduce((m, a) => m + a.toolCalls, 0), 0),
      steps: interactions.reduce((n, i) => n + i.attempts.reduce((m, a) => m + a.steps, 0), 0),
      verificationMs: interactions.reduce((n, i) => n + (i.verification?.durationMs ?? 0), 0),
    },
    interactions,
    apis,
    taxonomy: taxonomyOf(records, input.reports, input.transcripts),
    slowestToolCalls,
    problems,
    notes,
  };
}
