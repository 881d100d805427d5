// Running the generated tests the harness's way (Verify's tests check and the `run_tests` tool alike):
// the harness's own vitest configuration and setup (harnessCode.ts), whatever config the folder holds,
// and the record of what each test's replay consumed. The caller runs the process (confined: the tests
// import the agent's script).
import { randomBytes } from 'node:crypto';
import { existsSync, promises as fs, readFileSync, realpathSync } from 'node:fs';
import * as path from 'node:path';
import { findOnPath } from '../../agent/binaries';
import { testsDirOf } from '../../guard/protectedPaths';
import type { ProcessResult } from '../types';
import { REPORT_MARKER, RUNNER, SETUP } from './harnessCode';
import type { ReplayRecord } from './consumption';
import { binAbove } from '../binAbove';

/** One test's result, in the shape of vitest's JSON reporter (plus the replay's record in `meta`). */
export interface ReplayAssertion {
  title?: string;
  fullName?: string;
  status?: string;
  failureMessages?: string[];
  location?: { line: number; column?: number };
  meta?: { ibReplay?: ReplayRecord };
}

export interface ReplayReport {
  numTotalTests?: number;
  numPassedTests?: number;
  numFailedTests?: number;
  numPendingTests?: number;
  numTodoTests?: number;
  testResults?: { name?: string; status?: string; message?: string; assertionResults?: ReplayAssertion[] }[];
  /** Errors vitest caught outside any test (a rejected promise the script left behind…). */
  unhandledErrors?: string[];
  /** The runner itself failed (vitest could not start). */
  crash?: string;
}

/** Runs `cmd args` in `cwd`, confined to the interaction folder, under the caller's time limit. */
export type ConfinedRun = (cmd: string, args: readonly string[], cwd: string) => Promise<ProcessResult>;

export interface ReplayTools {
  /** `node_modules/.bin/vitest` (or an override). */
  readonly vitest: string;
  /** `node_modules/.bin/nango` (or an override): its package provides `nango/test`. */
  readonly nango: string;
}

export interface ReplayRun {
  readonly run: ProcessResult;
  /** The runner's report; undefined when it printed none (it did not start, was killed, timed out). */
  readonly report?: ReplayReport;
  /** What vitest printed, without the report line. */
  readonly output: string;
}

/** The folder of the package a binary belongs to (`.bin/vitest` → `…/node_modules/vitest`). */
export function packageDirOf(bin: string, name: string): string | undefined {
  let dir: string;
  try {
    dir = path.dirname(realpathSync(bin));
  } catch {
    return undefined;
  }
  for (;;) {
    const pj = path.join(dir, 'package.json');
    if (existsSync(pj)) {
      try {
        if ((JSON.parse(readFileSync(pj, 'utf8')) as { name?: string }).name === name) return dir;
      } catch {
        // not this one
      }
    }
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** The file a package exports at `subpath` for `import` (undefined when it exports none). */
export function exportedFile(pkgDir: string, subpath: string): string | undefined {
  let exportsField: unknown;
  try {
    exportsField = (JSON.parse(readFileSync(path.join(pkgDir, 'package.json'), 'utf8')) as { exports?: unknown }).exports;
  } catch {
    return undefined;
  }
  const pick = (e: unknown): string | undefined => {
    if (typeof e === 'string') return e;
    if (!e || typeof e !== 'object' || Array.isArray(e)) return undefined;
    const o = e as Record<string, unknown>;
    for (const k of ['node', 'import', 'default']) {
      const r = k in o ? pick(o[k]) : undefined;
      if (r && !r.endsWith('.d.ts')) return r;
    }
    return undefined;
  };
  const entry = exportsField && typeof exportsField === 'object' ? (exportsField as Record<string, unknown>)[subpath] : undefined;
  const rel = pick(entry);
  if (!rel) return undefined;
  const file = path.resolve(pkgDir, rel);
  return existsSync(file) ? file : undefined;
}

/** The last report line carrying this nonce, and the output without any report line. */
export function parseReplayOutput(output: string, nonce: string): { report?: ReplayReport; output: string } {
  const lines = output.split('\n');
  let report: ReplayReport | undefined;
  const kept: string[] = [];
  const prefix = `${REPORT_MARKER} ${nonce} `;
  for (const line of lines) {
    const l = line.replace(/\r$/, '');
    if (l.startsWith(`${REPORT_MARKER} `)) {
      if (l.startsWith(prefix)) {
        try {
          report = JSON.parse(Buffer.from(l.slice(prefix.length).trim(), 'base64').toString('utf8')) as ReplayReport;
        } catch {
          // a torn line: no report
        }
      }
      continue;
    }
    kept.push(line);
  }
  return { report, output: kept.join('\n').trim() };
}

/**
 * Runs the folder's generated tests (`<integration>/tests/*.test.ts`) with the harness's configuration.
 * The key file carrying the nonce is written into the folder's `.nango/` (the one place the sandbox and
 * the harness share) and deleted by the runner before vitest starts; `.nango/` is removed again when
 * this made it.
 */
export async function runReplay(
  folder: string,
  integrationId: string,
  tools: ReplayTools,
  run: ConfinedRun,
  reporter: 'dot' | 'default' = 'default',
): Promise<ReplayRun> {
  const vitestDir = packageDirOf(tools.vitest, 'vitest');
  const nangoDir = packageDirOf(tools.nango, 'nango');
  const vitestNode = vitestDir && exportedFile(vitestDir, './node');
  const vitestIndex = vitestDir && exportedFile(vitestDir, '.');
  const nangoTest = nangoDir && exportedFile(nangoDir, './test');
  if (!vitestNode || !vitestIndex || !nangoTest) {
    const what = !vitestNode || !vitestIndex ? `vitest's Node API (from ${tools.vitest})` : `nango/test (from ${tools.nango})`;
    return { run: { code: null, output: `${what} was not found`, timedOut: false }, output: `${what} was not found` };
  }
  const nonce = randomBytes(18).toString('hex');
  const nangoState = path.join(folder, '.nango');
  const made = !existsSync(nangoState);
  await fs.mkdir(nangoState, { recursive: true });
  const keyFile = path.join(nangoState, `replay-${randomBytes(9).toString('hex')}.key`);
  await fs.writeFile(keyFile, nonce, { mode: 0o600 });
  const options = {
    root: folder,
    include: [`${testsDirOf(integrationId)}/*.test.ts`],
    reporters: [reporter],
    setup: SETUP,
    vitestNode,
    vitestIndex,
    nangoTest,
  };
  try {
    const node = findOnPath('node') ?? 'node';
    const result = await run(node, ['--input-type=module', '-e', RUNNER, '--', keyFile, JSON.stringify(options)], folder);
    const parsed = parseReplayOutput(result.output, nonce);
    return { run: result, report: parsed.report, output: parsed.output };
  } finally {
    await fs.rm(keyFile, { force: true }).catch(() => undefined);
    if (made) await fs.rmdir(nangoState).catch(() => undefined);
  }
}

/**
 * `node_modules/.bin/<name>` of the project above the folder (where the scaffold has the toolchain) —
 * never one inside the folder: the agent writes there, a tool in it would be the agent's.
 */
export function toolBinAbove(folder: string, name: string): string | undefined {
  return binAbove(path.dirname(path.resolve(folder)), name);
}
