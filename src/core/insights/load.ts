// Reads what the insights report is made of from a work root: the run records in `.runs/`, every
// attempt's transcript beside them and the latest verification report of each interaction. Nothing
// else (no spec, no server), so a work root merged from shards reads the same. What cannot be read is
// returned as a problem, never as "nothing there".
import { promises as fs } from 'node:fs';
import { RunStore, parseTranscriptLines } from '../runs/store';
import { reportFileFor } from '../verify/index';
import type { VerifyReport } from '../verify/types';
import { buildInsightsReport, transcriptId, type EvidenceProblem, type InsightsInput, type InsightsReport, type TranscriptEvidence } from './report';

async function readTranscriptEvidence(file: string): Promise<TranscriptEvidence> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'missing', file };
    return { kind: 'unreadable', file, message: (err as Error).message };
  }
  return { kind: 'read', file, entries: parseTranscriptLines(text) };
}

/** The report kept for `key`, undefined when there is none; throws (saying why) when one is there but cannot be used. */
async function readReport(file: string, key: string, attempt: number): Promise<VerifyReport | undefined> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`the verification report cannot be read: ${(err as Error).message}`);
  }
  let report: VerifyReport;
  try {
    report = JSON.parse(text) as VerifyReport;
  } catch (err) {
    throw new Error(`the verification report is not valid JSON (truncated or corrupt): ${(err as Error).message}`);
  }
  if (!report || typeof report !== 'object' || report.version !== 1 || !Array.isArray(report.checks)) throw new Error('not a verification report (version 1)');
  if (report.key !== key) throw new Error(`the verification report is of ${JSON.stringify(report.key)}, not ${key}; it was left out`);
  if (!Number.isInteger(report.attempt) || report.attempt < 1 || report.attempt > attempt)
    throw new Error(
      `the verification report names attempt ${JSON.stringify(report.attempt)}, which the run record (attempt ${attempt}) does not have; it was left out`,
    );
  if (!report.checks.every((c) => c && Array.isArray(c.findings)))
    throw new Error('the verification report is incomplete (a check without findings); it was left out');
  return report;
}

/** Everything the report is built from, read from `<workRoot>/.runs/`. */
export async function loadInsightsInput(workRoot: string, now: Date = new Date()): Promise<InsightsInput> {
  const store = new RunStore(workRoot);
  const { records, problems: recordProblems } = await store.loadAllChecked();
  const problems: EvidenceProblem[] = recordProblems.map((p) => ({ kind: 'record', file: p.file, key: p.key, message: p.message }));
  const transcripts = new Map<string, TranscriptEvidence>();
  const reports: VerifyReport[] = [];
  await Promise.all(
    records.map(async (run) => {
      const attempts = [...new Set([...run.history.map((h) => h.attempt), run.attempt])].filter((a) => Number.isInteger(a) && a >= 1);
      for (const attempt of attempts) transcripts.set(transcriptId(run.key, attempt), await readTranscriptEvidence(store.transcriptOf(run.key, attempt)));
      const file = reportFileFor(store.fileOf(run.key));
      try {
        const report = await readReport(file, run.key, run.attempt);
        if (report) reports.push(report);
      } catch (err) {
        problems.push({ kind: 'report', file, key: run.key, message: (err as Error).message });
      }
    }),
  );
  reports.sort((a, b) => a.key.localeCompare(b.key));
  return { records, transcripts, reports, problems, generatedAt: now.toISOString(), workRoot };
}

/** The insights report of a work root. */
export async function buildInsights(workRoot: string, opts: { now?: Date; slowestCount?: number } = {}): Promise<InsightsReport> {
  const input = await loadInsightsInput(workRoot, opts.now);
  return buildInsightsReport({ ...input, slowestCount: opts.slowestCount });
}
