// The agent sandbox as the harness uses it: is there one on this machine (bubblewrap that can make
// namespaces), the shell opencode runs commands with, and per run a lease: the policy file its commands
// run under and the check of its file-tool calls. Where no sandbox can run, a run may still go ahead,
// but only in the *unsandboxed* mode the user accepted, and it says so everywhere.
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { findOnPath } from '../agent/binaries';
import { writeFileAtomic } from '../guard/atomicFile';
import { testsDirOf } from '../guard/protectedPaths';
import { checkToolAccess, type AccessDecision } from './fileAccess';
import { ancestorNodeModules, bwrapArgs, encodeArgs } from './policy';
import { installSandboxShell } from './shell';

export type SandboxMode = 'bwrap' | 'unsandboxed';

export interface SandboxSupport {
  readonly available: boolean;
  /** The bubblewrap binary, when found. */
  readonly bwrap?: string;
  /** Why there is no sandbox (not Linux, not installed, no user namespaces…). */
  readonly reason?: string;
}

function run(file: string, args: readonly string[], timeoutMs = 10_000): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    execFile(file, [...args], { timeout: timeoutMs, env: {} }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as NodeJS.ErrnoException & { code?: unknown }).code === 'number' ? (err as unknown as { code: number }).code : null) : 0;
      resolve({ code, output: `${stdout}${stderr}${err && code === null ? err.message : ''}`.trim() });
    });
  });
}

/** Whether bubblewrap runs here: found, and able to make the namespaces a command needs. */
export async function detectSandbox(opts: { bwrap?: string; envPath?: string; platform?: NodeJS.Platform } = {}): Promise<SandboxSupport> {
  const platform = opts.platform ?? process.platform;
  if (platform !== 'linux') return { available: false, reason: `the agent sandbox uses bubblewrap, which runs on Linux only (this is ${platform})` };
  const bwrap = opts.bwrap ?? findOnPath('bwrap', opts.envPath ?? process.env.PATH ?? '');
  if (!bwrap)
    return {
      available: false,
      reason: 'bubblewrap (bwrap) is not installed: install it (Debian/Ubuntu: apt-get install bubblewrap; Fedora: dnf install bubblewrap)',
    };
  const probe = await run(bwrap, ['--unshare-all', '--die-with-parent', '--ro-bind', '/', '/', '--proc', '/proc', '--dev', '/dev', '/bin/true']);
  if (probe.code !== 0)
    return {
      available: false,
      bwrap,
      reason: `bubblewrap cannot create the sandbox's namespaces here (user namespaces may be switched off): ${probe.output || `exit ${probe.code}`}`,
    };
  return { available: true, bwrap };
}

export interface AgentSandboxOptions {
  readonly mode: SandboxMode;
  /** bubblewrap, for mode `bwrap`. */
  readonly bwrap?: string;
  /** Where the agent shell is written (a folder of ours, outside every interaction folder). */
  readonly shellDir: string;
  /** The `node` agents' commands find (default: the first on PATH). */
  readonly node?: string;
}

export interface SandboxScope {
  readonly folder: string;
  readonly integrationId: string;
  readonly scriptRel?: string;
}

/** One run's sandbox: what its shell commands run under, and the check of its file tools. */
export interface SandboxLease {
  readonly mode: SandboxMode;
  /** The variables our plugin's `shell.env` hook hands the agent shell for a command of this run. */
  shellEnv(): Record<string, string>;
  /** Whether a file-tool call of this run may go ahead. */
  checkAccess(tool: string, args: Record<string, unknown>): AccessDecision;
}

/** What the agent shell is told when no run owns the command: it refuses. */
export function refusingShellEnv(reason: string): Record<string, string> {
  return { IB_SANDBOX: 'refuse', IB_SANDBOX_REASON: reason };
}

export class AgentSandbox {
  /** The shell opencode is configured with (`shell` in its config). */
  readonly shell: string;
  private readonly node: string | undefined;

  constructor(private readonly options: AgentSandboxOptions) {
    if (options.mode === 'bwrap' && !options.bwrap) throw new Error('the bwrap sandbox needs the bubblewrap binary');
    this.shell = installSandboxShell(options.shellDir);
    this.node = options.node ?? findOnPath('node');
  }

  get mode(): SandboxMode {
    return this.options.mode;
  }

  /** Writes the run's policy next to its run record (where no agent can see it) and returns the lease. */
  async prepare(scope: SandboxScope, policyFile: string): Promise<SandboxLease> {
    // The read-only fixtures folder must exist before the first command binds it.
    await fs.mkdir(path.join(scope.folder, ...testsDirOf(scope.integrationId).split('/')), { recursive: true });
    const checkAccess = (tool: string, args: Record<string, unknown>) => checkToolAccess(tool, args, scope);
    if (this.options.mode === 'unsandboxed') {
      const home = path.join(tmpdir(), 'integration-builder-agent-home');
      await fs.mkdir(home, { recursive: true });
      const pathDirs = [
        ...(this.node ? [path.dirname(this.node)] : []),
        ...ancestorNodeModules(scope.folder).map((nm) => path.join(nm, '.bin')),
        '/usr/local/bin',
        '/usr/bin',
        '/bin',
      ];
      const env = { IB_SANDBOX: 'unsandboxed', IB_SANDBOX_PATH: pathDirs.join(':'), IB_SANDBOX_HOME: home };
      return { mode: 'unsandboxed', shellEnv: () => ({ ...env }), checkAccess };
    }
    await writeFileAtomic(policyFile, encodeArgs(bwrapArgs(scope, { node: this.node })));
    const env = { IB_SANDBOX: 'bwrap', IB_BWRAP: this.options.bwrap as string, IB_SANDBOX_ARGS: policyFile };
    return { mode: 'bwrap', shellEnv: () => ({ ...env }), checkAccess };
  }
}

/** `<workRoot>/.runs/<integration>/<interaction>.json` → `….sandbox` (bubblewrap's arguments for the run). */
export function sandboxPolicyFor(runRecordFile: string): string {
  return runRecordFile.replace(/\.json$/, '') + '.sandbox';
}
