// Nango's two advisory lint rules, read against the code they flag. ESLint reports
// `no-while-true` and `no-try-catch-unless-explicitly-allowed` at Nango's own severity (warn), and
// Nango's own gate passes with them (integration-templates runs `eslint .` without --max-warnings).
// Whether one is a problem depends on what the statement does, which the syntax tree shows:
// - `while (true)`: Nango's message is "use the nango built-in paginate method instead", which holds only
//   where paginate can do what the loop does. A loop that saves a checkpoint on every page (Nango's
//   checkpoint guidance), that does not page at all, that writes its position inside a query language or
//   the path, or that takes its cursor from a header other than `Link` or from the last record is
//   accepted, kept as a note, saying which (rules/handLoop.ts). Any other loop should use
//   `nango.paginate` — a GraphQL query too: paginate sets a nested body field (`variables.after`, as
//   Nango's own Shopify and Monday templates do) — and the warning stands.
// - a `try` whose catch rethrows, or a try/finally with no catch, still fails the run on an error:
//   accepted, kept as a note; so is a `try` around local code (no call of the Nango SDK inside it, nor of
//   a function of the script that makes one: parsing a URL, unzipping a download): no API call fails
//   inside it. A catch that swallows the error of an SDK call turns a failed fetch into a quiet success,
//   and a `finally` that ends delete tracking runs after a failed fetch too — Nango then deletes every
//   record the sync did not see (Nango: call trackDeletesEnd only once the whole dataset was fetched and
//   saved): both stand, and the message says why.
// A note (severity info) is shown with the other findings at its line; it does not hold the verdict.
// Each judgement names its kind, so a reader (the real-code bench) can tell the cases apart without
// reading the message.
import type * as ts from 'typescript';
import type { Finding } from '../types';
import { judgeHandLoop, localFunctionBody, type HandLoopKind } from './handLoop';
import { parseScript, unwrap, type ParsedScript } from './script';
import type { TS } from '../../toolchain/typescript';

export const WHILE_TRUE = 'lint.no-while-true';
export const TRY_CATCH = 'lint.no-try-catch-unless-explicitly-allowed';

/** What the flagged statement does, and whether that is what Nango accepts. */
export type TryKind = 'finally-ends-deletes' | 'no-catch' | 'local-code' | 'rethrows' | 'swallows';

export interface LintJudgement {
  readonly kind: TryKind | HandLoopKind;
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
  /**
   * A call in the block that can reach the API: a call of the SDK object, a call handed the SDK object,
   * or a call of a function of this script that does either (not a call inside a function declared in
   * the block and never called there).
   */
  const callsApi = (n: ts.Node, seen = new Set<ts.Node>()): boolean => {
    let hit = false;
    const visit = (x: ts.Node) => {
      if (hit || (x !== n && ts.isFunctionLike(x))) return;
      if (ts.isCallExpression(x)) {
        const callee = unwrap(ts, x.expression);
        const body = ts.isIdentifier(callee) ? localFunctionBody(s, callee) : undefined;
        if (
          ((ts.isPropertyAccessExpression(callee) || ts.isElementAccessExpression(callee)) && s.isSdk(callee.expression)) ||
          x.arguments.some((a) => s.isSdk(a)) ||
          (body && !seen.has(body) && (seen.add(body), callsApi(body, seen)))
        ) {
          hit = true;
          return;
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
          kind: 'finally-ends-deletes',
          accepted: false,
          why: 'its `finally` ends delete tracking, so it runs after a failed fetch too and Nango deletes every record the sync did not see',
        };
      } else if (!n.catchClause) found = { kind: 'no-catch', accepted: true, why: 'try/finally with no catch: an error still fails the run' };
      else if (!callsApi(n.tryBlock))
        found = {
          kind: 'local-code',
          accepted: true,
          why: 'the try guards local code (no call of the Nango SDK inside it): no API call can fail inside it',
        };
      else if (throws(n.catchClause.block)) found = { kind: 'rethrows', accepted: true, why: 'the catch rethrows: an error still fails the run' };
      else found = { kind: 'swallows', accepted: false, why: 'the catch swallows the error: a failed call ends as a quiet success' };
      return;
    }
    if (rule === WHILE_TRUE && ts.isWhileStatement(n) && s.lineOf(n) === line) {
      found = judgeHandLoop(s, n);
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
