// The insights report's figures on hand-made run records, transcripts and verification reports: every
// time bucket to the millisecond, cost and tokens per interaction and per API, the failure taxonomy, the
// slowest tool calls, and evidence that cannot be read shown as such (never as zero). Then the loader on
// a hand-made work root, the page (self-contained, strict CSP, escaped), and `integration-builder report`
// as a user runs it (dist/cli.js; skipped when it is not built).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Tokens } from '../../src/core/agent/events';
import { renderInsightsHtml } from '../../src/core/insights/html';
import { buildInsights } from '../../src/core/insights/load';
import { buildInsightsReport, segmentWindow, transcriptId, type InsightsInput, type TranscriptEvidence } from '../../src/core/insights/report';
import { newRunRecord, type RunRecord } from '../../src/core/runs/record';
import { RunStore } from '../../src/core/runs/store';
import type { Finding, VerifyReport } from '../../src/core/verify/types';
import { interactionFolder } from '../../src/core/workspace/paths';

const REPO = path.resolve(__dirname, '../..');
const CLI = path.join(REPO, 'dist/cli.js');

const T0 = Date.parse('2026-01-05T10:00:00.000Z');
const iso = (ms: number) => new Date(T0 + ms).toISOString();
const at = (ms: number, e: Record<string, unknown>) => ({ at: iso(ms), ...e });
const tokens = (input: number, output: number, reasoning = 0, cacheRead = 0, cacheWrite = 0): Tokens => ({ input, output, reasoning, cacheRead, cacheWrite });

function record(workRoot: string, key: string, patch: Partial<RunRecord>): RunRecord {
  const [integrationId, interactionId] = key.split('/') as [string, string];
  const r = newRunRecord({
    key,
    integrationId,
    interactionId,
    specFile: path.join(workRoot, 'interactions.json'),
    folder: interactionFolder(workRoot, integrationId, interactionId),
    demo: false,
    now: iso(0),
  });
  return { ...r, ...patch };
}

// --- A: one attempt that touches every bucket -----------------------------------------------------
// queue 0–1000, setup 1000–4000, model 4000–6000, read 6000–7000, model 7000–9000, record_fixture
// 9000 (the harness's line) –12000, model 12000–13000, bash 13000–16000 with a permission asked
// 13500–15500, model 16000–17000, retries 17000–19000, parallel read + glob 20000–23000, model
// 19000–20000 and 23000–25000, idle 25000–26000.
const A_LINES = [
  at(3000, { type: 'prompt', text: 'Build it' }),
  at(4000, { type: 'status', status: 'busy' }),
  at(5000, { type: 'reasoning.done', text: 'Start from the stub.' }),
  at(6000, { type: 'tool.started', callId: 'c1', tool: 'read', input: { filePath: 'google-calendar/actions/create-event.ts' } }),
  at(7000, {
    type: 'tool.finished',
    callId: 'c1',
    tool: 'read',
    input: { filePath: 'google-calendar/actions/create-event.ts' },
    ok: true,
    output: '…',
    durationMs: 2500,
  }),
  at(7000, { type: 'step', costUsd: 0.2, tokens: tokens(400, 100) }),
  at(9000, { type: 'harness.tool', tool: 'record_fixture', args: { input: '{}' }, callId: 'c2' }),
  at(9100, { type: 'tool.started', callId: 'c2', tool: 'record_fixture', input: { input: '{}' } }),
  at(12000, { type: 'tool.finished', callId: 'c2', tool: 'record_fixture', input: { input: '{}' }, ok: true, output: 'Recorded' }),
  at(13000, { type: 'tool.started', callId: 'c3', tool: 'bash', input: { command: 'sed -i s/a/b/ google-calendar/tests/x.json' } }),
  at(13500, { type: 'permission.asked', requestId: 'r1', permission: 'bash', patterns: ['sed *'] }),
  at(15500, { type: 'permission.answered', requestId: 'r1', reply: 'once' }),
  at(16000, {
    type: 'tool.finished',
    callId: 'c3',
    tool: 'bash',
    input: { command: 'sed -i s/a/b/ google-calendar/tests/x.json' },
    ok: false,
    output: 'denied',
  }),
  at(17000, { type: 'status', status: 'retry', attempt: 1, message: 'overloaded' }),
  at(18000, { type: 'status', status: 'retry', attempt: 2, message: 'overloaded' }),
  at(19000, { type: 'status', status: 'busy' }),
  at(20000, { type: 'tool.started', callId: 'c4', tool: 'read', input: { filePath: 'a.ts' } }),
  at(21000, { type: 'tool.started', callId: 'c5', tool: 'glob', input: { pattern: '**/*.ts' } }),
  at(22000, { type: 'tool.finished', callId: 'c4', tool: 'read', input: { filePath: 'a.ts' }, ok: true, output: '' }),
  at(23000, { type: 'tool.finished', callId: 'c5', tool: 'glob', input: { pattern: '**/*.ts' }, ok: true, output: '' }),
  at(24000, { type: 'step', costUsd: 0.3, tokens: tokens(600, 100, 50, 300) }),
  at(24000, { type: 'text.done', text: 'All done: the tests pass.' }),
  at(25000, { type: 'status', status: 'idle' }),
  at(25000, { type: 'finished', finish: 'stop', text: 'All done: the tests pass.' }),
];

// --- B: two attempts; the first from its history (no queue time), the second with a torn line --------
const S = 100_000;
const B1_LINES = [
  at(S + 1000, { type: 'prompt', text: 'Build it' }),
  at(S + 2000, { type: 'status', status: 'busy' }),
  at(S + 3000, { type: 'tool.started', callId: 'b1', tool: 'bash', input: { command: 'npx   vitest run' } }),
  at(S + 8000, { type: 'tool.finished', callId: 'b1', tool: 'bash', input: { command: 'npx   vitest run' }, ok: false, output: 'fail' }),
  at(S + 8500, { type: 'step', costUsd: 0.25, tokens: tokens(500, 100) }),
  at(S + 9000, { type: 'finished', finish: 'stop', text: 'Done' }),
];
const B2_TEXT = [
  JSON.stringify(at(S + 10_600, { type: 'prompt', text: 'Build it' })),
  JSON.stringify(at(S + 11_000, { type: 'status', status: 'busy' })),
  '{"at":"2026-01-05T10:01:51.500Z","type":"tool.sta',
  JSON.stringify(at(S + 12_000, { type: 'step', costUsd: 0.75, tokens: tokens(700, 100, 0, 0, 100) })),
  JSON.stringify(at(S + 12_000, { type: 'text.done', text: 'Done, all   green.' })),
  JSON.stringify(at(S + 12_000, { type: 'finished', finish: 'stop', text: 'Done, all green.' })),
].join('\n');

const finding = (f: Partial<Finding> & Pick<Finding, 'check' | 'rule' | 'severity'>): Finding => ({ message: `${f.rule} happened`, ...f });
function verifyReport(key: string, attempt: number, verdict: VerifyReport['verdict'], findings: Finding[]): VerifyReport {
  const [integrationId, interactionId] = key.split('/') as [string, string];
  const checks = [...new Set(findings.map((f) => f.check))].map((check) => ({
    check,
    outcome: 'failed' as const,
    findings: findings.filter((f) => f.check === check),
    durationMs: 100,
  }));
  return { version: 1, key, integrationId, interactionId, folder: '/x', attempt, verdict, checks, startedAt: iso(500_000), durationMs: 1234 };
}

const REPORT_A = verifyReport('google-calendar/create-event', 1, 'failed', [
  finding({ check: 'fixtures', rule: 'fixtures.changed', severity: 'error', step: { attempt: 1, line: 9, step: 3, tool: 'bash' } }),
  finding({ check: 'compile', rule: 'compile.error', severity: 'error' }),
  finding({ check: 'transcript', rule: 'transcript.any-cast', severity: 'warning', step: { attempt: 1, line: 3 } }),
  finding({ check: 'transcript', rule: 'transcript.success-claim', severity: 'error', step: { attempt: 1, line: 21 } }),
  finding({ check: 'lint', rule: 'lint.advisory', severity: 'info', step: { attempt: 1, line: 1 } }),
]);
const REPORT_B = verifyReport('google-calendar/sync-events', 2, 'failed', [
  finding({ check: 'tests', rule: 'tests.failed', severity: 'error' }),
  finding({ check: 'transcript', rule: 'transcript.success-claim', severity: 'error', step: { attempt: 2, line: 4 } }),
  finding({ check: 'transcript', rule: 'transcript.any-cast', severity: 'warning', step: { attempt: 2, line: 1 } }),
  // A step of the earlier attempt is no step of this verification's transcript.
  finding({ check: 'transcript', rule: 'transcript.old', severity: 'error', step: { attempt: 1, line: 0 } }),
]);
const REPORT_C = verifyReport('slack/send-message', 1, 'needs-review', [
  finding({ check: 'transcript', rule: 'transcript.any-cast', severity: 'warning', step: { attempt: 1, line: 7, tool: 'write' } }),
]);

function batch(workRoot = '/w'): { records: RunRecord[]; lines: Map<string, string> } {
  const verification = (verdict: VerifyReport['verdict'], attempt: number) => ({ verdict, detail: verdict, at: iso(500_000), attempt });
  const a = record(workRoot, 'google-calendar/create-event', {
    status: 'failed',
    detail: 'fixtures.changed: <img src=x onerror=alert(1)>',
    queuedAt: iso(0),
    startedAt: iso(1000),
    endedAt: iso(26_000),
    costUsd: 0.5,
    tokens: tokens(1000, 200, 50, 300),
    steps: 2,
    toolCalls: 5,
    verification: verification('failed', 1),
  });
  const b = record(workRoot, 'google-calendar/sync-events', {
    attempt: 2,
    status: 'failed',
    queuedAt: iso(S + 10_000),
    startedAt: iso(S + 10_500),
    endedAt: iso(S + 12_500),
    costUsd: 0.75,
    tokens: tokens(700, 100, 0, 0, 100),
    verification: verification('failed', 2),
    history: [
      {
        attempt: 1,
        status: 'failed',
        detail: 'tests.failed: 1 failing',
        startedAt: iso(S),
        endedAt: iso(S + 10_000),
        costUsd: 0.25,
        tokens: tokens(500, 100),
        verification: verification('failed', 1),
      },
    ],
  });
  const c = record(workRoot, 'slack/send-message', {
    status: 'needs-review',
    startedAt: iso(200_000),
    endedAt: iso(230_000),
    costUsd: 0.1,
    tokens: tokens(100, 10),
    verification: verification('needs-review', 1),
  });
  const d = record(workRoot, 'slack/add-reaction', { status: 'queued' });
  const e = record(workRoot, 'hubspot/create-contact', {
    status: 'blocked',
    detail: 'the API refused the recording: 401',
    startedAt: iso(300_000),
    endedAt: iso(301_000),
    costUsd: 0.05,
    tokens: tokens(50, 5),
  });
  const lines = new Map<string, string>([
    [transcriptId(a.key, 1), A_LINES.map((l) => JSON.stringify(l)).join('\n') + '\n'],
    [transcriptId(b.key, 1), B1_LINES.map((l) => JSON.stringify(l)).join('\n') + '\n'],
    [transcriptId(b.key, 2), B2_TEXT + '\n'],
  ]);
  return { records: [a, b, c, d, e], lines };
}

/** The hand-made batch as the loader would hand it over: C's transcript unreadable, E's missing. */
function input(): InsightsInput {
  const { records, lines } = batch();
  const transcripts = new Map<string, TranscriptEvidence>();
  for (const [id, text] of lines) {
    const entries = text.split('\n').flatMap((raw, line) => {
      if (!raw.trim()) return [];
      try {
        return [JSON.parse(raw) as unknown];
      } catch (err) {
        return [{ type: 'unreadable-line', line, error: (err as Error).message, text: raw }];
      }
    });
    transcripts.set(id, { kind: 'read', file: `/w/.runs/${id}.jsonl`, entries });
  }
  transcripts.set(transcriptId('slack/send-message', 1), {
    kind: 'unreadable',
    file: '/w/.runs/slack/send-message.attempt-1.jsonl',
    message: 'EACCES: permission denied',
  });
  transcripts.set(transcriptId('hubspot/create-contact', 1), { kind: 'missing', file: '/w/.runs/hubspot/create-contact.attempt-1.jsonl' });
  return {
    records,
    transcripts,
    reports: [REPORT_A, REPORT_B, REPORT_C],
    problems: [{ kind: 'record', file: '/w/.runs/slack/x.json', key: 'slack/x', message: 'the record is not valid JSON' }],
    generatedAt: iso(1_000_000),
    slowestCount: 4,
  };
}

describe('the insights report on hand-made records', () => {
  const report = buildInsightsReport(input());
  const byKey = (key: string) => report.interactions.find((i) => i.key === key)!;

  it('splits an attempt into model, tool, toolchain and waiting time to the millisecond', () => {
    const a = byKey('google-calendar/create-event');
    expect(a.attempts).toHaveLength(1);
    expect(a.attempts[0]!.transcript).toBe('read');
    expect(a.attempts[0]!.time).toEqual({
      wallMs: 26_000,
      modelMs: 9000,
      toolMs: 5000,
      toolchainMs: 3000,
      waitingMs: 9000,
      waiting: { queue: 1000, setup: 3000, permission: 2000, retry: 2000, idle: 1000 },
    });
    expect(a.attempts[0]!.steps).toBe(2);
    expect(a.attempts[0]!.toolCalls).toBe(5);
    // The segments tile the window in order, each bucket where it was.
    const segs = a.attempts[0]!.segments.map((s) => [s.bucket, s.start - T0, s.end - T0]);
    expect(segs).toEqual([
      ['queue', 0, 1000],
      ['setup', 1000, 4000],
      ['model', 4000, 6000],
      ['tool', 6000, 7000],
      ['model', 7000, 9000],
      ['toolchain', 9000, 12_000],
      ['model', 12_000, 13_000],
      ['tool', 13_000, 13_500],
      ['permission', 13_500, 15_500],
      ['tool', 15_500, 16_000],
      ['model', 16_000, 17_000],
      ['retry', 17_000, 19_000],
      ['model', 19_000, 20_000],
      ['tool', 20_000, 23_000],
      ['model', 23_000, 25_000],
      ['idle', 25_000, 26_000],
    ]);
  });

  it('counts an earlier attempt from its start (no queue time is kept) and a torn transcript in part, saying so', () => {
    const b = byKey('google-calendar/sync-events');
    const [first, second] = b.attempts;
    expect(first!.time).toEqual({
      wallMs: 10_000,
      modelMs: 2000,
      toolMs: 5000,
      toolchainMs: 0,
      waitingMs: 3000,
      waiting: { queue: 0, setup: 2000, permission: 0, retry: 0, idle: 1000 },
    });
    expect(first!.timeNote).toMatch(/no queue time/);
    expect(second!.transcript).toBe('partial');
    expect(second!.tornLines).toEqual([2]);
    expect(second!.time).toEqual({
      wallMs: 2500,
      modelMs: 1000,
      toolMs: 0,
      toolchainMs: 0,
      waitingMs: 1500,
      waiting: { queue: 500, setup: 500, permission: 0, retry: 0, idle: 500 },
    });
    expect(second!.timeNote).toMatch(/cannot be read/);
    expect(b.time.wallMs).toBe(12_500);
    expect(b.attemptsWithoutTime).toBe(0);
  });

  it('leaves the time of an unreadable or missing transcript unknown, never zero, and lists it as a problem', () => {
    const c = byKey('slack/send-message');
    expect(c.attempts[0]).toMatchObject({ transcript: 'unreadable', time: null });
    expect(c.attempts[0]!.timeNote).toMatch(/cannot be read: EACCES/);
    expect(c.attemptsWithoutTime).toBe(1);
    const e = byKey('hubspot/create-contact');
    expect(e.attempts[0]).toMatchObject({ transcript: 'missing', time: null });
    // A run still queued has no transcript to miss.
    const d = byKey('slack/add-reaction');
    expect(d.attempts[0]).toMatchObject({ transcript: 'not-started', time: null });
    expect(d.attemptsWithoutTime).toBe(0);
    expect(report.problems.map((p) => [p.kind, p.key, p.attempt ?? null])).toEqual([
      ['record', 'slack/x', null],
      ['transcript', 'google-calendar/sync-events', 2],
      ['transcript', 'hubspot/create-contact', 1],
      ['transcript', 'slack/send-message', 1],
    ]);
    expect(report.problems[1]!.message).toMatch(/1 line\(s\) of the transcript cannot be read \(lines 3\)/);
    expect(report.problems[2]!.message).toMatch(/does not exist/);
    expect(report.totals.attemptsWithoutTime).toBe(2);
    expect(report.notes.join('\n')).toMatch(/2 attempt\(s\) have no readable, timestamped transcript/);
  });

  it('adds cost and tokens per interaction (history included), per API and in all', () => {
    expect(report.interactions.map((i) => [i.key, i.costUsd, i.totalTokens])).toEqual([
      // Tokens as every view counts them (input + output + reasoning; cache reads and writes are in the cost).
      ['google-calendar/create-event', 0.5, 1250],
      ['google-calendar/sync-events', 1.0, 1400],
      ['hubspot/create-contact', 0.05, 55],
      ['slack/add-reaction', 0, 0],
      ['slack/send-message', 0.1, 110],
    ]);
    expect(byKey('google-calendar/sync-events').tokens).toEqual(tokens(1200, 200, 0, 0, 100));
    expect(report.apis.map((a) => [a.integrationId, a.interactions, a.attempts, a.costUsd, a.totalTokens])).toEqual([
      ['google-calendar', 2, 3, 1.5, 2650],
      ['hubspot', 1, 1, 0.05, 55],
      ['slack', 2, 2, 0.1, 110],
    ]);
    const gc = report.apis[0]!;
    expect(gc.time).toEqual({
      wallMs: 38_500,
      modelMs: 12_000,
      toolMs: 10_000,
      toolchainMs: 3000,
      waitingMs: 13_500,
      waiting: { queue: 1500, setup: 5500, permission: 2000, retry: 2000, idle: 2500 },
    });
    expect(gc.statuses).toEqual({ failed: 2 });
    expect(report.apis[2]!.attemptsWithoutTime).toBe(1);
    expect(report.totals).toMatchObject({
      interactions: 5,
      apis: 3,
      attempts: 6,
      totalTokens: 2815,
      toolCalls: 6,
      steps: 4,
      attemptsWithoutTime: 2,
      verificationMs: 3 * 1234,
    });
    expect(report.totals.costUsd).toBeCloseTo(1.65, 10);
    expect(report.totals.time.wallMs).toBe(38_500);
  });

  it('sorts the failure taxonomy: findings by rule (errors first, notes left out), verdicts and how attempts ended', () => {
    const tx = report.taxonomy;
    expect(tx.findings.map((f) => [f.rule, f.severity, f.interactions, f.findings])).toEqual([
      ['transcript.success-claim', 'error', 2, 2],
      ['compile.error', 'error', 1, 1],
      ['fixtures.changed', 'error', 1, 1],
      ['tests.failed', 'error', 1, 1],
      ['transcript.old', 'error', 1, 1],
      ['transcript.any-cast', 'warning', 3, 3],
    ]);
    expect(tx.findings[0]!.keys).toEqual(['google-calendar/create-event', 'google-calendar/sync-events']);
    expect(tx.verdicts).toEqual({ verified: 0, failed: 2, 'needs-review': 1, unverified: 2 });
    expect(tx.outcomes).toEqual([
      { status: 'failed', attempts: 3 },
      { status: 'blocked', attempts: 1 },
      { status: 'needs-review', attempts: 1 },
      { status: 'queued', attempts: 1 },
    ]);
    expect(tx.endings.map((e) => [e.key, e.attempt, e.status, e.verdict ?? null])).toEqual([
      ['google-calendar/create-event', 1, 'failed', 'failed'],
      ['google-calendar/sync-events', 1, 'failed', 'failed'],
      ['google-calendar/sync-events', 2, 'failed', 'failed'],
      ['hubspot/create-contact', 1, 'blocked', null],
    ]);
    expect(tx.attemptVerdicts).toEqual({ verified: 0, failed: 3, 'needs-review': 1, unverified: 2 });
    expect(tx.endings[3]!.detail).toBe('the API refused the recording: 401');
  });

  it('finds each first bad step by the one rule (errors before warnings, this attempt only) and names the step', () => {
    expect(report.taxonomy.firstBadSteps).toEqual([
      {
        key: 'google-calendar/create-event',
        attempt: 1,
        line: 9,
        step: 3,
        kind: 'bash',
        what: 'bash: sed -i s/a/b/ google-calendar/tests/x.json',
        severity: 'error',
        rules: ['fixtures.changed'],
        earlierAttempt: undefined,
      },
      {
        key: 'google-calendar/sync-events',
        attempt: 2,
        line: 4,
        step: undefined,
        kind: 'text.done',
        what: 'Done, all green.',
        severity: 'error',
        rules: ['transcript.success-claim'],
        earlierAttempt: undefined,
      },
      {
        key: 'slack/send-message',
        attempt: 1,
        line: 7,
        step: undefined,
        kind: 'write',
        what: 'the transcript cannot be read: the step cannot be shown',
        severity: 'warning',
        rules: ['transcript.any-cast'],
        earlierAttempt: undefined,
      },
    ]);
    expect(report.taxonomy.firstBadByKind).toEqual([
      { kind: 'bash', count: 1 },
      { kind: 'text.done', count: 1 },
      { kind: 'write', count: 1 },
    ]);
    expect(report.taxonomy.firstBadByRule).toEqual([
      { rule: 'fixtures.changed', count: 1 },
      { rule: 'transcript.any-cast', count: 1 },
      { rule: 'transcript.success-claim', count: 1 },
    ]);
  });

  it('lists the slowest tool calls, longest first (ties in transcript order), toolchain calls from the harness line', () => {
    expect(report.slowestToolCalls.map((c) => [c.key, c.attempt, c.line, c.tool, c.bucket, c.durationMs, c.ok])).toEqual([
      ['google-calendar/sync-events', 1, 2, 'bash', 'tool', 5000, false],
      ['google-calendar/create-event', 1, 7, 'record_fixture', 'toolchain', 3000, true],
      ['google-calendar/create-event', 1, 9, 'bash', 'tool', 3000, false],
      ['google-calendar/create-event', 1, 16, 'read', 'tool', 2000, true],
    ]);
    expect(report.slowestToolCalls[0]!.what).toBe('bash: npx vitest run');
    expect(report.slowestToolCalls[1]!.startedAt).toBe(iso(9000));
    // opencode's own figure is kept beside ours, not used.
    const read = buildInsightsReport({ ...input(), slowestCount: 100 }).slowestToolCalls.find((c) => c.line === 3)!;
    expect([read.durationMs, read.reportedDurationMs]).toEqual([1000, 2500]);
  });

  it('measures an attempt with no recorded end to its last line, an unfinished call to there, and says so', () => {
    const run = record('/w', 'slack/sync-users', { status: 'running', queuedAt: iso(0), startedAt: iso(0) });
    const entries = [
      at(1000, { type: 'status', status: 'busy' }),
      at(2000, { type: 'tool.started', callId: 'u1', tool: 'bash', input: { command: 'sleep 100' } }),
      at(5000, { type: 'status', status: 'busy' }),
    ];
    const r = buildInsightsReport({
      records: [run],
      transcripts: new Map([[transcriptId(run.key, 1), { kind: 'read', file: 'f', entries }]]),
      reports: [],
      problems: [],
      generatedAt: iso(9_999_999),
    });
    expect(r.interactions[0]!.attempts[0]!.time).toMatchObject({ wallMs: 5000, modelMs: 1000, toolMs: 3000, waiting: { setup: 1000 } });
    expect(r.interactions[0]!.attempts[0]!.timeNote).toMatch(/no end is recorded/);
    expect(r.slowestToolCalls[0]).toMatchObject({ tool: 'bash', durationMs: 3000, unfinished: true });
    expect(r.slowestToolCalls[0]!.ok).toBeUndefined();
    expect(r.interactions[0]!.attempts[0]!.toolCalls).toBe(0);
  });

  it('says a transcript without timestamps gives no time, rather than zero', () => {
    const run = record('/w', 'slack/sync-users', { status: 'needs-review', startedAt: iso(0), endedAt: iso(1000) });
    const entries = [
      { type: 'tool.started', callId: 'x', tool: 'read', input: {} },
      { type: 'step', costUsd: 0 },
    ];
    const r = buildInsightsReport({
      records: [run],
      transcripts: new Map([[transcriptId(run.key, 1), { kind: 'read', file: 'f', entries }]]),
      reports: [],
      problems: [],
      generatedAt: iso(0),
    });
    expect(r.interactions[0]!.attempts[0]).toMatchObject({ time: null, transcript: 'read' });
    expect(r.interactions[0]!.attempts[0]!.timeNote).toMatch(/no timestamped line/);
    expect(r.totals.attemptsWithoutTime).toBe(1);
  });

  it('splits a window by priority, merging neighbours of one bucket', () => {
    expect(
      segmentWindow(0, 100, [
        { bucket: 'model', start: 0, end: 100 },
        { bucket: 'tool', start: 10, end: 30 },
        { bucket: 'tool', start: 20, end: 40 },
        { bucket: 'toolchain', start: 35, end: 50 },
        { bucket: 'permission', start: 45, end: 60 },
        { bucket: 'model', start: 200, end: 300 },
      ]),
    ).toEqual([
      { bucket: 'model', start: 0, end: 10 },
      { bucket: 'tool', start: 10, end: 35 },
      { bucket: 'toolchain', start: 35, end: 45 },
      { bucket: 'permission', start: 45, end: 60 },
      { bucket: 'model', start: 60, end: 100 },
    ]);
    expect(segmentWindow(0, 10, [])).toEqual([{ bucket: 'idle', start: 0, end: 10 }]);
  });
});

describe('the insights page', () => {
  const report = buildInsightsReport(input());
  const html = renderInsightsHtml(report);

  it('is self-contained: no script, no network, its one style block allowed by hash and nothing else', () => {
    const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)?.[1];
    const style = /<style>([\s\S]*?)<\/style>/.exec(html)?.[1] ?? '';
    const hash = createHash('sha256').update(style, 'utf8').digest('base64');
    expect(csp).toBe(`default-src &#39;none&#39;; style-src &#39;sha256-${hash}&#39;; base-uri &#39;none&#39;; form-action &#39;none&#39;`);
    expect(html.match(/<style>/g)).toHaveLength(1);
    expect(html).not.toMatch(/<script|https?:|<link|<img|<iframe|<object|<embed|@import|url\(/i);
    // No inline style or handler attribute on any element (the hash allows the style block only).
    const attributes = [...html.matchAll(/<[a-z][a-z0-9-]*((?:\s+[a-z][a-z0-9-]*(?:="[^"]*")?)*)\s*\/?>/gi)].flatMap((m) =>
      [...(m[1] ?? '').replace(/="[^"]*"/g, '').matchAll(/\s+([a-z][a-z0-9-]*)/gi)].map((a) => a[1]!.toLowerCase()),
    );
    expect(attributes.length).toBeGreaterThan(100);
    expect(attributes.filter((a) => a === 'style' || a.startsWith('on'))).toEqual([]);
  });

  it('escapes what the records say', () => {
    expect(html).toContain('fixtures.changed: &lt;img src=x onerror=alert(1)&gt;');
  });

  it('draws the timeline and the cost bars, and shows the tables and the unreadable evidence', () => {
    expect(html).toContain('aria-label="timeline of all agents"');
    expect(html.match(/<rect class="b-toolchain"/g)?.length).toBeGreaterThanOrEqual(1);
    expect(html).toContain('aria-label="cost per interaction"');
    expect(html).toContain('aria-label="cost per API"');
    expect(html).toContain('Evidence that cannot be read (4)');
    expect(html).toContain('EACCES: permission denied');
    expect(html).toContain('<code>bash: sed -i s/a/b/ google-calendar/tests/x.json</code>');
    expect(html).toContain('<code>transcript.success-claim</code>');
    expect(html).toContain('+1 unknown');
    expect(html).not.toContain('Refresh');
    expect(renderInsightsHtml(report, { refreshHref: 'command:integrationBuilder.showInsights' })).toContain(
      '<a class="refresh" href="command:integrationBuilder.showInsights">Refresh</a>',
    );
  });
});

/** The hand-made batch written into a work root as the harness writes it, plus unusable files. */
async function writeWorkRoot(workRoot: string): Promise<void> {
  const store = new RunStore(workRoot);
  const { records, lines } = batch(workRoot);
  for (const r of records) await store.save(r);
  for (const [id, text] of lines) {
    const [key, attempt] = id.split('#') as [string, string];
    writeFileSync(store.transcriptOf(key, Number(attempt)), text);
  }
  // C's transcript cannot be read (a folder where the file should be); E's is missing.
  mkdirSync(store.transcriptOf('slack/send-message', 1));
  const reportFile = (key: string) => store.fileOf(key).replace(/\.json$/, '.verify.json');
  for (const r of [REPORT_A, REPORT_B, REPORT_C]) writeFileSync(reportFile(r.key), JSON.stringify(r));
  writeFileSync(reportFile('hubspot/create-contact'), '{"version": 1, "key": "hubs');
  writeFileSync(path.join(store.dir, 'slack', 'broken.json'), '{ not json');
}

describe('loading a work root', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'ib-insights-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reads records, every attempt transcript and the reports, and lists what it cannot read', async () => {
    const workRoot = path.join(dir, 'work');
    await writeWorkRoot(workRoot);
    const report = await buildInsights(workRoot, { now: new Date(T0 + 1_000_000), slowestCount: 4 });
    const expected = buildInsightsReport(input());
    expect(report.interactions.map((i) => [i.key, i.costUsd, i.time, i.attemptsWithoutTime])).toEqual(
      expected.interactions.map((i) => [i.key, i.costUsd, i.time, i.attemptsWithoutTime]),
    );
    expect(report.taxonomy).toEqual(expected.taxonomy);
    expect(report.slowestToolCalls.map((c) => [c.key, c.line, c.durationMs])).toEqual(expected.slowestToolCalls.map((c) => [c.key, c.line, c.durationMs]));
    expect(report.problems.map((p) => [p.kind, p.key, p.attempt ?? null]).sort()).toEqual(
      [
        ['record', 'slack/broken', null],
        ['report', 'hubspot/create-contact', null],
        ['transcript', 'google-calendar/sync-events', 2],
        ['transcript', 'hubspot/create-contact', 1],
        ['transcript', 'slack/send-message', 1],
      ].sort(),
    );
    expect(report.problems.find((p) => p.kind === 'report')!.message).toMatch(/not valid JSON/);
    expect(report.problems.find((p) => p.key === 'slack/send-message')!.message).toMatch(/EISDIR/);
    expect(report.workRoot).toBe(workRoot);
  });

  it('an empty work root is an empty report with no problem', async () => {
    const report = await buildInsights(dir);
    expect(report.totals.interactions).toBe(0);
    expect(report.problems).toEqual([]);
  });
});

// Spawns the built CLI: skipped (and said so by vitest) only where `npm run build` has not run; npm test builds first.
describe.skipIf(!existsSync(CLI))('integration-builder report (dist/cli.js)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'ib-insights-cli-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const cli = (...args: string[]) => {
    const r = spawnSync(process.execPath, [CLI, 'report', ...args], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };

  it('--json prints the report; --html writes the page atomically; exit 1 while some evidence cannot be read', async () => {
    await writeWorkRoot(path.join(dir, '.integration-builder/work'));
    const json = cli('--json');
    expect(json.code, json.stderr).toBe(1);
    const report = JSON.parse(json.stdout) as ReturnType<typeof buildInsightsReport>;
    expect(report.totals).toMatchObject({ interactions: 5, attempts: 6, attemptsWithoutTime: 2 });
    expect(report.interactions[0]!.time.modelMs).toBe(9000);
    expect(json.stderr).toMatch(/cannot be read: .*slack\/send-message\.attempt-1\.jsonl/);

    const html = cli('--html', 'out/insights.html', '--work-root', '.integration-builder/work');
    mkdirSync(path.join(dir, 'out'));
    const written = cli('--html', 'out/insights.html', '--work-root', '.integration-builder/work');
    expect(html.code).toBe(2);
    expect(written.code, written.stderr).toBe(1);
    expect(written.stdout).toBe('');
    const page = readFileSync(path.join(dir, 'out/insights.html'), 'utf8');
    expect(page.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(page).toContain('Timeline of all agents');
    expect(readdirSync(path.join(dir, 'out'))).toEqual(['insights.html']);
  });

  it('a work root whose evidence all reads: exit 0, a summary without flags', async () => {
    const workRoot = path.join(dir, 'w');
    const store = new RunStore(workRoot);
    const { records, lines } = batch(workRoot);
    await store.save(records[0]!);
    writeFileSync(store.transcriptOf(records[0]!.key, 1), lines.get(transcriptId(records[0]!.key, 1))!);
    const r = cli('--work-root', 'w');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('1 interaction(s) of 1 API(s), 1 attempt(s): $0.5000, 1,250 tokens');
    expect(r.stdout).toContain('model 9.0 s, tools 5.0 s, toolchain 3.0 s, waiting 9.0 s');
  });

  it('bad flags and places: exit 2 with a clear message, nothing written', () => {
    mkdirSync(path.join(dir, 'w'));
    mkdirSync(path.join(dir, 'page.html'));
    const cases: [string[], RegExp][] = [
      [['--html'], /--html needs a value/],
      [['--html='], /--html needs a value, not an empty one/],
      [['--frobnicate'], /unknown option --frobnicate/],
      [['--json=yes'], /--json takes no value/],
      [['--demo', '--work-root', 'w'], /report does not take --demo/],
      [['google-calendar', '--work-root', 'w'], /report takes no ids/],
      [['--shard', '1/2', '--work-root', 'w'], /--shard applies to generate, verify and status/],
      [['--work-root', 'nowhere'], /there is no work root at .*nowhere/],
      [['--work-root', 'w', '--html', 'page.html'], /cannot be written: it is a folder; nothing was written/],
      [['--work-root', 'w', '--html', 'missing/page.html'], /its folder .*missing does not exist/],
    ];
    for (const [args, re] of cases) {
      const r = cli(...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(re);
      expect(r.stdout, args.join(' ')).toBe('');
    }
    expect(readdirSync(dir).sort()).toEqual(['page.html', 'w']);
    expect(readdirSync(path.join(dir, 'w'))).toEqual([]);
  });
});
