// The built CLI (dist/cli.js) run as a user runs it, in a workspace of its own holding the example spec.
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { OPENCODE_BIN, REPO } from './agentStack';

export const CLI = path.join(REPO, 'dist/cli.js');

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** A fresh `.test-runs/<name>-<pid>` folder with the example spec; throws when the CLI is not built. */
export function cliWorkspace(name: string): string {
  if (!existsSync(CLI)) throw new Error('dist/cli.js is missing: run `npm run build` first');
  const dir = path.join(REPO, '.test-runs', `${name}-${process.pid}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  cpSync(path.join(REPO, 'examples/product-integrations/interactions.json'), path.join(dir, 'interactions.json'));
  return dir;
}

/** Runs `integration-builder <args>` in `dir` (our opencode binary, the caller's extra environment). */
export function runCli(dir: string, args: readonly string[], env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: dir, env: { ...process.env, OPENCODE_BIN, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
