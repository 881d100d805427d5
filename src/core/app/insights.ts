// Insights for the front ends (the CLI's `report`, the editor's Insights tab): build the report of a
// work root, render it as the self-contained page, write that page without ever leaving half of it.
import * as path from 'node:path';
import { writeFileAtomic } from '../guard/atomicFile';
import { renderInsightsHtml, type InsightsHtmlOptions } from '../insights/html';
import type { InsightsReport } from '../insights/report';
import { DEFAULT_WORK_ROOT } from '../workspace/paths';

export { buildInsights } from '../insights/load';
export { formatDuration, formatUsd, renderInsightsHtml, type InsightsHtmlOptions } from '../insights/html';
export type { InsightsReport } from '../insights/report';

/** The work root a command means: the one given (relative to `base`), else the default under `base`. */
export function insightsWorkRoot(base: string, given: string | undefined): string {
  return path.resolve(base, given ?? DEFAULT_WORK_ROOT);
}

/** Writes the page atomically (a temp file beside it, then a rename). */
export async function writeInsightsPage(file: string, report: InsightsReport, opts: InsightsHtmlOptions = {}): Promise<void> {
  await writeFileAtomic(file, renderInsightsHtml(report, opts));
}
