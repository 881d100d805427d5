// What a code rule says about a script, before the transcript step that brought it in is looked up.
import type { Severity } from '../types';

export interface CodeFinding {
  /** `code.as-any`, `code.explicit-any`, `sdk.retries-skipped`, `sdk.pagination-skipped`, `sdk.untyped-models`, `toolchain.missing`. */
  readonly rule: string;
  readonly severity: Severity;
  readonly message: string;
  /** Relative to the interaction folder, posix. */
  readonly file: string;
  readonly line?: number;
  readonly quote?: string;
  /** What the agent's write that brought the problem in contains, to point at that step. */
  readonly needle?: RegExp;
}

const clip = (s: string, n: number) => {
  const one = s.replace(/\s+/g, ' ').trim();
  return one.length > n ? `${one.slice(0, n - 1)}…` : one;
};

/** The source line `line` (1-based), on one line and clipped, for a finding's quote. */
export function quoteLine(text: string, line: number, n = 120): string {
  return clip(text.split('\n')[line - 1] ?? '', n);
}

/** A node's source on one line, clipped. */
export function quoteText(text: string, n = 100): string {
  return clip(text, n);
}

/** A regex matching `text` with any whitespace where it has some (so a reformatted write still matches). */
export function needleOf(text: string): RegExp {
  const words = text
    .trim()
    .split(/\s+/)
    .map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(words.join('\\s+'));
}

/**
 * The prose of a file's comments, for rules that accept "a comment saying why": comment markers gone,
 * consecutive line comments read as one text (a reason wraps over lines), links left out (a docs URL
 * such as `…/retries` or `…/pagination` names a page, it gives no reason).
 */
export function proseOf(comments: readonly string[]): string {
  return comments
    .map((c) => c.replace(/^\/\/+|^\/\*+|\*+\/$/g, '').replace(/^\s*\*+/gm, ''))
    .join(' ')
    .replace(/https?:\/\/\S+/g, ' ')
    .replace(/\s+/g, ' ');
}
