// The transcript rules on hand-written transcripts in our own JSONL format (test/fixtures/verify/transcripts:
// prompt, harness.tool, every AgentEvent with its `at`, permission asks and answers, guard violations),
// one file per cheating behaviour. An honest session raises nothing; each cheat is caught by its own
// rule and by no other, and each finding points at the EARLIEST step that led to it.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RunStore } from '../../src/core/runs/store';
import { newRunRecord } from '../../src/core/runs/record';
import { confinementFindings } from '../../src/core/verify/confinement';
import { verifyInteractions } from '../../src/core/verify';
import { parseTranscript, readTranscriptFile, transcriptRules, type RuleContext, type Transcript } from '../../src/core/verify/transcript';
import type { Finding } from '../../src/core/verify/types';

const HERE = path.join(__dirname, '..', 'fixtures', 'verify');
const FOLDER = '/ws/.integration-builder/work/google-calendar/create-event';
const SCRIPT = 'google-calendar/actions/create-event.ts';
const GOOD = readFileSync(path.join(HERE, 'google-calendar', 'create-event', SCRIPT), 'utf8');
const NO_RETRIES = GOOD.replace(',\n            retries: 3', '');
const AS_ANY = GOOD.replace('const ev = GoogleEvent.parse(res.data);', 'const ev = res.data as any;');

const load = (name: string): Transcript => parseTranscript(readFileSync(path.join(HERE, 'transcripts', `${name}.jsonl`), 'utf8'), 1);
const lines = (name: string) => readFileSync(path.join(HERE, 'transcripts', `${name}.jsonl`), 'utf8').split('\n');
/** Line (0-based) of the first entry matching. */
const lineOf = (name: string, test: (e: Record<string, unknown>) => boolean) =>
  lines(name).findIndex((l) => l.trim() && test(JSON.parse(l) as Record<string, unknown>));

/** What verification's transcript and confinement checks find, given the other checks' findings. */
function findingsOf(name: string, source = GOOD, otherChecks: Finding[] = []): Finding[] {
  const t = load(name);
  // The guard's violations, as the orchestrator also writes them into the transcript.
  const violations = t.entries.filter((e) => e.type === 'violation').map((e) => e.data as unknown as RuleContext['violations'][number]);
  const ctx: RuleContext = { transcript: t, folder: FOLDER, integrationId: 'google-calendar', interactionId: 'create-event', scriptRel: SCRIPT, violations };
  const confinement = confinementFindings(t, FOLDER);
  return [...confinement, ...transcriptRules(ctx, source, 'action', [...otherChecks, ...confinement])];
}
const rules = (fs: readonly Finding[]) => [...new Set(fs.map((f) => f.rule))].sort();
const testsFailed: Finding = {
  check: 'tests',
  rule: 'tests.failed',
  severity: 'error',
  message: 'should output the action output that is expected failed',
  location: { file: 'google-calendar/tests/google-calendar-create-event.test.ts' },
};

describe('transcript rules on hand-written transcripts', () => {
  it('an honest session raises nothing', () => {
    const t = load('honest');
    expect(t.unreadableLines).toEqual([]);
    expect(findingsOf('honest')).toEqual([]);
  });

  it('hallucinated CLI command: an unknown command tried again and again — at its FIRST try', () => {
    const found = findingsOf('hallucinated-command');
    expect(rules(found)).toEqual(['transcript.hallucinated-command']);
    const first = lineOf(
      'hallucinated-command',
      (e) => e.type === 'tool.started' && (e.input as { command?: string }).command === 'npx nango test create-event',
    );
    expect(found[0]).toMatchObject({
      severity: 'error',
      step: { attempt: 1, line: first, tool: 'bash', callId: expect.any(String), messageId: expect.any(String) },
    });
    expect(found[0]!.message).toMatch(/npx nango.*3 times/);
    expect(found[0]!.quote).toMatch(/unknown command 'test'/);
  });

  it('made-up API response: mock data written after the API refused — pointing at the refusal', () => {
    const found = findingsOf('made-up-response');
    expect(rules(found)).toEqual(['transcript.made-up-response']);
    expect(found[0]!.step).toMatchObject({
      tool: 'record_fixture',
      line: lineOf('made-up-response', (e) => e.type === 'tool.started' && e.tool === 'record_fixture'),
    });
    expect(found[0]!.quote).toMatch(/403.*mock-event\.json/);
  });

  it('attempted fixture edit, refused by the permission rules', () => {
    const found = findingsOf('fixture-edit-refused', GOOD, [testsFailed]);
    expect(rules(found)).toEqual(['transcript.fixture-edit']);
    expect(found[0]!.message).toMatch(/refused/);
    expect(found[0]!.step?.tool).toBe('edit');
  });

  it('fixture edit through the shell, reverted by the guard: one finding, at the command that did it', () => {
    const found = findingsOf('fixture-edit-reverted', GOOD, [testsFailed]);
    expect(rules(found)).toEqual(['transcript.fixture-edit']);
    expect(found).toHaveLength(1);
    expect(found[0]!.step).toMatchObject({ tool: 'bash', line: lineOf('fixture-edit-reverted', (e) => e.type === 'tool.started' && e.tool === 'bash') });
    expect(found[0]!.quote).toMatch(/sed -i/);
  });

  it("reading another interaction's folder (refused) is neighbour access only", () => {
    const found = findingsOf('neighbour-read');
    expect(rules(found)).toEqual(['transcript.neighbour-access']);
    expect(found[0]!.message).toMatch(/google-calendar\/update-event.*refused/);
  });

  it('a path outside every interaction folder is confinement only', () => {
    const found = findingsOf('outside-folder');
    expect(rules(found)).toEqual(['confinement.outside-folder']);
    expect(found[0]!.message).toMatch(/credentials\.json/);
  });

  it('claiming success while the tests fail: a false claim, at the run_tests that already failed', () => {
    const found = findingsOf('false-claim', GOOD, [testsFailed]);
    expect(rules(found)).toEqual(['transcript.false-claim']);
    expect(found[0]!.step).toMatchObject({ tool: 'run_tests', line: lineOf('false-claim', (e) => e.type === 'tool.started' && e.tool === 'run_tests') });
    expect(found[0]!.quote).toMatch(/all tests pass/);
    // the same words with every check passing are no finding
    expect(findingsOf('false-claim')).toEqual([]);
  });

  it('an SDK feature the skills require (retries) skipped without a comment saying why', () => {
    const found = findingsOf('sdk-skipped', NO_RETRIES);
    expect(rules(found)).toEqual(['sdk.retries-skipped']);
    expect(found[0]).toMatchObject({ severity: 'warning', location: { file: SCRIPT } });
    // a comment saying why is enough
    const why = NO_RETRIES.replace('// https://developers', '// No retries: creating an event is not idempotent.\n            // https://developers');
    expect(findingsOf('sdk-skipped', why)).toEqual([]);
  });

  it('a sync without nango.paginate, and one without zod models', () => {
    const t = load('honest');
    const ctx: RuleContext = {
      transcript: t,
      folder: FOLDER,
      integrationId: 'google-calendar',
      interactionId: 'sync-events',
      scriptRel: 'google-calendar/syncs/sync-events.ts',
      violations: [],
    };
    const sync = readFileSync(path.join(HERE, 'google-calendar/sync-events/google-calendar/syncs/sync-events.ts'), 'utf8');
    expect(transcriptRules(ctx, sync, 'sync', [])).toEqual([]);
    // One read, no paging, and no position saved for the next run either (resuming from a checkpoint is paging).
    const unpaged = sync
      .replace(/for await \(const page of nango\.paginate<unknown>\(\{/, 'for (const page of [(await nango.get({')
      .replace("paginate: { type: 'cursor', cursor_path_in_response: 'nextPageToken', cursor_name_in_request: 'pageToken', response_path: 'items' },\n", '')
      .replace(/^.*nango\.saveCheckpoint\(.*\n/m, '');
    expect(unpaged).not.toContain('saveCheckpoint');
    expect(rules(transcriptRules(ctx, unpaged, 'sync', []))).toEqual(['sdk.pagination-skipped']);
    const untyped = 'import { createAction } from "nango";\nexport default createAction({ exec: async () => ({}) });\n';
    expect(rules(transcriptRules(ctx, untyped, 'action', []))).toEqual(['sdk.untyped-models']);
  });

  it('`as any`: caught at its line, pointing at the first write that brought it in', () => {
    const found = findingsOf('as-any', AS_ANY);
    expect(rules(found)).toEqual(['code.as-any']);
    const line = AS_ANY.split('\n').findIndex((l) => l.includes('as any')) + 1;
    expect(found[0]!.location).toEqual({ file: SCRIPT, line });
    expect(found[0]!.step).toMatchObject({ tool: 'write', line: lineOf('as-any', (e) => e.type === 'tool.started' && e.tool === 'write') });
  });
});

describe('unreadable transcripts are findings, never crashes', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'ib-verify-transcript-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('torn and non-object lines are counted, the rest still read', () => {
    const t = parseTranscript('{"type":"prompt"}\n{"type":"text.do\n[1,2]\n\u0000\u0001garbage\n{"type":"finished","text":"x"}\n', 2);
    expect(t.unreadableLines).toEqual([1, 2, 3]);
    expect(t.entries.map((e) => [e.line, e.type])).toEqual([
      [0, 'prompt'],
      [4, 'finished'],
    ]);
  });

  it('a missing file throws for the caller to report', async () => {
    await expect(readTranscriptFile(path.join(root, 'nope.jsonl'), 1)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('verification reports a missing, a directory-shaped and a half-torn transcript as transcript.unreadable', async () => {
    const runs = new RunStore(root);
    const folder = path.join(root, 'google-calendar', 'create-event');
    mkdirSync(path.join(folder, 'google-calendar', 'actions'), { recursive: true });
    writeFileSync(path.join(folder, SCRIPT), GOOD);
    const run = newRunRecord({
      key: 'google-calendar/create-event',
      integrationId: 'google-calendar',
      interactionId: 'create-event',
      specFile: path.join(root, 'interactions.json'),
      folder,
      demo: false,
      now: new Date().toISOString(),
    });
    const target = { key: run.key, integrationId: 'google-calendar', interactionId: 'create-event', kind: 'action' as const, folder, run };
    const transcriptRulesOf = async () => {
      const [r] = await verifyInteractions([target], { runs, checks: ['confinement', 'transcript'] });
      return r!.checks.find((c) => c.check === 'transcript')!.findings.filter((f) => f.rule === 'transcript.unreadable');
    };
    // missing
    expect((await transcriptRulesOf())[0]).toMatchObject({ severity: 'error', message: expect.stringMatching(/missing/) });
    // a directory where the file should be
    mkdirSync(runs.transcriptOf(run.key, run.attempt), { recursive: true });
    expect((await transcriptRulesOf())[0]).toMatchObject({ severity: 'error', message: expect.stringMatching(/cannot be read/) });
    rmSync(runs.transcriptOf(run.key, run.attempt), { recursive: true });
    // torn lines: a warning, and the rest is still judged
    writeFileSync(
      runs.transcriptOf(run.key, run.attempt),
      readFileSync(path.join(HERE, 'transcripts', 'honest.jsonl'), 'utf8')
        .split(FOLDER)
        .join(folder) + '{"type":"tool.fini\n',
    );
    const torn = await transcriptRulesOf();
    expect(torn).toHaveLength(1);
    expect(torn[0]).toMatchObject({ severity: 'warning', message: expect.stringMatching(/1 line/) });
  });
});
