// What runs have spent, counted one way for every view: the status bar, the Agents panel's header and
// rows, the tree's tooltips, the CLI and the insights report all call these.
import { totalTokens, type Tokens } from '../agent/events';

/** The part of a run record (src/core/runs/record.ts) that says what it spent. */
interface Spending {
  readonly costUsd: number;
  readonly tokens: Tokens;
}
type WithHistory = Spending & { readonly history: readonly Spending[] };

export interface Spent {
  readonly costUsd: number;
  /** Tokens as `totalTokens` counts them (src/core/agent/events.ts). */
  readonly tokens: number;
}

/** The current attempt's spend. */
export function attemptSpent(run: Spending): Spent {
  return { costUsd: run.costUsd, tokens: totalTokens(run.tokens) };
}

/** What earlier attempts of the interaction spent (restarts keep them in the history). */
export function priorSpent(run: Pick<WithHistory, 'history'>): Spent {
  let costUsd = 0;
  let tokens = 0;
  for (const h of run.history) {
    costUsd += h.costUsd;
    tokens += totalTokens(h.tokens);
  }
  return { costUsd, tokens };
}

/** What the interaction has cost so far: every attempt. */
export function interactionSpent(run: WithHistory): Spent {
  const now = attemptSpent(run);
  const before = priorSpent(run);
  return { costUsd: now.costUsd + before.costUsd, tokens: now.tokens + before.tokens };
}

/** The sum over runs: the one total every view shows. */
export function totalSpent(runs: Iterable<WithHistory>): Spent {
  let costUsd = 0;
  let tokens = 0;
  for (const r of runs) {
    const s = interactionSpent(r);
    costUsd += s.costUsd;
    tokens += s.tokens;
  }
  return { costUsd, tokens };
}
