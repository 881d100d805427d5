// Where the response of an SDK read goes, as far as this file shows: through variables (destructured
// or not), properties, parsing (`Schema.parse(response.data)`), helpers of the file (their parameters
// and their results), until it is used. Two uses matter to the pagination rule: the data is treated as
// a list (iterated, mapped, measured, indexed, spread into an array, batch-saved), and part of it is
// saved in a checkpoint (a next-page token or sync token the next run resumes from).
import type * as ts from 'typescript';
import { calleeFunction, symbolOf, type ParsedScript } from './script';

export interface ReadFlow {
  /** The response is used as a list somewhere. */
  readonly list: boolean;
  /** Part of the response is saved with `saveCheckpoint`. */
  readonly checkpoint: boolean;
}

const LIST_MEMBERS = new Set([
  'map',
  'forEach',
  'filter',
  'reduce',
  'reduceRight',
  'flatMap',
  'some',
  'every',
  'find',
  'findIndex',
  'findLast',
  'slice',
  'length',
  'at',
  'entries',
  'concat',
  'sort',
  'includes',
  'indexOf',
  'join',
]);
const SAVES = new Set(['batchSave', 'batchUpdate', 'batchDelete']);

export function readFlow(s: ParsedScript, read: ts.CallExpression): ReadFlow {
  const { list, checkpoint } = flowFrom(s, read, true);
  return { list, checkpoint };
}

/**
 * Every expression the value of `start` reaches (through the same steps), e.g. to see whether what
 * `getCheckpoint()` returned ends up in a request's config.
 */
export function reachedFrom(s: ParsedScript, start: ts.Node): ReadonlySet<ts.Node> {
  return flowFrom(s, start, false).reached;
}

function flowFrom(s: ParsedScript, start: ts.Node, stopWhenKnown: boolean): ReadFlow & { reached: Set<ts.Node> } {
  const { ts, checker, sf } = s;
  const arithmetic: ReadonlySet<ts.SyntaxKind> = new Set([
    ts.SyntaxKind.PlusToken,
    ts.SyntaxKind.MinusToken,
    ts.SyntaxKind.AsteriskToken,
    ts.SyntaxKind.SlashToken,
    ts.SyntaxKind.PercentToken,
  ]);
  let list = false;
  let checkpoint = false;
  const seenNodes = new Set<ts.Node>();
  const seenSymbols = new Set<ts.Symbol>();
  const symbols: ts.Symbol[] = [];
  const exprs: ts.Node[] = [start];

  const taintName = (name: ts.BindingName | ts.Expression): void => {
    if (ts.isIdentifier(name)) {
      const sym = symbolOf(ts, checker, name);
      if (sym && !seenSymbols.has(sym)) {
        seenSymbols.add(sym);
        symbols.push(sym);
      }
    } else if (ts.isObjectBindingPattern(name) || ts.isArrayBindingPattern(name)) {
      for (const el of name.elements) if (!ts.isOmittedExpression(el)) taintName(el.name);
    } else if (ts.isPropertyAccessExpression(name) || ts.isElementAccessExpression(name)) taintName(name.expression);
  };
  const callersOf = (fn: ts.Node): ts.CallExpression[] => {
    const out: ts.CallExpression[] = [];
    const visit = (n: ts.Node): void => {
      if (ts.isCallExpression(n) && calleeFunction(ts, checker, n) === fn) out.push(n);
      ts.forEachChild(n, visit);
    };
    visit(sf);
    return out;
  };
  const isInline = (f: ts.Node) => !!f.parent && (ts.isCallExpression(f.parent) || ts.isNewExpression(f.parent)) && f.parent.expression !== f;
  /** The value of `fn`'s call flows on: to its callers (a helper of this file), or into the call it is a callback of. */
  const returned = (fn: ts.Node): void => {
    if (isInline(fn)) exprs.push(fn.parent as ts.Node);
    else exprs.push(...callersOf(fn));
  };

  /** Follows a tainted expression up to where its value is used. */
  const climb = (start: ts.Node): void => {
    let e = start;
    for (let guard = 0; guard < 64 && !(stopWhenKnown && list && checkpoint); guard++) {
      if (seenNodes.has(e)) return;
      seenNodes.add(e);
      const p = e.parent;
      if (!p) return;
      if (
        ts.isAwaitExpression(p) ||
        ts.isParenthesizedExpression(p) ||
        ts.isAsExpression(p) ||
        ts.isNonNullExpression(p) ||
        ts.isTypeAssertionExpression(p) ||
        ts.isSatisfiesExpression?.(p) ||
        ts.isConditionalExpression(p) ||
        (ts.isBinaryExpression(p) &&
          [ts.SyntaxKind.QuestionQuestionToken, ts.SyntaxKind.BarBarToken, ts.SyntaxKind.AmpersandAmpersandToken].includes(p.operatorToken.kind))
      ) {
        if (ts.isConditionalExpression(p) && p.condition === e) return;
        e = p;
        continue;
      }
      if (ts.isPropertyAccessExpression(p) && p.expression === e) {
        if (LIST_MEMBERS.has(p.name.text)) {
          list = true;
          // The items go on into the callback (`items.map((item) => …)`) and into what it returns.
          const call = p.parent;
          if (call && ts.isCallExpression(call) && call.expression === p) {
            for (const cb of call.arguments) {
              const f = unwrapCallback(ts, cb);
              if (f?.parameters[0]) taintName(f.parameters[0].name);
            }
            e = call;
            continue;
          }
          return;
        }
        e = p;
        continue;
      }
      if (ts.isElementAccessExpression(p) && p.expression === e) {
        if (!ts.isStringLiteralLike(p.argumentExpression)) list = true;
        e = p;
        continue;
      }
      if (ts.isCallExpression(p) && p.expression === e) {
        e = p; // a method of the response (`.json()`), or a function it holds
        continue;
      }
      if ((ts.isCallExpression(p) || ts.isNewExpression(p)) && p.arguments?.includes(e as ts.Expression)) {
        const callee = p.expression;
        if (ts.isPropertyAccessExpression(callee)) {
          const name = callee.name.text;
          if (s.isSdk(callee.expression)) {
            if (name === 'saveCheckpoint') checkpoint = true;
            else if (SAVES.has(name)) list = true;
            return;
          }
          if (ts.isIdentifier(callee.expression) && callee.expression.text === 'Array' && (name === 'isArray' || name === 'from')) {
            list = true;
            return;
          }
        }
        // A helper of this file: its parameter holds the value from here on.
        const fn = calleeFunction(ts, checker, p);
        const param = fn?.parameters[p.arguments!.indexOf(e as ts.Expression)];
        if (param) taintName(param.name);
        e = p; // and what it returns is made of it (`Schema.parse(data)`, `mapUser(data)`)
        continue;
      }
      // Text and numbers made from it (`\`…${since}…\``, `'Bearer ' + token`, `offset + limit`).
      if (ts.isTemplateSpan(p) || (ts.isBinaryExpression(p) && arithmetic.has(p.operatorToken.kind))) {
        e = ts.isTemplateSpan(p) ? p.parent : p;
        continue;
      }
      // In a list of its own (`[item]`): that list is not the response's list, but its value is still in it.
      if (ts.isArrayLiteralExpression(p)) {
        // `for (const page of [response])`: each element is the loop's variable again.
        const loop = p.parent;
        if (loop && ts.isForOfStatement(loop) && loop.expression === p) {
          const init = loop.initializer;
          if (ts.isVariableDeclarationList(init)) for (const d of init.declarations) taintName(d.name);
          else taintName(init);
          return;
        }
        if (stopWhenKnown) return;
        e = p;
        continue;
      }
      if (ts.isForOfStatement(p) && p.expression === e) {
        list = true;
        // each item is the loop's variable from here on
        const init = p.initializer;
        if (ts.isVariableDeclarationList(init)) for (const d of init.declarations) taintName(d.name);
        else taintName(init);
        return;
      }
      if (ts.isSpreadElement(p)) {
        if (ts.isArrayLiteralExpression(p.parent)) list = true;
        return;
      }
      if (ts.isSpreadAssignment(p) || ts.isPropertyAssignment(p) || ts.isShorthandPropertyAssignment(p)) {
        e = p.parent; // the object now holds it
        continue;
      }
      if (ts.isVariableDeclaration(p) && p.initializer === e) {
        taintName(p.name);
        return;
      }
      if (ts.isBinaryExpression(p) && p.right === e && p.operatorToken.kind === ts.SyntaxKind.EqualsToken) {
        taintName(p.left);
        return;
      }
      if (ts.isReturnStatement(p)) {
        let fn: ts.Node | undefined = p.parent;
        while (fn && !ts.isFunctionLike(fn)) fn = fn.parent;
        if (fn) returned(fn);
        return;
      }
      if (ts.isArrowFunction(p) && p.body === e) {
        returned(p);
        return;
      }
      return;
    }
  };

  while ((exprs.length || symbols.length) && !(stopWhenKnown && list && checkpoint)) {
    const e = exprs.shift();
    if (e) {
      climb(e);
      continue;
    }
    const sym = symbols.shift() as ts.Symbol;
    const decl = sym.declarations?.[0];
    const visit = (n: ts.Node): void => {
      if (ts.isIdentifier(n) && n !== (decl as ts.NamedDeclaration | undefined)?.name && symbolOf(ts, checker, n) === sym) exprs.push(n);
      if (ts.isShorthandPropertyAssignment(n) && checker.getShorthandAssignmentValueSymbol(n) === sym) exprs.push(n.name);
      ts.forEachChild(n, visit);
    };
    visit(sf);
  }
  return { list, checkpoint, reached: seenNodes };
}

function unwrapCallback(ts: ParsedScript['ts'], e: ts.Expression): ts.ArrowFunction | ts.FunctionExpression | undefined {
  let x = e;
  while (ts.isParenthesizedExpression(x)) x = x.expression;
  return ts.isArrowFunction(x) || ts.isFunctionExpression(x) ? x : undefined;
}
