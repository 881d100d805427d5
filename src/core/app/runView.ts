// How a stored run record is to be shown and treated by the front ends, where the record alone does
// not say it: a run left `running` by a process that is gone, or one another live process runs now.
import { cutShort } from '../runs/owner';
import type { RunRecord } from '../runs/record';

/** The record as it stands: one whose process is gone before it could write its end is interrupted. */
export function runAsItStands(run: RunRecord): RunRecord {
  const gone = cutShort(run);
  return gone ? { ...run, status: 'interrupted', detail: gone } : run;
}

export { runByAnotherProcess } from '../runs/owner';
