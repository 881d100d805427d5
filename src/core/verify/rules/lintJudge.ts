// Nango's two advisory lint rules, read against the code they flag. ESLint reports
// `no-while-true` and `no-try-catch-unless-explicitly-allowed` at Nango's own severity (warn), and
// Nango's own gate passes with them (integration-templates runs `eslint .` without --max-warnings).
// Whether one is a problem depends on what the statement does, which the syntax tree shows:
// - `while (true)` around a read that saves a checkpoint on every page is how Nango's checkpoint
//   guidance pages by hand (resume from the saved cursor or sync token): accepted, kept as a note. So is
//   a loop over a GraphQL query (a request whose body holds `query`): its cursor is a query variable,
//   and `nango.paginate` can only put a cursor at the top of the body. Any other loop should use
//   `nango.paginate`: the warning stands.
// - a `try` whose catch rethrows, or a try/finally with no catch, still fails the run on an error:
//   accepted, kept as a note; so is a `try` around local code that awaits nothing (parsing a URL, a
//   date): no API call fails inside it. A catch that swallows the error turns a failed fetch into a quiet
//   success, and a `finally` that ends delete tracking runs after a failed fetch too — Nango then
//   deletes every record the sync did not see: both stand, and the message says why.
// A note (severity info) is shown with the other findings at its line; it does not hold the verdict.
import type * as ts from 'typescript';
import type { Finding } from '../types';
import { parseScript, type ParsedScript } from './script';
import type { TS } from '../../toolchain/typescript';

export const WHILE_TRUE = 'lint.no-while-true';
export const TRY_CATCH = 'lint.no-try-catch-unless-explicitly-allowed';

/** What the flagged statement does, and whether that is what Nango accepts. */
export interface LintJudgement {
  readonly accepted: boolean;
  readonly why: string;
}

export function judgeStatement(s: ParsedScript, rule: string, line: number): LintJudgement | undefined {
  const { ts } = s;
  let found: LintJudgement | undefined;
  const callsMethod = (n: ts.Node | undefined, name: RegExp): boolean => {
    let hit = false;
    const visit = (x: ts.Node) => {
      if (hit) return;
      if (ts.isCallExpression(x)) {
        const callee = x.expression;
        const method = ts.isPropertyAccessExpression(callee)
          ? callee.name.text
          : ts.isElementAccessExpression(callee) && ts.isStringLiteralLike(callee.argumentExpression)
            ? callee.argumentExpression.text
            : undefined;
        if (method && name.test(method)) hit = true;
      }
      ts.forEachChild(x, visit);
    };
    if (n) visit(n);
    return hit;
  };
  /** A `throw` that leaves the block itself (not one inside a function declared in it). */
  const throws = (n: ts.Node | undefined): boolean => {
    let hit = false;
    const visit = (x: ts.Node) => {
      if (hit || ts.isFunctionLike(x)) return;
      if (ts.isThrowStatement(x)) hit = true;
      else ts.forEachChild(x, visit);
    };
    if (n) visit(n);
    return hit;
  };
  /** An `await` in the block itself (not in a function declared in it). */
  const awaits = (n: ts.Node): boolean => {
    let hit = false;
    const visit = (x: ts.Node) => {
      if (hit || ts.isFunctionLike(x)) return;
      if (ts.isAwaitExpression(x) || (ts.isForOfStatement(x) && !!x.awaitModifier)) hit = true;
      else ts.forEachChild(x, visit);
    };
    visit(n);
    return hit;
  };
  /** A request in the block whose body is a GraphQL query (`data: { query, variables }`). */
  const graphQl = (n: ts.Node): boolean => {
    let hit = false;
    const visit = (x: ts.Node) => {
      if (hit) return;
      if (ts.isCallExpression(x) && ts.isPropertyAccessExpression(x.expression) && /^(post|proxy)$/.test(x.expression.name.text)) {
        const arg = x.arguments[0];
        if (arg && ts.isObjectLiteralExpression(arg)) {
          for (const p of arg.properties) {
            if (!ts.isPropertyAssignment(p) || !ts.isIdentifier(p.name) || p.name.text !== 'data' || !ts.isObjectLiteralExpression(p.initializer)) continue;
            if (p.initializer.properties.some((q) => q.name && ts.isIdentifier(q.name) && q.name.text === 'query')) hit = true;
          }
        }
      }
      ts.forEachChild(x, visit);
    };
    visit(n);
    return hit;
  };
  const visit = (n: ts.Node): void => {
    if (found) return;
    if (rule === TRY_CATCH && ts.isTryStatement(n) && s.lineOf(n) === line) {
      if (n.finallyBlock && callsMethod(n.finallyBlock, /^(trackDeletesEnd|deleteRecordsFromPreviousExecutions)$/)) {
        found = {
          accepted: false,
          why: 'its `finally` ends delete tracking, so it runs after a failed fetch too and Nango deletes every record the sync did not see',
        };
      } else if (!n.catchClause) found = { accepted: true, why: 'try/finally with no catch: an error still fails the run' };
      else if (!awaits(n.tryBlock)) found = { accepted: true, why: 'the try guards local code that awaits nothing: no API call can fail inside it' };
      else if (throws(n.catchClause.block)) found = { accepted: true, why: 'the catch rethrows: an error still fails the run' };
      else found = { accepted: false, why: 'the catch swallows the error: a failed call ends as a quiet success' };
      return;
    }
    if (rule === WHILE_TRUE && ts.isWhileStatement(n) && s.lineOf(n) === line) {
      found = callsMethod(n.statement, /^saveCheckpoint$/)
        ? { accepted: true, why: "the loop pages by hand and saves a checkpoint on every page, as Nango's checkpoint guidance does" }
        : graphQl(n.statement)
          ? {
              accepted: true,
              why: 'the loop pages a GraphQL query, whose cursor is a query variable: `nango.paginate` only sets a cursor at the top of the body',
            }
          : { accepted: false, why: 'the loop pages by hand without a checkpoint: `nango.paginate` does this' };
      return;
    }
    ts.forEachChild(n, visit);
  };
  visit(s.sf);
  return found;
}

/**
 * Nango's advisory lint findings judged against their statement: an accepted one becomes a note (info)
 * saying why, one that stands keeps its severity and says what the code does. Others pass unchanged;
 * a file that cannot be read or parsed leaves its findings as they are (never fewer).
 */
export function judgeLintFindings(ts: TS | undefined, readFile: (rel: string) => string | undefined, findings: readonly Finding[]): Finding[] {
  if (!ts) return [...findings];
  const parsed = new Map<string, ParsedScript | undefined>();
  const parse = (file: string): ParsedScript | undefined => {
    if (!parsed.has(file)) {
      const text = readFile(file);
      let s: ParsedScript | undefined;
      try {
        s = text === undefined ? undefined : parseScript(ts, file, text);
      } catch {
        s = undefined;
      }
      parsed.set(file, s);
    }
    return parsed.get(file);
  };
  return findings.map((f) => {
    if ((f.rule !== WHILE_TRUE && f.rule !== TRY_CATCH) || f.severity !== 'warning' || !f.location?.line) return f;
    const s = parse(f.location.file);
    const j = s && judgeStatement(s, f.rule, f.location.line);
    if (!j) return f;
    return { ...f, severity: j.accepted ? 'info' : f.severity, message: `${f.message} — ${j.accepted ? 'accepted: ' : ''}${j.why}` };
  });
}
