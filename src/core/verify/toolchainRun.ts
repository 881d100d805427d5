// Running the project's own tools (nango, tsc, vitest, node) for verification: found from the
// interaction folder upwards, as the user's Nango project provides them, under our time limit.
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { NANGO_QUIET_ENV, runProcess, type ProcessResult } from '../toolchain/nango';

/** The first `node_modules/.bin/<name>` in the folder or above it. */
export function findBin(folder: string, name: string): string | undefined {
  let dir = path.resolve(folder);
  for (;;) {
    const candidate = path.join(dir, 'node_modules', '.bin', name);
    if (existsSync(candidate)) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

export interface ToolRunOptions {
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
  readonly env?: Record<string, string | undefined>;
}

export function runTool(bin: string, args: readonly string[], cwd: string, opts: ToolRunOptions): Promise<ProcessResult> {
  return runProcess(bin, args, { cwd, env: { ...NANGO_QUIET_ENV, CI: '1', FORCE_COLOR: '0', NO_COLOR: '1', ...opts.env }, timeoutMs: opts.timeoutMs, signal: opts.signal });
}

/** Node for helper scripts: inside VS Code the extension host's binary, run as plain Node. */
export function runNodeScript(script: string, args: readonly string[], cwd: string, opts: ToolRunOptions): Promise<ProcessResult> {
  return runProcess(process.execPath, ['-e', script, '--', ...args], { cwd, env: { ELECTRON_RUN_AS_NODE: '1', ...opts.env }, timeoutMs: opts.timeoutMs, signal: opts.signal });
}

// eslint-disable-next-line no-control-regex
export const stripAnsi = (s: string) => s.replace(/\u001b\[[0-9;]*[A-Za-z]/g, '');

export function tail(text: string, lines = 15): string {
  return stripAnsi(text).trim().split('\n').slice(-lines).join('\n');
}
