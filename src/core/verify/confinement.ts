// Confinement: every path a tool call names stays inside the interaction's folder. Another
// interaction's folder is the transcript rule `transcript.neighbour-access` (not counted twice here).
import { relativeTo } from '../guard/protectedPaths';
import { describeCall, neighbourOf, pathsOf, refOf, resolveToolPath, toolCalls, type Transcript } from './transcript';
import type { Finding } from './types';

/** System paths a build reads without leaving its folder in any way that matters. */
const HARMLESS = [/^\/dev\/null$/, /^\/usr\/(bin|lib|share|local\/bin)\//, /^\/bin\//, /^\/tmp\/?$/];

export function confinementFindings(t: Transcript, folder: string): Finding[] {
  const out: Finding[] = [];
  for (const c of toolCalls(t)) {
    for (const p of pathsOf(c)) {
      const abs = resolveToolPath(folder, p);
      if (relativeTo(folder, abs) !== undefined) continue;
      if (neighbourOf(folder, abs)) continue;
      if (HARMLESS.some((re) => re.test(abs))) continue;
      out.push({
        check: 'confinement',
        rule: 'confinement.outside-folder',
        severity: 'error',
        message: `${c.tool} reached ${abs}, outside the interaction's folder${c.ok ? '' : ' (refused)'}`,
        quote: describeCall(c),
        step: refOf(t, c.entry),
      });
      break;
    }
  }
  return out;
}
