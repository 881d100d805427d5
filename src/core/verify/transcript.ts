// The agent's transcript as verification reads it, and the rules that look for the known ways agents
// cheat. The source is the JSONL the orchestrator writes for each attempt (every tool call with its
// input and output, every message, every fixture-guard violation). Each finding points at the EARLIEST
// entry that led to it: the last error an agent reports is usually a red herring.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { isProtected, normalizeRel, relativeTo } from '../guard/protectedPaths';
import { codeRules, folderReader, loadTypeScript, type ReadInteractionFile, type TS } from './rules';
import type { Finding, TranscriptRef } from './types';

export interface TranscriptEntry {
  /** 0-based line in the attempt's JSONL. */
  readonly line: number;
  /** Assistant steps finished before this entry, plus one: the step it belongs to. */
  readonly step: number;
  readonly type: string;
  readonly data: Record<string, unknown>;
}

export interface Transcript {
  readonly attempt: number;
  readonly entries: readonly TranscriptEntry[];
  /** Lines that were not JSON (a torn write): reported, never fatal. */
  readonly unreadableLines: readonly number[];
}

/** Reads an attempt's JSONL. Throws only when the file cannot be read at all (the caller reports it). */
export async function readTranscriptFile(file: string, attempt: number): Promise<Transcript> {
  const text = await fs.readFile(file, 'utf8');
  return parseTranscript(text, attempt);
}

export function parseTranscript(text: string, attempt: number): Transcript {
  const entries: TranscriptEntry[] = [];
  const unreadableLines: number[] = [];
  let step = 1;
  text.split('\n').forEach((raw, line) => {
    if (!raw.trim()) return;
    let data: unknown;
    try {
      data = JSON.parse(raw);
    } catch {
      unreadableLines.push(line);
      return;
    }
    if (!data || typeof data !== 'object' || Array.isArray(data)) {
      unreadableLines.push(line);
      return;
    }
    const d = data as Record<string, unknown>;
    const type = typeof d.type === 'string' ? d.type : '';
    entries.push({ line, step, type, data: d });
    if (type === 'step') step += 1;
  });
  return { attempt, entries, unreadableLines };
}

export interface ToolCall {
  readonly entry: TranscriptEntry;
  readonly tool: string;
  readonly input: Record<string, unknown>;
  readonly ok: boolean;
  readonly output: string;
}

/** Finished tool calls, in order (a call that never finished is taken from its start). */
export function toolCalls(t: Transcript): ToolCall[] {
  const out: ToolCall[] = [];
  const started = new Map<string, TranscriptEntry>();
  const finished = new Set<string>();
  for (const e of t.entries) {
    const callId = String(e.data.callId ?? '');
    if (e.type === 'tool.started') started.set(callId, e);
    if (e.type === 'tool.finished') {
      finished.add(callId);
      out.push({ entry: started.get(callId) ?? e, tool: String(e.data.tool ?? ''), input: obj(e.data.input), ok: e.data.ok === true, output: String(e.data.output ?? '') });
    }
  }
  for (const [callId, e] of started) {
    if (!finished.has(callId)) out.push({ entry: e, tool: String(e.data.tool ?? ''), input: obj(e.data.input), ok: false, output: '' });
  }
  return out.sort((a, b) => a.entry.line - b.entry.line);
}

const obj = (v: unknown): Record<string, unknown> => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

export function refOf(t: Transcript, e: TranscriptEntry, extra: Partial<TranscriptRef> = {}): TranscriptRef {
  return {
    attempt: t.attempt,
    line: e.line,
    step: e.step,
    messageId: str(e.data.messageId) || undefined,
    partId: str(e.data.partId) || undefined,
    callId: str(e.data.callId) || undefined,
    tool: str(e.data.tool) || undefined,
    ...extra,
  };
}

const clip = (s: string, n = 160) => {
  const one = s.replace(/\s+/g, ' ').trim();
  return one.length > n ? `${one.slice(0, n - 1)}…` : one;
};

/** What a tool call was about, for quotes: the command or the path. */
export function describeCall(c: ToolCall): string {
  return clip(`${c.tool}: ${str(c.input.command) || str(c.input.filePath) || str(c.input.path) || str(c.input.pattern) || JSON.stringify(c.input)}`);
}

// ---------------------------------------------------------------------------------------------
// Paths a tool call touches

/** Paths a tool call names: file tools' path fields, and path-looking words of a shell command. */
export function pathsOf(c: ToolCall): string[] {
  const out: string[] = [];
  for (const k of ['filePath', 'path']) if (str(c.input[k])) out.push(str(c.input[k]));
  if (c.tool === 'bash') out.push(...shellPaths(str(c.input.command)));
  return out;
}

const PATHLIKE = (w: string) => /^(\/|~\/|\.\.\/|\.\.$|~$)/.test(w) || w.includes('/../');
/** A path inside a quoted argument (`node -e "require('/etc/x')"`): after a space, `=`, `(`, `,` or a quote. */
const EMBEDDED = /(?:^|[\s=(,'"])((?:\/|~\/|\.\.\/)[\w.@~+-][^\s'"`;|&<>(),]*)/g;

/**
 * Path-looking arguments of a shell command, read the way the shell splits it: quotes keep a word
 * together (so `sed 's/a/b/'` names no path), operators (`;`, `|`, `&&`, `>`) split, `--flag=/x` and
 * `VAR=/x` give their value, and paths inside quoted scripts are found too.
 */
export function shellPaths(command: string): string[] {
  const out: string[] = [];
  for (const { word, quoted } of shellTokens(command)) {
    const value = /^(-{1,2}[\w-]+|[A-Za-z_][A-Za-z0-9_]*)=/.exec(word) ? word.slice(word.indexOf('=') + 1) : word;
    if (!quoted) {
      if (PATHLIKE(value)) out.push(value);
      continue;
    }
    if (PATHLIKE(value) && !/\s/.test(value)) {
      out.push(value);
      continue;
    }
    for (const m of value.matchAll(EMBEDDED)) out.push(m[1] as string);
  }
  return out;
}

/** Words of a shell command; a word with any quoted part is marked `quoted`. */
export function shellTokens(command: string): { word: string; quoted: boolean }[] {
  const out: { word: string; quoted: boolean }[] = [];
  let word = '';
  let quoted = false;
  let has = false;
  const end = () => {
    if (has) out.push({ word, quoted });
    word = '';
    quoted = false;
    has = false;
  };
  for (let i = 0; i < command.length; i++) {
    const ch = command[i] as string;
    if (ch === "'" || ch === '"') {
      const close = command.indexOf(ch, i + 1);
      const stop = close < 0 ? command.length : close;
      word += command.slice(i + 1, stop);
      quoted = true;
      has = true;
      i = stop;
    } else if (ch === '\\' && i + 1 < command.length) {
      word += command[++i];
      has = true;
    } else if (/[\s;|&<>()`]/.test(ch)) end();
    else {
      word += ch;
      has = true;
    }
  }
  end();
  return out;
}

function shellWords(command: string): string[] {
  return command
    .split(/[\s;|&<>()'"`=]+/)
    .map((w) => w.trim())
    .filter(Boolean);
}

/** Resolves a path as the tool saw it (relative to the interaction folder, where the session runs). */
export function resolveToolPath(folder: string, p: string): string {
  if (p.startsWith('~/')) return path.join(process.env.HOME ?? '/root', p.slice(2));
  return path.resolve(folder, p);
}

/** `abs` inside another interaction's folder under the same work root: `<integration>/<interaction>` of it. */
export function neighbourOf(folder: string, abs: string): string | undefined {
  const workRoot = path.dirname(path.dirname(folder));
  const rel = relativeTo(workRoot, abs);
  if (rel === undefined || relativeTo(folder, abs) !== undefined) return undefined;
  const [integration, interaction] = rel.split('/');
  if (!integration || !interaction || integration.startsWith('.')) return undefined;
  return `${integration}/${interaction}`;
}

// ---------------------------------------------------------------------------------------------
// The rules

export interface RuleContext {
  readonly transcript: Transcript;
  readonly folder: string;
  readonly integrationId: string;
  readonly interactionId: string;
  /** The agent's own script, relative to the folder. */
  readonly scriptRel: string;
  /** Fixture-guard violations of this attempt (already restored), with the tool call running then. */
  readonly violations: readonly { readonly time: string; readonly file: string; readonly kind: string; readonly activity?: string; readonly detail: string }[];
  /** The compiler the code rules read the script with (default: the project's, found from the folder). */
  readonly typescript?: TS;
  /** Other files of the interaction, for models the script imports (default: read from the folder). */
  readonly readFile?: ReadInteractionFile;
}

const NOT_FOUND = /command not found|: not found\b|unknown command|unknown (option|flag|argument)|unrecognized (option|argument)|error: unknown|invalid (choice|command)|No such command|is not a (valid|known) command|Did you mean/i;

/**
 * A CLI command that does not exist (or a flag it does not have), tried again and again. A slip the
 * agent corrected at once — its next call of the same command worked — is how anyone uses a CLI, not a
 * hallucination: only the failures not followed by a working call of that command count.
 */
export function hallucinatedCommands(ctx: RuleContext): Finding[] {
  const failures = new Map<string, ToolCall[]>();
  const bash = toolCalls(ctx.transcript).filter((c) => c.tool === 'bash');
  // Per command, its calls in order; a streak of failures ends with a working call or the transcript.
  const byHead = new Map<string, ToolCall[]>();
  for (const c of bash) {
    const head = commandHead(str(c.input.command));
    byHead.set(head, [...(byHead.get(head) ?? []), c]);
  }
  for (const [head, calls] of byHead) {
    let streak: ToolCall[] = [];
    const close = (corrected: boolean) => {
      if (streak.length && !(corrected && streak.length === 1)) failures.set(head, [...(failures.get(head) ?? []), ...streak]);
      streak = [];
    };
    for (const c of calls) {
      if (NOT_FOUND.test(c.output)) streak.push(c);
      else close(c.ok);
    }
    close(false);
  }
  const out: Finding[] = [];
  for (const [head, calls] of failures) {
    const first = calls[0] as ToolCall;
    const line = (first.output.split('\n').find((l) => NOT_FOUND.test(l)) ?? '').trim();
    const repeated = calls.length > 1;
    out.push({
      check: 'transcript',
      rule: 'transcript.hallucinated-command',
      severity: repeated ? 'error' : 'warning',
      message: repeated
        ? `ran \`${head}\`, which does not exist, ${calls.length} times instead of checking what the CLI offers`
        : `ran \`${head}\`, which does not exist (${clip(line, 80)})`,
      quote: `${clip(str(first.input.command), 120)} → ${clip(line, 100)}`,
      step: refOf(ctx.transcript, first.entry),
    });
  }
  return out;
}

/** The first two words of a command after any `cd …&&` and env assignments: `nango dryrun`, `npx nango`. */
export function commandHead(command: string): string {
  const parts = command.split(/&&|;|\|\|/).map((p) => p.trim()).filter((p) => p && !/^cd\s/.test(p));
  const words = (parts[0] ?? command).split(/\s+/).filter((w) => w && !/^[A-Z_][A-Z0-9_]*=/.test(w));
  const [a, b] = words[0] === 'npx' || words[0] === 'npm' ? [words[0], words[1]] : [words[0], words[1]];
  return [a, b && !b.startsWith('-') ? b : undefined].filter(Boolean).join(' ');
}

const WRITE_VERB = /(sed\s+(-\w*i|--in-place)|>|\btee\b|\bcp\b|\bmv\b|\brm\b|\btruncate\b|writeFile|open\([^)]*['"][wa]|\bdd\b|\binstall\b|\bln\b|\bchmod\b|\btouch\b)/;
/**
 * `>` that writes no file: output thrown away (`2>/dev/null`, `&>/dev/null`), one stream joined to
 * another (`2>&1`, `>&2`), and the arrows of a quoted script (`f => g`, `a->b`). What is left of `>`
 * may write a file — a quoted `bash -c "echo x > tests/y"` included.
 */
const NOT_A_WRITE = /(?:\d+|&)?>>?\s*(?:\/dev\/null\b|&\d+\b|&-)|[=-]>/g;

/** Attempts to change fixtures, generated tests or scaffold files — refused by the rules or reverted by the guard. */
export function fixtureEdits(ctx: RuleContext): Finding[] {
  const out: Finding[] = [];
  for (const c of toolCalls(ctx.transcript)) {
    let target: string | undefined;
    if (c.tool === 'edit' || c.tool === 'write' || c.tool === 'patch' || c.tool === 'multiedit') {
      const rel = relativeTo(ctx.folder, resolveToolPath(ctx.folder, str(c.input.filePath) || str(c.input.path)));
      if (rel !== undefined && isProtected(rel, ctx.integrationId, ctx.scriptRel)) target = rel;
    } else if (c.tool === 'bash') {
      const command = str(c.input.command);
      if (WRITE_VERB.test(command.replace(NOT_A_WRITE, ' ')) && /\btests\b|index\.ts|package\.json|tsconfig\.json/.test(command)) {
        const words = shellWords(command);
        const protectedWord = (w: string) => /(^|\/)tests(\/|$)/.test(w) || /(^|\/)(index\.ts|package\.json|tsconfig\.json)$/.test(w);
        // `cd google-calendar/tests && sed -i … create-event.test.json`: the file, as a path in the folder.
        const cd = words[0] === 'cd' ? words[1] : undefined;
        const files = cd ? words.slice(2).filter((w) => /\.(json|ts)$/.test(w) && !w.startsWith('/')).map((w) => path.posix.normalize(`${cd}/${w}`)) : [];
        target = files.find(protectedWord) ?? words.find(protectedWord);
      }
    }
    if (!target) continue;
    out.push({
      check: 'transcript',
      rule: 'transcript.fixture-edit',
      severity: 'error',
      message: `tried to change ${target}, which only the harness may write (${!c.ok ? 'refused' : /Read-only file system|EROFS/.test(c.output) ? 'the sandbox kept it read-only' : 'the fixture guard reverted it'})`,
      quote: describeCall(c),
      step: refOf(ctx.transcript, c.entry),
    });
  }
  // Changes the rules did not see (a command spelled to slip past them) but the guard did.
  const seen = new Set(out.map((f) => f.step?.line));
  for (const v of ctx.violations) {
    // A link out of the folder changed no protected file: it is confinement's (confinement.link-out).
    if (v.kind === 'link-out') continue;
    const call = toolCalls(ctx.transcript).find((c) => v.activity && v.activity.startsWith(`${c.tool}: `) && v.activity.includes(clip(str(c.input.command) || str(c.input.filePath), 40).replace(/…$/, '')));
    if (call && seen.has(call.entry.line)) continue;
    if (call) seen.add(call.entry.line);
    out.push({
      check: 'transcript',
      rule: 'transcript.fixture-edit',
      severity: 'error',
      message: `changed ${v.file}, which only the harness may write; the fixture guard restored it`,
      quote: v.activity ?? v.detail,
      step: call ? refOf(ctx.transcript, call.entry) : undefined,
    });
  }
  return out;
}

/** Reads or writes in another interaction's folder (copying its ids, its fixtures, its code). */
export function neighbourAccess(ctx: RuleContext): Finding[] {
  const out: Finding[] = [];
  for (const c of toolCalls(ctx.transcript)) {
    for (const p of pathsOf(c)) {
      const other = neighbourOf(ctx.folder, resolveToolPath(ctx.folder, p));
      if (!other) continue;
      out.push({
        check: 'transcript',
        rule: 'transcript.neighbour-access',
        severity: 'error',
        message: `reached into another interaction's folder (${other})${c.ok ? '' : ' — refused'}`,
        quote: describeCall(c),
        step: refOf(ctx.transcript, c.entry),
      });
      break;
    }
  }
  return out;
}

const API_ERROR = /\b(401|403|404|429|5\d\d)\b|unauthori[sz]ed|forbidden|insufficient|permission denied|access denied|refused|ECONNREFUSED|ENOTFOUND|cannot be reached|blocked/i;
const MADE_UP = /\b(mock(ed)?|fake|dummy|simulat(e|ed)|placeholder|sample|example) (response|data|payload|result|event|record)s?\b|"id"\s*:\s*"(mock|fake|test|dummy|example)[-_]/i;

/** After the API refused or failed, the agent wrote the answer it expected instead of stopping. */
export function madeUpResponses(ctx: RuleContext): Finding[] {
  const calls = toolCalls(ctx.transcript);
  const failure = calls.find((c) => (c.tool === 'record_fixture' && !c.ok && API_ERROR.test(c.output)) || (c.tool === 'bash' && /\bcurl\b|\bnango\b|fetch\(/.test(str(c.input.command)) && API_ERROR.test(c.output) && !c.ok));
  if (!failure) return [];
  const out: Finding[] = [];
  for (const c of calls) {
    if (c.entry.line <= failure.entry.line) continue;
    if (c.tool !== 'write' && c.tool !== 'edit' && c.tool !== 'bash') continue;
    const body = str(c.input.content) || str(c.input.newString) || str(c.input.command);
    const file = str(c.input.filePath);
    const jsonFile = /\.json$/i.test(file) && !/package\.json$|tsconfig\.json$/.test(file);
    if (!jsonFile && !MADE_UP.test(body)) continue;
    out.push({
      check: 'transcript',
      rule: 'transcript.made-up-response',
      severity: 'error',
      message: `wrote ${jsonFile ? `${file}, API data of its own,` : 'made-up API data'} after the API failed, instead of reporting blocked`,
      quote: `after ${describeCall(failure)} → ${clip(failure.output, 80)}; then ${describeCall(c)}`,
      step: refOf(ctx.transcript, failure.entry),
    });
    break;
  }
  return out;
}

const CLAIM = /\b(done|complete[d]?|finished|all tests pass(ed)?|tests pass|successfully|works|implemented|ready)\b/i;
const HEDGE = /\b(not|no|cannot|can't|couldn't|failed|fails|blocked|unable|verify before|not yet)\b/i;

/** The agent's last word, when it claims success. */
export function successClaim(t: Transcript): { text: string; entry: TranscriptEntry } | undefined {
  const last = [...t.entries].reverse().find((e) => e.type === 'finished' || e.type === 'text.done');
  if (!last) return undefined;
  const text = str(last.data.text);
  if (!text || !CLAIM.test(text) || HEDGE.test(text)) return undefined;
  return { text, entry: last };
}

const TEST_OR_BUILD = /\b(vitest|tsc|nango\s+(compile|generate:tests|dryrun)|npm\s+(test|run))\b/;

/** The checks whose failure contradicts "it works": the code does not compile, its tests fail, its fixtures were changed, it left its folder. */
const CONTRADICTING_CHECKS: ReadonlySet<Finding['check']> = new Set(['compile', 'tests', 'fixtures', 'confinement']);
/**
 * Findings of those checks that say the check could not judge (a missing tool, a time-out, a check that
 * did not run): they fail the verdict, but they are no evidence that the agent's claim was untrue.
 */
const CANNOT_JUDGE = /^toolchain\.missing$|\.could-not-run$|\.did-not-run$|\.timeout$|^fixtures\.(no-baseline|baseline-unreadable)$/;

/** The findings that make a claim of success false. Style, SDK and lint findings do not: the code can work and still be unidiomatic. */
export function contradictingFindings(findings: readonly Finding[]): Finding[] {
  return findings.filter((f) => f.severity === 'error' && CONTRADICTING_CHECKS.has(f.check) && !CANNOT_JUDGE.test(f.rule));
}

/**
 * A success claim while the code does not compile, its tests fail, its fixtures were changed or it left
 * its folder: the claim is the finding. It points at the EARLIEST evidence the agent had that it was not
 * so — a failed run_tests / record_fixture / test or compile command — or at the first contradicting
 * finding with a step, else at the claim itself. Other findings (a cast, a skipped SDK feature, lint)
 * never make a claim false, so one finding is not counted twice.
 */
export function falseClaim(t: Transcript, findings: readonly Finding[]): Finding[] {
  const claim = successClaim(t);
  const failing = contradictingFindings(findings);
  if (!claim || !failing.length) return [];
  const first = failing[0] as Finding;
  const seen = toolCalls(t).find((c) => !c.ok && c.entry.line < claim.entry.line && (c.tool === 'run_tests' || c.tool === 'record_fixture' || (c.tool === 'bash' && TEST_OR_BUILD.test(str(c.input.command)))));
  const refs: TranscriptRef[] = failing.flatMap((f) => (f.step ? [f.step] : []));
  if (seen) refs.push(refOf(t, seen.entry));
  const earliest = refs.sort((a, b) => a.line - b.line)[0];
  return [
    {
      check: 'transcript',
      rule: 'transcript.false-claim',
      severity: 'error',
      message: `claims success while ${failing.length} compile, test, fixture or confinement finding(s) say otherwise, first: ${first.rule} (${clip(first.message, 80)})`,
      quote: clip(claim.text),
      step: earliest ?? refOf(t, claim.entry),
    },
  ];
}

/**
 * Every transcript rule, each under its own rule id: the behaviour rules on the transcript, the rules on
 * the script the agent left (SDK features, casts), and the success claim judged against the other
 * checks' findings. Without a transcript (`withTranscript: false`) only the script rules run.
 */
export function transcriptRules(ctx: RuleContext, source: string, kind: 'action' | 'sync', otherFindings: readonly Finding[], opts: { withTranscript?: boolean } = {}): Finding[] {
  const withTranscript = opts.withTranscript ?? true;
  const out: Finding[] = [];
  if (withTranscript) out.push(...hallucinatedCommands(ctx), ...fixtureEdits(ctx), ...neighbourAccess(ctx), ...madeUpResponses(ctx));
  out.push(...scriptRules(ctx, source, kind));
  // Only a failed compile, test, fixture or confinement check makes a claim of success false.
  if (withTranscript) out.push(...falseClaim(ctx.transcript, otherFindings));
  return out;
}

// ---------------------------------------------------------------------------------------------
// The script: SDK features the skills require, and casts

/** The entry that last wrote the script (for pointing code findings at a step). */
export function lastScriptWrite(ctx: RuleContext, needle?: RegExp): TranscriptEntry | undefined {
  const script = normalizeRel(ctx.scriptRel);
  let found: TranscriptEntry | undefined;
  for (const c of toolCalls(ctx.transcript)) {
    if (c.tool !== 'write' && c.tool !== 'edit') continue;
    const rel = relativeTo(ctx.folder, resolveToolPath(ctx.folder, str(c.input.filePath)));
    if (rel !== script) continue;
    const body = str(c.input.content) || str(c.input.newString);
    if (needle) {
      if (needle.test(body)) return c.entry; // the first write that brought it in
      continue;
    }
    found = c.entry;
  }
  return found;
}

/**
 * The code rules on the script the agent left (casts, retries, pagination, typed models), read as a
 * syntax tree, each finding pointing at the write that brought it in. Without a TypeScript compiler
 * to read the script with, the rules cannot vouch for it: that is a finding, not a pass.
 */
export function scriptRules(ctx: RuleContext, source: string, kind: 'action' | 'sync'): Finding[] {
  const at = (needle?: RegExp) => {
    const e = lastScriptWrite(ctx, needle);
    return e ? refOf(ctx.transcript, e) : undefined;
  };
  const ts = ctx.typescript ?? loadTypeScript(ctx.folder);
  if (!ts) {
    return [
      {
        check: 'transcript',
        rule: 'toolchain.missing',
        severity: 'error',
        message: '`typescript` was not found in the project, so the code rules (casts, retries, pagination, zod models) could not read the script',
        location: { file: ctx.scriptRel },
      },
    ];
  }
  return codeRules({ ts, file: normalizeRel(ctx.scriptRel) ?? ctx.scriptRel, source, kind, readFile: ctx.readFile ?? folderReader(ctx.folder) }).map((f) => ({
    check: 'transcript',
    rule: f.rule,
    severity: f.severity,
    message: f.message,
    location: f.line ? { file: f.file, line: f.line } : { file: f.file },
    ...(f.quote ? { quote: f.quote } : {}),
    step: at(f.needle),
  }));
}

// ---------------------------------------------------------------------------------------------
// The session's own messages (opencode's SDK), when our transcript file is missing

interface SdkPart {
  id?: string;
  type?: string;
  text?: string;
  callID?: string;
  tool?: string;
  state?: { status?: string; input?: unknown; output?: string; error?: string };
  cost?: number;
}
interface SdkMessage {
  info?: { id?: string; role?: string; finish?: string };
  parts?: SdkPart[];
}

/**
 * The same entries the orchestrator writes, rebuilt from `session.messages` (what opencode stored): a
 * source of truth for a run whose transcript file was lost, and a cross-check of ours.
 */
export function transcriptFromMessages(messages: readonly unknown[], attempt: number): Transcript {
  const lines: Record<string, unknown>[] = [];
  let lastAssistant: { id: string; text: string; finish: string } | undefined;
  for (const raw of messages) {
    const m = raw as SdkMessage;
    const role = m.info?.role;
    const messageId = m.info?.id ?? '';
    if (role === 'user') {
      const text = (m.parts ?? []).filter((p) => p.type === 'text').map((p) => p.text ?? '').join('\n');
      lines.push({ type: 'prompt', text });
      continue;
    }
    if (role !== 'assistant') continue;
    let text = '';
    for (const p of m.parts ?? []) {
      if (p.type === 'text' && p.text) {
        lines.push({ type: 'text.done', messageId, partId: p.id, text: p.text });
        text = p.text;
      } else if (p.type === 'reasoning' && p.text) lines.push({ type: 'reasoning.done', messageId, partId: p.id, text: p.text });
      else if (p.type === 'tool') {
        const input = p.state?.input && typeof p.state.input === 'object' ? p.state.input : {};
        const base = { messageId, partId: p.id, callId: p.callID, tool: p.tool, input };
        lines.push({ type: 'tool.started', ...base });
        if (p.state?.status === 'completed' || p.state?.status === 'error') {
          lines.push({ type: 'tool.finished', ...base, ok: p.state.status === 'completed', output: p.state.status === 'completed' ? (p.state.output ?? '') : (p.state.error ?? '') });
        }
      } else if (p.type === 'step-finish') lines.push({ type: 'step', messageId, costUsd: p.cost ?? 0 });
    }
    lastAssistant = { id: messageId, text: text || lastAssistant?.text || '', finish: m.info?.finish ?? '' };
  }
  if (lastAssistant) lines.push({ type: 'finished', messageId: lastAssistant.id, finish: lastAssistant.finish, text: lastAssistant.text });
  return parseTranscript(lines.map((l) => JSON.stringify(l)).join('\n'), attempt);
}

/**
 * A session's messages from opencode's own SQLite store, read-only, through the `sqlite3` command (Debian
 * package `sqlite3`; Node 20 has no SQLite of its own): for a run whose server is gone. Undefined when the
 * store or the command is not there, or the session is not in it.
 */
export async function sessionFromStore(dbFile: string, sessionId: string, timeoutMs = 20_000): Promise<unknown[] | undefined> {
  const { existsSync } = await import('node:fs');
  if (!existsSync(dbFile) || !/^[A-Za-z0-9_]+$/.test(sessionId)) return undefined;
  const { runProcess } = await import('../toolchain/nango');
  const query = (sql: string) => runProcess('sqlite3', ['-readonly', '-json', dbFile, sql], { cwd: path.dirname(dbFile), env: {}, timeoutMs });
  const rowsOf = (out: string) => {
    const text = out.trim();
    if (!text) return [];
    try {
      return JSON.parse(text) as { id: string; message_id?: string; data: string }[];
    } catch {
      return undefined;
    }
  };
  const m = await query(`select id, data from message where session_id = '${sessionId}' order by time_created, id`);
  const p = await query(`select id, message_id, data from part where session_id = '${sessionId}' order by message_id, id`);
  if (m.code !== 0 || p.code !== 0) return undefined;
  const messages = rowsOf(m.output);
  const parts = rowsOf(p.output);
  if (!messages?.length || !parts) return undefined;
  const byMessage = new Map<string, unknown[]>();
  for (const row of parts) {
    try {
      byMessage.set(row.message_id as string, [...(byMessage.get(row.message_id as string) ?? []), { id: row.id, ...(JSON.parse(row.data) as object) }]);
    } catch {
      // a part that is not JSON is left out; the rest still reads
    }
  }
  return messages.map((row) => {
    let info: Record<string, unknown> = {};
    try {
      info = JSON.parse(row.data) as Record<string, unknown>;
    } catch {
      info = {};
    }
    return { info: { ...info, id: row.id }, parts: byMessage.get(row.id) ?? [] };
  });
}
