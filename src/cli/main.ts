// integration-builder: the same pipeline as the editor, headless, for CI and background runs.
//
//   integration-builder generate [ids…|--all]   run agents, then verify what they built
//   integration-builder verify [ids…|--all]      verify finished runs
//   integration-builder assemble <integration>   write verified interactions into the Nango project
//   integration-builder status                   every interaction's latest run
//   integration-builder merge <dir>…             gather shards' work roots (generate --shard K/N) into one
//   integration-builder accept <key>             accept an interaction's current attempt (who, when, its folder's hash)
//   integration-builder reject <key> [--reason]  reject it: Assemble leaves it out
//
// Options: --spec <file> (default: ./interactions.json, else the first *.interactions.json here),
//   --work-root <dir> (default .integration-builder/work next to the spec), --concurrency <n>,
//   --model <provider/model> | --demo, --json, --junit <file>, --no-verify, --force,
//   --include-unverified, --include-unaccepted, --reason <text>, --project <dir> (default nango-integrations next to the spec),
//   --opencode <path>. Env: NANGO_SECRET_KEY, NANGO_HOST.
// Exit codes: 0 every interaction asked about is verified; 1 some failed, need review or could not
// run; 2 bad input (unknown option, spec errors, missing tools, an assembly refused before writing).
import { constants as fsConstants, existsSync, promises as fs, readdirSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { findOpencode, findRipgrep } from '../core/agent/binaries';
import {
  AssemblyCancelled,
  AssemblyRefused,
  locateRefusal,
  renderAssemblyReport,
  renderRefusalText,
  type AssemblyPlan,
  type AssemblyReport,
} from '../core/assemble';
import { DEMO_MODEL_ID } from '../core/model/demo';
import type { RunTarget } from '../core/orchestrator';
import { describeRun, type RunRecord } from '../core/runs/record';
import { IntegrationBuilder } from '../core/app/integrationBuilder';
import { describeReviewState, ReviewRefused } from '../core/app/review';
import { specErrorLines } from '../core/app/specErrors';
import { checkNumberSetting, SETTINGS } from '../core/app/settings';
import type { RunStore } from '../core/runs/store';
import { STATUS_LABEL } from '../core/runs/status';
import { renderVerifySummary } from '../core/runs/verifySummary';
import { loadSpecFile } from '../core/spec/loader';
import { isRunnable, type LoadedSpec } from '../core/spec/model';
import { isSpecFileName, withCrossFileClashes } from '../core/spec/store';
import { reportToJUnit, type VerifyListeners, type VerifyReport } from '../core/verify';
import { DEFAULT_WORK_ROOT, workRootProblem } from '../core/workspace/paths';
import { LiveLines } from './progress';
import { detectSandbox } from '../core/sandbox';
import { renderDoctor, sandboxDoctor } from '../core/sandbox/doctor';
import { parseShard, shardTargets, type Shard } from '../core/app/shards';
import { runMerge, startShard } from './merge';
import { runReport } from './report';

export class UsageError extends Error {}

export interface CliOptions {
  command: string;
  ids: string[];
  all: boolean;
  spec?: string;
  workRoot?: string;
  concurrency: number;
  model?: string;
  demo: boolean;
  json: boolean;
  junit?: string;
  verify: boolean;
  force: boolean;
  includeUnverified: boolean;
  /** assemble: take interactions nobody accepted (or whose acceptance no longer holds) too. */
  includeUnaccepted: boolean;
  /** reject: why. */
  reason?: string;
  project?: string;
  opencode?: string;
  /** Run agents without the OS sandbox where none can run (said on every run and verdict). */
  allowUnsandboxed: boolean;
  /** `--shard K/N`: this machine's share of the interactions asked about (src/core/shard/shard.ts). */
  shard?: Shard;
  /** `report --html <file>`: where the insights page is written. */
  html?: string;
  /** Stop starting runs once this much is spent (USD; 0 or absent: no budget). */
  budgetUsd?: number;
  maxProviderRetries: number;
  violationLimit: number;
  autoRestartAttempts: number;
  verifyConcurrency: number;
  /** `--nango-host` (default: NANGO_HOST, else the setting's default). */
  nangoHost?: string;
}

/** Signals that stop a run cleanly. */
const STOP_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

const COMMANDS = ['generate', 'verify', 'assemble', 'status', 'doctor', 'merge', 'report', 'accept', 'reject'];

export function parseArgs(argv: readonly string[]): CliOptions {
  // Defaults are the settings' (src/core/app/settings.ts), the same as the editor's.
  const o: CliOptions = {
    command: '',
    ids: [],
    all: false,
    concurrency: SETTINGS.concurrency.default,
    demo: false,
    json: false,
    verify: true,
    force: false,
    includeUnverified: false,
    includeUnaccepted: false,
    allowUnsandboxed: false,
    maxProviderRetries: SETTINGS.maxProviderRetries.default,
    violationLimit: SETTINGS.violationLimit.default,
    autoRestartAttempts: SETTINGS.autoRestartAttempts.default,
    verifyConcurrency: SETTINGS.verifyConcurrency.default,
  };
  const value = (i: number, flag: string) => {
    const v = argv[i + 1];
    if (v === undefined || v.startsWith('--')) throw new UsageError(`${flag} needs a value`);
    return v;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    const [flag, inline] = a.startsWith('--') && a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const take = () => {
      const v = inline ?? value(i++, flag);
      // `--spec=` or `--spec ""` is a mistake (an unset variable), never "use the default".
      if (!v.trim()) throw new UsageError(`${flag} needs a value, not an empty one`);
      return v;
    };
    /** A switch takes no value: `--json=` or `--force=no` is refused rather than read as the switch. */
    const on = () => {
      if (inline !== undefined) throw new UsageError(`${flag} takes no value`);
      return true;
    };
    switch (flag) {
      case '--all':
        o.all = on();
        break;
      case '--spec':
        o.spec = take();
        break;
      case '--work-root':
        o.workRoot = take();
        break;
      case '--concurrency':
        o.concurrency = numberFlag(flag, 'concurrency', take());
        break;
      case '--budget-usd':
        o.budgetUsd = numberFlag(flag, 'budgetUsd', take()) || undefined;
        break;
      case '--max-provider-retries':
        o.maxProviderRetries = numberFlag(flag, 'maxProviderRetries', take());
        break;
      case '--violation-limit':
        o.violationLimit = numberFlag(flag, 'violationLimit', take());
        break;
      case '--auto-restart-attempts':
        o.autoRestartAttempts = numberFlag(flag, 'autoRestartAttempts', take());
        break;
      case '--verify-concurrency':
        o.verifyConcurrency = numberFlag(flag, 'verifyConcurrency', take());
        break;
      case '--server-url':
        // Remote servers get none of the harness (agent, skills, tools, sandbox, guard): no run there could
        // record a fixture or pass Verify. Removed until they can; said plainly rather than "unknown option".
        throw new UsageError(
          '--server-url is not supported: a remote opencode server gets none of the harness (its agent, skills and tools, the sandbox, the fixture guard), so no run there could record a fixture or pass Verify; runs use a local opencode server',
        );
      case '--nango-host':
        o.nangoHost = take();
        break;
      case '--model':
        o.model = take();
        break;
      case '--demo':
        o.demo = on();
        break;
      case '--json':
        o.json = on();
        break;
      case '--junit':
        o.junit = take();
        break;
      case '--no-verify':
        o.verify = !on();
        break;
      case '--force':
        o.force = on();
        break;
      case '--include-unverified':
        o.includeUnverified = on();
        break;
      case '--include-unaccepted':
        o.includeUnaccepted = on();
        break;
      case '--reason':
        o.reason = take();
        break;
      case '--project':
        o.project = take();
        break;
      case '--opencode':
        o.opencode = take();
        break;
      case '--allow-unsandboxed':
        o.allowUnsandboxed = on();
        break;
      case '--html':
        o.html = take();
        break;
      case '--shard': {
        const v = take();
        try {
          o.shard = parseShard(v);
        } catch (err) {
          throw new UsageError((err as Error).message);
        }
        break;
      }
      case '-h':
      case '--help':
        o.command = 'help';
        break;
      default:
        if (a.startsWith('-')) throw new UsageError(`unknown option ${a}`);
        if (!o.command) o.command = a;
        else o.ids.push(a);
    }
  }
  if (o.command === 'help') return o;
  if (!COMMANDS.includes(o.command)) throw new UsageError(o.command ? `unknown command "${o.command}"` : 'no command given');
  if (o.model === 'demo') {
    o.demo = true;
    o.model = undefined;
  }
  if (o.command === 'assemble' && o.ids.length !== 1) throw new UsageError('assemble takes one integration id');
  if ((o.command === 'accept' || o.command === 'reject') && (o.ids.length !== 1 || o.all))
    throw new UsageError(`${o.command} takes one interaction: ${o.command} <integration>/<interaction>`);
  if (o.reason !== undefined && o.command !== 'reject') throw new UsageError(`--reason applies to reject, not ${o.command}`);
  if (o.includeUnaccepted && o.command !== 'assemble') throw new UsageError(`--include-unaccepted applies to assemble, not ${o.command}`);
  if (o.shard && !['generate', 'verify', 'status'].includes(o.command))
    throw new UsageError(`--shard applies to generate, verify and status, not ${o.command}`);
  if (o.html !== undefined && o.command !== 'report') throw new UsageError(`--html applies to report, not ${o.command}`);
  if (o.command === 'merge' && (!o.ids.length || o.all))
    throw new UsageError("merge takes the shards' work roots: merge <dir>… [--work-root <merged work root>]");
  return o;
}

/** A number flag, checked as the setting it stands for is (a whole number where one is needed, within its bound). */
function numberFlag(flag: string, name: Parameters<typeof checkNumberSetting>[0], raw: string): number {
  const n = Number(raw);
  const problem = checkNumberSetting(name, raw.trim() === '' ? Number.NaN : n)?.replace(/^\S+ /, '');
  if (problem) throw new UsageError(`${flag} ${problem} (got ${JSON.stringify(raw)})`);
  return n;
}

export const USAGE = `usage: integration-builder <generate|verify|accept|reject|assemble|status|merge> [ids…|--all] [options]
  generate [ids…|--all]   run one agent per interaction, then verify them (--no-verify to skip)
  verify [ids…|--all]     verify finished runs
  accept <key>            accept an interaction's current attempt: who, when and its folder's hash are recorded;
                          a change to the folder afterwards, or a new attempt, clears it
  reject <key>            reject it (--reason <text>): Assemble leaves it out
  assemble <integration>  write the verified and accepted interactions into the Nango project
                          (--force, --include-unverified, --include-unaccepted)
  status                  the latest run of every interaction, and whether it is accepted
  doctor                  check that the agent sandbox works on this machine
  merge <dir>…            gather the work roots of shards into one (--work-root) for status, verify, assemble
  report                  insights from the work root's records and transcripts: --json, --html <file> (exit 1: some unreadable)
options: --spec <file> --work-root <dir> --concurrency <n> --model <provider/model> | --demo
         --json --junit <file> --project <dir> --opencode <path> --allow-unsandboxed
         --budget-usd <usd> --max-provider-retries <n> --violation-limit <n> --auto-restart-attempts <n>
         --verify-concurrency <n> --nango-host <url>
         --shard K/N (generate, verify, status: shard K of N of the interactions asked about)
ids are interaction ids or <integration>/<interaction> keys. Exit: 0 all verified, 1 some not, 2 bad input.`;

interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
  /** stderr as is, for the live progress lines. */
  errRaw: (s: string) => void;
  isTTY: boolean;
  env: Record<string, string | undefined>;
  cwd: string;
  /** Where dist/ and skills/ are (the package root). */
  packageRoot: string;
}

function findSpec(cwd: string, given?: string): string {
  if (given) {
    const p = path.resolve(cwd, given);
    if (!existsSync(p)) throw new UsageError(`the spec ${given} does not exist`);
    return p;
  }
  const direct = path.join(cwd, 'interactions.json');
  if (existsSync(direct)) return direct;
  const other = readdirSync(cwd).find((f) => f.endsWith('.interactions.json'));
  if (other) return path.join(cwd, other);
  throw new UsageError(`no interactions.json in ${cwd}: pass --spec <file>`);
}

/**
 * The other spec files next to this one: they share its default work root, so an interaction they
 * define too would share its folder and run record.
 */
async function siblingSpecs(specFile: string): Promise<LoadedSpec[]> {
  const dir = path.dirname(specFile);
  const names = readdirSync(dir)
    .filter((f) => isSpecFileName(f) && path.join(dir, f) !== specFile)
    .sort();
  const files = names.map((f) => path.join(dir, f)).filter((f) => statSync(f, { throwIfNoEntry: false })?.isFile());
  return Promise.all(files.map((f) => loadSpecFile(f)));
}

/** Why the JUnit file cannot be written, checked before anything is verified; undefined when it can. */
async function junitProblem(file: string): Promise<string | undefined> {
  const what = `--junit ${file}`;
  let st;
  try {
    st = await fs.stat(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOTDIR') return `${what} cannot be written: a name on its path is a file, not a folder`;
    if (code !== 'ENOENT') return `${what} cannot be checked: ${(err as Error).message}`;
    const dir = path.dirname(file);
    const ds = await fs.stat(dir).catch(() => undefined);
    if (!ds) return `${what} cannot be written: its folder ${dir} does not exist`;
    if (!ds.isDirectory()) return `${what} cannot be written: ${dir} is not a folder`;
    try {
      await fs.access(dir, fsConstants.W_OK);
    } catch {
      return `${what} cannot be written: the folder ${dir} is not writable`;
    }
    return undefined;
  }
  if (!st.isFile()) return `${what} cannot be written: it is ${st.isDirectory() ? 'a folder' : 'not a regular file'}`;
  try {
    await fs.access(file, fsConstants.W_OK);
  } catch {
    return `${what} cannot be written: the file is not writable`;
  }
  return undefined;
}

/**
 * Makes the records on disk say how each run ended. The orchestrator saves without waiting, and a save
 * that failed (a full disk) would leave a record saying "running" for ever: each run whose record on
 * disk differs from the one in memory is saved again. Returns what still could not be saved, one line each.
 */
export async function saveUnsaved(runs: RunStore, live: readonly RunRecord[]): Promise<string[]> {
  await runs.flush();
  const { records } = await runs.loadAllChecked();
  const failed: string[] = [];
  for (const run of live) {
    const disk = records.find((r) => r.key === run.key);
    if (disk && JSON.stringify(disk) === JSON.stringify(run)) continue;
    try {
      await runs.save(run);
    } catch (err) {
      failed.push(
        `the run record of ${run.key} could not be saved (${(err as Error).message}): the run ended ${run.status}, but its record on disk says ${disk ? `${disk.status} (attempt ${disk.attempt})` : 'nothing'}`,
      );
    }
  }
  return failed;
}

/** The spec's errors, located and with the field's path (one formatter: src/core/app/specErrors.ts). */
const specErrors = specErrorLines;

function selectTargets(spec: LoadedSpec, o: CliOptions): RunTarget[] {
  const all = spec.integrations.flatMap((integration) => integration.interactions.map((interaction) => ({ integration, interaction })));
  if (o.all || (!o.ids.length && o.command !== 'generate')) return all;
  if (!o.ids.length) throw new UsageError('name the interactions to generate, or pass --all');
  const out: RunTarget[] = [];
  for (const id of o.ids) {
    const hits = all.filter((t) => t.interaction.key === id || t.interaction.id === id || t.integration.id === id);
    if (!hits.length) throw new UsageError(`no interaction or integration "${id}" in the spec`);
    for (const h of hits) if (!out.includes(h)) out.push(h);
  }
  return out;
}

/**
 * Verification progress as an agent's activity line: "verify: tests running", "verify: tests passed".
 */
function verifyActivity(lines: LiveLines): NonNullable<VerifyListeners['onProgress']> {
  return (key, check, outcome) => lines.activity(key, `verify: ${check} ${outcome}`);
}

export async function main(argv: readonly string[], io: Io): Promise<number> {
  let o: CliOptions;
  try {
    o = parseArgs(argv);
  } catch (err) {
    io.err(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (o.command === 'help') {
    io.out(USAGE);
    return 0;
  }
  if (o.command === 'report') return runReport(o, io);
  if (o.command === 'doctor') {
    const result = await sandboxDoctor();
    io.out(o.json ? JSON.stringify(result, null, 2) : renderDoctor(result));
    return result.ok ? 0 : 1;
  }
  try {
    return await run(o, io);
  } catch (err) {
    io.err(`integration-builder: ${(err as Error).message}`);
    if (!(err instanceof UsageError) && io.env.INTEGRATION_BUILDER_DEBUG) io.err(String((err as Error).stack));
    return err instanceof UsageError ? 2 : 1;
  }
}

async function run(o: CliOptions, io: Io): Promise<number> {
  const specFile = findSpec(io.cwd, o.spec);
  // Interactions defined in another spec file next to this one too are errors here, naming both files.
  const spec = withCrossFileClashes(await loadSpecFile(specFile), await siblingSpecs(specFile));
  const errors = specErrors(spec);
  const base = path.dirname(specFile);
  const workRoot = path.resolve(base, o.workRoot ?? DEFAULT_WORK_ROOT);
  for (const e of errors) io.err(e);
  // Bad places are refused before anything is read or written there: the project itself, a folder
  // inside another work root, /proc, a path through a file, a JUnit file that could not be written.
  const rootProblem = await workRootProblem(workRoot, { projectDir: base, write: o.command !== 'status' });
  if (rootProblem) throw new UsageError(`${rootProblem} (--work-root)`);
  if (o.junit && (o.command === 'generate' || o.command === 'verify')) {
    const junit = await junitProblem(path.resolve(io.cwd, o.junit));
    if (junit) throw new UsageError(`${junit}; nothing was ${o.command === 'generate' ? 'generated' : 'verified'}`);
  }
  // The one service over this work root (and its one store of records), as the editor's.
  const builder = new IntegrationBuilder(workRoot);
  const runs = builder.runs;
  if (o.command === 'merge')
    return runMerge({ shards: o.ids, json: o.json }, io, { specKeys: spec.integrations.flatMap((i) => i.interactions.map((x) => x.key)), workRoot });
  const asked = selectTargets(spec, o);
  const targets = shardTargets(asked, o.shard);
  if (errors.length) {
    // Errors elsewhere in the spec do not stop work on the entries asked about; errors in those do.
    const bad = targets.filter((t) => !isRunnable(t.integration, t.interaction));
    if (bad.length || !targets.length) {
      io.err(
        bad.length
          ? `${bad.length} interaction(s) have errors in the spec; fix them first.`
          : `the spec has errors and nothing can be ${o.command === 'status' ? 'listed' : o.command === 'generate' ? 'generated' : `${o.command}d`} from it; fix them first.`,
      );
      return 2;
    }
  }
  // A shard says what it holds (generate notes it for merge); an empty share has nothing to do.
  if (o.shard && !(await startShard(o.shard, targets, asked.length, { command: o.command, workRoot, err: io.err }))) return 0;

  const keys = targets.map((t) => t.interaction.key);
  if (o.command === 'status') {
    // A record that cannot be read is said so, never shown as "not started" (src/core/app/integrationBuilder.ts).
    const { rows, otherProblems } = await builder.status(keys);
    for (const p of otherProblems) io.err(`warning: ${p.file}: ${p.message}`);
    if (o.json) io.out(JSON.stringify(rows, null, 2));
    else
      for (const r of rows)
        io.out(
          `${r.key.padEnd(40)} ${(r.status === 'unreadable' ? 'UNREADABLE' : STATUS_LABEL[r.status]).padEnd(13)} ${r.attempt ? `#${r.attempt}` : '  '} $${r.costUsd.toFixed(4)}${r.sandbox === 'unsandboxed' ? '  UNSANDBOXED' : ''}${r.accepted ? '  ACCEPTED' : ''}  ${r.detail}${r.review && r.review !== 'not reviewed' ? `${r.detail ? ' · ' : ''}${r.review}` : ''}`,
        );
    const unreadable = rows.filter((r) => r.status === 'unreadable').length;
    if (unreadable) io.err(`${unreadable} run record(s) cannot be read; their runs are unknown, not "not started"`);
    return rows.every((r) => r.status === 'verified') ? 0 : 1;
  }

  if (o.command === 'accept' || o.command === 'reject') {
    const key = targets[0]?.interaction.key;
    if (targets.length !== 1 || !key) throw new UsageError(`${o.command} takes one interaction; "${o.ids[0]}" names ${targets.length}`);
    try {
      const { review, state } = o.command === 'accept' ? await builder.accept(key) : await builder.reject(key, { reason: o.reason });
      if (o.json) io.out(JSON.stringify({ key, review, state: state.state }, null, 2));
      else
        io.out(
          `${key}: ${describeReviewState(state)}${review.files !== undefined ? ` (${review.files} files, sha256 ${review.folderSha256?.slice(0, 12)}…)` : ''}`,
        );
      const row = (await builder.status([key])).rows[0];
      if (o.command === 'accept' && row && row.status !== 'verified')
        io.err(
          `warning: ${key} is ${row.status === 'unreadable' ? 'unreadable' : STATUS_LABEL[row.status]}, not verified: Assemble leaves it out unless --include-unverified`,
        );
      return 0;
    } catch (err) {
      if (err instanceof ReviewRefused) throw new UsageError(err.message);
      throw err;
    }
  }

  if (o.command === 'assemble') {
    const integrationId = o.ids[0] as string;
    const integration = spec.integrations.find((i) => i.id === integrationId);
    if (!integration) throw new UsageError(`no integration "${integrationId}" in the spec`);
    const projectDir = path.resolve(base, o.project ?? 'nango-integrations');
    // A refused assembly is bad input (a nango.yaml project, no toolchain, an import that leaves its
    // folder, two versions of one helper): each problem where it is, exit 2, and nothing was written.
    const refusedWith = (err: AssemblyRefused): number => {
      const refusal = locateRefusal(err, { projectDir, folderOf: (key) => builder.folderOf(key) });
      io.err(renderRefusalText(refusal));
      if (o.json) io.out(JSON.stringify(refusal, null, 2));
      return 2;
    };
    let plan: AssemblyPlan;
    try {
      // The candidates (verified and accepted by default) and their files: src/core/app/integrationBuilder.ts, as in the editor.
      const planned = await builder.planAssembly(integration, { projectDir, includeUnverified: o.includeUnverified, includeUnaccepted: o.includeUnaccepted });
      plan = planned.plan;
      for (const l of planned.leftOut) io.err(`left out: ${l.key}: ${l.message}`);
    } catch (err) {
      if (err instanceof AssemblyRefused) return refusedWith(err);
      throw err;
    }
    if (!plan.included.length) {
      io.err(`nothing to assemble for ${integrationId}: ${plan.refused.map((r) => `${r.key} (${r.reason})`).join(', ') || 'no finished runs'}`);
      return 1;
    }
    const conflicts = plan.files.filter((f) => f.status === 'conflict');
    if (conflicts.length && !o.force) {
      // Never overwritten silently: each conflict with its diff (project file -> what would be written).
      for (const f of conflicts) io.err(`conflict: ${path.join(projectDir, f.rel)} exists with other content (pass --force to overwrite)\n${f.diff ?? ''}`);
      if (o.json)
        io.out(
          JSON.stringify(
            { integrationId, projectDir, written: [], conflicts: conflicts.map((f) => ({ file: f.rel, from: f.from, diff: f.diff })), refused: plan.refused },
            null,
            2,
          ),
        );
      io.err(`${conflicts.length} file(s) in ${projectDir} differ from the assembled ones; nothing was written.`);
      return 1;
    }
    for (const r of plan.refused)
      io.err(
        `left out: ${r.key}: ${r.reason} (${r.reason.startsWith('it is not accepted') ? `accept it, or --include-unaccepted` : '--include-unverified'} to include it)`,
      );
    const ac = new AbortController();
    const interrupt = () => ac.abort();
    process.once('SIGINT', interrupt);
    let report: AssemblyReport;
    try {
      ({ report } = await builder.applyAssembly(plan, { force: o.force, signal: ac.signal, onStep: (step) => io.err(`assemble: ${step}…`) }));
    } catch (err) {
      if (err instanceof AssemblyCancelled) {
        io.err(err.message);
        return 1;
      }
      // The project changed since the plan (a nango.yaml added, the CLI removed): refused before staging.
      if (err instanceof AssemblyRefused) return refusedWith(err);
      throw err;
    } finally {
      process.removeListener('SIGINT', interrupt);
    }
    io.out(o.json ? JSON.stringify(report, null, 2) : renderAssemblyReport(report));
    // 0 only when every interaction of the API is in and verified, and the project compiles.
    return report.compile.ok && !report.refused.length && report.interactions.every((i) => i.verdict === 'verified') ? 0 : 1;
  }

  const lines = new LiveLines(io.isTTY, io.errRaw);
  let reports: VerifyReport[] = [];
  /** Interactions asked about that could not be verified at all (their record cannot be read). */
  const unverifiable: string[] = [];
  if (o.command === 'generate') {
    const runnable = targets.filter((t) => isRunnable(t.integration, t.interaction));
    // A record that cannot be read is evidence: moved aside (and said where) before a new run replaces it.
    for (const line of await builder.setAsideUnreadable(runnable.map((t) => t.interaction.key))) io.err(`warning: ${line}`);
    const opencodeBin = findOpencode({
      setting: o.opencode ?? io.env.OPENCODE_BIN,
      storageDir: path.join(io.env.HOME ?? '/tmp', '.cache', 'integration-builder'),
    });
    if (!opencodeBin) throw new UsageError('opencode was not found: install opencode-ai (npm i -g opencode-ai@1.18.33) or pass --opencode <path>');
    if (!o.demo && !o.model) throw new UsageError('choose a model with --model <provider/model>, or --demo for the scripted demo model');
    if (!o.demo && !io.env.NANGO_SECRET_KEY) io.err('warning: NANGO_SECRET_KEY is not set: recording fixtures will end each run as blocked');
    const support = await detectSandbox();
    if (!support.available) {
      if (!o.allowUnsandboxed)
        throw new UsageError(
          `agents' shell commands cannot be sandboxed on this machine: ${support.reason}. Pass --allow-unsandboxed to run them without the sandbox (every run and verdict then says unsandboxed).`,
        );
      io.err(`warning: running agents UNSANDBOXED (${support.reason}); every run and verdict says so`);
    }
    const stack = await builder.start({
      model: o.demo ? DEMO_MODEL_ID : o.model,
      demo: o.demo,
      opencodeBin,
      ripgrep: findRipgrep(),
      demoDataDir: path.join(workRoot, '.runs', '.demo-opencode'),
      skillPaths: existsSync(path.join(io.packageRoot, 'skills')) ? [path.join(io.packageRoot, 'skills')] : [],
      harnessPlugin: path.join(io.packageRoot, 'dist', 'harness-plugin.mjs'),
      nango: { secretKey: io.env.NANGO_SECRET_KEY, host: o.nangoHost ?? (io.env.NANGO_HOST || SETTINGS.nangoHost.default) },
      concurrency: o.concurrency,
      budgetUsd: o.budgetUsd,
      maxRetries: o.maxProviderRetries,
      violationLimit: o.violationLimit,
      // The CLI verifies once every run has ended (below), not each as it ends.
      verifyAfterRun: false,
      autoRestartAttempts: o.autoRestartAttempts,
      verifyConcurrency: o.verifyConcurrency,
      // A record that could not be saved is said at once (the rest of the orchestrator's log is for debugging).
      log: (line) => {
        if (line.startsWith('saving ')) lines.note(`warning: ${line}`);
      },
      onViolation: (v) => lines.note(`${v.key}: fixture guard: ${v.detail}`),
      sandbox: { mode: support.available ? 'bwrap' : 'unsandboxed', bwrap: support.bwrap, shellDir: path.join(workRoot, '.runs', '.sandbox') },
    });
    // Ctrl-C, a kill or a closed terminal stop the runs cleanly: records written, the server and every
    // process under it ended (without a handler SIGTERM and SIGHUP would exit at once, leaving opencode behind).
    let interrupted: string | undefined;
    const interrupt = (signal: NodeJS.Signals) => {
      interrupted = signal;
      void stack.orchestrator.stopAll(`stopped (${signal === 'SIGINT' ? 'Ctrl-C' : signal})`);
    };
    for (const s of STOP_SIGNALS) process.once(s, interrupt);
    try {
      const o2 = stack.orchestrator;
      o2.onRunChanged((r) =>
        lines.set(
          r.key,
          `${r.key.padEnd(40)} ${STATUS_LABEL[r.status].padEnd(13)} ${r.steps} steps  $${r.costUsd.toFixed(4)}${r.violations ? `  ⚠ ${r.violations} violation(s)` : ''}${r.sandbox === 'unsandboxed' ? '  UNSANDBOXED' : ''}${r.detail && r.status !== 'running' ? `  ${describeRun(r) ?? ''}` : ''}`,
        ),
      );
      o2.onAgentEvent(({ key, event }) => {
        if (event.type === 'tool.started') lines.activity(key, `${event.tool}`);
      });
      await o2.restore();
      builder.generate(runnable);
      await o2.whenIdle();
      if (o.verify && !interrupted) {
        const keys = runnable.map((t) => t.interaction.key);
        reports = await o2.verify(keys, { onProgress: verifyActivity(lines) });
        if (o.autoRestartAttempts > 0) {
          // Failed ones restart from scratch and are verified again: the verdicts are the last attempts'.
          await o2.whenIdle();
          reports = keys.map((k) => o2.report(k)).filter((r): r is VerifyReport => !!r);
        }
      }
    } finally {
      for (const s of STOP_SIGNALS) process.removeListener(s, interrupt);
      lines.done();
      await builder.close();
    }
    // No record is left saying "running" because its last save failed: saved again, or said, exit 1.
    const unsaved = await saveUnsaved(
      runs,
      runnable.map((t) => stack.orchestrator.get(t.interaction.key)).filter((r): r is RunRecord => !!r),
    );
    for (const u of unsaved) io.err(`integration-builder: ${u}`);
    if (unsaved.length) return 1;
    if (interrupted) {
      io.err(`integration-builder: stopped by ${interrupted}; the runs are recorded as stopped`);
      return 1;
    }
    if (!o.verify) {
      const records = await runs.loadAll();
      const mine = records.filter((r) => runnable.some((t) => t.interaction.key === r.key));
      if (o.json) io.out(JSON.stringify(mine, null, 2));
      return mine.every((r) => r.status === 'needs-review' || r.status === 'verified') ? 0 : 1;
    }
  } else {
    const { rows, otherProblems } = await builder.status(keys);
    for (const p of otherProblems) io.err(`warning: ${p.file}: ${p.message}`);
    const asked = o.ids.length ? keys : rows.filter((r) => r.status !== 'not-started').map((r) => r.key);
    if (!asked.length) throw new UsageError('nothing to verify: no interaction has run yet (generate first)');
    const spec = new Map(
      targets.map(
        (t) =>
          [t.interaction.key, { key: t.interaction.key, integrationId: t.integration.id, interactionId: t.interaction.id, kind: t.interaction.kind }] as const,
      ),
    );
    // The verdict becomes the run's status, as in the editor (one service: src/core/app/integrationBuilder.ts).
    const result = await builder.verify(asked, {
      spec,
      verifyConcurrency: o.verifyConcurrency,
      includeNotRun: o.ids.length > 0,
      onProgress: verifyActivity(lines),
    });
    for (const u of result.unverifiable) unverifiable.push(`${u.key}: not verified: ${u.message}`);
    for (const u of unverifiable) io.err(`integration-builder: ${u}`);
    reports = result.reports;
    for (const r of reports) lines.set(r.key, `${r.key.padEnd(40)} ${r.verdict}`);
    lines.done();
  }
  io.out(o.json ? JSON.stringify(reports, null, 2) : renderVerifySummary(reports));
  if (unverifiable.length && !o.json) io.out(`${unverifiable.length} interaction(s) not verified: their run records cannot be used (see above)`);
  if (o.junit) {
    // Checked before anything ran; should it fail anyway, the summary above is already out.
    try {
      await fs.writeFile(path.resolve(io.cwd, o.junit), reportToJUnit(reports));
    } catch (err) {
      io.err(`integration-builder: --junit ${path.resolve(io.cwd, o.junit)} could not be written: ${(err as Error).message}`);
      return 2;
    }
  }
  return reports.length && !unverifiable.length && reports.every((r) => r.verdict === 'verified') ? 0 : 1;
}
