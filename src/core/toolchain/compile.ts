// Compile: the toolchain's compile of the folder (Nango: `nango compile`), parsed into file, line and
// message. Verify all type-checks every folder in ONE `tsc` process over a generated tsconfig (the same
// options as the folders' own), instead of one compiler per folder; folders it finds clean are
// compiled by nango one by one only when asked (`nangoBuild`).
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { relativeTo } from '../guard/protectedPaths';
import { confinedTo, findBin, runTool, stripAnsi, tail, toolchainDirOf, type ToolRunOptions } from './tools';
import type { Finding } from '../runs/report';

export interface CompileOutcome {
  readonly ran: boolean;
  readonly ok: boolean;
  readonly findings: Finding[];
  readonly detail?: string;
}

/** `err - google-calendar/actions/x.ts:19:15` then the message on the next lines. */
export function parseNangoCompile(output: string): { file: string; line: number; column: number; message: string }[] {
  const lines = stripAnsi(output).split('\n');
  const out: { file: string; line: number; column: number; message: string }[] = [];
  for (let i = 0; i < lines.length; i++) {
    const m = /^\s*err\s+-\s+(.+?):(\d+):(\d+)\s*$/.exec(lines[i] as string);
    if (!m) continue;
    const message: string[] = [];
    for (let j = i + 1; j < lines.length && /^\s+\S/.test(lines[j] as string) && !/^\s*err\s+-/.test(lines[j] as string); j++)
      message.push((lines[j] as string).trim());
    out.push({ file: m[1] as string, line: Number(m[2]), column: Number(m[3]), message: message.join(' ') || 'compile error' });
  }
  return out;
}

/** `path/file.ts(12,5): error TS2322: message` */
export function parseTsc(output: string): { file: string; line: number; column: number; code: string; message: string }[] {
  const out: { file: string; line: number; column: number; code: string; message: string }[] = [];
  for (const raw of stripAnsi(output).split('\n')) {
    const m = /^(.+?)\((\d+),(\d+)\): error (TS\d+): (.*)$/.exec(raw.trim());
    if (m) out.push({ file: m[1] as string, line: Number(m[2]), column: Number(m[3]), code: m[4] as string, message: m[5] as string });
  }
  return out;
}

/**
 * `nango compile` of a folder (or a project), confined to it: the compile imports each built script to
 * read its definition, which runs the script's top-level code — the agent's code, kept from the
 * machine, the other folders and every secret as its own commands are.
 */
export async function nangoCompile(
  folder: string,
  opts: ToolRunOptions,
  integrationId: string,
  /** Where the CLI is found from: above an interaction folder (default); a project's own for Assemble. */
  toolsFrom: string = toolchainDirOf(folder),
): Promise<CompileOutcome> {
  const bin = findBin(toolsFrom, 'nango', opts.bins);
  if (!bin) return missingTool('nango', folder);
  const result = await runTool(bin, ['compile', '--no-interactive', '--auto-confirm'], folder, confinedTo(opts, bin, { folder, integrationId }));
  const errors = parseNangoCompile(result.output);
  const failed = result.code !== 0 || errors.length > 0 || /✗|Found \d+ errors?/.test(stripAnsi(result.output));
  if (!failed) return { ran: true, ok: true, findings: [] };
  const findings: Finding[] = errors.map((e) => ({
    check: 'compile',
    rule: 'compile.error',
    severity: 'error',
    message: e.message,
    location: { file: e.file, line: e.line, column: e.column },
  }));
  if (!findings.length) {
    findings.push({
      check: 'compile',
      rule: result.timedOut ? 'compile.timeout' : 'compile.failed',
      severity: 'error',
      message: result.timedOut ? 'nango compile did not finish in time' : 'nango compile failed',
      quote: tail(result.output, 6),
    });
  }
  return { ran: true, ok: false, findings };
}

/** One `tsc --noEmit` over every folder's index.ts; findings per folder. */
export async function sharedTypecheck(folders: readonly string[], scratchDir: string, opts: ToolRunOptions): Promise<Map<string, CompileOutcome>> {
  const result = new Map<string, CompileOutcome>();
  if (!folders.length) return result;
  const tsc = findBin(toolchainDirOf(folders[0] as string), 'tsc', opts.bins);
  if (!tsc) {
    for (const f of folders) result.set(f, missingTool('tsc', f));
    return result;
  }
  let compilerOptions: Record<string, unknown> = {};
  try {
    compilerOptions =
      (JSON.parse(await fs.readFile(path.join(folders[0] as string, 'tsconfig.json'), 'utf8')) as { compilerOptions?: Record<string, unknown> })
        .compilerOptions ?? {};
  } catch {
    // a folder without its tsconfig: tsc's defaults for the module system Nango uses
    compilerOptions = { module: 'node16', moduleResolution: 'node16', target: 'esnext', strict: true, skipLibCheck: true };
  }
  await fs.mkdir(scratchDir, { recursive: true });
  const config = path.join(scratchDir, `tsconfig.verify-${process.pid}-${Date.now()}.json`);
  const files = folders.map((f) => path.join(f, 'index.ts'));
  await fs.writeFile(config, JSON.stringify({ compilerOptions: { ...compilerOptions, noEmit: true, sourceMap: false }, files }, null, 2));
  try {
    const run = await runTool(tsc, ['--noEmit', '-p', config, '--pretty', 'false'], scratchDir, opts);
    const errors = parseTsc(run.output);
    const byFolder = new Map<string, Finding[]>(folders.map((f) => [f, []]));
    const unplaced: string[] = [];
    for (const e of errors) {
      const abs = path.resolve(scratchDir, e.file);
      const folder = folders.find((f) => relativeTo(f, abs) !== undefined);
      if (!folder) {
        unplaced.push(`${e.file}(${e.line},${e.column}): ${e.message}`);
        continue;
      }
      byFolder.get(folder)?.push({
        check: 'compile',
        rule: 'compile.error',
        severity: 'error',
        message: `${e.code}: ${e.message}`,
        location: { file: relativeTo(folder, abs) as string, line: e.line, column: e.column },
      });
    }
    for (const f of folders) {
      const findings = byFolder.get(f) ?? [];
      if (run.timedOut) findings.push({ check: 'compile', rule: 'compile.timeout', severity: 'error', message: 'the type check did not finish in time' });
      result.set(f, {
        ran: true,
        ok: findings.length === 0,
        findings,
        detail: unplaced.length ? `errors outside the interaction folders: ${unplaced.slice(0, 3).join('; ')}` : undefined,
      });
    }
    return result;
  } finally {
    await fs.rm(config, { force: true });
  }
}

export function missingTool(name: string, folder: string): CompileOutcome {
  return {
    ran: false,
    ok: false,
    detail: `\`${name}\` was not found in node_modules/.bin above ${folder}`,
    findings: [
      {
        check: 'compile',
        rule: 'toolchain.missing',
        severity: 'error',
        message: `\`${name}\` was not found: add it to the project's devDependencies and install it`,
      },
    ],
  };
}
