// How a stored run record is to be shown and treated by the front ends, where the record alone does
// not say it: a run left `running` by a process that is gone, or one another live process runs now.
import { cutShort, ownerState, thisProcess } from '../runs/owner';
import type { RunRecord } from '../runs/record';

/** The record as it stands: one whose process is gone before it could write its end is interrupted. */
export function runAsItStands(run: RunRecord): RunRecord {
  const gone = cutShort(run);
  return gone ? { ...run, status: 'interrupted', detail: gone } : run;
}

/** A queued or running record that another live process on this machine is running now (leave it to it). */
export function runByAnotherProcess(run: RunRecord): boolean {
  if (run.status !== 'queued' && run.status !== 'running') return false;
  const own = thisProcess();
  return !!run.owner && (run.owner.pid !== own.pid || run.owner.host !== own.host) && ownerState(run.owner) === 'alive';
}
