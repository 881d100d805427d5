// Tests: the toolchain's tests of the interaction (Nango: the tests `nango generate:tests` writes,
// replaying the recorded fixture, run with vitest). No fixture, no generated test, a skipped, focused
// or failing test — each a finding. A generated test must be what `generate:tests` writes, formatting
// aside (a project may keep its tests formatted by prettier): when the harness's baseline vouches for
// it (the fixtures check), it is taken as is; otherwise the tests are generated again in a scratch copy
// of the folder and compared as programs, so a test edited away is a finding.
// The tests run with the harness's own vitest configuration and instrumented mocks (replay/): a config
// file, setup file or vitest field of package.json the agent wrote decides nothing and is a finding
// (tests.config-edited), and the replay must show the script made the recorded calls — every recorded
// request asked for (tests.replay-unconsumed), none the fixture lacks (tests.unrecorded-request), and
// not none at all (tests.no-provider-call).
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { testsDirOf } from '../guard/protectedPaths';
import { configFindings, GENERATED_CONFIGS } from '../toolchain/replay/config';
import { judgeReplay } from '../toolchain/replay/judge';
import { packageDirOf, runReplay } from '../toolchain/replay/run';
import { compareCode, showDifference } from '../toolchain/sameCode';
import { loadTypeScript, type TS } from '../toolchain/typescript';
import { confinedTo, findBin, runTool, tail, toolchainDirOf, type ToolRunOptions } from '../toolchain/tools';
import type { Finding } from './types';

export interface TestsOutcome {
  readonly ran: boolean;
  readonly findings: Finding[];
  readonly detail?: string;
  readonly passed: number;
}

const FOCUS = /\b(it|test|describe)\.(only|skip|todo)\s*\(|\b(xit|xdescribe|fit|fdescribe)\s*\(/g;

export interface TestsCheckOptions {
  /** The harness's baseline has these generated tests, unchanged (the fixtures check passed on them). */
  readonly vouched?: boolean;
  /** Where a scratch copy of the folder may be made to generate the tests again (inside the workspace). */
  readonly scratchDir?: string;
}

export async function testFindings(folder: string, integrationId: string, opts: ToolRunOptions, check: TestsCheckOptions = {}): Promise<TestsOutcome> {
  const testsRel = testsDirOf(integrationId);
  const testsDir = path.join(folder, ...testsRel.split('/'));
  const list = await fs.readdir(testsDir).catch(() => [] as string[]);
  const fixtures = list.filter((f) => f.endsWith('.json'));
  const findings: Finding[] = [];
  const fixtureData = new Map<string, unknown>();
  for (const f of fixtures) {
    try {
      fixtureData.set(f, JSON.parse(await fs.readFile(path.join(testsDir, f), 'utf8')) as unknown);
    } catch (err) {
      findings.push({
        check: 'tests',
        rule: 'tests.broken-fixture',
        severity: 'error',
        message: `${f} is not valid JSON: ${(err as Error).message}`,
        location: { file: `${testsRel}/${f}` },
      });
    }
  }
  if (!fixtures.length) {
    findings.push({
      check: 'tests',
      rule: 'tests.no-fixture',
      severity: 'error',
      message: 'nothing was recorded: there is no fixture to test against (record_fixture was never used successfully)',
    });
    return { ran: false, findings, passed: 0 };
  }
  if (findings.length) return { ran: false, findings, passed: 0 };
  // The toolchain of the project above the folder (where the scaffold has it), never one inside it.
  const nango = findBin(toolchainDirOf(folder), 'nango', opts.bins);
  const vitest = findBin(toolchainDirOf(folder), 'vitest', opts.bins);
  if (!nango || !vitest) {
    const name = !nango ? 'nango' : 'vitest';
    return {
      ran: false,
      passed: 0,
      detail: `\`${name}\` was not found in node_modules/.bin above ${folder}`,
      findings: [
        {
          check: 'tests',
          rule: 'toolchain.missing',
          severity: 'error',
          message: `\`${name}\` was not found: add it to the project's devDependencies and install it`,
        },
      ],
    };
  }
  // Test configuration the agent wrote, read before generate:tests rewrites vite.config.ts and vitest.setup.ts.
  const nangoDir = packageDirOf(nango, 'nango');
  findings.push(...(await configFindings(folder, nangoDir ? path.join(nangoDir, 'dist', 'templates') : undefined, loadTypeScript(folder))));
  let testFiles = list.filter((f) => /\.test\.ts$/.test(f));
  if (!testFiles.length) {
    const restore = await keepGeneratedConfigs(folder);
    // The generator imports the built script (its top-level code runs): confined, the fixtures read-only.
    const gen = await runTool(
      nango,
      ['generate:tests', '--no-interactive', '--auto-confirm'],
      folder,
      confinedTo(opts, nango, { folder, integrationId, writableGeneratedTests: true }),
    ).finally(restore);
    testFiles = (await fs.readdir(testsDir).catch(() => [] as string[])).filter((f) => /\.test\.ts$/.test(f));
    if (gen.code !== 0 || !testFiles.length) {
      return {
        ran: false,
        passed: 0,
        findings: [
          ...findings,
          {
            check: 'tests',
            rule: 'tests.generate-failed',
            severity: 'error',
            message: 'nango generate:tests did not produce a test',
            quote: tail(gen.output, 6),
          },
        ],
      };
    }
  }
  if (!check.vouched && check.scratchDir) findings.push(...(await compareWithGenerated(folder, testsRel, testFiles, nango, check.scratchDir, opts)));
  for (const f of testFiles) {
    const source = await fs.readFile(path.join(testsDir, f), 'utf8');
    for (const m of source.matchAll(FOCUS)) {
      const line = source.slice(0, m.index).split('\n').length;
      findings.push({
        check: 'tests',
        rule: 'tests.skipped-or-focused',
        severity: 'error',
        message: `\`${m[0].replace(/\s*\($/, '')}\` leaves tests out`,
        location: { file: `${testsRel}/${f}`, line },
      });
    }
  }
  // The generated tests, run with the harness's own configuration and instrumented mocks (replay/): the
  // folder's config files decide nothing. They import the agent's script: they run confined like the
  // agent's own commands (no secret, no network, nothing left running).
  const replay = await runReplay(folder, integrationId, { vitest, nango }, (cmd, args, cwd) =>
    runTool(cmd, args, cwd, confinedTo(opts, cmd, { folder, integrationId })),
  );
  const judged = await judgeReplay(folder, testsRel, replay, fixtureData);
  findings.push(...judged.findings);
  return { ran: true, findings, passed: judged.passed, ...(judged.notes.length ? { detail: judged.notes.join('; ') } : {}) };
}

/**
 * `generate:tests --auto-confirm` overwrites the folder's vite.config.ts and vitest.setup.ts: Verify
 * leaves the folder as it found it, so what was there is put back (what was not is removed by Verify).
 */
async function keepGeneratedConfigs(folder: string): Promise<() => Promise<void>> {
  const kept = new Map<string, Buffer>();
  for (const name of Object.keys(GENERATED_CONFIGS)) {
    const file = path.join(folder, name);
    const st = await fs.lstat(file).catch(() => undefined);
    if (st?.isFile()) kept.set(file, await fs.readFile(file));
  }
  return async () => {
    for (const [file, data] of kept) await fs.writeFile(file, data).catch(() => undefined);
  };
}

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

/**
 * Where a generated test in the folder differs from what generate:tests writes, or undefined when it is
 * the same test. A test formatted by prettier (indentation, quotes, trailing commas…) is the same test:
 * the two are compared as programs. Without a TypeScript compiler to read them, only identical text
 * passes. The quote shows the real difference — never two trimmed lines that look the same.
 */
export function generatedTestDifference(ts: TS | undefined, have: string, want: string): { line: number; quote: string } | undefined {
  if (have === want) return undefined;
  if (ts) {
    const c = compareCode(ts, have, want);
    return c.same ? undefined : { line: c.line, quote: `${c.actual}  ← generated: ${c.expected}` };
  }
  const a = have.split('\n');
  const b = want.split('\n');
  let line = 0;
  while (line < Math.max(a.length, b.length) && a[line] === b[line]) line++;
  const shown = showDifference(a[line] ?? '(end of file)', b[line] ?? '(end of file)');
  return { line: line + 1, quote: `${shown.actual}  ← generated: ${shown.expected}` };
}

/**
 * Generates the tests again in a scratch copy of the folder (the fixture and the script, nothing the
 * agent wrote into the tests) and compares them with the folder's: an edited, added or deleted test is
 * a `tests.edited` finding at the first line that differs.
 */
export async function compareWithGenerated(
  folder: string,
  testsRel: string,
  testFiles: readonly string[],
  nango: string,
  scratchDir: string,
  opts: ToolRunOptions,
): Promise<Finding[]> {
  const scratch = path.join(scratchDir, `gen-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`, path.basename(folder));
  try {
    await fs.mkdir(path.dirname(scratch), { recursive: true });
    await fs.cp(folder, scratch, {
      recursive: true,
      filter: (src) => {
        const rel = path.relative(folder, src).split(path.sep).join('/');
        if (/^(node_modules|build|dist)(\/|$)/.test(rel)) return false;
        // the generated tests themselves are what is being checked: only the generator may write them
        return !(rel.startsWith(`${testsRel}/`) && rel.endsWith('.test.ts'));
      },
    });
    // a copy of the agent's folder: its script's top-level code runs as the generator reads it, confined to the copy
    const gen = await runTool(
      nango,
      ['generate:tests', '--no-interactive', '--auto-confirm'],
      scratch,
      confinedTo(opts, nango, { folder: scratch, integrationId: testsRel.split('/')[0] as string, writableTests: true }),
    );
    const scratchTests = path.join(scratch, ...testsRel.split('/'));
    const expected = (await fs.readdir(scratchTests).catch(() => [] as string[])).filter((f) => /\.test\.ts$/.test(f));
    if (!expected.length) {
      return [
        {
          check: 'tests',
          rule: 'tests.generate-failed',
          severity: 'error',
          message: 'nango generate:tests did not produce a test to compare with',
          quote: tail(gen.output, 6),
        },
      ];
    }
    const out: Finding[] = [];
    for (const f of expected) {
      const want = await fs.readFile(path.join(scratchTests, f), 'utf8');
      const have = testFiles.includes(f) ? await fs.readFile(path.join(folder, ...testsRel.split('/'), f), 'utf8') : undefined;
      if (have === undefined) {
        out.push({
          check: 'tests',
          rule: 'tests.edited',
          severity: 'error',
          message: `${f}, which generate:tests writes, is missing`,
          location: { file: `${testsRel}/${f}` },
        });
        continue;
      }
      if (sha(have) === sha(want)) continue;
      const diff = generatedTestDifference(loadTypeScript(folder), have, want);
      if (!diff) continue;
      out.push({
        check: 'tests',
        rule: 'tests.edited',
        severity: 'error',
        message: `${f} is not what generate:tests writes (edited from line ${diff.line})`,
        location: { file: `${testsRel}/${f}`, line: diff.line },
        quote: diff.quote,
      });
    }
    for (const f of testFiles) {
      if (!expected.includes(f))
        out.push({
          check: 'tests',
          rule: 'tests.edited',
          severity: 'error',
          message: `${f} is a test generate:tests does not write`,
          location: { file: `${testsRel}/${f}` },
        });
    }
    return out;
  } finally {
    await fs.rm(path.dirname(scratch), { recursive: true, force: true }).catch(() => undefined);
  }
}
