// One `opencode serve` that we spawn and own: port 0 on 127.0.0.1, a random password, our config
// through OPENCODE_CONFIG_CONTENT and no project config from the folders it works in. Stopping is
// SIGTERM, then SIGKILL after a grace period (the SDK's close() sends one SIGTERM and walks away).
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { Emitter } from '../util/emitter';
import { dieWithParent } from '../util/parentDeath';

export interface ServerEndpoint {
  readonly url: string;
  /** Basic-auth password (user `opencode`), when the server has one. */
  readonly password?: string;
  /** Ours (spawned, owned PID) or a remote server the user listed. */
  readonly owned: boolean;
}

export interface OpencodeServerOptions {
  /** Path of the `opencode` binary. */
  readonly bin: string;
  /** The opencode config (agents, permissions, providers, skills), passed as OPENCODE_CONFIG_CONTENT. */
  readonly config: Record<string, unknown>;
  /** Extra environment (e.g. private XDG dirs and the offline switches in tests and the demo). */
  readonly env?: Record<string, string | undefined>;
  /** Working directory of the server process (sessions carry their own directory). */
  readonly cwd?: string;
  /**
   * How long the server may take to report its URL (default 120 s): its first start installs its own
   * packages, and on a machine the agents keep busy that took over 30 s.
   */
  readonly startTimeoutMs?: number;
  readonly stopGraceMs?: number;
  /** Lines the server prints, for the log. */
  readonly onOutput?: (line: string) => void;
  /** Basic-auth password (default: a fresh random one). */
  readonly password?: string;
}

export const DEFAULT_START_TIMEOUT_MS = 120_000;

export class ServerStartError extends Error {
  constructor(
    message: string,
    readonly output: string,
    /** False when trying again cannot help (the binary cannot be run at all): no retry, no wait. */
    readonly retryable = true,
  ) {
    super(message);
    this.name = 'ServerStartError';
  }
}

const LISTENING = /opencode server listening on (https?:\/\/\S+)/;

/** Environment that keeps opencode from phoning home and from reading project config. */
export const OPENCODE_QUIET_ENV = {
  OPENCODE_DISABLE_AUTOUPDATE: '1',
  OPENCODE_DISABLE_SHARE: '1',
  OPENCODE_DISABLE_PROJECT_CONFIG: '1',
} as const;

/** Plus: no models.dev fetch and no LSP downloads, for machines with no network (tests, the demo). */
export const OPENCODE_OFFLINE_ENV = {
  ...OPENCODE_QUIET_ENV,
  OPENCODE_DISABLE_MODELS_FETCH: '1',
  OPENCODE_DISABLE_LSP_DOWNLOAD: '1',
} as const;

/**
 * opencode starts `npm install @opencode-ai/plugin` into `$XDG_CONFIG_HOME/opencode` for every new
 * directory — a network call, and with a plugin configured a wait for it. In config dirs we own (tests,
 * the demo) an `.npmrc` with `offline=true` makes that install fail at once, quietly. Never used on
 * the user's own config dir.
 */
export function prepareOwnedConfigDir(xdgConfigHome: string): void {
  const dir = path.join(xdgConfigHome, 'opencode');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, '.npmrc'), 'offline=true\nfetch-retries=0\naudit=false\nfund=false\n');
  if (!existsSync(path.join(dir, 'package.json'))) writeFileSync(path.join(dir, 'package.json'), '{}\n');
}

/** Variables of the system and the user's session that opencode (and the programs it starts) need. */
const SYSTEM_VARS =
  /^(PATH|HOME|USER|LOGNAME|SHELL|LANG|LANGUAGE|LC_[A-Z]+|TZ|TMPDIR|TEMP|TMP|TERM|COLORTERM|XDG_[A-Z_]+|NODE_EXTRA_CA_CERTS|SSL_CERT_FILE|SSL_CERT_DIR|REQUESTS_CA_BUNDLE|(HTTPS?|NO|ALL)_PROXY|(https?|no|all)_proxy|SYSTEMROOT|COMSPEC|PATHEXT|APPDATA|LOCALAPPDATA|USERPROFILE|PROGRAMDATA|WINDIR)$/;
/** opencode's own switches (its server password is ours to set, never inherited). */
const OPENCODE_VARS = /^OPENCODE_(?!SERVER_PASSWORD$|CONFIG_CONTENT$)[A-Z_]+$/;
/** Model providers' credentials and endpoints, as opencode's providers read them. */
const PROVIDER_VARS =
  /^(ANTHROPIC|OPENAI|AZURE|AWS|GOOGLE|GEMINI|VERTEX|VERTEXAI|GROQ|MISTRAL|OPENROUTER|DEEPSEEK|XAI|TOGETHER|FIREWORKS|CEREBRAS|COHERE|PERPLEXITY|HF|HUGGINGFACE|HUGGING_FACE|GITHUB|COPILOT|OLLAMA|LMSTUDIO|BEDROCK|CLOUDFLARE|VERCEL|ZHIPU|MOONSHOT|DASHSCOPE|QWEN|SAMBANOVA|BASETEN|NEBIUS|INFERENCE|VENICE|ZAI|OPENCODE|LLAMA|NVIDIA|DEEPINFRA|CHUTES|SCALEWAY|FRIENDLI|UPSTAGE|MORPH|REQUESTY|HELICONE|PORTKEY|LITELLM)_[A-Z0-9_]+$|^[A-Z0-9_]*_API_KEY$/;
/** Never: the harness's own secrets and Nango's, whatever their names look like. */
const NEVER_VARS = /NANGO|^IB_|^INTEGRATION_BUILDER|^OPENCODE_SERVER_PASSWORD$/;

/** The provider credentials in an environment (kept for opencode; redacted from transcripts). */
export function providerCredentials(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env))
    if (v && v.length >= 8 && PROVIDER_VARS.test(k) && !NEVER_VARS.test(k) && /KEY|TOKEN|SECRET|PASSWORD|CREDENTIAL/.test(k)) out[k] = v;
  return out;
}

/**
 * The environment opencode is started with: the system's variables, opencode's switches and the model
 * providers' credentials — nothing else of the user's (no Nango key, no harness token; the harness adds
 * its own endpoint on top). The agents' commands get even less: the sandbox clears it all.
 */
export function serverEnvironment(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined || NEVER_VARS.test(k)) continue;
    if (SYSTEM_VARS.test(k) || OPENCODE_VARS.test(k) || PROVIDER_VARS.test(k)) out[k] = v;
  }
  return out;
}

export class OpencodeServer {
  private proc: ChildProcess | undefined;
  private exitPromise: Promise<void> | undefined;
  private endpointValue: ServerEndpoint | undefined;
  private stopping = false;
  private readonly exited = new Emitter<{ code: number | null; signal: NodeJS.Signals | null; expected: boolean }>();
  /** Fires when the process ends; `expected` is false for a crash. */
  readonly onDidExit = this.exited.event;
  readonly password: string;

  constructor(private readonly options: OpencodeServerOptions) {
    this.password = options.password ?? randomBytes(18).toString('base64url');
  }

  get endpoint(): ServerEndpoint | undefined {
    return this.endpointValue;
  }

  get pid(): number | undefined {
    return this.proc?.pid;
  }

  get running(): boolean {
    return !!this.proc && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  async start(): Promise<ServerEndpoint> {
    if (this.endpointValue && this.running) return this.endpointValue;
    this.stopping = false;
    const env: Record<string, string> = {};
    // Only what opencode needs of ours: never the user's Nango key or anything else that happens to be set.
    for (const [k, v] of Object.entries({ ...serverEnvironment(process.env), ...this.options.env })) if (v !== undefined) env[k] = v;
    env.OPENCODE_CONFIG_CONTENT = JSON.stringify(this.options.config);
    env.OPENCODE_SERVER_PASSWORD = this.password;
    env.OPENCODE_DISABLE_PROJECT_CONFIG = '1';

    // Killed by the kernel when this process dies, however it dies (SIGKILL included): no orphan server.
    const launch = dieWithParent(this.options.bin, ['serve', '--hostname=127.0.0.1', '--port=0']);
    const proc = spawn(launch.cmd, launch.args, {
      cwd: this.options.cwd,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.proc = proc;
    this.exitPromise = new Promise<void>((resolve) => proc.once('close', () => resolve()));
    let output = '';
    const onLine = (chunk: Buffer) => {
      const text = chunk.toString();
      output += text;
      if (output.length > 64_000) output = output.slice(-32_000);
      for (const line of text.split('\n')) if (line.trim()) this.options.onOutput?.(line);
    };
    proc.stdout?.on('data', onLine);
    proc.stderr?.on('data', onLine);

    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new ServerStartError(`opencode serve did not report a URL within ${this.options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS} ms`, output));
        void this.stop();
      }, this.options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS);
      const check = () => {
        const m = LISTENING.exec(output);
        if (m?.[1]) {
          clearTimeout(timer);
          proc.stdout?.off('data', check);
          resolve(m[1].replace(/\/$/, ''));
        }
      };
      proc.stdout?.on('data', check);
      proc.once('error', (err) => {
        clearTimeout(timer);
        reject(new ServerStartError(`cannot start ${this.options.bin}: ${err.message}`, output, false));
      });
      proc.once('exit', (code, signal) => {
        clearTimeout(timer);
        // 126/127: the launcher could not run the binary at all (not executable, not found): no retry helps.
        const cannotRun = code === 126 || code === 127;
        reject(
          new ServerStartError(
            `opencode serve exited before it was ready (code ${code}, signal ${signal})${cannotRun ? `: ${this.options.bin} cannot be run` : ''}`,
            output,
            !cannotRun,
          ),
        );
      });
    });
    proc.on('exit', (code, signal) => {
      const expected = this.stopping;
      this.endpointValue = undefined;
      this.exited.fire({ code, signal, expected });
    });
    this.endpointValue = { url, password: this.password, owned: true };
    return this.endpointValue;
  }

  /** SIGTERM, then SIGKILL after the grace period. Resolves when the process is gone. */
  async stop(): Promise<void> {
    const proc = this.proc;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    this.stopping = true;
    proc.kill('SIGTERM');
    const killer = setTimeout(() => proc.kill('SIGKILL'), this.options.stopGraceMs ?? 3000);
    await this.exitPromise;
    clearTimeout(killer);
  }

  /** Simulates a crash (tests) or ends a stuck server at once. */
  kill(): void {
    this.proc?.kill('SIGKILL');
  }
}

/** The Authorization header for a server's basic auth. */
export function authHeaders(endpoint: ServerEndpoint): Record<string, string> {
  return endpoint.password ? { Authorization: `Basic ${Buffer.from(`opencode:${endpoint.password}`).toString('base64')}` } : {};
}
