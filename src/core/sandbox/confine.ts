// The harness runs an agent's code too: the generated tests import its script (vitest, in run_tests
// and in Verify), and `nango compile` and `generate:tests` import the built script to read its
// definition. Those processes get the same boundary as the agent's own commands — its folder, the
// toolchain read-only, no network, no secret in the environment, and a PID namespace so nothing the
// script starts outlives the run. Where no sandbox runs, the process still gets no secret.
// The recorder (`nango dryrun --save`) runs the script too, against the real API: it has no network
// either, only the Unix socket of the harness's key proxy (toolchain/keyProxy.ts) and a one-time token
// in place of the Nango key; it may write the fixtures folder, sees nothing else of the machine and
// leaves nothing running (Nango's own vm around the script is no boundary: its globals lead out).
import { findOnPath } from '../agent/binaries';
import { detectSandbox, type SandboxSupport } from './index';
import { bwrapArgs, type SandboxScope, type SandboxVariant } from './policy';

let support: Promise<SandboxSupport> | undefined;

/** Whether bubblewrap works here (asked once per process). */
export function sandboxSupport(): Promise<SandboxSupport> {
  support ??= detectSandbox();
  return support;
}

/** Names that hold secrets: never handed to a process that runs agent code. */
const SECRET_NAME = /SECRET|TOKEN|PASSWORD|PASSWD|CREDENTIAL|API_KEY|PRIVATE|NANGO_HOSTPORT|^IB_|^OPENCODE_/i;

export interface ConfinedCommand {
  readonly cmd: string;
  readonly args: readonly string[];
  /** The environment to spawn with (bubblewrap clears it and sets the command's own). */
  readonly env: Record<string, string>;
  /** Whether the command runs in the sandbox. */
  readonly sandboxed: boolean;
}

/** `cmd args` as a process confined to `scope.folder`, with `env` minus anything secret. */
export interface ConfineOptions extends SandboxVariant {
  /** Secret variables this process does need (the recorder's Nango key): handed over by name. */
  readonly keepSecrets?: readonly string[];
  /** Folders the process needs to read besides the folder, node and the node_modules above it (a tool installed elsewhere). */
  readonly extraReadOnly?: readonly string[];
}

export async function confine(
  cmd: string,
  args: readonly string[],
  cwd: string,
  scope: SandboxScope,
  env: Record<string, string | undefined>,
  opts: ConfineOptions = {},
): Promise<ConfinedCommand> {
  const clean: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && (!SECRET_NAME.test(k) || opts.keepSecrets?.includes(k))) clean[k] = v;
  const s = await sandboxSupport();
  if (!s.available || !s.bwrap) {
    const base: Record<string, string> = {};
    for (const k of ['PATH', 'HOME', 'LANG', 'TMPDIR', 'TERM']) if (process.env[k]) base[k] = process.env[k] as string;
    return { cmd, args, env: { ...base, ...clean }, sandboxed: false };
  }
  const sandbox = bwrapArgs(scope, { node: findOnPath('node'), extraReadOnly: opts.extraReadOnly }, opts);
  const setenv = Object.entries(clean).flatMap(([k, v]) => ['--setenv', k, v]);
  return { cmd: s.bwrap, args: [...sandbox, ...setenv, '--chdir', cwd, '--', cmd, ...args], env: {}, sandboxed: true };
}
