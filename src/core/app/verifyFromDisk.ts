// Verify from the records on disk, without a running service: the one implementation the CLI's
// `verify` and the editor's Verify (before any agent ran in this window) call. It used to be written
// in each front end, and they disagreed on what to skip and on unreadable records.
import { applyVerdict } from '../runs/verdict';
import type { RunRecord } from '../runs/record';
import type { RunStore } from '../runs/store';
import type { Verifier } from '../orchestrator';
import type { VerifyListeners, VerifyReport, VerifyTarget } from '../verify/types';
import { interactionFolder } from '../workspace/paths';
import { runAsItStands, runByAnotherProcess } from './runView';
import { verifyTargetOf } from './verifyTarget';

/** What the spec says of an interaction (its kind decides the checks). */
export interface SpecInteraction {
  readonly key: string;
  readonly integrationId: string;
  readonly interactionId: string;
  readonly kind: 'action' | 'sync';
}

export interface VerifyFromDiskOptions extends VerifyListeners {
  readonly workRoot: string;
  readonly runs: RunStore;
  readonly verifier: Verifier;
  /** The interactions asked about (default: every run on disk). */
  readonly keys?: readonly string[];
  /** The spec's interactions, by key: their kind, and what to verify for one asked about that never ran. */
  readonly spec?: ReadonlyMap<string, SpecInteraction>;
  /** Verify an interaction asked about by name even without a run (its folder, as it is). */
  readonly includeNotRun?: boolean;
  readonly signal?: AbortSignal;
}

export interface VerifyFromDiskResult {
  readonly reports: VerifyReport[];
  /** Interactions that could not be verified, with why (an unreadable record, a run still going on). */
  readonly unverifiable: readonly { readonly key: string; readonly message: string }[];
  /** The records the verdicts were applied to (saved). */
  readonly updated: readonly RunRecord[];
}

export async function verifyFromDisk(o: VerifyFromDiskOptions): Promise<VerifyFromDiskResult> {
  const { records, problems } = await o.runs.loadAllChecked();
  const keys = o.keys ?? [...new Set([...records.map((r) => r.key), ...problems.flatMap((p) => (p.key ? [p.key] : []))])].sort();
  const unverifiable: { key: string; message: string }[] = [];
  const chosen: VerifyTarget[] = [];
  const verifiedRuns = new Map<string, RunRecord>();
  for (const key of keys) {
    // Evidence that cannot be read fails closed: said, counted as not verified, never skipped.
    const bad = problems.find((p) => p.key === key);
    if (bad) {
      unverifiable.push({ key, message: `its run record ${bad.file} cannot be used: ${bad.message}` });
      continue;
    }
    const stored = records.find((r) => r.key === key);
    const spec = o.spec?.get(key);
    if (!stored) {
      if (o.includeNotRun && spec)
        chosen.push({
          key,
          integrationId: spec.integrationId,
          interactionId: spec.interactionId,
          kind: spec.kind,
          folder: interactionFolder(o.workRoot, spec.integrationId, spec.interactionId),
        });
      continue;
    }
    if (runByAnotherProcess(stored)) {
      unverifiable.push({ key, message: `another process on this machine (pid ${stored.owner?.pid}) is running it; verify it when it ends` });
      continue;
    }
    // A record left running by a process that is gone is verified as what it is: cut short.
    const run = runAsItStands(stored);
    verifiedRuns.set(key, run);
    // The folder is always the interaction's own under this work root (a record cannot point Verify elsewhere).
    chosen.push(verifyTargetOf(o.workRoot, run, spec?.kind));
  }
  const reports = chosen.length ? await o.verifier(chosen, { onProgress: o.onProgress, onReport: o.onReport, signal: o.signal }) : [];
  const updated: RunRecord[] = [];
  for (const report of reports) {
    const run = verifiedRuns.get(report.key);
    if (!run) continue;
    applyVerdict(run, report);
    await o.runs.save(run);
    updated.push(run);
  }
  await o.runs.flush();
  return { reports, unverifiable, updated };
}
