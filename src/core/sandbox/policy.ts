// The operating-system boundary around an agent's shell commands (bubblewrap on Linux). Each command
// runs in fresh namespaces: its own mount table that shows only the interaction folder (read-write),
// the toolchain and the shared node_modules (read-only) and a private /tmp; its own PID namespace, so
// nothing it starts outlives it; no network; an environment cleared to a short allow-list. The
// fixtures folder and the scaffold files are bound read-only on top of the folder. Everything else —
// the work root's `.runs/` (records, baselines, violation logs, transcripts), every other interaction's
// folder, the user's home, the opencode server's files — is simply not there.
import { existsSync, lstatSync, mkdirSync, readdirSync, readlinkSync, realpathSync } from 'node:fs';
import * as path from 'node:path';
import { GENERATED_ROOT_FILES, testsDirOf } from '../guard/protectedPaths';

/** What one run's sandbox is about. */
export interface SandboxScope {
  /** The interaction folder (the session's directory). */
  readonly folder: string;
  readonly integrationId: string;
}

/** How a process differs from an agent's command (the harness's recorder reaches its key proxy and writes fixtures). */
export interface SandboxVariant {
  /** Leave the fixtures folder writable (the recorder saves what the API answered there). */
  readonly writableTests?: boolean;
  /**
   * Leave the fixtures folder writable for new generated tests (`nango generate:tests` writes
   * `<name>.test.ts` there) while every file already in it but a generated test — the recorder's
   * fixtures — stays read-only: the generator imports the agent's script, which must not touch them.
   */
  readonly writableGeneratedTests?: boolean;
  /**
   * Folders bound in (read-write) on top of the private /tmp: where the harness's recorder proxy listens on
   * a Unix socket — the one way out of a recorder that has no network.
   */
  readonly socketDirs?: readonly string[];
}

/** Facts about this machine the policy needs (found once; injectable for tests). */
export interface SandboxHost {
  /** The `node` the agent's commands should find (resolved; its install prefix is bound read-only). */
  readonly node?: string;
  /** Extra read-only directories (e.g. a toolchain outside /usr). */
  readonly extraReadOnly?: readonly string[];
}

/** Root-level entries bound as they are on the host (a symlink stays a symlink: merged /usr). */
const SYSTEM_DIRS = ['/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32'];
/** Just what programs need from /etc: users, name service, the dynamic linker, alternatives, time zone, certificates. */
const ETC_FILES = [
  '/etc/passwd',
  '/etc/group',
  '/etc/nsswitch.conf',
  '/etc/ld.so.cache',
  '/etc/ld.so.conf',
  '/etc/ld.so.conf.d',
  '/etc/alternatives',
  '/etc/localtime',
  '/etc/ssl',
  '/etc/ca-certificates',
  '/etc/hosts',
];

/** Cache folders tools write inside node_modules (a private empty tmpfs each, inside the sandbox). */
const NODE_MODULES_CACHES = ['.vite-temp', '.vite', '.vitest', '.cache'];

/** The home and temp folder inside: a tmpfs, gone with the command. */
export const SANDBOX_HOME = '/tmp/home';

/** Variables a command gets (everything else, secrets included, is cleared). */
export function sandboxEnv(pathDirs: readonly string[]): Record<string, string> {
  return {
    PATH: pathDirs.join(':'),
    HOME: SANDBOX_HOME,
    TMPDIR: '/tmp',
    LANG: 'C.UTF-8',
    TERM: 'dumb',
    // The Nango CLI otherwise looks for upgrades and sends telemetry (no network here anyway: fail fast).
    NANGO_CLI_UPGRADE_MODE: 'ignore',
    NANGO_CLI_TELEMETRY: 'false',
    NANGO_CLI_DEPENDENCY_UPDATE: 'false',
    INTEGRATION_BUILDER_SANDBOX: 'bwrap',
  };
}

function realOr(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return path.resolve(p);
  }
}

/** `node_modules` folders Node would resolve from the folder: each ancestor's, bound read-only. */
export function ancestorNodeModules(folder: string): string[] {
  const out: string[] = [];
  let dir = path.dirname(path.resolve(folder));
  for (;;) {
    const nm = path.join(dir, 'node_modules');
    if (existsSync(nm)) out.push(nm);
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return out;
}

/** The install prefix of a node binary (`/usr/bin/node` → `/usr`, `~/.nvm/versions/node/v20/bin/node` → that version's folder). */
export function nodePrefix(node: string): string {
  return path.dirname(path.dirname(realOr(node)));
}

const listDir = (dir: string): string[] => {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
};

const isUnder = (p: string, dir: string) => p === dir || p.startsWith(dir.endsWith('/') ? dir : `${dir}/`);

/**
 * bubblewrap's arguments for one command of this scope (without the command itself and without
 * `--chdir`, which the shell adds from the command's working directory). Order matters: later mounts
 * go on top of earlier ones (the folder over the private /tmp, the read-only fixtures over the folder).
 */
export function bwrapArgs(scope: SandboxScope, host: SandboxHost = {}, variant: SandboxVariant = {}): string[] {
  const args: string[] = ['--unshare-all', '--die-with-parent', '--new-session', '--clearenv'];
  args.push('--ro-bind', '/usr', '/usr');
  for (const d of SYSTEM_DIRS) {
    let st;
    try {
      st = lstatSync(d);
    } catch {
      continue;
    }
    if (st.isSymbolicLink()) args.push('--symlink', readlinkSync(d), d);
    else if (st.isDirectory()) args.push('--ro-bind', d, d);
  }
  for (const f of ETC_FILES) args.push('--ro-bind-try', f, f);
  args.push('--proc', '/proc', '--dev', '/dev', '--tmpfs', '/tmp', '--dir', SANDBOX_HOME);

  const readOnly: string[] = [];
  const pathDirs: string[] = [];
  if (host.node) {
    const prefix = nodePrefix(host.node);
    if (!isUnder(prefix, '/usr')) readOnly.push(prefix);
    pathDirs.push(path.dirname(realOr(host.node)));
  }
  for (const d of host.extraReadOnly ?? []) readOnly.push(realOr(d));

  const given = path.resolve(scope.folder);
  const real = realOr(given);
  const modules = ancestorNodeModules(real);
  for (const nm of modules) {
    readOnly.push(nm);
    pathDirs.push(path.join(nm, '.bin'));
  }
  for (const d of ['/usr/local/bin', '/usr/bin', '/bin', '/usr/local/sbin', '/usr/sbin', '/sbin']) if (!pathDirs.includes(d)) pathDirs.push(d);

  for (const d of new Set(readOnly)) args.push('--ro-bind', d, d);
  // Tools write caches into the nearest node_modules (vite bundles its config into .vite-temp): each
  // command gets empty private ones, so nothing it writes there reaches another command or the user.
  for (const nm of modules) {
    for (const cache of NODE_MODULES_CACHES) {
      const dir = path.join(nm, cache);
      try {
        mkdirSync(dir, { recursive: true });
        args.push('--tmpfs', dir);
      } catch {
        // the user's node_modules is not writable for us either: the tool will say so
      }
    }
  }
  // The folder at its real path, and at the path opencode knows it by when that differs (a linked work root).
  args.push('--bind', real, real);
  if (given !== real) args.push('--bind', real, given);
  // On top: what only the harness writes (fixtures and generated tests, the scaffold's files).
  for (const root of given !== real ? [real, given] : [real]) {
    const tests = path.join(root, ...testsDirOf(scope.integrationId).split('/'));
    if (variant.writableGeneratedTests && !variant.writableTests) {
      for (const name of listDir(tests)) if (!/\.test\.ts$/.test(name)) args.push('--ro-bind', path.join(tests, name), path.join(tests, name));
    } else if (!variant.writableTests) args.push('--ro-bind-try', tests, tests);
    for (const f of GENERATED_ROOT_FILES) args.push('--ro-bind-try', path.join(root, f), path.join(root, f));
  }
  for (const d of variant.socketDirs ?? []) args.push('--bind', d, d);
  for (const [k, v] of Object.entries(sandboxEnv(pathDirs))) args.push('--setenv', k, v);
  return args;
}

/** The args in the form `bwrap --args FD` reads them: each one NUL-terminated. */
export function encodeArgs(args: readonly string[]): string {
  for (const a of args) if (a.includes('\0')) throw new Error(`a sandbox argument holds a NUL byte: ${JSON.stringify(a)}`);
  return args.map((a) => `${a}\0`).join('');
}
