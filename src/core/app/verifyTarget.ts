// What Verify checks for a run: one rule for every front end (the editor with or without a running
// service, the CLI, the orchestrator's own Verify All), which used to be written three times and
// disagreed. The folder is always the interaction's own under the work root — a run record cannot point
// Verify at another folder. The kind is the spec's; without a spec entry, the script in the folder says
// it (`syncs/<id>.ts` is a sync, anything else an action).
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import type { RunRecord } from '../runs/record';
import type { VerifyTarget } from '../verify/types';
import { interactionFolder } from '../workspace/paths';

export function verifyTargetOf(workRoot: string, run: RunRecord, specKind?: 'action' | 'sync'): VerifyTarget {
  const folder = interactionFolder(workRoot, run.integrationId, run.interactionId);
  return {
    key: run.key,
    integrationId: run.integrationId,
    interactionId: run.interactionId,
    kind: specKind ?? kindInFolder(folder, run.integrationId, run.interactionId),
    folder,
    run,
  };
}

/** The kind an interaction folder's script says: `<integration>/syncs/<id>.ts` is a sync. */
export function kindInFolder(folder: string, integrationId: string, interactionId: string): 'action' | 'sync' {
  return existsSync(path.join(folder, integrationId, 'syncs', `${interactionId}.ts`)) ? 'sync' : 'action';
}
