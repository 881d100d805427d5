// Running the project's own tools (nango, tsc, vitest, node) for verification: found from the
// interaction folder upwards, as the user's Nango project provides them, under our time limit.
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { binAbove } from './binAbove';
import { modulesOf, NANGO_QUIET_ENV, runProcess } from './nango';
import type { ConfineOptions } from '../sandbox/confine';
import type { SandboxScope } from '../sandbox/policy';
import type { ProcessResult } from './types';

/** Toolchain binaries to use instead of the ones found above the folder (tests, CI, a pinned install). */
export interface ToolBins {
  readonly nango?: string;
  readonly tsc?: string;
  readonly vitest?: string;
  /** `node_modules/.bin/eslint`: the lint runner also resolves the parser and the Nango plugin from there. */
  readonly eslint?: string;
}

/**
 * Where an interaction folder's toolchain is found: the project above it, never the folder itself —
 * the agent writes there, and a `node_modules/.bin/tsc` or a `node_modules/typescript` it planted would
 * otherwise be run, or loaded, by the harness.
 */
export const toolchainDirOf = (folder: string): string => path.dirname(path.resolve(folder));

/**
 * The binary to run: the override when one is given (undefined when it does not exist, so a wrong
 * override is a `toolchain.missing` finding, never a spawn error), else the first
 * `node_modules/.bin/<name>` in the folder or above it.
 */
export function findBin(folder: string, name: keyof ToolBins | string, bins?: ToolBins): string | undefined {
  const override = bins?.[name as keyof ToolBins];
  if (override !== undefined) return existsSync(override) ? override : undefined;
  return binAbove(folder, name);
}

export interface ToolRunOptions {
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
  readonly env?: Record<string, string | undefined>;
  readonly bins?: ToolBins;
  /**
   * The tool runs the agent's code — the generated tests import its script, and `nango compile` and
   * `generate:tests` import the built script to read its definition, running its top-level code —
   * so it runs confined to the interaction folder (src/core/sandbox/confine.ts).
   */
  readonly confine?: SandboxScope & ConfineOptions;
}

/** `opts` with the tool confined to `folder` (and `bin`'s node_modules readable there). */
export function confinedTo(opts: ToolRunOptions, bin: string, scope: SandboxScope & ConfineOptions): ToolRunOptions {
  return { ...opts, confine: { ...scope, extraReadOnly: [...(scope.extraReadOnly ?? []), ...modulesOf(bin)] } };
}

export function runTool(bin: string, args: readonly string[], cwd: string, opts: ToolRunOptions): Promise<ProcessResult> {
  return runProcess(bin, args, {
    cwd,
    env: { ...NANGO_QUIET_ENV, CI: '1', FORCE_COLOR: '0', NO_COLOR: '1', ...opts.env },
    timeoutMs: opts.timeoutMs,
    signal: opts.signal,
    confine: opts.confine,
  });
}

/** Node for helper scripts: inside VS Code the extension host's binary, run as plain Node. */
export function runNodeScript(script: string, args: readonly string[], cwd: string, opts: ToolRunOptions): Promise<ProcessResult> {
  return runProcess(process.execPath, ['-e', script, '--', ...args], {
    cwd,
    env: { ELECTRON_RUN_AS_NODE: '1', ...opts.env },
    timeoutMs: opts.timeoutMs,
    signal: opts.signal,
  });
}

// eslint-disable-next-line no-control-regex
export const stripAnsi = (s: string) => s.replace(/\u001b\[[0-9;]*[A-Za-z]/g, '');

export function tail(text: string, lines = 15): string {
  return stripAnsi(text).trim().split('\n').slice(-lines).join('\n');
}
