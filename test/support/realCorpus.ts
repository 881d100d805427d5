// A real-code corpus: interactions from NangoHQ/integration-templates (a pinned commit of a local git
// mirror; never committed here), each laid out as an honest harness run leaves it and verified with the
// real pipeline; and a scan of every template script through the code rules and lint. Used by
// test/integration/real-code.test.ts (a slice) and bench/real-code.mjs (all of it).
//
// An honest run, as the orchestrator makes one: the scaffold (scaffoldInteraction) and its baseline; the
// agent reads the stub and writes the template's script and every file of its folder the script imports
// (src/core/assemble/unit.ts finds them); record_fixture, whose recorder leaves the template's recorded
// fixture `<provider>/tests/<name>.test.json` and is taken into the baseline; run_tests, which is the
// harness's own (NangoToolchain.runTests: the real `nango generate:tests`, then vitest in the sandbox),
// its tests taken into the baseline; the baseline sealed after each harness write, as the orchestrator
// seals it; and a final message that claims only what run_tests showed. There is no API to record
// from here, so the recorder's turn places the template's own recording (for older templates, the one
// Nango's migration makes of it) where `nango dryrun --save` writes it, without the compile and dryrun.
import { execFileSync, spawn } from 'node:child_process';
import type * as ts from 'typescript';
import { existsSync, promises as fs, readdirSync, readFileSync, type Dirent } from 'node:fs';
import * as path from 'node:path';
import { interactionUnit } from '../../src/core/assemble/unit';
import { baselineDirFor, createBaseline, updateBaseline } from '../../src/core/guard/manifest';
import { testsDirOf } from '../../src/core/guard/protectedPaths';
import { sealBaseline } from '../../src/core/guard/seal';
import { newRunRecord, type RunRecord } from '../../src/core/runs/record';
import type { RunStore } from '../../src/core/runs/store';
import { loadSpec } from '../../src/core/spec/loader';
import type { InteractionModel } from '../../src/core/spec/model';
import { NangoToolchain } from '../../src/core/toolchain/nango';
import type { Finding, VerifyReport, VerifyTarget } from '../../src/core/verify';
import { lintFindings } from '../../src/core/verify/lint';
import { codeRules, folderReader, loadTypeScript, type ReadInteractionFile, type TS } from '../../src/core/verify/rules';
import { quoteText } from '../../src/core/verify/rules/finding';
import { judgeStatement, TRY_CATCH, WHILE_TRUE } from '../../src/core/verify/rules/lintJudge';
import { fixtureOf, recordedPaging } from '../../src/core/verify/rules/recordedPaging';
import { contains, parseScript, type ParsedScript } from '../../src/core/verify/rules/script';
import { findBin, runTool, tail } from '../../src/core/toolchain/tools';
import { scaffoldInteraction, scriptRelativePath } from '../../src/core/workspace/scaffold';

// ---------------------------------------------------------------------------------------------
// The templates

export const TEMPLATES_COMMIT = '3196dff2ef40f31ac60e25413350b7ad8d698660';
/** The bare git directory of a NangoHQ/integration-templates mirror holding TEMPLATES_COMMIT. */
export const TEMPLATES_GIT = process.env.IB_TEMPLATES_GIT || process.env.NANGO_TEMPLATES_GIT || '/work/.mirror/NangoHQ+integration-templates/repo';

const git = (...args: string[]) =>
  execFileSync('git', ['--git-dir', TEMPLATES_GIT, ...args], { encoding: 'utf8', maxBuffer: 256 << 20, stdio: ['ignore', 'pipe', 'ignore'] });

/** Why the corpus cannot be built here (the mirror or the commit is not there), or undefined. */
export function templatesMissing(): string | undefined {
  try {
    git('cat-file', '-e', `${TEMPLATES_COMMIT}^{commit}`);
    return undefined;
  } catch {
    return `NangoHQ/integration-templates at ${TEMPLATES_COMMIT.slice(0, 9)} is not in ${TEMPLATES_GIT} (set IB_TEMPLATES_GIT to a bare git mirror of it)`;
  }
}

/** Every path of the pinned commit under `integrations/`. */
export function templatePaths(): string[] {
  return git('ls-tree', '-r', '--name-only', TEMPLATES_COMMIT, 'integrations/').split('\n').filter(Boolean);
}

/**
 * Writes the files of the pinned commit that `want` selects into `dest` (their repository paths kept),
 * in one `git cat-file --batch`. The mirror may lack some blobs (a partial clone): those are listed as
 * missing, not fatal. Skips the work when `dest` already holds this selection.
 */
export async function extractTemplates(dest: string, want: (repoPath: string) => boolean, label = 'all'): Promise<{ written: number; missing: string[] }> {
  const marker = path.join(dest, `.extracted-${TEMPLATES_COMMIT.slice(0, 12)}-${label}.json`);
  if (existsSync(marker)) return JSON.parse(await fs.readFile(marker, 'utf8')) as { written: number; missing: string[] };
  const paths = templatePaths().filter(want);
  const missing: string[] = [];
  let written = 0;
  await new Promise<void>((resolve, reject) => {
    const child = spawn('git', ['--git-dir', TEMPLATES_GIT, 'cat-file', '--batch'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let buf = Buffer.alloc(0);
    let i = 0;
    const writes: Promise<void>[] = [];
    child.stdout.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      for (;;) {
        const nl = buf.indexOf(10);
        if (nl < 0) return;
        const head = buf.subarray(0, nl).toString();
        if (head.endsWith(' missing')) {
          missing.push(paths[i++] as string);
          buf = buf.subarray(nl + 1);
          continue;
        }
        const size = Number(head.split(' ')[2]);
        if (buf.length < nl + 1 + size + 1) return;
        const body = Buffer.from(buf.subarray(nl + 1, nl + 1 + size));
        const file = path.join(dest, ...(paths[i++] as string).split('/'));
        writes.push(fs.mkdir(path.dirname(file), { recursive: true }).then(() => fs.writeFile(file, body)));
        written++;
        buf = buf.subarray(nl + 1 + size + 1);
      }
    });
    child.on('error', reject);
    child.on('close', (code) => {
      Promise.all(writes).then(
        () =>
          code === 0 && i === paths.length ? resolve() : reject(new Error(`git cat-file --batch exited with ${code} after ${i} of ${paths.length} files`)),
        reject,
      );
    });
    child.stdin.end(paths.map((p) => `${TEMPLATES_COMMIT}:${p}\n`).join(''));
  });
  const result = { written, missing };
  await fs.writeFile(marker, JSON.stringify(result));
  return result;
}

// ---------------------------------------------------------------------------------------------
// The corpus

export type Feature = 'action' | 'sync' | 'helpers' | 'models-file' | 'checkpoint' | 'graphql' | 'hand-paging' | 'paginate' | 'deletes' | 'underscore-id';

export interface CorpusEntry {
  readonly provider: string;
  readonly kind: 'action' | 'sync';
  readonly name: string;
  /** What the script shows (checked against the script when the corpus is laid out). */
  readonly features: readonly Feature[];
  /**
   * `recorded`: the template's own `<provider>/tests/<name>.test.json`. `migrated`: the template keeps its
   * recording in Nango's older layout (`mocks/`), which Nango's own migration turns into that file
   * (`MIGRATE_MOCKS=1` while its test replays the mocks: see migrateLegacyFixtures).
   */
  readonly fixture: 'recorded' | 'migrated';
}

const rec = (provider: string, kind: 'action' | 'sync', name: string, ...features: Feature[]): CorpusEntry => ({
  provider,
  kind,
  name,
  features: [kind, ...features],
  fixture: 'recorded',
});
const mig = (provider: string, kind: 'action' | 'sync', name: string, ...features: Feature[]): CorpusEntry => ({
  provider,
  kind,
  name,
  features: [kind, ...features],
  fixture: 'migrated',
});

/**
 * The interactions, fixed. Chosen by hand after surveying the pinned commit: among the scripts with a
 * recorded fixture `<provider>/tests/<name>.test.json` that import no package besides nango and zod and
 * whose fixture is under 60 KB, interactions of different providers for each feature the issue names
 * (actions, syncs, checkpoints, GraphQL, hand-rolled paging, nango.paginate, deletes, an id with `_`),
 * at most three per provider. Only squareup's scripts among those import files of their own (a helper);
 * the templates whose models, mappers and helpers live in other files keep their recordings in Nango's
 * older `mocks/` layout, so the `migrated` entries take ten of those (different providers, actions and
 * syncs) with the fixture Nango's own migration makes of that recording. Not chosen by whether they
 * verify: the figures are what they are.
 */
export const CORPUS: readonly CorpusEntry[] = [
  rec('aircall', 'sync', 'calls', 'checkpoint', 'hand-paging'),
  rec('attio', 'sync', 'deals', 'checkpoint', 'hand-paging', 'deletes'),
  rec('linear', 'action', 'add-issue-label', 'graphql'),
  rec('linear', 'sync', 'teams', 'checkpoint', 'graphql', 'hand-paging'),
  rec('monday', 'sync', 'updates', 'checkpoint', 'graphql', 'paginate'),
  rec('monday', 'action', 'get-user', 'graphql'),
  rec('shopify', 'sync', 'abandoned-checkouts', 'checkpoint', 'graphql', 'hand-paging'),
  rec('shopify', 'action', 'accept-fulfillment-request', 'graphql'),
  rec('fireflies', 'sync', 'channels', 'graphql', 'deletes'),
  rec('squareup', 'sync', 'payments', 'helpers', 'checkpoint'),
  rec('squareup', 'sync', 'refunds', 'helpers', 'checkpoint'),
  rec('auth0-cc', 'action', 'get-user-permissions', 'paginate'),
  rec('auth0-cc', 'action', 'get-user-grants', 'hand-paging'),
  rec('1password-scim', 'sync', 'scim-groups', 'checkpoint', 'paginate'),
  rec('1password-scim', 'action', 'get-scim-group'),
  rec('box', 'sync', 'collaborations', 'checkpoint', 'paginate', 'deletes'),
  rec('calendly', 'sync', 'event-invitees', 'checkpoint', 'hand-paging'),
  rec('dropbox', 'action', 'list-folder', 'hand-paging'),
  rec('figma', 'action', 'get-version', 'hand-paging'),
  rec('chargebee', 'sync', 'coupon-sets', 'paginate', 'deletes'),
  rec('acuity-scheduling', 'sync', 'appointment-types', 'deletes'),
  rec('basin', 'sync', 'form_webhooks', 'checkpoint', 'hand-paging', 'deletes', 'underscore-id'),
  rec('close', 'sync', 'activities', 'checkpoint', 'paginate'),
  rec('discord', 'sync', 'guilds', 'checkpoint', 'hand-paging', 'deletes'),
  rec('github', 'sync', 'repositories', 'paginate', 'deletes'),
  rec('ashby', 'sync', 'departments', 'checkpoint', 'paginate'),
  mig('basecamp', 'action', 'fetch-projects', 'helpers', 'models-file'),
  mig('bill', 'sync', 'users', 'helpers', 'models-file'),
  mig('brightcrowd', 'sync', 'books', 'helpers', 'models-file'),
  mig('clicksend', 'action', 'send-sms', 'helpers', 'models-file'),
  mig('freshdesk', 'sync', 'contacts', 'helpers', 'models-file'),
  mig('harvest', 'action', 'create-user', 'helpers', 'models-file'),
  mig('keeper-scim', 'sync', 'users', 'helpers', 'models-file'),
  mig('discourse', 'sync', 'categories', 'models-file'),
  mig('metabase', 'action', 'fetch-user', 'models-file'),
  mig('recruiterflow', 'sync', 'jobs', 'models-file'),
];

/**
 * The slice the integration test verifies (the bench verifies all): one or more of every feature, both
 * kinds of fixture, ten interactions of ten providers — the real Nango CLI takes 5–16 s per compile.
 */
export const CORPUS_SLICE: readonly string[] = [
  'aircall/calls',
  'attio/deals',
  'linear/add-issue-label',
  'shopify/abandoned-checkouts',
  'squareup/payments',
  'auth0-cc/get-user-grants',
  'basin/form_webhooks',
  'box/collaborations',
  'basecamp/fetch-projects',
  'freshdesk/contacts',
];

export const keyOf = (e: Pick<CorpusEntry, 'provider' | 'name'>) => `${e.provider}/${e.name}`;

/** The features a script shows, read from its text (a cheap cross-check of the list, not a rule). */
export function featuresOf(source: string, kind: 'action' | 'sync', files: readonly string[], name: string): Feature[] {
  const out: Feature[] = [kind];
  const others = files.slice(1);
  if (others.some((f) => /(^|\/)(helpers?|utils?|mappers?)\/|helpers?\.ts$|utils?\.ts$/.test(f))) out.push('helpers');
  if (others.some((f) => /(^|\/)(models|schema\.zod|schemas?|types)\.ts$/.test(f))) out.push('models-file');
  if (/\b(getCheckpoint|saveCheckpoint)\b/.test(source)) out.push('checkpoint');
  if (/graphql|\b(query|mutation)\s*[({]/i.test(source)) out.push('graphql');
  if (/\bwhile\s*\(/.test(source) && /cursor|next|page|offset/i.test(source)) out.push('hand-paging');
  if (/\bnango\.paginate\b/.test(source)) out.push('paginate');
  if (/\b(batchDelete|trackDeletesStart|trackDeletes)\b/.test(source)) out.push('deletes');
  if (name.includes('_')) out.push('underscore-id');
  return out;
}

/**
 * The repository paths the corpus needs: its providers' code, their recorded fixtures, and for migrated
 * entries the older recordings (`mocks/`), their tests and the project files they run with.
 */
export function corpusPathFilter(entries: readonly CorpusEntry[]): (repoPath: string) => boolean {
  const providers = new Set(entries.map((e) => e.provider));
  const legacy = new Set(entries.filter((e) => e.fixture === 'migrated').map((e) => e.provider));
  return (p) => {
    if (/^integrations\/(vite\.config\.ts|vitest\.setup\.ts|tsconfig\.json|package\.json)$/.test(p)) return true;
    const [, provider, dir] = p.split('/');
    if (!provider || !providers.has(provider) || p.endsWith('.md')) return false;
    if (dir === 'mocks') return legacy.has(provider);
    if (dir === 'tests') return /\.test\.json$/.test(p) || (legacy.has(provider) && /\.test\.ts$/.test(p));
    return /\.(ts|json)$/.test(p) && dir !== 'fixtures' && dir !== '.nango';
  };
}

/**
 * The fixtures of migrated entries: each template's older recording (`mocks/`) replayed by its own test
 * with Nango's migration switched on (`MIGRATE_MOCKS=1`), which writes what the test read as one
 * `<provider>/tests/<provider>-<name>.test.json` in today's format. Done in a scratch copy of the
 * templates' project (its vitest config and setup) inside `scratch`; one vitest run for all. Returns the
 * fixture text by key; throws with vitest's output when a test fails or writes no fixture.
 */
export async function migrateLegacyFixtures(templates: string, entries: readonly CorpusEntry[], scratch: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const legacy = entries.filter((e) => e.fixture === 'migrated');
  if (!legacy.length) return out;
  const src = path.join(templates, 'integrations');
  const project = path.join(scratch, 'integrations');
  await fs.rm(project, { recursive: true, force: true });
  await fs.mkdir(project, { recursive: true });
  for (const f of ['vite.config.ts', 'vitest.setup.ts', 'tsconfig.json', 'package.json']) await fs.copyFile(path.join(src, f), path.join(project, f));
  for (const provider of new Set(legacy.map((e) => e.provider))) {
    await fs.cp(path.join(src, provider), path.join(project, provider), { recursive: true, filter: (from) => !/\.test\.json$/.test(from) });
  }
  const tests = legacy.map((e) => `${e.provider}/tests/${e.provider}-${e.name}.test.ts`);
  const vitest = findBin(project, 'vitest');
  if (!vitest) throw new Error(`vitest is not installed above ${project}`);
  const report = path.join(scratch, 'migrate-report.json');
  const run = await runTool(vitest, ['run', '--reporter=json', `--outputFile=${report}`, ...tests], project, {
    timeoutMs: 600_000,
    env: { MIGRATE_MOCKS: '1' },
  });
  const json = JSON.parse(await fs.readFile(report, 'utf8').catch(() => '{}')) as { testResults?: { name?: string; status?: string }[] };
  const failed = (json.testResults ?? []).filter((t) => t.status !== 'passed').map((t) => t.name);
  if (failed.length || !json.testResults?.length)
    throw new Error(`the migration of the older recordings failed for ${failed.join(', ') || 'every test'}:\n${tail(run.output, 30)}`);
  for (const e of legacy) {
    const file = path.join(project, e.provider, 'tests', `${e.provider}-${e.name}.test.json`);
    const text = await fs.readFile(file, 'utf8').catch(() => undefined);
    if (!text) throw new Error(`the migration wrote no fixture for ${keyOf(e)} (${file})`);
    out.set(keyOf(e), text.endsWith('\n') ? text : `${text}\n`);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// An honest run

/** The spec a user would write for these interactions, loaded by the real loader. */
export function corpusSpec(entries: readonly CorpusEntry[], specFile: string): Map<string, InteractionModel> {
  const byProvider = new Map<string, CorpusEntry[]>();
  for (const e of entries) byProvider.set(e.provider, [...(byProvider.get(e.provider) ?? []), e]);
  const spec = {
    integrations: [...byProvider].map(([provider, list]) => ({
      id: provider,
      connectionId: `test-${provider}`,
      environment: 'dev',
      docs: ['https://github.com/NangoHQ/integration-templates'],
      context: `The ${provider} integration of NangoHQ/integration-templates.`,
      interactions: list.map((e) => ({ id: e.name, kind: e.kind, displayName: e.name, description: `${provider} ${e.name}`, prompt: '', comments: '' })),
    })),
  };
  const loaded = loadSpec(specFile, JSON.stringify(spec, null, 2));
  const errors = loaded.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length) throw new Error(`the corpus spec has errors: ${errors.map((d) => d.message).join('; ')}`);
  const out = new Map<string, InteractionModel>();
  for (const i of loaded.integrations) for (const it of i.interactions) out.set(it.key, it);
  return out;
}

export interface LaidOut {
  readonly entry: CorpusEntry;
  readonly target: VerifyTarget;
  /** The interaction's files besides its script (helpers, models), relative to its folder. */
  readonly unitFiles: readonly string[];
  readonly features: readonly Feature[];
  /** What run_tests (the harness's generate:tests + vitest) said during the run; undefined when it was not called. */
  readonly runTests: { readonly ok: boolean; readonly output: string } | undefined;
  readonly layoutMs: number;
}

let clock = Date.parse('2026-11-20T10:00:00.000Z');
const at = () => new Date((clock += 1500)).toISOString();

/**
 * Lays out one corpus interaction under `workRoot` as an honest harness run leaves it (see the top of
 * this file), with its run record, sealed baseline and transcript in `store`. `templates` is the
 * extraction root (holding `integrations/<provider>/…`).
 */
export interface LayOutOptions {
  /**
   * The agent calls run_tests before it claims (default true). Without it the folder holds the recorded
   * fixture but no generated test, as an agent that records and stops leaves it; its claim then says so.
   */
  readonly runTests?: boolean;
}

export async function layOutHonestRun(
  store: RunStore,
  workRoot: string,
  templates: string,
  entry: CorpusEntry,
  interaction: InteractionModel,
  opts: LayOutOptions & { readonly migrated?: ReadonlyMap<string, string> } = {},
): Promise<LaidOut> {
  const t0 = Date.now();
  const key = interaction.key;
  const folder = path.join(workRoot, entry.provider, entry.name);
  const scriptRel = scriptRelativePath(interaction);
  const scope = { integrationId: entry.provider, scriptRel };
  const source = path.join(templates, 'integrations');
  const unit = await interactionUnit(source, scriptRel);
  if (unit.problems.length) throw new Error(`the template ${scriptRel} does not resolve as a unit: ${unit.problems.map((p) => p.message).join('; ')}`);
  const fixtureRel = `${testsDirOf(entry.provider)}/${entry.name}.test.json`;
  const fixture = entry.fixture === 'migrated' ? opts.migrated?.get(keyOf(entry)) : await fs.readFile(path.join(source, ...fixtureRel.split('/')), 'utf8');
  if (fixture === undefined) throw new Error(`no migrated fixture for ${keyOf(entry)}: run migrateLegacyFixtures first`);

  // The harness: scaffold, baseline, run record, sealed.
  await scaffoldInteraction(folder, interaction, { replace: true });
  const runFile = store.fileOf(key);
  const baseline = baselineDirFor(runFile);
  await createBaseline(folder, baseline, scope, undefined, 'scaffold');
  const run: RunRecord = newRunRecord({
    key,
    integrationId: entry.provider,
    interactionId: entry.name,
    specFile: interaction.file,
    folder,
    model: 'anthropic/claude-sonnet-4-5',
    demo: false,
    now: at(),
  });
  run.status = 'running';
  run.sandbox = 'bwrap';
  run.sessionId = `ses_corpus_${entry.provider}_${entry.name}`.replace(/[^A-Za-z0-9_]/g, '_');
  run.startedAt = at();
  const seal = async () => {
    run.baselineSeal = await sealBaseline(store.dir, key, run.attempt, baseline);
  };
  await seal();
  await store.save(run);

  const lines: Record<string, unknown>[] = [];
  const sessionId = run.sessionId;
  let msg = 0;
  let call = 0;
  const step = () =>
    lines.push({
      at: at(),
      type: 'step',
      sessionId,
      messageId: `msg_${String(msg).padStart(4, '0')}`,
      costUsd: 0.004,
      tokens: { input: 1800, output: 220, reasoning: 0, cacheRead: 0, cacheWrite: 0 },
    });
  const tool = async (name: string, input: Record<string, unknown>, run: () => Promise<{ ok: boolean; output: string }>, harness = false) => {
    msg++;
    call++;
    const ids = { sessionId, messageId: `msg_${String(msg).padStart(4, '0')}`, partId: `prt_${call}`, callId: `call_${call}` };
    lines.push({ at: at(), type: 'tool.started', ...ids, tool: name, input });
    if (harness) lines.push({ at: at(), type: 'harness.tool', tool: name, args: input, callId: ids.callId });
    const r = await run();
    lines.push({ at: at(), type: 'tool.finished', ...ids, tool: name, input, ok: r.ok, output: r.output, durationMs: 900 });
    step();
    return r;
  };
  lines.push({
    at: at(),
    type: 'prompt',
    sessionId,
    model: run.model,
    demo: false,
    text: `Build ${key}: ${interaction.description}. Work only in this folder; record fixtures with record_fixture and test with run_tests.`,
  });
  lines.push({ at: at(), type: 'status', sessionId, status: 'busy' });

  // The agent reads its stub, then writes the script and the files it imports.
  const abs = (rel: string) => path.join(folder, ...rel.split('/'));
  const stub = await fs.readFile(abs(scriptRel), 'utf8');
  await tool('read', { filePath: abs(scriptRel) }, async () => ({ ok: true, output: `<file>\n${stub}\n</file>` }));
  for (const f of [...unit.files.slice(1), unit.files[0] as (typeof unit.files)[number]]) {
    await tool('write', { filePath: abs(f.rel), content: f.content }, async () => {
      await fs.mkdir(path.dirname(abs(f.rel)), { recursive: true });
      await fs.writeFile(abs(f.rel), f.content);
      return { ok: true, output: 'Wrote file successfully.' };
    });
  }

  // record_fixture: the recorder leaves the recorded fixture; the harness takes it into the baseline and seals it.
  const recorded = JSON.parse(fixture) as { input?: unknown };
  const args = entry.kind === 'action' ? { input: JSON.stringify(recorded.input ?? {}) } : {};
  await tool(
    'record_fixture',
    args,
    async () => {
      await fs.writeFile(abs(fixtureRel), fixture);
      await updateBaseline(folder, baseline, { written: [fixtureRel] }, 'recorder');
      await seal();
      return { ok: true, output: `Recorded ${fixtureRel}.` };
    },
    true,
  );

  // run_tests: the harness's own (generate:tests, then vitest confined); what it wrote under tests/ is the recorder's.
  const before = new Set(await listTests(folder, entry.provider));
  const runTests =
    opts.runTests === false
      ? undefined
      : await tool(
          'run_tests',
          {},
          async () => {
            const r = await new NangoToolchain({ timeoutMs: 240_000 }).runTests({ folder, interaction });
            const now = await listTests(folder, entry.provider);
            const written = now.filter((f) => !before.has(f) || f.endsWith('.test.ts'));
            if (written.length) await updateBaseline(folder, baseline, { written }, 'recorder');
            await seal();
            return { ok: r.ok, output: r.output.split('\n').slice(-12).join('\n') };
          },
          true,
        );

  // The claim: only what run_tests showed.
  const text = !runTests
    ? `Implemented ${key} with the Nango SDK and recorded a fixture through record_fixture; I have not run the tests.`
    : runTests.ok
      ? `Implemented ${key} with the Nango SDK; recorded a fixture through record_fixture and the generated test passes.`
      : `I wrote ${key} and recorded a fixture, but the generated test does not pass yet (see run_tests).`;
  msg++;
  lines.push({ at: at(), type: 'text.done', sessionId, messageId: `msg_${String(msg).padStart(4, '0')}`, partId: `prt_t${msg}`, text });
  lines.push({ at: at(), type: 'status', sessionId, status: 'idle' });
  lines.push({ at: at(), type: 'finished', sessionId, messageId: `msg_${String(msg).padStart(4, '0')}`, finish: 'stop', text });
  const transcript = store.transcriptOf(key, run.attempt);
  await fs.mkdir(path.dirname(transcript), { recursive: true });
  await fs.writeFile(transcript, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
  run.status = 'needs-review';
  run.endedAt = at();
  run.finalText = text;
  await store.save(run);
  await store.flush();

  const target: VerifyTarget = { key, integrationId: entry.provider, interactionId: entry.name, kind: entry.kind, folder, run };
  return {
    entry,
    target,
    unitFiles: unit.files.slice(1).map((f) => f.rel),
    features: featuresOf(
      unit.files[0]?.content ?? '',
      entry.kind,
      unit.files.map((f) => f.rel),
      entry.name,
    ),
    runTests,
    layoutMs: Date.now() - t0,
  };
}

async function listTests(folder: string, provider: string): Promise<string[]> {
  const dir = testsDirOf(provider);
  const names = await fs.readdir(path.join(folder, ...dir.split('/'))).catch(() => [] as string[]);
  return names.map((n) => `${dir}/${n}`).sort();
}

// ---------------------------------------------------------------------------------------------
// Reading verdicts

/** Every finding of a report, with where it is, on one line each. */
export function describeFindings(r: VerifyReport): string[] {
  return r.checks.flatMap((c) => c.findings.map((f) => describeFinding(f)));
}

export function describeFinding(f: Pick<Finding, 'rule' | 'severity' | 'message' | 'location' | 'quote'>): string {
  const where = f.location ? `${f.location.file}${f.location.line ? `:${f.location.line}` : ''}` : '';
  return `${f.severity} ${f.rule}${where ? ` at ${where}` : ''}: ${f.message}${f.quote ? ` — ${f.quote.replace(/\s+/g, ' ').slice(0, 160)}` : ''}`;
}

/** A comparable digest of a report: its verdict and every finding (rule, severity, location, message). */
export function reportDigest(r: VerifyReport): { verdict: string; checks: [string, string][]; findings: string[] } {
  return {
    verdict: r.verdict,
    checks: r.checks.map((c) => [c.check, c.outcome]),
    findings: r.checks.flatMap((c) => c.findings.map((f) => `${f.rule} ${f.severity} ${f.location?.file ?? ''}:${f.location?.line ?? ''} ${f.message}`)).sort(),
  };
}

// ---------------------------------------------------------------------------------------------
// The scan: every template script through the code rules and lint

export interface ScannedScript {
  /** `<provider>/(actions|syncs)/<name>.ts`, relative to `integrations/`. */
  readonly file: string;
  readonly findings: (Pick<Finding, 'rule' | 'severity' | 'message' | 'location' | 'quote'> & { judgement?: FlagJudgement })[];
}

export interface ScanResult {
  readonly scripts: ScannedScript[];
  readonly lintRan: boolean;
  readonly lintDetail?: string;
}

/** The template scripts of an extraction: `integrations/*\/actions|syncs/*.ts`, relative to `integrations/`. */
export async function templateScripts(templates: string): Promise<string[]> {
  const root = path.join(templates, 'integrations');
  const out: string[] = [];
  for (const provider of (await fs.readdir(root, { withFileTypes: true }))
    .filter((d) => d.isDirectory() && !d.name.startsWith('.'))
    .map((d) => d.name)
    .sort()) {
    for (const dir of ['actions', 'syncs']) {
      const names = await fs.readdir(path.join(root, provider, dir)).catch(() => [] as string[]);
      for (const n of names.filter((n) => n.endsWith('.ts')).sort()) out.push(`${provider}/${dir}/${n}`);
    }
  }
  return out;
}

/**
 * Reads files of one provider's folder, as the script's interaction folder would hold them: a path that
 * leaves `<provider>/` is not part of the interaction. A script without a recording in today's layout
 * (`<provider>/tests/<name>.test.json`) whose template keeps one in Nango's older layout
 * (`<provider>/mocks/nango/<method>/proxy/<endpoint>/<name>[/<hash>].json`) is read with that one, put in
 * today's shape (`api.<method>.<endpoint>` → the recorded answers): in a real run the fixture is always
 * there, and the pagination rule reads the recording as evidence, as Verify does.
 */
function providerReader(root: string, provider: string): ReadInteractionFile {
  let legacy: Map<string, string> | undefined;
  const read = (rel: string) => {
    try {
      return readFileSync(path.join(root, ...rel.split('/')), 'utf8');
    } catch {
      return undefined;
    }
  };
  return (rel) => {
    const norm = path.posix.normalize(rel);
    if (!norm.startsWith(`${provider}/`)) return undefined;
    const text = read(norm);
    if (text !== undefined) return text;
    const fixture = /^[^/]+\/tests\/([^/]+)\.test\.json$/.exec(norm);
    if (!fixture) return undefined;
    legacy ??= legacyRecordings(path.join(root, provider, 'mocks', 'nango'));
    return legacy.get(fixture[1] as string);
  };
}

/** The older layout's recorded answers under `mocks/nango/`, as today's fixture text by script name. */
function legacyRecordings(dir: string): Map<string, string> {
  const byName = new Map<string, Record<string, Record<string, unknown[]>>>();
  const walk = (d: string, parts: string[]) => {
    let entries: Dirent[];
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (e.isDirectory()) walk(path.join(d, e.name), [...parts, e.name]);
      else if (e.name.endsWith('.json') && parts[1] === 'proxy') {
        // <method>/proxy/<endpoint…>/<name>.json, or <method>/proxy/<endpoint…>/<name>/<hash>.json
        const hashed = /^[0-9a-f]{40}\.json$/.test(e.name);
        const name = hashed ? parts[parts.length - 1] : e.name.slice(0, -5);
        const endpoint = `/${(hashed ? parts.slice(2, -1) : parts.slice(2)).join('/')}`;
        let body: unknown;
        try {
          body = JSON.parse(readFileSync(path.join(d, e.name), 'utf8'));
        } catch {
          continue;
        }
        // the newer of the older formats keeps the request's identity beside the answer
        const x = body as { requestIdentity?: unknown; response?: unknown; headers?: unknown };
        const recorded = x && typeof x === 'object' && 'requestIdentity' in x ? { response: x.response, headers: x.headers } : { response: body };
        if (!name) continue;
        const api = byName.get(name) ?? {};
        const method = parts[0] as string;
        api[method] ??= {};
        ((api[method] as Record<string, unknown[]>)[endpoint] ??= []).push(recorded);
        byName.set(name, api);
      }
    }
  };
  walk(dir, []);
  return new Map([...byName].map(([name, api]) => [name, JSON.stringify({ api })]));
}

/**
 * Every template script through the code rules (src/core/verify/rules) and lint (src/core/verify/lint),
 * in batches of eslint processes. As Verify does, a lint `no-object-casting` on a line the code rule
 * `code.as-any` already reports is not counted twice.
 */
export async function scanTemplates(
  templates: string,
  opts: { scripts?: readonly string[]; batch?: number; log?: (line: string) => void } = {},
): Promise<ScanResult> {
  const root = path.join(templates, 'integrations');
  const scripts = opts.scripts ?? (await templateScripts(templates));
  const ts = loadTypeScript(root);
  if (!ts) throw new Error(`typescript cannot be loaded from ${root}`);
  const byFile = new Map<string, ScannedScript>();
  for (const file of scripts) {
    const [provider, dir] = file.split('/') as [string, string];
    const source = await fs.readFile(path.join(root, ...file.split('/')), 'utf8');
    let findings: ScannedScript['findings'] = [];
    try {
      findings = codeRules({ ts, file, source, kind: dir === 'syncs' ? 'sync' : 'action', readFile: providerReader(root, provider) }).map((f) => ({
        rule: f.rule,
        severity: f.severity,
        message: f.message,
        location: f.line ? { file: f.file, line: f.line } : { file: f.file },
        ...(f.quote ? { quote: f.quote } : {}),
      }));
    } catch (err) {
      findings = [{ rule: 'scan.rules-threw', severity: 'error', message: (err as Error).message, location: { file } }];
    }
    byFile.set(file, { file, findings });
  }
  const batch = opts.batch ?? 400;
  let lintRan = true;
  let lintDetail: string | undefined;
  for (let i = 0; i < scripts.length; i += batch) {
    const files = scripts.slice(i, i + batch);
    const r = await lintFindings(root, files, { timeoutMs: 600_000 });
    opts.log?.(`lint ${Math.min(i + batch, scripts.length)}/${scripts.length}`);
    if (!r.ran) {
      lintRan = false;
      lintDetail = r.detail ?? r.findings.map((f) => f.message).join('; ');
      break;
    }
    for (const f of r.findings) {
      const file = f.location?.file ?? '';
      const s = byFile.get(file);
      if (!s) continue;
      if (f.rule === 'lint.no-object-casting' && s.findings.some((x) => x.rule === 'code.as-any' && x.location?.line === f.location?.line)) continue;
      s.findings.push({
        rule: f.rule,
        severity: f.severity,
        message: f.message,
        ...(f.location ? { location: f.location } : {}),
        ...(f.quote ? { quote: f.quote } : {}),
      });
    }
  }
  // Every flag (not a note) judged again from the code: which true finding it is, or none.
  for (const s of byFile.values()) {
    const reader = providerReader(root, s.file.split('/')[0] as string);
    for (const f of s.findings) if (f.severity !== 'info') f.judgement = judgeFlag(ts, f, reader);
  }
  return { scripts: scripts.map((f) => byFile.get(f) as ScannedScript), lintRan, ...(lintDetail ? { lintDetail } : {}) };
}

// ---------------------------------------------------------------------------------------------
// Judging a flag: which true finding it is, read again from the code (not from a list of names)

/** A flag that stays, by kind: each is a true finding whose evidence is computed from the script. */
export type FlagCategory =
  | 'as-any:cast'
  | 'as-any:sdk-object'
  | 'as-any:input'
  | 'as-any:api-response'
  | 'as-any:request'
  | 'as-any:catch-variable-leaves'
  | 'try:finally-ends-deletes'
  | 'try:swallows'
  | 'while:paginate-would-do'
  | 'paging:recorded-pages'
  | 'paging:no-recording'
  | 'models:untyped';

export interface FlagJudgement {
  /** undefined: no evidence found for any true finding — counted as a false finding. */
  readonly category?: FlagCategory;
  /** What was found in the code (or the recording) that makes it that finding. */
  readonly evidence: string;
}

/**
 * Re-reads the flagged code for the finding: the construct the rule names must be there, and be the
 * kind of thing that makes it a true finding. `readFile` reads files of the interaction (the script,
 * its recording), relative to its folder (or to the templates' `integrations/` for the scan).
 */
export function judgeFlag(ts: TS, f: Pick<Finding, 'rule' | 'severity' | 'message' | 'location'>, readFile: ReadInteractionFile): FlagJudgement {
  const file = f.location?.file;
  const line = f.location?.line;
  const text = file ? readFile(file) : undefined;
  if (!file || text === undefined) return { evidence: 'the flagged file cannot be read' };
  let s: ParsedScript;
  try {
    s = parseScript(ts, file, text);
  } catch (err) {
    return { evidence: `the flagged file does not parse: ${(err as Error).message}` };
  }
  const at = (n: ts.Node) => s.lineOf(n) === line;
  const find = <T extends ts.Node>(test: (n: ts.Node) => n is T): T | undefined => {
    let hit: T | undefined;
    const visit = (n: ts.Node): void => {
      if (hit) return;
      if (test(n)) hit = n;
      else ts.forEachChild(n, visit);
    };
    visit(s.sf);
    return hit;
  };
  if (f.rule === 'code.as-any') {
    const cast = find(
      (n): n is ts.AsExpression | ts.TypeAssertion =>
        (ts.isAsExpression(n) || ts.isTypeAssertionExpression(n)) && at(n) && /\b(any|unknown)\b/.test(n.type.getText(s.sf)),
    );
    if (cast) return { category: 'as-any:cast', evidence: `\`${quoteText(cast.getText(s.sf), 60)}\`` };
    const anyType = find((n): n is ts.TypeNode => n.kind === ts.SyntaxKind.AnyKeyword && at(n));
    let owner: ts.Node | undefined = anyType?.parent;
    while (owner && (ts.isArrayTypeNode(owner) || ts.isParenthesizedTypeNode(owner) || ts.isTypeReferenceNode(owner))) owner = owner.parent;
    if (!owner) return { evidence: 'no `any` cast or annotation at the line' };
    const name = (d: ts.NamedDeclaration) => (d.name ? d.name.getText(s.sf) : '');
    if (ts.isVariableDeclaration(owner) && ts.isCatchClause(owner.parent))
      return f.severity === 'error'
        ? { category: 'as-any:catch-variable-leaves', evidence: `catch (${name(owner)}: any), its value used outside a condition, string, log or throw` }
        : { evidence: 'a contained catch variable (a note)' };
    // An annotation counts as a cast only where it hides what Verify must see. Read again here by names
    // and text, apart from the rule's symbol flow: exec's parameters, the functions exec's SDK name is
    // handed to, SDK calls in an initialiser, a name handed to an SDK call.
    const roles = sdkRoles(ts, s.sf);
    const sdkCall = (n: ts.Node): string | undefined => {
      let hit: string | undefined;
      const visit = (x: ts.Node): void => {
        if (hit) return;
        if (ts.isCallExpression(x)) {
          const callee = x.expression;
          if (ts.isPropertyAccessExpression(callee) && ts.isIdentifier(callee.expression) && roles.sdkNames.has(callee.expression.text)) hit = x.getText(s.sf);
          else if (x.arguments.some((a) => ts.isIdentifier(a) && roles.sdkNames.has(a.text))) hit = x.getText(s.sf);
        }
        ts.forEachChild(x, visit);
      };
      visit(n);
      return hit;
    };
    if (ts.isParameter(owner)) {
      if (roles.sdkParams.has(owner)) return { category: 'as-any:sdk-object', evidence: `\`${name(owner)}: any\`: ${roles.sdkParams.get(owner)}` };
      if (owner === roles.input) return { category: 'as-any:input', evidence: `\`${name(owner)}: any\`: exec's second parameter (its input)` };
      return { evidence: `\`${name(owner)}: any\` is a parameter that gets neither the SDK object nor exec's input` };
    }
    if (ts.isVariableDeclaration(owner) || ts.isPropertyDeclaration(owner)) {
      // the initialiser, or the initialiser of a name it reads (`const rows: any[] = res.data`), calls the SDK
      const inits: ts.Node[] = owner.initializer ? [owner.initializer] : [];
      for (let i = 0; i < inits.length && i < 20; i++) {
        const visit = (x: ts.Node): void => {
          if (ts.isIdentifier(x))
            for (const d of roles.declarations.get(x.text) ?? []) if (d.initializer && !inits.includes(d.initializer)) inits.push(d.initializer);
          ts.forEachChild(x, visit);
        };
        visit(inits[i] as ts.Node);
      }
      const call = inits.map(sdkCall).find(Boolean);
      if (call) return { category: 'as-any:api-response', evidence: `\`${name(owner)}\` holds what \`${quoteText(call, 60)}\` answers` };
      const sent = roles.handedToSdk(name(owner));
      if (sent) return { category: 'as-any:request', evidence: `\`${name(owner)}\` is handed to \`${quoteText(sent, 60)}\`` };
      return { evidence: `\`${name(owner)}: ${owner.type?.getText(s.sf)}\` holds neither an API response nor a request` };
    }
    if (ts.isFunctionLike(owner)) {
      const body = 'body' in owner ? (owner.body as ts.Node | undefined) : undefined;
      const call = body && sdkCall(body);
      return call
        ? { category: 'as-any:api-response', evidence: `a function declared to return \`any\` that calls \`${quoteText(call, 60)}\`` }
        : { evidence: 'a function declared to return `any` that calls no SDK' };
    }
    return { evidence: `an \`any\` at the line, in a ${ts.SyntaxKind[owner.kind]}` };
  }
  if (f.rule === TRY_CATCH && line) {
    // Read again apart from the lint judge: the `try` at the line, what its finally and catch hold.
    const stmt = find((n): n is ts.TryStatement => ts.isTryStatement(n) && at(n));
    if (!stmt) return { evidence: 'no try statement at the line' };
    const calls = (n: ts.Node | undefined, method: RegExp): boolean => {
      let hit = false;
      const visit = (x: ts.Node): void => {
        if (hit) return;
        if (ts.isCallExpression(x) && ts.isPropertyAccessExpression(x.expression) && method.test(x.expression.name.text)) hit = true;
        else ts.forEachChild(x, visit);
      };
      if (n) visit(n);
      return hit;
    };
    if (stmt.finallyBlock && calls(stmt.finallyBlock, /^(trackDeletesEnd|deleteRecordsFromPreviousExecutions)$/))
      return {
        category: 'try:finally-ends-deletes',
        evidence: `the \`finally\` at line ${s.lineOf(stmt.finallyBlock)} calls \`trackDeletesEnd\` after a \`try\` that fetches: it runs when the fetch failed too`,
      };
    const j = judgeStatement(s, f.rule, line);
    if (j?.kind === 'swallows' && stmt.catchClause) {
      let rethrows = false;
      const visit = (x: ts.Node): void => {
        if (rethrows || ts.isFunctionLike(x)) return;
        if (ts.isThrowStatement(x)) rethrows = true;
        else ts.forEachChild(x, visit);
      };
      visit(stmt.catchClause.block);
      if (!rethrows) return { category: 'try:swallows', evidence: `the catch at line ${s.lineOf(stmt.catchClause)} has no \`throw\`: ${j.why}` };
    }
    return { evidence: j ? `${j.accepted ? 'accepted ' : ''}(${j.kind}): ${j.why}` : 'the lint judge reads nothing at the line' };
  }
  if (f.rule === WHILE_TRUE && line) {
    const j = judgeStatement(s, f.rule, line);
    if (!j) return { evidence: 'no such statement at the line' };
    if (j.accepted) return { evidence: `accepted (${j.kind}): ${j.why}` };
    // Read again apart from the hand-loop rule: the loop must really advance a position its requests read.
    const loop = find((n): n is ts.WhileStatement => ts.isWhileStatement(n) && at(n));
    const advance = loop && loopAdvance(ts, s.sf, loop);
    return advance
      ? {
          category: 'while:paginate-would-do',
          evidence: `${j.why}; it advances \`${advance.name}\` (\`${quoteText(advance.how, 60)}\`), which its request reads`,
        }
      : { evidence: `(${j.kind}) but no position the loop's requests read advances from one turn to the next` };
  }
  if (f.rule === 'sdk.pagination-skipped') {
    const recorded = recordedPaging(readFile, file);
    if (recorded.kind === 'pages')
      return { category: 'paging:recorded-pages', evidence: `the recorded answer of ${recorded.endpoint} carries \`${recorded.signal}\`` };
    if (recorded.kind === 'unknown') return { category: 'paging:no-recording', evidence: `no recording of the API's answers (${fixtureOf(file)})` };
    return { evidence: 'the recording shows the whole list in one answer, yet it was flagged' };
  }
  if (f.rule === 'sdk.untyped-models') {
    const loose = find(
      (n): n is ts.CallExpression =>
        ts.isCallExpression(n) && ts.isPropertyAccessExpression(n.expression) && /^(any|unknown)$/.test(n.expression.name.text) && n.arguments.length === 0,
    );
    return loose
      ? { category: 'models:untyped', evidence: `\`${quoteText(loose.getText(s.sf), 40)}\` in a model at line ${s.lineOf(loose)}` }
      : { evidence: 'no `z.any()`/`z.unknown()` in the script' };
  }
  return { evidence: `no judgement for ${f.rule}` };
}

/**
 * By names and text (for the judge, apart from the rules' symbol flow): exec's SDK parameter and every
 * parameter of a function of the file that a known SDK name is handed to, exec's input parameter, the
 * file's variable declarations by name, and which SDK call a name is handed to.
 */
function sdkRoles(ts: TS, sf: ts.SourceFile) {
  const sdkParams = new Map<ts.ParameterDeclaration, string>();
  const sdkNames = new Set<string>();
  const declarations = new Map<string, ts.VariableDeclaration[]>();
  const functions = new Map<string, ts.SignatureDeclaration>();
  let input: ts.ParameterDeclaration | undefined;
  const visit = (n: ts.Node): void => {
    if ((ts.isPropertyAssignment(n) || ts.isMethodDeclaration(n)) && /^(exec|onWebhook)$/.test(n.name.getText(sf))) {
      const fn = ts.isMethodDeclaration(n) ? n : n.initializer;
      if (ts.isArrowFunction(fn) || ts.isFunctionExpression(fn) || ts.isMethodDeclaration(fn)) {
        const [first, second] = fn.parameters;
        if (first) sdkParams.set(first, `the first parameter of ${n.name.getText(sf)} (the SDK object, by its role)`);
        if (second && n.name.getText(sf) === 'exec') input = second;
      }
    }
    if (ts.isVariableDeclaration(n) && ts.isIdentifier(n.name)) {
      declarations.set(n.name.text, [...(declarations.get(n.name.text) ?? []), n]);
      if (n.initializer && (ts.isArrowFunction(n.initializer) || ts.isFunctionExpression(n.initializer))) functions.set(n.name.text, n.initializer);
    }
    if (ts.isFunctionDeclaration(n) && n.name) functions.set(n.name.text, n);
    ts.forEachChild(n, visit);
  };
  visit(sf);
  // the SDK's names, and the functions it is handed to, until nothing new is found
  for (let round = 0; round < 5; round++) {
    for (const p of sdkParams.keys()) if (ts.isIdentifier(p.name)) sdkNames.add(p.name.text);
    const before = sdkParams.size;
    const calls = (n: ts.Node): void => {
      if (ts.isCallExpression(n) && ts.isIdentifier(n.expression)) {
        const fn = functions.get(n.expression.text);
        n.arguments.forEach((a, i) => {
          const p = fn?.parameters[i];
          if (p && ts.isIdentifier(a) && sdkNames.has(a.text) && !sdkParams.has(p))
            sdkParams.set(p, `a parameter of \`${n.expression.getText(sf)}\`, which is handed the SDK object \`${a.text}\``);
        });
      }
      ts.forEachChild(n, calls);
    };
    calls(sf);
    if (sdkParams.size === before) break;
  }
  const handedToSdk = (name: string): string | undefined => {
    let hit: string | undefined;
    const visit = (x: ts.Node): void => {
      if (hit) return;
      if (
        ts.isCallExpression(x) &&
        ts.isPropertyAccessExpression(x.expression) &&
        ts.isIdentifier(x.expression.expression) &&
        sdkNames.has(x.expression.expression.text)
      ) {
        const inArgs = (y: ts.Node): boolean =>
          (ts.isIdentifier(y) &&
            y.text === name &&
            (x.arguments.includes(y) || ts.isPropertyAssignment(y.parent) || ts.isShorthandPropertyAssignment(y.parent) || ts.isSpreadAssignment(y.parent))) ||
          (!ts.isFunctionLike(y) && !!ts.forEachChild(y, (c) => (inArgs(c) ? true : undefined)));
        if (x.arguments.some(inArgs)) hit = x.getText(sf);
      }
      ts.forEachChild(x, visit);
    };
    visit(sf);
    return hit;
  };
  return { sdkParams, sdkNames, input, declarations, handedToSdk };
}

/**
 * What a `while` loop advances from one turn to the next that its requests read (for the judge, apart
 * from the hand-loop rule): a name declared before the loop, read in the arguments of a request in the
 * loop (or in what a name there was made of), that the loop assigns (`=`, `+=`, `++`) or mutates
 * (`x.y = …`, `x.set(…)`, `Object.assign(x, …)`) or hands to a function of the file that assigns a field
 * of its parameter. Undefined when there is none: the loop does not page.
 */
function loopAdvance(ts: TS, sf: ts.SourceFile, loop: ts.WhileStatement): { name: string; how: string } | undefined {
  const declaredBefore = new Map<string, ts.VariableDeclaration | ts.ParameterDeclaration>();
  const functions = new Map<string, ts.SignatureDeclaration>();
  const all = (n: ts.Node): void => {
    if ((ts.isVariableDeclaration(n) || ts.isParameter(n)) && ts.isIdentifier(n.name) && !contains(loop, n)) declaredBefore.set(n.name.text, n);
    if (ts.isFunctionDeclaration(n) && n.name) functions.set(n.name.text, n);
    if (
      ts.isVariableDeclaration(n) &&
      ts.isIdentifier(n.name) &&
      n.initializer &&
      (ts.isArrowFunction(n.initializer) || ts.isFunctionExpression(n.initializer))
    )
      functions.set(n.name.text, n.initializer);
    ts.forEachChild(n, all);
  };
  all(sf);
  const inLoop = new Map<string, ts.VariableDeclaration>();
  const locals = (n: ts.Node): void => {
    if (ts.isVariableDeclaration(n) && ts.isIdentifier(n.name)) inLoop.set(n.name.text, n);
    ts.forEachChild(n, locals);
  };
  locals(loop.statement);
  // what the loop assigns to a name or a field of it (`variables.after = cursor`)
  const assignedIn = new Map<string, ts.Expression[]>();
  const assignments = (n: ts.Node): void => {
    if (ts.isBinaryExpression(n) && n.operatorToken.kind >= ts.SyntaxKind.FirstAssignment && n.operatorToken.kind <= ts.SyntaxKind.LastAssignment) {
      let x: ts.Expression = n.left;
      while (ts.isPropertyAccessExpression(x) || ts.isElementAccessExpression(x)) x = x.expression;
      if (ts.isIdentifier(x)) assignedIn.set(x.text, [...(assignedIn.get(x.text) ?? []), n.right]);
    }
    ts.forEachChild(n, assignments);
  };
  assignments(loop.statement);
  // names the requests read, through what the loop's own variables and the objects made before it hold
  const read = new Set<string>();
  const readIn = (n: ts.Node): void => {
    if (
      ts.isIdentifier(n) &&
      !(ts.isPropertyAccessExpression(n.parent) && n.parent.name === n) &&
      !(ts.isPropertyAssignment(n.parent) && n.parent.name === n)
    ) {
      if (read.has(n.text)) return;
      read.add(n.text);
      const d = inLoop.get(n.text) ?? declaredBefore.get(n.text);
      if (d?.initializer) readIn(d.initializer);
      for (const v of assignedIn.get(n.text) ?? []) readIn(v);
      return;
    }
    ts.forEachChild(n, readIn);
  };
  const requests: ts.CallExpression[] = [];
  const findRequests = (n: ts.Node): void => {
    if (ts.isCallExpression(n) && ts.isPropertyAccessExpression(n.expression) && /^(get|post|put|patch|delete|proxy)$/.test(n.expression.name.text))
      requests.push(n);
    ts.forEachChild(n, findRequests);
  };
  findRequests(loop.statement);
  for (const r of requests) r.arguments.forEach(readIn);
  const rootName = (e: ts.Expression): string | undefined => {
    let x = e;
    while (ts.isPropertyAccessExpression(x) || ts.isElementAccessExpression(x) || ts.isParenthesizedExpression(x) || ts.isNonNullExpression(x))
      x = x.expression;
    return ts.isIdentifier(x) ? x.text : undefined;
  };
  const carried = (name: string | undefined) => !!name && read.has(name) && declaredBefore.has(name) && !inLoop.has(name);
  let hit: { name: string; how: string } | undefined;
  const assignsParamField = (fn: ts.SignatureDeclaration, i: number): boolean => {
    const p = fn.parameters[i];
    if (!p || !ts.isIdentifier(p.name)) return false;
    const pname = p.name.text;
    let found = false;
    const visit = (x: ts.Node): void => {
      if (found) return;
      if (
        ts.isBinaryExpression(x) &&
        x.operatorToken.kind >= ts.SyntaxKind.FirstAssignment &&
        x.operatorToken.kind <= ts.SyntaxKind.LastAssignment &&
        x.left !== undefined &&
        (ts.isPropertyAccessExpression(x.left) || ts.isElementAccessExpression(x.left)) &&
        rootName(x.left) === pname
      )
        found = true;
      else ts.forEachChild(x, visit);
    };
    visit(fn);
    return found;
  };
  const visit = (x: ts.Node): void => {
    if (hit) return;
    if (ts.isBinaryExpression(x) && x.operatorToken.kind >= ts.SyntaxKind.FirstAssignment && x.operatorToken.kind <= ts.SyntaxKind.LastAssignment) {
      const n = rootName(x.left);
      if (carried(n)) hit = { name: n as string, how: x.getText(sf) };
    } else if (
      (ts.isPrefixUnaryExpression(x) || ts.isPostfixUnaryExpression(x)) &&
      (x.operator === ts.SyntaxKind.PlusPlusToken || x.operator === ts.SyntaxKind.MinusMinusToken)
    ) {
      const n = rootName(x.operand);
      if (carried(n)) hit = { name: n as string, how: x.getText(sf) };
    } else if (ts.isCallExpression(x)) {
      const callee = x.expression;
      if (ts.isPropertyAccessExpression(callee) && /^(set|append)$/.test(callee.name.text) && carried(rootName(callee.expression)))
        hit = { name: rootName(callee.expression) as string, how: x.getText(sf) };
      else if (callee.getText(sf) === 'Object.assign' && x.arguments[0] && carried(rootName(x.arguments[0])))
        hit = { name: rootName(x.arguments[0]) as string, how: x.getText(sf) };
      else if (ts.isIdentifier(callee) && functions.has(callee.text)) {
        const fn = functions.get(callee.text) as ts.SignatureDeclaration;
        x.arguments.forEach((a, i) => {
          if (!hit && ts.isIdentifier(a) && carried(a.text) && assignsParamField(fn, i)) hit = { name: a.text, how: x.getText(sf) };
        });
      }
    }
    if (!hit) ts.forEachChild(x, visit);
  };
  visit(loop.statement);
  return hit;
}

/** Every flag of a corpus report (a finding that is not a note, a check that errored), judged from the folder's code. */
export function judgeReport(r: VerifyReport, folder: string): { flags: { finding: Finding; judgement: FlagJudgement }[]; explained: boolean } {
  const ts = loadTypeScript(folder);
  const reader = folderReader(folder);
  const flags = r.checks.flatMap((c) =>
    c.findings
      .filter((f) => f.severity !== 'info')
      .map((finding) => ({ finding, judgement: ts ? judgeFlag(ts, finding, reader) : { evidence: 'typescript cannot be loaded' } })),
  );
  // a check that failed, errored or warned with no flag to judge explains nothing
  const bare = r.checks.some((c) => ['error', 'failed', 'warning'].includes(c.outcome) && !c.findings.some((f) => f.severity !== 'info'));
  return { flags, explained: !bare && (r.verdict === 'verified' || flags.length > 0) && flags.every((x) => x.judgement.category !== undefined) };
}
