// Finding the programs the agent runtime needs: the `opencode` binary (setting, PATH, or our own
// install of the pinned version) and ripgrep (opencode's glob, grep and skill tools need `rg`).
import { execFile } from 'node:child_process';
import { accessSync, constants, existsSync, promises as fs, statSync } from 'node:fs';
import * as path from 'node:path';

/** The opencode version we test against; the extension installs this one when none is found. */
export const OPENCODE_VERSION = '1.18.33';

function isExecutableFile(p: string): boolean {
  try {
    if (!statSync(p).isFile()) return false;
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export function findOnPath(name: string, envPath = process.env.PATH ?? ''): string | undefined {
  for (const dir of envPath.split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    if (isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

/** Where our own install of opencode lives inside a storage folder. */
export function storedOpencodePath(storageDir: string): string {
  return path.join(storageDir, 'opencode', 'node_modules', 'opencode-ai', 'bin', 'opencode.exe');
}

export interface OpencodeLookup {
  readonly setting?: string;
  readonly storageDir?: string;
  readonly envPath?: string;
}

/** The opencode binary to use, or undefined when there is none (offer to install it). */
export function findOpencode(lookup: OpencodeLookup): string | undefined {
  if (lookup.setting?.trim()) return existsSync(lookup.setting) ? lookup.setting : undefined;
  const stored = lookup.storageDir ? storedOpencodePath(lookup.storageDir) : undefined;
  if (stored && existsSync(stored)) return stored;
  return findOnPath('opencode', lookup.envPath);
}

/** Installs the pinned opencode into `<storageDir>/opencode` with npm. Returns the binary path. */
export async function installOpencode(storageDir: string, log: (line: string) => void = () => undefined): Promise<string> {
  const dir = path.join(storageDir, 'opencode');
  await fs.mkdir(dir, { recursive: true });
  await fs.writeFile(path.join(dir, 'package.json'), JSON.stringify({ name: 'integration-builder-opencode', private: true }) + '\n');
  log(`installing opencode-ai@${OPENCODE_VERSION} into ${dir}`);
  await new Promise<void>((resolve, reject) => {
    execFile(
      'npm',
      ['install', '--no-audit', '--no-fund', `opencode-ai@${OPENCODE_VERSION}`],
      { cwd: dir, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (stdout) log(stdout.trim());
        if (err) reject(new Error(`npm install opencode-ai@${OPENCODE_VERSION} failed: ${stderr.trim() || err.message}`));
        else resolve();
      },
    );
  });
  const bin = storedOpencodePath(storageDir);
  if (!existsSync(bin)) throw new Error(`npm installed opencode-ai but ${bin} is missing`);
  return bin;
}

/** Candidate locations of the ripgrep that VS Code ships, under `vscode.env.appRoot`. */
export function vscodeRipgrepCandidates(appRoot: string): string[] {
  return [
    path.join(appRoot, 'node_modules', '@vscode', 'ripgrep', 'bin', 'rg'),
    path.join(appRoot, 'node_modules.asar.unpacked', '@vscode', 'ripgrep', 'bin', 'rg'),
    path.join(appRoot, 'node_modules', 'vscode-ripgrep', 'bin', 'rg'),
  ];
}

/** A ripgrep binary: VS Code's own when running inside it, else `rg` on PATH. */
export function findRipgrep(opts: { appRoot?: string; envPath?: string } = {}): string | undefined {
  if (opts.appRoot) {
    const shipped = vscodeRipgrepCandidates(opts.appRoot).find((p) => existsSync(p));
    if (shipped) return shipped;
  }
  return findOnPath('rg', opts.envPath);
}

/** PATH with the folder of `rg` in front, so opencode finds it. */
export function pathWithRipgrep(rg: string, envPath = process.env.PATH ?? ''): string {
  const dir = path.dirname(rg);
  return envPath.split(path.delimiter).includes(dir) ? envPath : [dir, envPath].filter(Boolean).join(path.delimiter);
}
