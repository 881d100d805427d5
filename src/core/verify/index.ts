// Verification: trust nothing an agent says until every check agrees. For each interaction: its
// fixtures against the baseline (lock 3), compile, assemble (its files, laid into a fresh project as
// Assemble writes them, compile), tests, lint, folder confinement and the transcript rules.
// Interactions are verified in parallel under a limit; Verify all type-checks every folder in one
// compiler process. The result is a VerifyReport per interaction, saved next to its run record.
import { existsSync, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { ancestorsAreRealDirs, baselineDirFor } from '../guard/manifest';
import { testsDirOf } from '../guard/protectedPaths';
import { readViolations, violationLogFor } from '../guard/violations';
import { RunStore } from '../runs/store';
import { scriptRelativePath } from '../workspace/scaffold';
import { assembleFindings, ownPackageFindings, sharedAssembleFindings, unitOnlyFindings, type AssembleOutcome } from './assemble';
import { nangoCompile, sharedTypecheck, type CompileOutcome } from '../toolchain/compile';
import { confinementFindings } from './confinement';
import { leadsOut } from '../sandbox/fileAccess';
import { fixtureFindings } from './fixtures';
import type { ToolBins } from '../toolchain/tools';
import { lintFindings, sharedLintFindings, type LintOutcome } from './lint';
import { testFindings } from './tests';
import { sessionFromStore, transcriptFromMessages, transcriptRules, readTranscriptFile, type RuleContext, type Transcript } from './transcript';
import type { CheckId, CheckOutcome, CheckProgress, CheckResult, Finding, Verdict, VerifyListeners, VerifyReport, VerifyTarget } from './types';

export * from './types';
export type { ToolBins } from '../toolchain/tools';

export interface VerifyOptions extends VerifyListeners {
  /** Where run records, transcripts, baselines and violation logs live (or give `workRoot`). */
  readonly runs?: RunStore;
  /** The work root whose `.runs/` holds them, when no RunStore is given. */
  readonly workRoot?: string;
  /** Interactions verified at once (default 2). */
  readonly concurrency?: number;
  /** Per tool process (default 180 s). */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
  /** Toolchain binaries to use instead of the ones found above each folder. */
  readonly bins?: ToolBins;
  /** Run only these checks (default: all). */
  readonly checks?: readonly CheckId[];
  /** Type-check all folders in one process (default: when more than one interaction). */
  readonly sharedCompile?: boolean;
  /**
   * The session's messages from opencode (SDK `session.messages`), used when the attempt's transcript
   * file is missing or unreadable. Undefined when the session cannot be reached.
   */
  readonly sessionMessages?: (target: VerifyTarget) => Promise<readonly unknown[] | undefined>;
  /** opencode's SQLite store (`<XDG_DATA_HOME>/opencode/opencode.db`), read-only, for a server that is gone. */
  readonly opencodeStore?: string;
  readonly now?: () => Date;
}

export const ALL_CHECKS: readonly CheckId[] = ['fixtures', 'compile', 'assemble', 'tests', 'lint', 'confinement', 'transcript'];

type ResolvedOptions = VerifyOptions & { readonly runs: RunStore };

export async function verifyInteractions(targets: readonly VerifyTarget[], opts: VerifyOptions): Promise<VerifyReport[]> {
  if (!opts.runs && !opts.workRoot) throw new Error('verifyInteractions needs a RunStore (runs) or a workRoot');
  const options: ResolvedOptions = { ...opts, runs: opts.runs ?? new RunStore(opts.workRoot as string) };
  const checks = new Set(options.checks ?? ALL_CHECKS);
  const timeoutMs = options.timeoutMs ?? 180_000;
  const tool = { timeoutMs, signal: options.signal, bins: options.bins };
  const shared = options.sharedCompile ?? targets.length > 1;
  let compiled: Map<string, CompileOutcome> | undefined;
  let compileMs = 0;
  if (shared && checks.has('compile')) {
    // tsc runs unconfined: a folder a link leads out of is compiled on its own, confined (verifyOne), so
    // nothing is read through the link (what tsc read would come back in its messages)
    const withScript = targets.filter((t) => existsSync(path.join(t.folder, 'index.ts')) && !leadsOut(t.folder));
    for (const t of withScript) options.onProgress?.(t.key, 'compile', 'running');
    const t0 = Date.now();
    compiled = await sharedTypecheck(
      withScript.map((t) => t.folder),
      path.join(options.runs.dir, '.verify'),
      tool,
    );
    compileMs = (Date.now() - t0) / Math.max(1, withScript.length);
  }
  // The assemble check of many interactions: each laid out as Assemble would, all type-checked in one
  // process like the folders. A folder that does not compile is left out: its copy would fail the same way.
  let assembled: Map<string, AssembleOutcome> | undefined;
  if (shared && checks.has('assemble')) {
    const compiling = targets.filter((t) => existsSync(path.join(t.folder, 'index.ts')) && compiled?.get(t.folder)?.ok !== false);
    assembled = await sharedAssembleFindings(compiling, path.join(options.runs.dir, '.verify'), tool);
  }
  // Lint of many interactions: ESLint and its plugins start once for all of them (per batch), not per folder.
  let linted: Map<string, LintOutcome> | undefined;
  let lintMs = 0;
  if (shared && checks.has('lint')) {
    for (const t of targets) options.onProgress?.(t.key, 'lint', 'running');
    const t0 = Date.now();
    linted = await sharedLintFindings(
      targets.map((t) => ({ folder: t.folder, files: [scriptRelativePath({ integrationId: t.integrationId, id: t.interactionId, kind: t.kind })] })),
      tool,
    );
    lintMs = (Date.now() - t0) / Math.max(1, targets.length);
  }
  const reports: VerifyReport[] = new Array(targets.length);
  let next = 0;
  const worker = async () => {
    while (next < targets.length) {
      const i = next++;
      const target = targets[i] as VerifyTarget;
      if (options.signal?.aborted) throw new Error('verification cancelled');
      const report = await verifyOne(
        target,
        options,
        checks,
        compiled?.get(target.folder),
        compileMs,
        assembled?.get(target.folder),
        linted?.has(target.folder) ? { ...(linted.get(target.folder) as LintOutcome), ms: lintMs } : undefined,
      );
      reports[i] = report;
      try {
        options.onReport?.(report);
      } catch {
        // a front end's display must not fail the verification
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency ?? 2, targets.length)) }, worker));
  return reports;
}

async function verifyOne(
  target: VerifyTarget,
  options: ResolvedOptions,
  checks: Set<CheckId>,
  shared: CompileOutcome | undefined,
  sharedMs: number,
  sharedAssembled?: AssembleOutcome,
  sharedLint?: LintOutcome & { readonly ms: number },
): Promise<VerifyReport> {
  const now = options.now ?? (() => new Date());
  const startedAt = now();
  const t0 = Date.now();
  const tool = { timeoutMs: options.timeoutMs ?? 180_000, signal: options.signal, bins: options.bins };
  const results: CheckResult[] = [];
  const runFile = options.runs.fileOf(target.key);
  const scriptRel = scriptRelativePath({ integrationId: target.integrationId, id: target.interactionId, kind: target.kind });
  const attempt = target.run?.attempt ?? 1;
  const progress = (check: CheckId, outcome: CheckProgress) => {
    try {
      options.onProgress?.(target.key, check, outcome);
    } catch {
      // a front end's progress display must not fail the verification
    }
  };

  const timed = async (check: CheckId, fn: () => Promise<Omit<CheckResult, 'check' | 'durationMs'>>): Promise<void> => {
    if (!checks.has(check)) return;
    if ((check !== 'compile' || !shared) && (check !== 'lint' || !sharedLint)) progress(check, 'running');
    const c0 = Date.now();
    try {
      const r = await fn();
      results.push({ check, durationMs: Date.now() - c0, ...r });
      progress(check, r.outcome);
    } catch (err) {
      progress(check, 'error');
      results.push({
        check,
        outcome: 'error',
        durationMs: Date.now() - c0,
        detail: (err as Error).message,
        findings: [{ check, rule: `${check}.could-not-run`, severity: 'error', message: `the ${check} check could not run: ${(err as Error).message}` }],
      });
    }
  };

  const folderExists = await fs.stat(target.folder).then(
    (s) => s.isDirectory(),
    () => false,
  );
  const source = await fs.readFile(path.join(target.folder, ...scriptRel.split('/')), 'utf8').catch(() => undefined);
  if (!folderExists || source === undefined) {
    const finding: Finding = {
      check: 'compile',
      rule: folderExists ? 'folder.no-script' : 'folder.missing',
      severity: 'error',
      message: folderExists ? `the interaction's script ${scriptRel} does not exist` : `the interaction folder ${target.folder} does not exist`,
      location: folderExists ? { file: scriptRel } : undefined,
    };
    progress('compile', 'failed');
    return report(target, attempt, startedAt, Date.now() - t0, [{ check: 'compile', outcome: 'failed', durationMs: 0, findings: [finding] }]);
  }

  // Fixtures first: when the baseline vouches for the generated tests, the tests check need not
  // generate them again to compare.
  let testsVouched = false;
  // The guard's log of what it reverted. A missing log is an empty one; a log that cannot be read is
  // not "no violations" (fail closed): it is a finding, and the fixtures cannot vouch for the tests.
  let violationsUnreadable: string | undefined;
  const violations = target.run
    ? await readViolations(violationLogFor(runFile)).catch((err: Error) => {
        violationsUnreadable = err.message;
        return [];
      })
    : [];
  await timed('fixtures', async () => {
    if (!target.run) return { outcome: 'skipped', findings: [], detail: 'no harness run recorded for this folder' };
    const r = await fixtureFindings(target.folder, baselineDirFor(runFile), violations, {
      runsDir: options.runs.dir,
      key: target.run.key,
      attempt: target.run.attempt,
      baselineSeal: target.run.baselineSeal,
    });
    const findings = violationsUnreadable
      ? [
          ...r.findings,
          {
            check: 'fixtures' as const,
            rule: 'fixtures.violations-unreadable',
            severity: 'error' as const,
            message: `the fixture guard's log of this run (${violationLogFor(runFile)}) cannot be read, so what it reverted is unknown: ${violationsUnreadable}`,
          },
        ]
      : r.findings;
    testsVouched = r.testsVouched && !violationsUnreadable;
    return { outcome: outcomeOf(findings), findings, detail: r.detail };
  });
  await timed('compile', async () => {
    const own = await ownPackageFindings(target.folder);
    const r = shared ?? (await nangoCompile(target.folder, tool, target.integrationId));
    const findings = [...own, ...r.findings];
    return { outcome: r.ran ? outcomeOf(findings) : 'error', findings, detail: r.detail };
  });
  if (sharedLint) {
    const l = results.find((r) => r.check === 'lint');
    if (l) (l as { durationMs: number }).durationMs = Math.round(sharedLint.ms);
  }
  if (shared && checks.has('compile')) {
    const c = results.find((r) => r.check === 'compile');
    if (c) (c as { durationMs: number }).durationMs = Math.round(sharedMs);
  }
  // Verified must mean "assembles": the interaction's files, laid into a fresh project as Assemble writes them, compile.
  await timed('assemble', async () => {
    const own = results.find((r) => r.check === 'compile');
    if (own && own.outcome !== 'passed' && own.outcome !== 'warning') {
      const f = await unitOnlyFindings(target, scriptRel);
      if (!f.length)
        return { outcome: 'skipped', findings: [], detail: 'the folder itself does not compile, so its assembled copy was not compiled (see compile)' };
      return { outcome: outcomeOf(f), findings: f };
    }
    const r = sharedAssembled ?? (await assembleFindings(target, path.join(options.runs.dir, '.verify'), tool));
    return { outcome: r.ran ? outcomeOf(r.findings) : 'error', findings: r.findings, detail: r.detail };
  });
  await timed('tests', async () => {
    const undo = await undoAdditions(target.folder, target.integrationId);
    try {
      const r = await testFindings(target.folder, target.integrationId, tool, { vouched: testsVouched, scratchDir: path.join(options.runs.dir, '.verify') });
      return { outcome: r.ran || r.findings.length ? outcomeOf(r.findings) : 'error', findings: r.findings, detail: r.detail };
    } finally {
      await undo();
    }
  });
  await timed('lint', async () => {
    const r = sharedLint ?? (await lintFindings(target.folder, [scriptRel], tool));
    // Not linted for a link out of the folder: the confinement check's finding names it (one cause, one
    // finding); without that check, not linted is a finding of its own (fail closed).
    if (r.linkOut && checks.has('confinement')) return { outcome: 'skipped', findings: [], detail: r.detail };
    return { outcome: r.ran ? outcomeOf(r.findings) : 'error', findings: r.findings, detail: r.detail };
  });

  // The transcript: confinement and the rules.
  let transcript: Transcript | undefined;
  let transcriptProblem: string | undefined;
  if (target.run) {
    try {
      await options.runs.flush();
      transcript = await readTranscriptFile(options.runs.transcriptOf(target.key, attempt), attempt);
    } catch (err) {
      transcriptProblem =
        (err as NodeJS.ErrnoException).code === 'ENOENT'
          ? 'the transcript of this attempt is missing'
          : `the transcript cannot be read: ${(err as Error).message}`;
      // The session itself still holds what happened, when its server can be reached.
      let messages = await options.sessionMessages?.(target).catch(() => undefined);
      if (!messages?.length && options.opencodeStore && target.run?.sessionId)
        messages = await sessionFromStore(options.opencodeStore, target.run.sessionId).catch(() => undefined);
      if (messages?.length) {
        transcript = transcriptFromMessages(messages, attempt);
        transcriptProblem = undefined;
      }
    }
  } else transcriptProblem = 'no harness run recorded for this folder, so there is no transcript';
  const unreadable: Finding[] = transcriptProblem
    ? [{ check: 'transcript', rule: 'transcript.unreadable', severity: target.run ? 'error' : 'warning', message: transcriptProblem }]
    : transcript?.unreadableLines.length
      ? [
          {
            check: 'transcript',
            rule: 'transcript.unreadable',
            severity: 'warning',
            message: `${transcript.unreadableLines.length} line(s) of the transcript are not JSON (first: line ${(transcript.unreadableLines[0] as number) + 1})`,
          },
        ]
      : [];

  await timed('confinement', async () => {
    if (!transcript) return { outcome: 'skipped', findings: [], detail: transcriptProblem };
    const f = confinementFindings(transcript, target.folder);
    return { outcome: outcomeOf(f), findings: f };
  });
  await timed('transcript', async () => {
    const ctx: RuleContext = transcript
      ? { transcript, folder: target.folder, integrationId: target.integrationId, interactionId: target.interactionId, scriptRel, violations }
      : emptyContext(target, scriptRel);
    // Without a transcript only the rules on the script itself can run (and no claim can be judged).
    const f: Finding[] = [
      ...unreadable,
      ...transcriptRules(
        ctx,
        source,
        target.kind,
        results.flatMap((r) => r.findings),
        { withTranscript: !!transcript },
      ),
    ];
    return { outcome: outcomeOf(f), findings: f };
  });

  dedupeCasts(results);
  return report(target, attempt, startedAt, Date.now() - t0, results);
}

function emptyContext(target: VerifyTarget, scriptRel: string): RuleContext {
  return {
    transcript: { attempt: 1, entries: [], unreadableLines: [] },
    folder: target.folder,
    integrationId: target.integrationId,
    interactionId: target.interactionId,
    scriptRel,
    violations: [],
  };
}

/**
 * Verify leaves the folder as it found it, so a second Verify gives the same verdict. The tests check
 * writes into the folder when it has a fixture but no generated test: `generate:tests` writes the test
 * and vitest's `vite.config.ts` and `vitest.setup.ts`, and vitest its cache under `node_modules/`. Left
 * there, the test would be one that appeared without the recorder (fixtures.unexpected) the next time.
 * What appeared at those places while the check ran is removed when it ends (never through a link).
 */
async function undoAdditions(folder: string, integrationId: string): Promise<() => Promise<void>> {
  const tests = testsDirOf(integrationId);
  const present = async (): Promise<Set<string>> => {
    const names = ancestorsAreRealDirs(folder, `${tests}/-`) ? await fs.readdir(path.join(folder, ...tests.split('/'))).catch(() => [] as string[]) : [];
    const root: string[] = [];
    for (const n of ['vite.config.ts', 'vitest.setup.ts', 'node_modules'])
      if (
        await fs.lstat(path.join(folder, n)).then(
          () => true,
          () => false,
        )
      )
        root.push(n);
    return new Set([...names.map((n) => `${tests}/${n}`), ...root]);
  };
  const before = await present();
  return async () => {
    for (const rel of await present()) {
      if (!before.has(rel) && ancestorsAreRealDirs(folder, rel))
        await fs.rm(path.join(folder, ...rel.split('/')), { recursive: true, force: true }).catch(() => undefined);
    }
  };
}

/** `as any` is the transcript rule's; the lint rule on the same line would count it twice. */
function dedupeCasts(results: CheckResult[]): void {
  const castLines = new Set(
    results
      .flatMap((r) => r.findings)
      .filter((f) => f.rule === 'code.as-any')
      .map((f) => `${f.location?.file}:${f.location?.line}`),
  );
  const lint = results.find((r) => r.check === 'lint');
  if (!lint || !castLines.size) return;
  const kept = lint.findings.filter((f) => !(f.rule === 'lint.no-object-casting' && castLines.has(`${f.location?.file}:${f.location?.line}`)));
  const i = results.indexOf(lint);
  results[i] = { ...lint, findings: kept, outcome: lint.outcome === 'error' ? 'error' : outcomeOf(kept) };
}

function outcomeOf(findings: readonly Finding[]): CheckOutcome {
  if (findings.some((f) => f.severity === 'error')) return 'failed';
  if (findings.some((f) => f.severity === 'warning')) return 'warning';
  return 'passed';
}

export function verdictOf(checks: readonly CheckResult[]): Verdict {
  if (checks.some((c) => c.outcome === 'failed' || c.outcome === 'error')) return 'failed';
  // A note (info) is shown but holds nothing: Nango's own advisory lint on code its guidance accepts.
  if (checks.some((c) => c.outcome === 'warning' || c.findings.some((f) => f.severity !== 'info'))) return 'needs-review';
  return 'verified';
}

function report(target: VerifyTarget, attempt: number, startedAt: Date, durationMs: number, checks: CheckResult[]): VerifyReport {
  return {
    version: 1,
    key: target.key,
    integrationId: target.integrationId,
    interactionId: target.interactionId,
    folder: target.folder,
    attempt,
    verdict: verdictOf(checks),
    checks,
    startedAt: startedAt.toISOString(),
    durationMs,
    ...(target.run?.sandbox === 'unsandboxed' ? { unsandboxed: true } : {}),
  };
}

// ---------------------------------------------------------------------------------------------
// Persistence and CI formats

/** `<workRoot>/.runs/<integration>/<interaction>.json` → `….verify.json` */
export function reportFileFor(runRecordFile: string): string {
  return runRecordFile.replace(/\.json$/, '') + '.verify.json';
}

export async function saveReport(report: VerifyReport, runRecordFile: string): Promise<void> {
  const file = reportFileFor(runRecordFile);
  await fs.mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  await fs.writeFile(tmp, JSON.stringify(report, null, 2) + '\n');
  await fs.rename(tmp, file);
}

export async function loadReport(runRecordFile: string): Promise<VerifyReport | undefined> {
  try {
    const r = JSON.parse(await fs.readFile(reportFileFor(runRecordFile), 'utf8')) as VerifyReport;
    return r?.version === 1 && typeof r.key === 'string' ? r : undefined;
  } catch {
    return undefined;
  }
}

const xml = (s: string) =>
  s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    // eslint-disable-next-line no-control-regex -- XML 1.0 cannot hold these characters at all
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '');

/** JUnit XML for CI: one suite per integration, one test case per interaction and check. */
export function reportToJUnit(reports: readonly VerifyReport[]): string {
  const byIntegration = new Map<string, VerifyReport[]>();
  for (const r of reports) byIntegration.set(r.integrationId, [...(byIntegration.get(r.integrationId) ?? []), r]);
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  const total = reports.reduce((n, r) => n + r.checks.length, 0);
  const failures = reports.reduce((n, r) => n + r.checks.filter((c) => c.outcome === 'failed').length, 0);
  const errors = reports.reduce((n, r) => n + r.checks.filter((c) => c.outcome === 'error').length, 0);
  out.push(`<testsuites name="Integration Builder verification" tests="${total}" failures="${failures}" errors="${errors}">`);
  for (const [integration, list] of byIntegration) {
    const cases = list.flatMap((r) => r.checks.map((c) => ({ r, c })));
    out.push(
      `  <testsuite name="${xml(integration)}" tests="${cases.length}" failures="${cases.filter((x) => x.c.outcome === 'failed').length}" errors="${cases.filter((x) => x.c.outcome === 'error').length}" skipped="${cases.filter((x) => x.c.outcome === 'skipped').length}">`,
    );
    for (const { r, c } of cases) {
      const name = `${r.interactionId} ${c.check}`;
      const body = c.findings
        .map(
          (f) =>
            `${f.severity} ${f.rule}: ${f.message}${f.location ? ` (${f.location.file}${f.location.line ? `:${f.location.line}` : ''})` : ''}${f.step ? ` [transcript attempt ${f.step.attempt} entry ${f.step.line + 1}]` : ''}`,
        )
        .join('\n');
      out.push(`    <testcase classname="${xml(`${r.integrationId}.${r.interactionId}`)}" name="${xml(name)}" time="${(c.durationMs / 1000).toFixed(3)}">`);
      if (c.outcome === 'failed')
        out.push(`      <failure message="${xml(c.findings.find((f) => f.severity === 'error')?.message ?? 'failed')}">${xml(body)}</failure>`);
      else if (c.outcome === 'error') out.push(`      <error message="${xml(c.detail ?? 'could not run')}">${xml(body)}</error>`);
      else if (c.outcome === 'skipped') out.push(`      <skipped message="${xml(c.detail ?? 'skipped')}"/>`);
      else if (body) out.push(`      <system-out>${xml(body)}</system-out>`);
      out.push('    </testcase>');
    }
    out.push('  </testsuite>');
  }
  out.push('</testsuites>');
  return out.join('\n') + '\n';
}
