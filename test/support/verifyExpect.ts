// Assertions on verification reports shared by the verify tests.
import { expect } from 'vitest';
import type { VerifyReport } from '../../src/core/verify';

/** The distinct rules of a report's findings, sorted. */
export const rulesOf = (r: VerifyReport | undefined): string[] => [...new Set((r?.checks ?? []).flatMap((c) => c.findings.map((f) => f.rule)))].sort();

/** A report's findings under one rule. */
export const findingsOf = (r: VerifyReport | undefined, rule: string) => (r?.checks ?? []).flatMap((c) => c.findings).filter((f) => f.rule === rule);

/** Verified with no finding at all: every check ran, in order, and passed. */
export function expectVerifiedClean(r: VerifyReport | undefined, label = r?.key): void {
  expect(r, label).toBeDefined();
  expect(rulesOf(r), label).toEqual([]);
  expect(
    r!.checks.map((c) => [c.check, c.outcome]),
    label,
  ).toEqual([
    ['fixtures', 'passed'],
    ['compile', 'passed'],
    ['assemble', 'passed'],
    ['tests', 'passed'],
    ['lint', 'passed'],
    ['confinement', 'passed'],
    ['transcript', 'passed'],
  ]);
  expect(r!.verdict, label).toBe('verified');
}
