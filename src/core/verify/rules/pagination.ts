// sdk.pagination-skipped: a sync that reads the provider through the SDK pages through what it reads,
// or a comment says why not. Paging is any of: `nango.paginate`; a loop around a read that carries a
// cursor from one page to the next (a variable declared outside the loop, set inside it, and used by the
// read or by the loop's condition or a `break`: a cursor, a page number, an offset, a next-page URL);
// a loop that saves its position with `saveCheckpoint` (Nango's own guidance for syncs that page by hand
// and resume from a cursor or sync token); a helper of this file that reads and is called from such a
// loop, or calls itself with the next cursor; a read whose next-page token is saved in the checkpoint
// (one page per run, the next run resumes). One paged read is enough: the other reads of such a sync
// are look-ups (a calendar's settings, the user). Only reads whose data is used as a list count: a
// sync that reads one record (the account, one item per id it already has) has nothing to page.
// The recorded fixture is evidence too (recordedPaging.ts): when every recorded answer shows no sign of
// paging, the endpoint returned the whole list and there was nothing to page; when one does, the
// finding names the field that shows it.
import type * as ts from 'typescript';
import { proseOf, quoteText, type CodeFinding } from './finding';
import { reachedFrom, readFlow } from './flow';
import type { InteractionModules, ReadInteractionFile } from './modules';
import { recordedPaging } from './recordedPaging';
import { PROXY_METHODS } from './retries';
import { calleeFunction, contains, propertyName, symbolOf, unwrap, type ParsedScript } from './script';

/**
 * A comment that gives a reason for not paging: the API has no pagination, cursor, page token or
 * offset, or returns everything in one response (a full snapshot, the complete list). A link is not a
 * reason (`…/docs/pagination` names a page of docs), so links are left out before matching.
 */
export const PAGINATION_COMMENT =
  /paginat|\bpag(ing|ed)\b|cursor|page[ _-]?token|next[ _-]?page|\boffset|\b(single|one) (response|request|call|page)\b|\b(full|complete|whole) (snapshot|list|collection|set|current state)\b|\breturns? (all|every|the (full|complete|whole|entire))\b/i;

export function paginationFindings(s: ParsedScript, modules: InteractionModules, readFile?: ReadInteractionFile): CodeFinding[] {
  if (PAGINATION_COMMENT.test(proseOf(s.comments))) return [];
  const reads = s.sdkCalls.filter((c) => isRead(s, c.call, c.method)).map((c) => ({ call: c.call, flow: readFlow(s, c.call) }));
  // Reads whose data is a list; a read of one record (the account, one item per id) has nothing to page.
  const lists = reads.filter((r) => r.flow.list);
  if (!lists.length || pages(s) || helperPages(s, modules)) return [];
  const recorded = readFile ? recordedPaging(readFile, s.file) : { kind: 'unknown' as const };
  if (recorded.kind === 'whole') return [];
  const first = lists[0]!.call;
  const evidence =
    recorded.kind === 'pages'
      ? `: the recorded answer of ${recorded.endpoint} carries \`${recorded.signal}\`, so the API pages`
      : ' and no comment explains why';
  return [
    {
      rule: 'sdk.pagination-skipped',
      severity: 'warning',
      message: `the sync reads the API without paging (\`nango.paginate\`, or a loop that carries a cursor or saves a checkpoint)${evidence}`,
      file: s.file,
      line: s.lineOf(first),
      quote: quoteText(first.getText(s.sf)),
    },
  ];
}

/** Whether this file pages: `paginate`, a read in a loop that carries a cursor, a next-page token saved in the checkpoint. */
function pages(s: ParsedScript): boolean {
  if (s.sdkCalls.some((c) => c.method === 'paginate')) return true;
  // Any request counts as paging evidence, not only GET: search and GraphQL endpoints page by POST.
  const requests = s.sdkCalls.filter((c) => PROXY_METHODS.has(c.method));
  if (requests.some((c) => paged(s, c.call, new Set()) || readFlow(s, c.call).checkpoint)) return true;
  return resumesFromCheckpoint(
    s,
    requests.map((c) => c.call),
  );
}

/**
 * A sync that works through the API one window or page per run: a request takes its position from
 * `getCheckpoint()` (a page token, an offset, an hour, a date) and the sync saves the next position with
 * `saveCheckpoint`. Nango's guidance for syncs that page by hand.
 */
function resumesFromCheckpoint(s: ParsedScript, requests: readonly ts.CallExpression[]): boolean {
  if (!s.sdkCalls.some((c) => c.method === 'saveCheckpoint')) return false;
  return s.sdkCalls.some((c) => {
    if (c.method !== 'getCheckpoint') return false;
    const reached = reachedFrom(s, c.call);
    return requests.some((r) => [...reached].some((n) => r.arguments.some((a) => contains(a, n))));
  });
}

/**
 * The script hands the SDK to a helper of another file of the interaction (`paginate({ nango, config })`
 * from `../helpers/pagination.js`), and that file pages. The helper is read, not trusted by its name.
 */
function helperPages(s: ParsedScript, modules: InteractionModules): boolean {
  const { ts } = s;
  const handsSdk = (a: ts.Expression) => {
    const x = unwrap(ts, a);
    if (s.isSdk(x)) return true;
    return (
      ts.isObjectLiteralExpression(x) &&
      x.properties.some((p) => (ts.isShorthandPropertyAssignment(p) && s.isSdk(p.name)) || (ts.isPropertyAssignment(p) && s.isSdk(p.initializer)))
    );
  };
  let found = false;
  const visit = (n: ts.Node): void => {
    if (found) return;
    if (ts.isCallExpression(n) && n.arguments.some(handsSdk)) {
      const callee = unwrap(ts, n.expression);
      const id = ts.isIdentifier(callee) ? callee : ts.isPropertyAccessExpression(callee) && ts.isIdentifier(callee.expression) ? callee.expression : undefined;
      const imported = id && modules.importOf(s, id);
      const mod = imported && modules.module(s, imported.specifier);
      if (mod && pages(mod)) found = true;
    }
    ts.forEachChild(n, visit);
  };
  visit(s.sf);
  return found;
}

/** `get`, or `proxy` with no method or GET. */
function isRead(s: ParsedScript, call: ts.CallExpression, method: string): boolean {
  const { ts } = s;
  if (method === 'get') return true;
  if (method !== 'proxy') return false;
  const arg = call.arguments[0] && unwrap(ts, call.arguments[0]);
  if (!arg || !ts.isObjectLiteralExpression(arg)) return true;
  const m = arg.properties.find((p) => propertyName(ts, p.name) === 'method');
  if (!m || !ts.isPropertyAssignment(m) || !ts.isStringLiteralLike(m.initializer)) return !m;
  return m.initializer.text.toUpperCase() === 'GET';
}

const isInlineCallback = (ts: ParsedScript['ts'], n: ts.Node) =>
  (ts.isArrowFunction(n) || ts.isFunctionExpression(n)) &&
  !!n.parent &&
  (ts.isCallExpression(n.parent) || ts.isNewExpression(n.parent)) &&
  n.parent.expression !== n;

/** The function a call sits in, looking through callbacks handed inline to another call (`.map(async (x) => …)`). */
function enclosingFunction(s: ParsedScript, n: ts.Node): ts.SignatureDeclaration | undefined {
  const { ts } = s;
  for (let a = n.parent; a; a = a.parent) {
    if (ts.isFunctionLike(a) && !isInlineCallback(ts, a)) return a as ts.SignatureDeclaration;
  }
  return undefined;
}

function paged(s: ParsedScript, call: ts.CallExpression, visited: Set<ts.Node>): boolean {
  const { ts, sf, checker } = s;
  if (inPagingLoop(s, call)) return true;
  const fn = enclosingFunction(s, call);
  if (!fn || visited.has(fn)) return false;
  visited.add(fn);
  const callers: ts.CallExpression[] = [];
  const visit = (n: ts.Node): void => {
    if (ts.isCallExpression(n) && calleeFunction(ts, checker, n) === fn) callers.push(n);
    ts.forEachChild(n, visit);
  };
  visit(sf);
  // A helper that calls itself (with the next cursor) pages by recursion.
  if (callers.some((c) => contains(fn, c))) return true;
  return callers.some((c) => paged(s, c, visited));
}

/** The loops around `call` (up to its function) where one carries a cursor. */
function inPagingLoop(s: ParsedScript, call: ts.CallExpression): boolean {
  const { ts } = s;
  let child: ts.Node = call;
  for (let a = call.parent; a; child = a, a = a.parent) {
    if (ts.isFunctionLike(a) && !isInlineCallback(ts, a)) return false;
    if (!ts.isIterationStatement(a, false)) continue;
    // Only what runs on every turn: a for-of's list and a for's initializer run once.
    const perTurn =
      child === a.statement ||
      (ts.isForStatement(a) ? child === a.condition || child === a.incrementor : (ts.isWhileStatement(a) || ts.isDoStatement(a)) && child === a.expression);
    if (perTurn && loopCarriesCursor(s, a, call)) return true;
  }
  return false;
}

function loopCarriesCursor(s: ParsedScript, loop: ts.IterationStatement, call: ts.CallExpression): boolean {
  const { ts, checker } = s;
  if (s.sdkCalls.some((c) => c.method === 'saveCheckpoint' && contains(loop, c.call))) return true;
  // Variables declared outside the loop's body and set inside the loop.
  const mutated = new Set<ts.Symbol>();
  const markTarget = (t: ts.Expression): void => {
    const x = unwrap(ts, t);
    if (ts.isIdentifier(x)) {
      const sym = symbolOf(ts, checker, x);
      const decl = sym?.declarations?.[0];
      if (sym && decl && !contains(loop.statement, decl)) mutated.add(sym);
    } else if (ts.isPropertyAccessExpression(x) || ts.isElementAccessExpression(x)) markTarget(x.expression);
    else if (ts.isObjectLiteralExpression(x)) {
      for (const p of x.properties) {
        if (ts.isShorthandPropertyAssignment(p)) markTarget(p.name);
        else if (ts.isPropertyAssignment(p)) markTarget(p.initializer);
        else if (ts.isSpreadAssignment(p)) markTarget(p.expression);
      }
    } else if (ts.isArrayLiteralExpression(x)) x.elements.forEach((el) => markTarget(ts.isSpreadElement(el) ? el.expression : el));
  };
  const findMutations = (n: ts.Node): void => {
    if (ts.isBinaryExpression(n) && n.operatorToken.kind >= ts.SyntaxKind.FirstAssignment && n.operatorToken.kind <= ts.SyntaxKind.LastAssignment)
      markTarget(n.left);
    if (
      (ts.isPrefixUnaryExpression(n) || ts.isPostfixUnaryExpression(n)) &&
      (n.operator === ts.SyntaxKind.PlusPlusToken || n.operator === ts.SyntaxKind.MinusMinusToken)
    )
      markTarget(n.operand);
    ts.forEachChild(n, findMutations);
  };
  findMutations(loop.statement);
  if (ts.isForStatement(loop) && loop.incrementor) findMutations(loop.incrementor);
  if (!mutated.size) return false;

  // Whether a value refers to a cursor, directly or through values built inside the loop from it
  // (`const params = { cursor }`, `params['page'] = page`, `const config = { endpoint, params }`).
  const refersToCursor = (n: ts.Node | undefined, depth = 0, seen = new Set<ts.Symbol>()): boolean => {
    if (!n) return false;
    let found = false;
    const follow = (sym: ts.Symbol | undefined) => {
      if (!sym || found) return;
      if (mutated.has(sym)) {
        found = true;
        return;
      }
      const decl = sym.declarations?.[0];
      if (depth < 4 && !seen.has(sym) && decl && ts.isVariableDeclaration(decl) && contains(loop.statement, decl)) {
        seen.add(sym);
        found = refersToCursor(decl.initializer, depth + 1, seen) || assignedInLoopFromCursor(sym, depth + 1, seen);
      }
    };
    const visit = (x: ts.Node): void => {
      if (found) return;
      if (ts.isShorthandPropertyAssignment(x)) follow(checker.getShorthandAssignmentValueSymbol(x));
      else if (ts.isIdentifier(x)) follow(symbolOf(ts, checker, x));
      ts.forEachChild(x, visit);
    };
    visit(n);
    return found;
  };
  // `params['cursor'] = cursor` on a value declared inside the loop
  const assignedInLoopFromCursor = (sym: ts.Symbol, depth: number, seen: Set<ts.Symbol>): boolean => {
    let found = false;
    const visit = (x: ts.Node): void => {
      if (found) return;
      if (ts.isBinaryExpression(x) && x.operatorToken.kind === ts.SyntaxKind.EqualsToken) {
        let root: ts.Expression = unwrap(ts, x.left);
        while (ts.isPropertyAccessExpression(root) || ts.isElementAccessExpression(root)) root = unwrap(ts, root.expression);
        if (ts.isIdentifier(root) && symbolOf(ts, checker, root) === sym && refersToCursor(x.right, depth, seen)) found = true;
      }
      ts.forEachChild(x, visit);
    };
    visit(loop.statement);
    return found;
  };

  const condition = ts.isForStatement(loop) ? loop.condition : ts.isWhileStatement(loop) || ts.isDoStatement(loop) ? loop.expression : undefined;
  if (refersToCursor(condition) || (ts.isForStatement(loop) && refersToCursor(loop.incrementor))) return true;
  if (call.arguments.some((a) => refersToCursor(a))) return true;
  // `if (!cursor) break;` / `if (!next) return;`
  let stops = false;
  const visit = (n: ts.Node): void => {
    if (stops || (ts.isFunctionLike(n) && !isInlineCallback(ts, n))) return;
    if (ts.isIfStatement(n) && refersToCursor(n.expression) && leaves(ts, n.thenStatement)) stops = true;
    ts.forEachChild(n, visit);
  };
  visit(loop.statement);
  return stops;
}

function leaves(ts: ParsedScript['ts'], n: ts.Node): boolean {
  if (ts.isBreakStatement(n) || ts.isReturnStatement(n)) return true;
  let found = false;
  const visit = (x: ts.Node): void => {
    if (found || ts.isFunctionLike(x) || ts.isIterationStatement(x, false)) return;
    if (ts.isBreakStatement(x) || ts.isReturnStatement(x)) found = true;
    ts.forEachChild(x, visit);
  };
  ts.forEachChild(n, visit);
  return found;
}
