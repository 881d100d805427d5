// code.as-any: what silences the type checker instead of typing the data — `x as any`, `<any>x`,
// `x as unknown as T` (a cast between unrelated types), and a value annotated `: any` where it hides what
// Verify has to see. A type argument is not a cast (`nango.paginate<any>(config)`, `Record<string, any>`:
// the value is still checked where it is used), and neither is `as const` or a cast to a real type
// (Nango's lint rule no-object-casting judges those).
//
// Severity of a cast: always an error. Severity of a `: any` annotation, by the role of what it types
// (read on the syntax tree, whatever the names): it counts as a cast (an error) when it types
// - the SDK object: exec's (or onWebhook's) first parameter, a helper's parameter the SDK is handed to,
//   a variable holding it — the rules then cannot see its calls for what they are;
// - exec's input (its second parameter): the zod input model is thrown away;
// - what the API answers: a variable made from an SDK call's result (`await nango.get(…)`, `res.data`,
//   what a helper handed the SDK returns), or a function's result when the function calls the API;
// - what the script sends: a variable handed to an SDK call (its config, or a field of it: `data: body`).
// Any other `: any` (a callback's parameter, a mapper's parameter, a local list) is what Nango's own lint
// reports at `warn` (`@typescript-eslint/no-explicit-any` in integration-templates' .eslintrc; Nango's
// gate runs eslint without --max-warnings): a note (info, no verdict) under its own rule,
// `code.explicit-any` — not `code.as-any`, so that it never stands in for a cast Nango's lint
// (no-object-casting) reports on the same line (Verify counts a line's cast once, as code.as-any).
// One case is weighed apart: `catch (e: any)`. Under `strict` a catch variable is `unknown`, and `: any`
// gives that up, but the value is the thrown error, not the data the script produces. When it stays in
// the catch — read in a condition (`e.response?.status === 402`), written into a string or a log,
// rethrown or wrapped in a thrown error — nothing unchecked reaches a record, an output or a request: the
// finding is a note, saying so. When it leaves the catch — returned, assigned, put in an object or an
// array, spread, or handed to any other call — it is provider data like any other (a proxy call's error
// carries the provider's answer in `e.response.data`) and stays an error.
import type * as ts from 'typescript';
import { needleOf, quoteLine, type CodeFinding } from './finding';
import { callsSdkMethod } from './handLoop';
import { contains, functionOf, symbolOf, unwrap, type ParsedScript } from './script';

/** What a `: any` annotation hides, when it is something Verify has to see. */
type AnyRole = 'sdk' | 'input' | 'response' | 'request';

const ROLE_SAYS: Record<AnyRole, string> = {
  sdk: 'types the SDK object (by its role, whatever its name): its calls are hidden from the type checker and the rules',
  input: "types exec's input: the input model is thrown away",
  response: 'types what the API answers: the response goes on unchecked, as after a cast',
  request: 'types what the script hands the SDK (a request, its config or body): it goes out unchecked, as after a cast',
};

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
  /** A `: any` annotation: an error when it hides what Verify has to see (its role), else a note at Nango's lint severity. */
  const annotation = (node: ts.TypeNode, what: string, needle: RegExp, role: AnyRole | undefined) => {
    const line = s.lineOf(node);
    out.push({
      rule: role ? 'code.as-any' : 'code.explicit-any',
      severity: role ? 'error' : 'info',
      message: role
        ? `\`${what}\` ${ROLE_SAYS[role]} — an \`any\` there counts as a cast`
        : `\`${what}\` on a value that is not the SDK object, exec's input, an API response or a request: Nango's lint reports it at warn (@typescript-eslint/no-explicit-any) — a note`,
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
      const type = n.type as ts.TypeNode;
      if (ts.isVariableDeclaration(n) && ts.isCatchClause(n.parent)) report(type, `: ${type.getText(s.sf)}`, /:\s*any\b/, catchStaysInside(s, n, n.parent));
      else annotation(type, `: ${type.getText(s.sf)}`, /:\s*any\b/, anyRole(s, n));
    } else if (
      (ts.isFunctionDeclaration(n) || ts.isMethodDeclaration(n) || ts.isArrowFunction(n) || ts.isFunctionExpression(n) || ts.isGetAccessorDeclaration(n)) &&
      isAny(n.type)
    ) {
      const type = n.type as ts.TypeNode;
      annotation(type, `): ${type.getText(s.sf)}`, /\)\s*:\s*any\b/, n.body && callsApi(s, n.body) ? 'response' : undefined);
    }
    ts.forEachChild(n, visit);
  };
  visit(s.sf);
  return out;
}

/** Whether `body` reaches the API: an SDK call, a call handed the SDK, or a function of this file that does either. */
function callsApi(s: ParsedScript, body: ts.Node): boolean {
  const { ts } = s;
  if (callsSdkMethod(s, body, /./)) return true;
  let hit = false;
  const visit = (x: ts.Node): void => {
    if (hit) return;
    if (ts.isCallExpression(x) && x.arguments.some((a) => s.isSdk(a))) hit = true;
    else ts.forEachChild(x, visit);
  };
  visit(body);
  return hit;
}

/**
 * What an annotated declaration holds, when it is something Verify has to see: the SDK object, exec's
 * input, what the API answered, or what the script hands the SDK. Read from the tree, not from names.
 */
function anyRole(s: ParsedScript, d: ts.ParameterDeclaration | ts.VariableDeclaration | ts.PropertyDeclaration): AnyRole | undefined {
  const { ts } = s;
  const name = d.name;
  if (ts.isIdentifier(name) && s.isSdk(name)) return 'sdk';
  if (ts.isParameter(d) && s.definition?.config) {
    for (const hook of ['exec', 'onWebhook']) {
      const fn = functionOf(ts, s.checker, s.definition.config, hook);
      if (fn && fn.parameters[0] === d) return 'sdk';
      if (fn && hook === 'exec' && fn.parameters[1] === d) return 'input';
    }
  }
  if (!ts.isParameter(d) && d.initializer && fromApi(s, d.initializer)) return 'response';
  if (ts.isIdentifier(name) && handedToSdk(s, name)) return 'request';
  return undefined;
}

/** Whether an expression is what the API answered: an SDK call's result, what is read of it, or what a call handed the SDK returns. */
function fromApi(s: ParsedScript, e: ts.Expression, seen = new Set<ts.Node>()): boolean {
  const { ts } = s;
  if (seen.has(e)) return false;
  seen.add(e);
  const x = unwrap(ts, e);
  if (ts.isCallExpression(x)) {
    const callee = unwrap(ts, x.expression);
    if ((ts.isPropertyAccessExpression(callee) || ts.isElementAccessExpression(callee)) && s.isSdk(callee.expression)) return true;
    if (x.arguments.some((a) => s.isSdk(a))) return true;
    // a method of what the API answered (`res.data.results.map(…)`) gives what it answered, reshaped
    return (ts.isPropertyAccessExpression(callee) || ts.isElementAccessExpression(callee)) && fromApi(s, callee.expression, seen);
  }
  if (ts.isPropertyAccessExpression(x) || ts.isElementAccessExpression(x)) return fromApi(s, x.expression, seen);
  if (ts.isBinaryExpression(x) && [ts.SyntaxKind.BarBarToken, ts.SyntaxKind.QuestionQuestionToken].includes(x.operatorToken.kind))
    return fromApi(s, x.left, seen) || fromApi(s, x.right, seen);
  if (ts.isConditionalExpression(x)) return fromApi(s, x.whenTrue, seen) || fromApi(s, x.whenFalse, seen);
  if (ts.isIdentifier(x)) {
    const decl = symbolOf(ts, s.checker, x)?.declarations?.[0];
    return !!decl && ts.isVariableDeclaration(decl) && !!decl.initializer && fromApi(s, decl.initializer, seen);
  }
  return false;
}

/** Whether a name is handed to an SDK call: as an argument, or as a value inside an argument's object or array literal. */
function handedToSdk(s: ParsedScript, name: ts.Identifier): boolean {
  const { ts } = s;
  const sym = symbolOf(ts, s.checker, name);
  if (!sym) return false;
  return s.sdkCalls.some(({ call }) => {
    let hit = false;
    const visit = (x: ts.Node): void => {
      if (hit || ts.isFunctionLike(x)) return;
      if (ts.isIdentifier(x) && x !== name && symbolOf(ts, s.checker, x) === sym) {
        // the name itself is the value: not `name.length`, not `f(name)`
        let v: ts.Node = x;
        while (ts.isParenthesizedExpression(v.parent) || ts.isAsExpression(v.parent) || ts.isNonNullExpression(v.parent)) v = v.parent;
        const p = v.parent;
        if (
          (ts.isCallExpression(p) && p === call && call.arguments.includes(v as ts.Expression)) ||
          ts.isPropertyAssignment(p) ||
          ts.isShorthandPropertyAssignment(p) ||
          ts.isSpreadAssignment(p) ||
          ts.isArrayLiteralExpression(p)
        )
          hit = contains(call, x);
        return;
      }
      ts.forEachChild(x, visit);
    };
    call.arguments.forEach(visit);
    return hit;
  });
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
