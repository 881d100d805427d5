// The Nango toolchain: recording is what `nango dryrun <script> <connection> --save` does — the CLI's
// compile and dry run, in one process of ours (recorder.ts), or the CLI itself after a build (prebuild.ts) —
// run by the harness (never by the agent) with the user's secret, our own timeout, the upgrade
// check and telemetry off and no stdin (the CLI can otherwise hang or exit 0 having done nothing:
// success is judged by the fixture it says it saved, not by the exit code). run_tests generates the
// tests (generate.ts, or `nango generate:tests`) and replays them as Verify does (replay/).
import { dieWithParent } from '../util/parentDeath';
import { spawn } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { InteractionModel } from '../spec/model';
import type { ProcessResult, RecordOutcome, RecordRequest, TestOutcome, Toolchain } from './types';
import { confine, type ConfineOptions } from '../sandbox/confine';
import type { SandboxScope } from '../sandbox/policy';
import { testsDirOf } from '../guard/protectedPaths';
import { configFindings } from './replay/config';
import { describeFindings, judgeReplay } from './replay/judge';
import { packageDirOf, runReplay, toolBinAbove } from './replay/run';
import { loadTypeScript } from './typescript';
import { binAbove } from './binAbove';
import { SETTINGS } from '../settings';
import { RECORDER_FORWARDER, startKeyProxy, type KeyProxy } from './keyProxy';
import { compileModuleOf, NANGO_COMPILE_ERROR, NANGO_PIECES_MISSING, NANGO_PREBUILD } from './prebuild';
import { compileInputsDigest, NANGO_GENERATE, nangoDistOf } from './generate';
import { NANGO_RECORD, recorderDistOf } from './recorder';

export interface NangoToolchainOptions {
  /** The Nango secret key of the interaction's environment (SecretStorage in VS Code, env in the CLI). */
  readonly secretKey?: string;
  /** Nango API host, e.g. https://api.nango.dev (or a self-hosted / stand-in URL). */
  readonly host?: string;
  /** `nango` binary; default: the first node_modules/.bin/nango above the folder. */
  readonly bin?: string;
  readonly timeoutMs?: number;
  /**
   * How to record: `one-process` (default) runs the CLI's own compile and dry run in one process of ours
   * (recorder.ts) where the installed CLI has its pieces, else `nango dryrun` itself; `cli` always runs
   * `nango dryrun` itself (the prebuild, then the CLI behind the forwarder), as on a CLI without them.
   */
  readonly recorder?: 'one-process' | 'cli';
}

export const NANGO_QUIET_ENV = {
  NANGO_CLI_UPGRADE_MODE: 'ignore',
  NANGO_CLI_TELEMETRY: 'false',
  NANGO_CLI_DEPENDENCY_UPDATE: 'false',
} as const;

/** The `node_modules` a `node_modules/.bin/<tool>` belongs to, as a list: readable in the sandbox wherever it is installed. */
export function modulesOf(bin: string): string[] {
  const dir = path.dirname(path.resolve(bin));
  return path.basename(dir) === '.bin' ? [path.dirname(dir)] : [];
}

export interface RunProcessOptions {
  readonly cwd: string;
  readonly env: Record<string, string | undefined>;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
  /**
   * The process runs an agent's code (its script, through the generated tests): confine it to the
   * interaction folder in the agent sandbox, with no secret in its environment (src/core/sandbox/confine.ts).
   */
  readonly confine?: SandboxScope & ConfineOptions;
}

export async function runProcess(cmd: string, args: readonly string[], opts: RunProcessOptions): Promise<ProcessResult> {
  if (opts.confine) {
    const c = await confine(cmd, args, opts.cwd, opts.confine, { ...process.env, ...opts.env }, opts.confine);
    return spawnProcess(c.cmd, c.args, { ...opts, env: c.env }, false);
  }
  return spawnProcess(cmd, args, opts, true);
}

function spawnProcess(cmd: string, args: readonly string[], opts: RunProcessOptions, inheritEnv: boolean): Promise<ProcessResult> {
  return new Promise((resolve) => {
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(inheritEnv ? { ...process.env, ...opts.env } : opts.env)) if (v !== undefined) env[k] = v;
    // Dies with the harness, however the harness dies (a confined run also has bubblewrap's --die-with-parent).
    const launch = dieWithParent(cmd, args);
    const child = spawn(launch.cmd, launch.args, { cwd: opts.cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let output = '';
    let timedOut = false;
    const append = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.length > 200_000) output = output.slice(-100_000);
    };
    child.stdout.on('data', append);
    child.stderr.on('data', append);
    const kill = () => {
      try {
        process.kill(-(child.pid as number), 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      kill();
    }, opts.timeoutMs);
    opts.signal?.addEventListener('abort', kill, { once: true });
    child.on('error', (err) => {
      clearTimeout(timer);
      resolve({ code: null, output: `${output}\n${err.message}`, timedOut });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output, timedOut });
    });
  });
}

// Colour codes the CLI prints even without a TTY.
// eslint-disable-next-line no-control-regex
const STRIP_ANSI = /\u001b\[[0-9;]*[A-Za-z]/g;

/** Classifies a dryrun's output: an API that refuses or cannot be reached blocks the session. */
export function classifyDryrun(output: string, code: number | null, timedOut: boolean): RecordOutcome {
  const text = output.replace(STRIP_ANSI, '');
  const saved = [...text.matchAll(/Mocks saved to (\S+)/g)].map((m) => m[1] as string);
  if (saved.length) return { kind: 'recorded', output: text.trim(), files: saved };
  const auth =
    /\b(401|403)\b|unauthori[sz]ed|forbidden|insufficient[ _-]?(scope|permission)|missing (the )?scopes?|invalid[_ ]grant|invalid_token|access[_ ]denied/i.exec(
      text,
    );
  if (auth) return { kind: 'blocked', reason: `the API refused access (${auth[0]})`, output: text.trim() };
  const down = /ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|getaddrinfo|socket hang up|connect ECONN/i.exec(text);
  if (down) return { kind: 'blocked', reason: `the API or the Nango server cannot be reached (${down[0]})`, output: text.trim() };
  if (timedOut) return { kind: 'failed', output: `${text.trim()}\n(the recorder was stopped after the time limit)` };
  return { kind: 'failed', output: text.trim() || `nango dryrun exited with code ${code} and printed nothing` };
}

/** A recording that stopped at the compile: the script's errors, located as the CLI prints them. */
function notCompiled(output: string): RecordOutcome {
  return { kind: 'failed', output: `The script does not compile, so it cannot be recorded yet:\n${output.replace(STRIP_ANSI, '').trim()}` };
}

/** `nango generate:tests` prints its failures (a type error among them) and still exits 0. */
function generateFailed(gen: ProcessResult): boolean {
  return gen.code !== 0 || /Failed to generate tests|Failed to compile TypeScript/.test(gen.output.replace(STRIP_ANSI, ''));
}

export class NangoToolchain implements Toolchain {
  readonly name = 'nango';
  /**
   * Per folder, the digest of its files when the CLI last type-checked them clean (a recording's dry
   * run, `generate:tests`): run_tests need not type-check the same files again (generate.ts). Only the
   * harness writes it; the agent can only change the files, which changes the digest.
   */
  private readonly typeChecked = new Map<string, string>();

  constructor(private readonly options: NangoToolchainOptions = {}) {}

  /** The environment variable the CLI reads the interaction's environment key from. */
  private keyName(interaction: InteractionModel): string {
    return `NANGO_SECRET_KEY_${(interaction.environment || 'dev').toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
  }

  private bin(folder: string): string | undefined {
    // the project's CLI, above the folder: never one the agent could have put in its folder
    return this.options.bin ?? binAbove(path.dirname(path.resolve(folder)), 'nango');
  }

  async record(req: RecordRequest): Promise<RecordOutcome> {
    const bin = this.bin(req.folder);
    if (!bin) return { kind: 'failed', output: 'the Nango CLI was not found: add `nango` to the project’s devDependencies and install it' };
    if (!this.options.secretKey) return { kind: 'blocked', reason: 'no Nango secret key is set for recording', output: '' };
    const timeoutMs = this.options.timeoutMs ?? 180_000;
    const env = { ...NANGO_QUIET_ENV };
    const common = ['--no-interactive', '--auto-confirm'];
    const it = req.interaction;
    const before = await compileInputsDigest(req.folder, it.integrationId);
    const onWindows = process.platform === 'win32';
    // The recording runs the agent's script: confined to the folder, without the key and without the
    // network. Its one way out is the harness's key proxy, on a Unix socket bound into the sandbox (the
    // recorder forwards a loopback address inside to it), which holds the key and lets through only what a
    // recording of this interaction needs (keyProxy.ts).
    const socketDir = await fs.mkdtemp(path.join(os.tmpdir(), 'ib-recorder-'));
    const keyName = this.keyName(it);
    const confineRecorder = {
      folder: req.folder,
      integrationId: it.integrationId,
      writableTests: true,
      keepSecrets: onWindows ? [keyName, 'NANGO_HOSTPORT'] : [keyName],
      extraReadOnly: modulesOf(bin),
      socketDirs: [socketDir],
    };
    const withProxy = async (record: (proxy: KeyProxy) => Promise<ProcessResult>): Promise<{ result: ProcessResult; proxy: KeyProxy }> => {
      const proxy = await startKeyProxy({
        upstream: this.options.host ?? SETTINGS.nangoHost.default,
        secretKey: this.options.secretKey as string,
        connectionId: it.connectionId,
        integrationId: it.integrationId,
        ...(onWindows ? {} : { socketDir }),
      });
      try {
        return { result: await record(proxy), proxy };
      } finally {
        await proxy.close();
      }
    };
    let recorded: { result: ProcessResult; proxy: KeyProxy } | undefined;
    try {
      // One process: the CLI's own compile and dry run, forwarding to the proxy itself (recorder.ts).
      const dist = onWindows || this.options.recorder === 'cli' ? undefined : recorderDistOf(bin);
      if (dist) {
        const argv = (sock: string) => [
          dist,
          'dryrun',
          it.id,
          it.connectionId,
          it.environment || 'dev',
          it.integrationId,
          sock,
          ...(it.kind === 'action' ? [req.input ?? '{}'] : []),
        ];
        recorded = await withProxy((proxy) =>
          runProcess('node', ['--input-type=module', '-e', NANGO_RECORD, '--', ...argv(proxy.url)], {
            cwd: req.folder,
            env: { ...env, [keyName]: proxy.token },
            timeoutMs,
            signal: req.signal,
            confine: confineRecorder,
          }),
        );
        if (recorded.result.code === NANGO_PIECES_MISSING) recorded = undefined;
      }
      if (!recorded) {
        // The CLI's own dry run reads the script names from a previous build: the prebuild makes it
        // (prebuild.ts), or `nango compile` where this CLI has no module for that. Both read the agent's
        // code and `nango compile` runs it: confined, without the key or the network.
        const confineBuild = { folder: req.folder, integrationId: it.integrationId, extraReadOnly: modulesOf(bin) };
        const compileModule = compileModuleOf(bin);
        let build = compileModule
          ? await runProcess('node', ['--input-type=module', '-e', NANGO_PREBUILD, '--', compileModule], {
              cwd: req.folder,
              env,
              timeoutMs,
              signal: req.signal,
              confine: confineBuild,
            })
          : undefined;
        // A build that fails is told as `nango compile` tells it (the type check first, then every error).
        if (!build || build.code !== 0) {
          build = await runProcess(bin, ['compile', ...common], { cwd: req.folder, env, timeoutMs, signal: req.signal, confine: confineBuild });
        }
        if (build.code !== 0 || /✗|Found \d+ errors?/.test(build.output)) return notCompiled(build.output);
        const args = ['dryrun', it.id, it.connectionId, '--save', '-e', it.environment || 'dev', '--integration-id', it.integrationId, ...common];
        if (it.kind === 'action') args.push('--input', req.input ?? '{}');
        // (Windows has no sandbox and no Unix socket here: the CLI is given the proxy's loopback address itself.)
        recorded = await withProxy((proxy) => {
          const [cmd, cmdArgs] = onWindows ? [bin, args] : ['node', ['-e', RECORDER_FORWARDER, '--', proxy.url, bin, ...args]];
          return runProcess(cmd, cmdArgs, {
            cwd: req.folder,
            env: { ...env, [keyName]: proxy.token, ...(onWindows ? { NANGO_HOSTPORT: proxy.url } : {}) },
            timeoutMs,
            signal: req.signal,
            confine: confineRecorder,
          });
        });
      }
    } finally {
      await fs.rm(socketDir, { recursive: true, force: true });
    }
    const { result, proxy } = recorded;
    if (result.code === NANGO_COMPILE_ERROR && !/Mocks saved to/.test(result.output)) return notCompiled(result.output);
    if (proxy.refused.length) {
      return {
        kind: 'failed',
        output: `The script asked Nango for what a recording of ${it.integrationId}/${it.id} does not need, and the harness refused:\n${proxy.refused.map((r) => `- ${r}`).join('\n')}\n\n${result.output.replace(STRIP_ANSI, '').trim()}`,
      };
    }
    if (proxy.unreachable.length && !/Mocks saved to/.test(result.output)) {
      return {
        kind: 'blocked',
        reason: `the API or the Nango server cannot be reached (${proxy.unreachable[0]})`,
        output: result.output.replace(STRIP_ANSI, '').trim(),
      };
    }
    const outcome = classifyDryrun(result.output, result.code, result.timedOut);
    if (outcome.kind === 'blocked' && !proxy.unreachable.length && /cannot be reached/.test(outcome.reason)) {
      // Nango was reached (through the proxy): what could not be is a host the script called directly.
      return {
        kind: 'failed',
        output: `The script reached for the network directly (${outcome.reason.replace(/^the API or the Nango server cannot be reached /, '')}): a recording reaches the API only through Nango — nango.get/post/proxy, with baseUrlOverride for another host of the provider.\n\n${outcome.output}`,
      };
    }
    if (outcome.kind === 'recorded') {
      // the dry run type-checked the files before it ran the script: vouched for when none changed meanwhile
      if (before !== undefined && before === (await compileInputsDigest(req.folder, it.integrationId))) this.typeChecked.set(path.resolve(req.folder), before);
      return { ...outcome, files: outcome.files.map((f) => path.relative(req.folder, f).split(path.sep).join('/')) };
    }
    return outcome;
  }

  async runTests(req: { folder: string; interaction: InteractionModel; signal?: AbortSignal }): Promise<TestOutcome> {
    const bin = this.bin(req.folder);
    if (!bin) return { ok: false, output: 'the Nango CLI was not found: add `nango` to the project’s devDependencies and install it' };
    const timeoutMs = this.options.timeoutMs ?? 180_000;
    const env = { ...NANGO_QUIET_ENV };
    // The generator compiles and imports the script: confined, without the key, the recorder's fixtures read-only.
    const integrationId = req.interaction.integrationId;
    const key = path.resolve(req.folder);
    const opts = {
      cwd: req.folder,
      env,
      timeoutMs,
      signal: req.signal,
      confine: { folder: req.folder, integrationId, writableGeneratedTests: true, extraReadOnly: modulesOf(bin) },
    };
    const digest = await compileInputsDigest(req.folder, integrationId);
    const dist = digest !== undefined && this.typeChecked.get(key) === digest ? nangoDistOf(bin) : undefined;
    // The files the CLI last type-checked clean: generated without that type check (generate.ts). Any
    // failure there, or a CLI without the pieces, and `nango generate:tests` gives its own report.
    let gen = dist ? await runProcess('node', ['--input-type=module', '-e', NANGO_GENERATE, '--', dist], opts) : undefined;
    if (gen && gen.code === NANGO_PIECES_MISSING) gen = undefined;
    if (!gen || gen.code !== 0) {
      gen = await runProcess(bin, ['generate:tests', '--no-interactive', '--auto-confirm'], opts);
      if (!generateFailed(gen) && digest !== undefined && digest === (await compileInputsDigest(req.folder, integrationId))) this.typeChecked.set(key, digest);
    }
    if (generateFailed(gen)) return { ok: false, output: `nango generate:tests failed:\n${gen.output.replace(STRIP_ANSI, '').trim()}` };
    const sibling = path.join(path.dirname(bin), 'vitest');
    const vitest = existsSync(sibling) ? sibling : toolBinAbove(req.folder, 'vitest');
    if (!vitest) return { ok: false, output: 'vitest was not found: add it to the project’s devDependencies and install it' };
    // The tests run as Verify runs them (src/core/toolchain/replay): the harness's own vitest configuration
    // and instrumented mocks, whatever config the folder holds, so the agent sees the result it will be
    // judged by. They import the agent's script: they run confined like the agent's own commands.
    const replay = await runReplay(
      req.folder,
      integrationId,
      { vitest, nango: bin },
      (cmd, args, cwd) =>
        runProcess(cmd, args, {
          cwd,
          env: { ...env, CI: '1', FORCE_COLOR: '0', NO_COLOR: '1' },
          timeoutMs,
          signal: req.signal,
          confine: { folder: req.folder, integrationId, extraReadOnly: modulesOf(cmd) },
        }),
      'dot',
    );
    const nangoDir = packageDirOf(bin, 'nango');
    const testsRel = testsDirOf(integrationId);
    const judged = await judgeReplay(req.folder, testsRel, replay);
    const config = await configFindings(req.folder, nangoDir ? path.join(nangoDir, 'dist', 'templates') : undefined, loadTypeScript(req.folder));
    // vitest's own failures are in its output already; the rest is what only the harness sees.
    const extra = [...config, ...judged.findings.filter((f) => !(f.rule === 'tests.failed' || f.rule === 'tests.skipped-or-focused') || !judged.reported)];
    const output = replay.output.replace(STRIP_ANSI, '').trim();
    const ok = replay.run.code === 0 && judged.reported && !judged.findings.some((f) => f.severity === 'error') && !config.some((f) => f.severity === 'error');
    return { ok, output: extra.length ? `${output}\n\nThe harness's checks of the replay (Verify judges the same):\n${describeFindings(extra)}` : output };
  }
}
