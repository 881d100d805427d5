// Confinement: every path a tool call names stays inside the interaction's folder, and no link in the
// folder leads out of it (a link is how a path spelled inside reaches outside). Another interaction's
// folder is the transcript rule `transcript.neighbour-access` (not counted twice here).
import { realpathSync } from 'node:fs';
import * as path from 'node:path';
import { relativeTo } from '../guard/protectedPaths';
import { escapingLinks, resolveReal } from '../sandbox/fileAccess';
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
  return [...out, ...linkFindings(folder)];
}

/** Links in the folder whose target is outside it (followed to the end); a folder too large to scan is a finding too. */
export function linkFindings(folder: string): Finding[] {
  let real: string;
  try {
    real = realpathSync(folder);
  } catch {
    return [];
  }
  const { links, complete } = escapingLinks(real, real);
  const out: Finding[] = links.map((l) => ({
    check: 'confinement',
    rule: 'confinement.link-out',
    severity: 'error',
    message: `${path.relative(real, l)} is a link out of the interaction's folder (to ${resolveReal(l)}): whatever reads or writes through it leaves the folder`,
    location: { file: path.relative(real, l).split(path.sep).join('/') },
  }));
  if (!complete) out.push({ check: 'confinement', rule: 'confinement.unchecked', severity: 'error', message: 'the folder holds too many entries to check every link in it' });
  return out;
}
