// integration-builder report: insights for a batch, from a work root's run records and transcripts only
// (no spec needed, no server), so it reads a work root merged from shards as well as a local one.
//
//   report               a short summary on stdout
//   report --json        the whole InsightsReport as JSON on stdout
//   report --html <file> the self-contained page, written atomically (with --json too: both)
//
// Exit codes: 0 the report was made from every piece of evidence; 1 it was made, but some records,
// transcripts or reports cannot be read (each is listed, in the report and on stderr); 2 bad input,
// before anything is read or written.
import { existsSync, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { buildInsights, formatDuration, formatUsd, insightsWorkRoot, writeInsightsPage, type InsightsReport } from '../core/app/insights';

/** What `report` reads of the parsed command line (the CLI's options, which it is given whole). */
export interface ReportOptions {
  readonly ids: readonly string[];
  readonly spec?: string;
  readonly workRoot?: string;
  readonly json: boolean;
  readonly html?: string;
  // The other commands' options, refused here.
  readonly all: boolean;
  readonly model?: string;
  readonly demo: boolean;
  readonly junit?: string;
  readonly verify: boolean;
  readonly force: boolean;
  readonly includeUnverified: boolean;
  readonly project?: string;
  readonly opencode?: string;
  readonly allowUnsandboxed: boolean;
}

export interface ReportIo {
  out: (s: string) => void;
  err: (s: string) => void;
  cwd: string;
}

/** Options of the other commands that mean nothing here: refused rather than silently ignored. */
function optionProblem(o: ReportOptions): string | undefined {
  if (o.ids.length) return `report takes no ids (it covers every run in the work root), not ${o.ids.join(' ')}`;
  const other: [boolean, string][] = [
    [o.all, '--all'],
    [o.model !== undefined, '--model'],
    [o.demo, '--demo'],
    [o.junit !== undefined, '--junit'],
    [!o.verify, '--no-verify'],
    [o.force, '--force'],
    [o.includeUnverified, '--include-unverified'],
    [o.project !== undefined, '--project'],
    [o.opencode !== undefined, '--opencode'],
    [o.allowUnsandboxed, '--allow-unsandboxed'],
  ];
  const given = other.filter(([on]) => on).map(([, flag]) => flag);
  return given.length ? `report does not take ${given.join(', ')} (it takes --work-root, --spec, --json, --html <file>)` : undefined;
}

/** Why the page cannot be written to `file`; undefined when it can. */
async function htmlTargetProblem(file: string): Promise<string | undefined> {
  const what = `--html ${file}`;
  const st = await fs.stat(file).catch((err: NodeJS.ErrnoException) => err);
  if (!(st instanceof Error)) return st.isFile() ? undefined : `${what} cannot be written: it is ${st.isDirectory() ? 'a folder' : 'not a regular file'}`;
  if (st.code === 'ENOTDIR') return `${what} cannot be written: a name on its path is a file, not a folder`;
  if (st.code !== 'ENOENT') return `${what} cannot be checked: ${st.message}`;
  const dir = await fs.stat(path.dirname(file)).catch((err: NodeJS.ErrnoException) => err);
  if (dir instanceof Error)
    return dir.code === 'ENOENT' ? `${what} cannot be written: its folder ${path.dirname(file)} does not exist` : `${what} cannot be checked: ${dir.message}`;
  if (!dir.isDirectory()) return `${what} cannot be written: ${path.dirname(file)} is not a folder`;
  return undefined;
}

function summary(r: InsightsReport): string {
  const t = r.totals;
  const lines = [
    `${t.interactions} interaction(s) of ${t.apis} API(s), ${t.attempts} attempt(s): ${formatUsd(t.costUsd)}, ${t.totalTokens.toLocaleString('en-US')} tokens`,
    `agent time ${formatDuration(t.time.wallMs)}${t.attemptsWithoutTime ? ` (+${t.attemptsWithoutTime} attempt(s) unknown)` : ''}: model ${formatDuration(t.time.modelMs)}, tools ${formatDuration(t.time.toolMs)}, toolchain ${formatDuration(t.time.toolchainMs)}, waiting ${formatDuration(t.time.waitingMs)}`,
    ...r.apis.map((a) => `  ${a.integrationId.padEnd(28)} ${formatUsd(a.costUsd).padStart(10)}  ${formatDuration(a.time.wallMs)}`),
  ];
  const tx = r.taxonomy;
  lines.push(
    `verifications: ${tx.verdicts.verified} verified, ${tx.verdicts.failed} failed, ${tx.verdicts['needs-review']} need review, ${tx.verdicts.unverified} not verified`,
  );
  for (const f of tx.findings.slice(0, 5)) lines.push(`  ${f.severity.padEnd(7)} ${f.rule} in ${f.interactions} interaction(s)`);
  if (r.slowestToolCalls.length) lines.push('slowest tool calls:');
  for (const c of r.slowestToolCalls.slice(0, 5)) lines.push(`  ${formatDuration(c.durationMs).padStart(12)}  ${c.key} #${c.attempt}  ${c.what}`);
  for (const n of r.notes) lines.push(`note: ${n}`);
  return lines.join('\n');
}

export async function runReport(o: ReportOptions, io: ReportIo): Promise<number> {
  const bad = (message: string) => {
    io.err(`integration-builder report: ${message}`);
    return 2;
  };
  const problem = optionProblem(o);
  if (problem) return bad(problem);
  let base = io.cwd;
  if (o.spec) {
    const spec = path.resolve(io.cwd, o.spec);
    if (!existsSync(spec)) return bad(`the spec ${o.spec} does not exist`);
    base = path.dirname(spec);
  }
  const workRoot = insightsWorkRoot(base, o.workRoot);
  const root = await fs.stat(workRoot).catch((err: NodeJS.ErrnoException) => err);
  // A work root that cannot be read is said so, never taken for an absent one.
  if (root instanceof Error && root.code !== 'ENOENT') return bad(`the work root ${workRoot} cannot be read: ${root.message}`);
  if (root instanceof Error || !root.isDirectory()) return bad(`there is no work root at ${workRoot}${o.workRoot ? '' : ' (pass --work-root <dir>)'}`);
  const htmlFile = o.html ? path.resolve(io.cwd, o.html) : undefined;
  if (htmlFile) {
    const why = await htmlTargetProblem(htmlFile);
    if (why) return bad(`${why}; nothing was written`);
  }

  let report: InsightsReport;
  try {
    report = await buildInsights(workRoot);
  } catch (err) {
    io.err(`integration-builder report: ${(err as Error).message}`);
    return 1;
  }
  if (htmlFile) {
    try {
      await writeInsightsPage(htmlFile, report);
    } catch (err) {
      io.err(`integration-builder report: the page could not be written to ${htmlFile}: ${(err as Error).message}`);
      return 1;
    }
    io.err(`wrote ${htmlFile}`);
  }
  if (o.json) io.out(JSON.stringify(report, null, 2));
  else if (!htmlFile) io.out(summary(report));
  for (const p of report.problems) io.err(`cannot be read: ${p.file}: ${p.message}`);
  return report.problems.length ? 1 : 0;
}
