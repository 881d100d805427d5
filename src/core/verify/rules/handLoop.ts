// A `while (true)` around API calls, read on the syntax tree: what moves from one turn to the next, and
// whether `nango.paginate` could do it. Nango's lint rule no-while-true says "use the nango built-in
// paginate method instead"; that holds only when paginate can express the loop. paginate (the runner
// SDK's paginate.service) sets its cursor, offset or page as a parameter or a body field of its own (a
// nested one too: `variables.after` for a GraphQL query), reads the next cursor from a field of the
// response body (or follows a link in the body or the `Link` header), and hands each page's response to
// `on_page`. So these loops are not what it can do, and the rule's advice does not apply (each is said
// as such, with the evidence):
// - the loop saves a checkpoint on every page (directly, or through a function of the script that does):
//   Nango's checkpoint guidance pages by hand to resume from the saved cursor;
// - the loop does not page: no value its requests read changes from one turn to the next (it drains a
//   list it deletes from, or polls);
// - the page position is written inside a string of the request that is not a URL's query string nor a
//   GraphQL query: a query language such as QuickBooks' `STARTPOSITION ${n}`, or a segment of the path;
// - the next cursor comes from where paginate cannot read it: a response header other than `Link`
//   (Azure DevOps' `x-ms-continuationtoken`), or the page's last record (`items[items.length - 1].id`).
// Not accepted, although it looks alike: a position in the endpoint's query string (`?page=${n}`: a
// parameter paginate sets, and Nango's lint wants query parameters in `params`), a cursor written into a
// GraphQL query's text (a variable paginate sets), and a delta link or sync token kept from the last
// page (`on_page` hands paginate's every response to the script). Any other loop pages in a way
// paginate does: the warning stands.
import type * as ts from 'typescript';
import { contains, symbolOf, unwrap, type ParsedScript } from './script';

export type HandLoopKind = 'checkpoint-per-page' | 'not-paging' | 'position-in-string' | 'cursor-paginate-cannot-read' | 'paginate-would-do';

export interface HandLoopJudgement {
  readonly kind: HandLoopKind;
  readonly accepted: boolean;
  readonly why: string;
}

const REQUEST = /^(get|post|put|patch|delete|proxy)$/;
/** Methods that change the object they are called on. */
const MUTATOR = /^(set|append|push|unshift|shift|pop|splice|delete)$/;
/** Calls that change none of their arguments. */
const PURE =
  /^(String|Number|Boolean|parseInt|parseFloat|encodeURIComponent|decodeURIComponent|JSON\.\w+|Math\.\w+|console\.\w+|Object\.(keys|values|entries)|Array\.isArray|Date\.\w+)$/;
/** Text before a value that makes it a parameter of a URL's query string: `?page=`, `&cursor=`, `?`. */
const URL_PARAM = /[?&]([^=&#\s/]+=[^&#\s]*)?$/;
/** A GraphQL document: `{ … }`, `query … { … }`, `mutation … { … }`. */
const GRAPHQL = /^\s*(\{|(query|mutation)\b[^{]*\{)/;

/** Whether `n` (or a function of this file it calls, at any depth) calls the SDK method `method`. */
export function callsSdkMethod(s: ParsedScript, n: ts.Node, method: RegExp, seen = new Set<ts.Node>()): boolean {
  const { ts } = s;
  let hit = false;
  const visit = (x: ts.Node): void => {
    if (hit) return;
    if (ts.isCallExpression(x)) {
      const callee = unwrap(ts, x.expression);
      if (ts.isPropertyAccessExpression(callee) && method.test(callee.name.text) && s.isSdk(callee.expression)) {
        hit = true;
        return;
      }
      const body = ts.isIdentifier(callee) ? localFunctionBody(s, callee) : undefined;
      if (body && !seen.has(body)) {
        seen.add(body);
        if (callsSdkMethod(s, body, method, seen)) {
          hit = true;
          return;
        }
      }
    }
    ts.forEachChild(x, visit);
  };
  visit(n);
  return hit;
}

/** The body of the function of this file a name calls (`function f() {}`, `const f = async () => {}`), if it is one. */
export function localFunctionBody(s: ParsedScript, name: ts.Identifier): ts.Node | undefined {
  const { ts } = s;
  const decl = symbolOf(ts, s.checker, name)?.declarations?.[0];
  if (!decl) return undefined;
  if (ts.isFunctionDeclaration(decl)) return decl.body;
  if (ts.isVariableDeclaration(decl) && decl.initializer) {
    const init = unwrap(ts, decl.initializer);
    if (ts.isArrowFunction(init) || ts.isFunctionExpression(init)) return init.body;
  }
  return undefined;
}

const declaredInside = (sym: ts.Symbol, node: ts.Node) => (sym.declarations ?? []).some((d) => contains(node, d));

export function judgeHandLoop(s: ParsedScript, loop: ts.WhileStatement): HandLoopJudgement {
  const { ts } = s;
  if (callsSdkMethod(s, loop.statement, /^saveCheckpoint$/))
    return {
      kind: 'checkpoint-per-page',
      accepted: true,
      why: "the loop pages by hand and saves a checkpoint on every page, as Nango's checkpoint guidance does",
    };

  // Assignments inside the loop to what lives outside it: `x = …`, `x += …`, `x++`, `x.y = …`, `x[k] = …`.
  const rootOf = (e: ts.Expression): ts.Identifier | undefined => {
    let x = unwrap(ts, e);
    while (ts.isPropertyAccessExpression(x) || ts.isElementAccessExpression(x)) x = unwrap(ts, x.expression);
    return ts.isIdentifier(x) ? x : undefined;
  };
  /** symbol → the values assigned to it (or to a field of it) anywhere inside `scope`. */
  const assignmentsIn = (scope: ts.Node) => {
    const out = new Map<ts.Symbol, ts.Expression[]>();
    const add = (target: ts.Expression, value: ts.Expression | undefined) => {
      const root = rootOf(target);
      const sym = root && symbolOf(ts, s.checker, root);
      if (!sym) return;
      const list = out.get(sym) ?? [];
      if (value) list.push(value);
      out.set(sym, list);
    };
    const visit = (x: ts.Node): void => {
      if (ts.isBinaryExpression(x) && x.operatorToken.kind >= ts.SyntaxKind.FirstAssignment && x.operatorToken.kind <= ts.SyntaxKind.LastAssignment)
        add(x.left, x.right);
      else if (
        (ts.isPrefixUnaryExpression(x) || ts.isPostfixUnaryExpression(x)) &&
        (x.operator === ts.SyntaxKind.PlusPlusToken || x.operator === ts.SyntaxKind.MinusMinusToken)
      )
        add(x.operand, undefined);
      else if (
        ts.isCallExpression(x) &&
        ts.isPropertyAccessExpression(x.expression) &&
        MUTATOR.test(x.expression.name.text) &&
        !s.isSdk(x.expression.expression)
      )
        // `url.searchParams.set('page', n)`, `queue.push(next)`: the object changes as an assignment would change it
        add(x.expression.expression, x.arguments[x.arguments.length - 1]);
      else if (ts.isCallExpression(x) && x.expression.getText(s.sf) === 'Object.assign' && x.arguments[0]) add(x.arguments[0], x.arguments[1]);
      else if (ts.isCallExpression(x) && !PURE.test(x.expression.getText(s.sf))) {
        const callee = unwrap(ts, x.expression);
        if (!((ts.isPropertyAccessExpression(callee) || ts.isElementAccessExpression(callee)) && s.isSdk(callee.expression))) {
          // a call of anything but the SDK or a pure function may change an object it is handed
          // (`advance(state, res)`), and a function of this file may assign what it closes over. A
          // function from elsewhere (a library: `z.array(Schema)`) is not taken to change what the module
          // imports or builds once at its top (a zod schema, a client): that is no state of the loop.
          const body = ts.isIdentifier(callee) ? localFunctionBody(s, callee) : undefined;
          for (const a of x.arguments) if (body || !moduleFixture(a)) add(a, undefined);
          if (body && !bodies.has(body)) {
            bodies.add(body);
            visit(body);
          }
        }
      }
      ts.forEachChild(x, visit);
    };
    const bodies = new Set<ts.Node>();
    visit(scope);
    return out;
  };
  /**
   * An argument that names what the module imports, or a `const` of the module's top level made by a
   * call or `new` (`const Entry = z.object(…)`), not by an object or array literal (state the script keeps).
   */
  const moduleFixture = (a: ts.Expression): boolean => {
    const x = unwrap(ts, a);
    const sym = ts.isIdentifier(x) ? symbolOf(ts, s.checker, x) : undefined;
    const decl = sym?.declarations?.[0];
    if (!decl) return false;
    if (ts.isImportSpecifier(decl) || ts.isImportClause(decl) || ts.isNamespaceImport(decl) || ts.isImportEqualsDeclaration(decl)) return true;
    if (!ts.isVariableDeclaration(decl) || !decl.initializer || !ts.isVariableDeclarationList(decl.parent)) return false;
    if (!(decl.parent.flags & ts.NodeFlags.Const) || !ts.isVariableStatement(decl.parent.parent) || !ts.isSourceFile(decl.parent.parent.parent)) return false;
    const init = unwrap(ts, decl.initializer);
    return ts.isCallExpression(init) || ts.isNewExpression(init);
  };
  const assigned = assignmentsIn(loop.statement);
  const outer = new Map([...assigned].filter(([sym]) => !declaredInside(sym, loop)));

  // What the loop's requests read: names in their arguments, and through those names what they hold
  // (initialisers, and whatever is assigned to them or their fields in the loop). Inside a string (a
  // template or a concatenation) a name is written into the text, not passed as a value.
  const isText = (e: ts.Expression): boolean =>
    ts.isStringLiteralLike(e) ||
    ts.isTemplateExpression(e) ||
    (ts.isBinaryExpression(e) && e.operatorToken.kind === ts.SyntaxKind.PlusToken && (isText(e.left) || isText(e.right)));
  /** The literal text a concatenation starts with, and the one it ends with ('' where a value stands). */
  const headText = (e: ts.Expression): string =>
    ts.isStringLiteralLike(e) ? e.text : ts.isTemplateExpression(e) ? e.head.text : ts.isBinaryExpression(e) ? headText(e.left) : '';
  const tailText = (e: ts.Expression): string =>
    ts.isStringLiteralLike(e)
      ? e.text
      : ts.isTemplateExpression(e)
        ? (e.templateSpans[e.templateSpans.length - 1]?.literal.text ?? '')
        : ts.isBinaryExpression(e)
          ? tailText(e.right)
          : '';
  const requests = s.sdkCalls.filter((c) => REQUEST.test(c.method) && contains(loop.statement, c.call)).map((c) => c.call);
  const direct = new Set<ts.Symbol>();
  const inString = new Set<ts.Symbol>();
  const seen = new Set<string>();
  let ids = 0;
  const idOf = new Map<ts.Node, number>();
  const walk = (x: ts.Node, str: boolean): void => {
    if (ts.isFunctionLike(x)) return;
    const key = `${idOf.get(x) ?? (idOf.set(x, ++ids), ids)}:${str}`;
    if (seen.has(key)) return;
    seen.add(key);
    if (ts.isIdentifier(x)) {
      const p = x.parent;
      if ((ts.isPropertyAccessExpression(p) && p.name === x) || (ts.isPropertyAssignment(p) && p.name === x)) return;
      const sym = symbolOf(ts, s.checker, x);
      if (!sym) return;
      (str ? inString : direct).add(sym);
      // What the name holds: what the loop assigns to it, and its initialiser — for the loop's own
      // variables always; for one made before the loop only when it shares what it holds (an object or
      // an array literal, another name: a config object made before the loop holds the params the loop
      // changes), not a value read once before the loop (`const prefix = queue[0]`, a string).
      const inside = declaredInside(sym, loop);
      for (const d of sym.declarations ?? [])
        if (ts.isVariableDeclaration(d) && d.initializer) {
          const init = unwrap(ts, d.initializer);
          if (inside || ts.isObjectLiteralExpression(init) || ts.isArrayLiteralExpression(init) || ts.isIdentifier(init)) walk(d.initializer, str);
        }
      for (const v of assigned.get(sym) ?? []) walk(v, str);
      return;
    }
    // Inside a string a name is written into the text, unless the text puts it where paginate would
    // set it: a parameter of the URL's query string, a value in a GraphQL query (a variable).
    if (ts.isTemplateExpression(x)) {
      const graphQl = GRAPHQL.test(x.head.text);
      let before = x.head.text;
      for (const span of x.templateSpans) {
        walk(span.expression, !(graphQl || URL_PARAM.test(before)));
        before += span.literal.text;
      }
      return;
    }
    if (ts.isBinaryExpression(x) && x.operatorToken.kind === ts.SyntaxKind.PlusToken && (isText(x.left) || isText(x.right))) {
      const graphQl = GRAPHQL.test(headText(x));
      walk(x.left, !graphQl);
      walk(x.right, !(graphQl || URL_PARAM.test(tailText(x.left))));
      return;
    }
    if (ts.isPropertyAccessExpression(x)) return walk(x.expression, str);
    if (ts.isPropertyAssignment(x)) return walk(x.initializer, str);
    ts.forEachChild(x, (c) => walk(c, str));
  };
  for (const r of requests) for (const a of r.arguments) walk(a, false);
  const carried = [...outer.keys()].filter((sym) => direct.has(sym) || inString.has(sym));

  if (requests.length && !carried.length)
    return {
      kind: 'not-paging',
      accepted: true,
      why: 'the loop does not page: nothing its requests read changes from one turn to the next (it repeats the same request, draining or polling), so `nango.paginate` has nothing to page',
    };
  if (carried.length && carried.every((sym) => inString.has(sym) && !direct.has(sym)))
    return {
      kind: 'position-in-string',
      accepted: true,
      why: `the page position (\`${carried.map((c) => c.name).join('`, `')}\`) is written inside a string of the request (a query or the path): \`nango.paginate\` only sets it as a parameter or body field of its own`,
    };

  // Where the carried values come from: through the loop's own variables, to what was read.
  const sources = (sym: ts.Symbol): ts.Node[] => {
    const out: ts.Node[] = [];
    const seenSym = new Set<ts.Symbol>();
    const follow = (v: ts.Node): void => {
      out.push(v);
      const visit = (x: ts.Node): void => {
        if (ts.isIdentifier(x)) {
          const p = x.parent;
          if (ts.isPropertyAccessExpression(p) && p.name === x) return;
          const t = symbolOf(ts, s.checker, x);
          if (t && !seenSym.has(t) && declaredInside(t, loop)) {
            seenSym.add(t);
            for (const d of t.declarations ?? []) if (ts.isVariableDeclaration(d) && d.initializer) follow(d.initializer);
          }
          return;
        }
        ts.forEachChild(x, visit);
      };
      visit(v);
    };
    for (const v of outer.get(sym) ?? []) follow(v);
    return out;
  };
  const some = (nodes: ts.Node[], test: (x: ts.Node) => boolean): boolean => {
    let hit = false;
    const visit = (x: ts.Node): void => {
      if (hit) return;
      if (test(x)) hit = true;
      else ts.forEachChild(x, visit);
    };
    nodes.forEach(visit);
    return hit;
  };
  const nameOf = (x: ts.Node): string | undefined =>
    ts.isPropertyAccessExpression(x)
      ? x.name.text
      : ts.isElementAccessExpression(x) && ts.isStringLiteralLike(x.argumentExpression)
        ? x.argumentExpression.text
        : undefined;
  const fromHeader = (x: ts.Node) =>
    (ts.isPropertyAccessExpression(x) || ts.isElementAccessExpression(x)) &&
    nameOf(x.expression) === 'headers' &&
    (nameOf(x) ?? '').toLowerCase() !== 'link' &&
    (ts.isPropertyAccessExpression(x) || !ts.isStringLiteralLike(x.argumentExpression) || x.argumentExpression.text.toLowerCase() !== 'link');
  const lastRecord = (x: ts.Node) =>
    (ts.isElementAccessExpression(x) &&
      ts.isBinaryExpression(x.argumentExpression) &&
      x.argumentExpression.operatorToken.kind === ts.SyntaxKind.MinusToken &&
      ts.isPropertyAccessExpression(x.argumentExpression.left) &&
      x.argumentExpression.left.name.text === 'length') ||
    (ts.isCallExpression(x) &&
      ts.isPropertyAccessExpression(x.expression) &&
      (x.expression.name.text === 'pop' || (x.expression.name.text === 'at' && x.arguments[0] !== undefined && ts.isPrefixUnaryExpression(x.arguments[0]))));
  const unreadable = carried.find((sym) => some(sources(sym), (x) => fromHeader(x) || lastRecord(x)));
  if (unreadable)
    return {
      kind: 'cursor-paginate-cannot-read',
      accepted: true,
      why: `the next cursor (\`${unreadable.name}\`) comes from ${some(sources(unreadable), fromHeader) ? 'a response header other than `Link`' : "the page's last record"}: \`nango.paginate\` reads a cursor only from a field of the response body`,
    };

  return { kind: 'paginate-would-do', accepted: false, why: 'the loop pages by hand without a checkpoint: `nango.paginate` does this' };
}
