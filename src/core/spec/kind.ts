// When an interaction does not say whether it is an action or a sync, we infer it — and say so.
import type { InteractionKind } from './schema';

export interface KindDecision {
  readonly kind: InteractionKind;
  /** True when the spec did not give `kind` and it was inferred. */
  readonly inferred: boolean;
  /** Plain sentence explaining the decision, shown in tooltips and prompts. */
  readonly reason: string;
}

// Words that mean "keep a copy of remote records up to date" rather than "do one thing now".
const SYNC_ID_WORDS = new Set(['sync', 'syncs', 'synchronize', 'synchronise', 'mirror', 'import', 'backfill']);
const SYNC_DESCRIPTION =
  /\b(sync(s|ed|ing|hroni[sz]e[sd]?)?|periodically|incremental(ly)?|every \d+ (minutes?|hours?)|keeps? .* up to date|all (records|changes))\b/i;

export function decideKind(id: string, description: string, explicit: InteractionKind | undefined): KindDecision {
  if (explicit) return { kind: explicit, inferred: false, reason: `kind "${explicit}" is set in the spec` };
  // Ids are words joined by dashes or underscores (`sync-users`, `sync_users`).
  const word = id.split(/[-_]/).find((w) => SYNC_ID_WORDS.has(w));
  if (word) {
    return { kind: 'sync', inferred: true, reason: `inferred "sync" from the word "${word}" in the id "${id}"` };
  }
  const m = SYNC_DESCRIPTION.exec(description);
  if (m) {
    return { kind: 'sync', inferred: true, reason: `inferred "sync" from "${m[0]}" in the description` };
  }
  return {
    kind: 'action',
    inferred: true,
    reason: 'inferred "action": neither the id nor the description speaks of syncing; set "kind" to be explicit',
  };
}
