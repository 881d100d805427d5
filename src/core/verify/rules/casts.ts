// code.as-any: what silences the type checker instead of typing the data — `x as any`, `<any>x`,
// `x as unknown as T` (a cast between unrelated types), and a value annotated `: any` (a variable, a
// parameter, a field or a function's result: it takes anything without a check, as a cast does).
// A type argument is not a cast (`nango.paginate<any>(config)`, `Record<string, any>`: the value is still
// checked where it is used), and neither is `as const` or a cast to a real type (Nango's lint rule
// no-object-casting judges those).
//
// Severity. An `any` that holds provider data, a request body or the SDK object is an error: whatever
// the API answers (or the script sends) flows on unchecked into records, outputs and calls. One case is
// weighed apart: `catch (e: any)`. Under `strict` a catch variable is `unknown`, and `: any` gives that
// up, but the value is the thrown error, not the data the script produces. When it stays in the catch —
// read in a condition (`e.response?.status === 402`), written into a string or a log, rethrown or
// wrapped in a thrown error — nothing unchecked reaches a record, an output or a request: the finding is
// a note (info, no verdict), saying so. When it leaves the catch — returned, assigned, put in an object
// or an array, spread, or handed to any other call — it is provider data like any other (a proxy
// call's error carries the provider's answer in `e.response.data`) and stays an error.
import type * as ts from 'typescript';
import { needleOf, quoteLine, type CodeFinding } from './finding';
import { symbolOf, type ParsedScript } from './script';

export function castFindings(s: ParsedScript): CodeFinding[] {
  const { ts } = s;
  const out: CodeFinding[] = [];
  const isAny = (t: ts.TypeNode | undefined): boolean => {
    if (!t) return false;
    if (t.kind === ts.SyntaxKind.AnyKeyword) return true;
    if (ts.isParenthesizedTypeNode(t)) return isAny(t.type);
    if (ts.isArrayTypeNode(t)) return isAny(t.elementType);
    return (
      ts.isTypeReferenceNode(t) &&
      ts.isIdentifier(t.typeName) &&
      (t.typeName.text === 'Array' || t.typeName.text === 'ReadonlyArray') &&
      t.typeArguments?.length === 1 &&
      isAny(t.typeArguments[0])
    );
  };
  const isUnknown = (t: ts.TypeNode) => t.kind === ts.SyntaxKind.UnknownKeyword;
  const report = (node: ts.Node, what: string, needle: RegExp, contained = false) => {
    const line = s.lineOf(node);
    out.push({
      rule: 'code.as-any',
      severity: contained ? 'info' : 'error',
      message: contained
        ? `\`catch (…${what})\`: the thrown error is \`any\`, but it stays in the catch (read in a condition, a string, a log or a throw; never returned, saved or passed on) — \`unknown\` with a check would type it`
        : `\`${what}\` silences the type checker instead of typing the data`,
      file: s.file,
      line,
      quote: quoteLine(s.text, line),
      needle,
    });
  };
  const isCast = (n: ts.Node): n is ts.AsExpression | ts.TypeAssertion => ts.isAsExpression(n) || ts.isTypeAssertionExpression(n);
  const visit = (n: ts.Node): void => {
    if (isCast(n)) {
      let inner: ts.Expression = n.expression;
      while (ts.isParenthesizedExpression(inner)) inner = inner.expression;
      const spelled = (t: ts.TypeNode) => (ts.isAsExpression(n) ? `as ${t.getText(s.sf)}` : `<${t.getText(s.sf)}>`);
      if (isAny(n.type)) report(n, spelled(n.type), needleOf(spelled(n.type)));
      else if (isCast(inner) && isUnknown(inner.type))
        report(
          n,
          `${ts.isAsExpression(inner) ? 'as unknown' : '<unknown>'} ${spelled(n.type)}`,
          ts.isAsExpression(inner) ? /as\s+unknown\s+as\b/ : /<unknown>/,
        );
    } else if ((ts.isVariableDeclaration(n) || ts.isParameter(n) || ts.isPropertyDeclaration(n)) && isAny(n.type)) {
      const contained = ts.isVariableDeclaration(n) && ts.isCatchClause(n.parent) && catchStaysInside(s, n, n.parent);
      report(n.type as ts.TypeNode, `: ${(n.type as ts.TypeNode).getText(s.sf)}`, /:\s*any\b/, contained);
    } else if (
      (ts.isFunctionDeclaration(n) || ts.isMethodDeclaration(n) || ts.isArrowFunction(n) || ts.isFunctionExpression(n) || ts.isGetAccessorDeclaration(n)) &&
      isAny(n.type)
    ) {
      report(n.type as ts.TypeNode, `): ${(n.type as ts.TypeNode).getText(s.sf)}`, /\)\s*:\s*any\b/);
    }
    ts.forEachChild(n, visit);
  };
  visit(s.sf);
  return out;
}

/**
 * Whether every use of the catch variable stays in the catch: the value (or what is read of it — a
 * property, an element, a method's result) ends in a condition, a comparison, a string (a template,
 * a concatenation, String()/JSON.stringify()), a log call (`nango.log`, `console.*`), or a throw (the
 * value or a new error built from it). Anything else (returned, assigned, an initializer, a property or
 * element of a literal, a spread, an argument of another call) lets the `any` out.
 */
function catchStaysInside(s: ParsedScript, decl: ts.VariableDeclaration, clause: ts.CatchClause): boolean {
  const { ts } = s;
  if (!ts.isIdentifier(decl.name)) return false;
  const sym = symbolOf(ts, s.checker, decl.name);
  if (!sym) return false;
  const LOG = /^(nango\.log|console\.\w+|String|Number|Boolean|JSON\.stringify)$/;
  /** From a use of the value upwards: does it end somewhere harmless? */
  const harmless = (start: ts.Expression): boolean => {
    let x: ts.Node = start;
    for (;;) {
      const p: ts.Node = x.parent;
      // reading on: e.response, e['data'], e.message.includes('x'), (e), e!, await e
      if ((ts.isPropertyAccessExpression(p) || ts.isElementAccessExpression(p)) && p.expression === x) x = p;
      else if (ts.isCallExpression(p) && p.expression === x) x = p;
      else if (ts.isParenthesizedExpression(p) || ts.isNonNullExpression(p) || ts.isAwaitExpression(p)) x = p;
      // a value that flows on through ?? || && ?: is still the value
      else if (
        ts.isBinaryExpression(p) &&
        [ts.SyntaxKind.QuestionQuestionToken, ts.SyntaxKind.BarBarToken, ts.SyntaxKind.AmpersandAmpersandToken].includes(p.operatorToken.kind)
      )
        x = p;
      else if (ts.isConditionalExpression(p) && p.condition !== x) x = p;
      else break;
    }
    const p = x.parent;
    // a local of the catch that takes it (`const status = e.response?.status`): harmless when all its uses are
    if (ts.isVariableDeclaration(p) && p.initializer === x && ts.isIdentifier(p.name)) {
      const local = symbolOf(ts, s.checker, p.name);
      return !!local && !seen.has(local) && (seen.add(local), usesHarmless(local, p.name));
    }
    if (ts.isIfStatement(p) || ts.isWhileStatement(p) || ts.isDoStatement(p) || ts.isSwitchStatement(p)) return true;
    if (ts.isConditionalExpression(p) && p.condition === x) return true;
    if (ts.isPrefixUnaryExpression(p) && p.operator === ts.SyntaxKind.ExclamationToken) return true;
    if (ts.isTypeOfExpression(p) || ts.isTemplateSpan(p) || ts.isThrowStatement(p)) return true;
    if (ts.isBinaryExpression(p)) {
      const k = p.operatorToken.kind;
      if (k >= ts.SyntaxKind.FirstAssignment && k <= ts.SyntaxKind.LastAssignment) return false;
      // comparisons, `in`, `instanceof`, and `'text' + e.message` (a string)
      return k !== ts.SyntaxKind.PlusToken || [p.left, p.right].some((o) => ts.isStringLiteralLike(o) || ts.isTemplateExpression(o));
    }
    if (ts.isCallExpression(p) && p.arguments.includes(x as ts.Expression)) return LOG.test(p.expression.getText(s.sf));
    // an argument of a new error that is thrown (`throw new nango.ActionError({ message: e.message })`)
    for (let q: ts.Node | undefined = p; q && q !== clause; q = q.parent) {
      if (ts.isNewExpression(q)) return ts.isThrowStatement(q.parent);
      if (!ts.isObjectLiteralExpression(q) && !ts.isPropertyAssignment(q) && !ts.isShorthandPropertyAssignment(q)) break;
    }
    return false;
  };
  const seen = new Set<ts.Symbol>([sym]);
  function usesHarmless(target: ts.Symbol, name: ts.Identifier): boolean {
    let ok = true;
    const visit = (x: ts.Node): void => {
      if (!ok) return;
      if (ts.isIdentifier(x) && x !== name && symbolOf(ts, s.checker, x) === target && !harmless(x)) ok = false;
      else ts.forEachChild(x, visit);
    };
    visit(clause.block);
    return ok;
  }
  return usesHarmless(sym, decl.name);
}
