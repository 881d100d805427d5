// sdk.retries-skipped: every provider call through the SDK (`get`, `post`, `put`, `patch`, `delete`,
// `proxy`) sets `retries`, or a comment says why not. The config is followed the way the value flows:
// an object literal, a variable (and every value assigned to it, and `config.retries = …` set later),
// spreads (`{ ...base, endpoint }`), shorthand (`{ retries }`), `Object.assign`, a ternary, a helper of
// this file that returns the config, or a parameter (every call of that function). A config the rule
// cannot follow (from another module, say) is not taken on trust: it is a finding, as a call without
// retries is.
import type * as ts from 'typescript';
import { proseOf, quoteLine, quoteText, type CodeFinding } from './finding';
import { calleeFunction, propertyName, symbolOf, unwrap, type ParsedScript } from './script';

export const PROXY_METHODS: ReadonlySet<string> = new Set(['get', 'post', 'put', 'patch', 'delete', 'proxy']);
/** A comment that gives a reason about retries (or names Nango's lint rule for them in a disable directive). */
export const RETRIES_COMMENT = /retr(y|ies)/i;

export function retriesFindings(s: ParsedScript): CodeFinding[] {
  if (RETRIES_COMMENT.test(proseOf(s.comments))) return [];
  const out: CodeFinding[] = [];
  for (const { call, method } of s.sdkCalls) {
    if (!PROXY_METHODS.has(method)) continue;
    const config = call.arguments[0];
    if (config && setsRetries(s, config, 0, new Map())) continue;
    const line = s.lineOf(call);
    out.push({
      rule: 'sdk.retries-skipped',
      severity: 'warning',
      message: `a provider call (\`${method}\`) has no \`retries\` and no comment explains why`,
      file: s.file,
      line,
      quote: quoteText(call.getText(s.sf)) || quoteLine(s.text, line),
    });
  }
  return out;
}

/** Whether the value of `e` is a config object with `retries` set, as far as this file shows. */
export function setsRetries(s: ParsedScript, e: ts.Expression, depth: number, memo: Map<ts.Node, boolean | 'pending'>): boolean {
  const x = s.ts.isParenthesizedExpression(e) ? unwrap(s.ts, e) : e;
  const known = memo.get(x);
  // A value that depends on itself (a cycle) sets nothing by that path.
  if (known !== undefined) return known === true;
  if (depth > 12) return false;
  memo.set(x, 'pending');
  const result = follow(s, x, depth, memo);
  memo.set(x, result);
  return result;
}

function follow(s: ParsedScript, e: ts.Expression, depth: number, memo: Map<ts.Node, boolean | 'pending'>): boolean {
  const { ts, checker } = s;
  const x = unwrap(ts, e);
  const next = (v: ts.Expression) => setsRetries(s, v, depth + 1, memo);
  if (ts.isObjectLiteralExpression(x)) {
    return x.properties.some((p) => {
      if (ts.isSpreadAssignment(p)) return next(p.expression);
      return (ts.isPropertyAssignment(p) || ts.isShorthandPropertyAssignment(p) || ts.isMethodDeclaration(p)) && propertyName(ts, p.name) === 'retries';
    });
  }
  if (ts.isConditionalExpression(x)) return next(x.whenTrue) && next(x.whenFalse);
  if (ts.isBinaryExpression(x) && (x.operatorToken.kind === ts.SyntaxKind.QuestionQuestionToken || x.operatorToken.kind === ts.SyntaxKind.BarBarToken))
    return next(x.left) && next(x.right);
  if (ts.isBinaryExpression(x) && x.operatorToken.kind === ts.SyntaxKind.CommaToken) return next(x.right);
  if (ts.isCallExpression(x)) {
    const callee = unwrap(ts, x.expression);
    // Object.assign({}, base, { retries: 3 }) and structuredClone-like copies
    if (ts.isPropertyAccessExpression(callee) && ts.isIdentifier(callee.expression) && callee.expression.text === 'Object' && callee.name.text === 'assign')
      return x.arguments.some(next);
    const fn = calleeFunction(ts, checker, x);
    if (!fn?.body) return false;
    if (!ts.isBlock(fn.body)) return next(fn.body);
    const returns: ts.Expression[] = [];
    const visit = (n: ts.Node): void => {
      if (ts.isReturnStatement(n) && n.expression) returns.push(n.expression);
      if (ts.isFunctionLike(n)) return; // a nested function's returns are its own
      ts.forEachChild(n, visit);
    };
    ts.forEachChild(fn.body, visit);
    return returns.length > 0 && returns.every(next);
  }
  if (ts.isPropertyAccessExpression(x)) {
    // `options.config`: the property of an object literal this file builds
    const owner = unwrap(ts, x.expression);
    if (!ts.isIdentifier(owner)) return false;
    return valuesOf(s, owner).some((v) => {
      const o = unwrap(ts, v);
      if (!ts.isObjectLiteralExpression(o)) return false;
      const prop = o.properties.find((p) => propertyName(ts, p.name) === x.name.text);
      if (prop && ts.isPropertyAssignment(prop)) return next(prop.initializer);
      if (prop && ts.isShorthandPropertyAssignment(prop)) {
        const decl = checker.getShorthandAssignmentValueSymbol(prop)?.declarations?.[0];
        return !!decl && ts.isVariableDeclaration(decl) && !!decl.initializer && next(decl.initializer);
      }
      return false;
    });
  }
  if (ts.isIdentifier(x)) {
    const symbol = symbolOf(ts, checker, x);
    if (!symbol) return false;
    if (retriesAssignedLater(s, symbol)) return true;
    const values = valuesOf(s, x);
    return values.length > 0 && values.every(next);
  }
  return false;
}

/** Every value a variable or parameter takes in this file: its initializer, assignments, and for a parameter each call's argument. */
function valuesOf(s: ParsedScript, id: ts.Identifier): ts.Expression[] {
  const { ts, checker, sf } = s;
  const symbol = symbolOf(ts, checker, id);
  const decl = symbol?.declarations?.[0];
  if (!symbol || !decl) return [];
  const out: ts.Expression[] = [];
  if (ts.isVariableDeclaration(decl)) {
    if (decl.initializer) out.push(decl.initializer);
  } else if (ts.isParameter(decl)) {
    if (decl.initializer) out.push(decl.initializer);
    const fn = decl.parent;
    const index = fn.parameters.indexOf(decl);
    let calls = 0;
    let missing = false;
    const visit = (n: ts.Node): void => {
      if (ts.isCallExpression(n) && calleeFunction(ts, checker, n) === fn) {
        calls++;
        const arg = n.arguments[index];
        if (arg && !ts.isSpreadElement(arg)) out.push(arg);
        else if (!decl.initializer) missing = true;
      }
      ts.forEachChild(n, visit);
    };
    visit(sf);
    // A function nobody here calls (or one called without the argument) gives nothing to check.
    if (!calls || missing) return [];
  } else return [];
  const assigned = (n: ts.Node): void => {
    if (ts.isBinaryExpression(n) && n.operatorToken.kind === ts.SyntaxKind.EqualsToken && ts.isIdentifier(n.left) && symbolOf(ts, checker, n.left) === symbol)
      out.push(n.right);
    ts.forEachChild(n, assigned);
  };
  assigned(sf);
  return out;
}

/** `config.retries = 3` (or `config['retries'] = 3`) somewhere in the file. */
function retriesAssignedLater(s: ParsedScript, symbol: ts.Symbol): boolean {
  const { ts, checker, sf } = s;
  let found = false;
  const visit = (n: ts.Node): void => {
    if (found) return;
    if (ts.isBinaryExpression(n) && n.operatorToken.kind === ts.SyntaxKind.EqualsToken) {
      const left = unwrap(ts, n.left);
      const target = ts.isPropertyAccessExpression(left)
        ? { obj: left.expression, name: left.name.text }
        : ts.isElementAccessExpression(left) && ts.isStringLiteralLike(left.argumentExpression)
          ? { obj: left.expression, name: left.argumentExpression.text }
          : undefined;
      if (target?.name === 'retries' && ts.isIdentifier(unwrap(ts, target.obj)) && symbolOf(ts, checker, unwrap(ts, target.obj)) === symbol) found = true;
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return found;
}
