// A Nango script as the code rules read it: its syntax tree, with symbols (which declaration a name
// means, scope by scope) and the Nango SDK object recognised by its role — the first parameter of the
// `exec` (and `onWebhook`) function of the default-exported createAction/createSync/createOnEvent —
// however the agent names it, and wherever it is handed on (helper functions, aliases, class fields).
// Only this one file is bound: imports stay unresolved aliases, which the rules follow themselves.
import type * as ts from 'typescript';
import type { TS } from '../../toolchain/typescript';

/** `createSync({...})` and what the rules need of it. */
export interface ScriptDefinition {
  readonly kind: 'action' | 'sync' | 'on-event';
  readonly call: ts.CallExpression;
  /** The object literal handed to createX, when it is one (or a variable holding one). */
  readonly config?: ts.ObjectLiteralExpression;
}

export interface SdkCall {
  readonly call: ts.CallExpression;
  /** `get`, `post`, `paginate`, `saveCheckpoint`… */
  readonly method: string;
}

export interface ParsedScript {
  readonly ts: TS;
  /** Relative to the interaction folder, posix (for findings). */
  readonly file: string;
  readonly text: string;
  readonly sf: ts.SourceFile;
  readonly checker: ts.TypeChecker;
  readonly definition?: ScriptDefinition;
  /** Every `<sdk>.<method>(…)` call of the file, in source order. */
  readonly sdkCalls: readonly SdkCall[];
  /** The text of every comment of the file. */
  readonly comments: readonly string[];
  readonly isSdk: (e: ts.Expression) => boolean;
  /** 1-based line of a node's first character (after its leading trivia). */
  readonly lineOf: (n: ts.Node) => number;
}

const CREATE = { createAction: 'action', createSync: 'sync', createOnEvent: 'on-event' } as const;
/** SDK types a helper's parameter may be annotated with (`NangoSync`, `NangoActionBase`, a local alias `NangoSyncLocal`…). */
const SDK_TYPE = /^Nango(Action|Sync)\w*$/;

export function parseScript(ts: TS, file: string, text: string): ParsedScript {
  // A single-file program: no lib, no module resolution. The checker then binds this file's own
  // declarations (scopes, shadowing) cheaply, which is all the rules ask of it.
  const fileName = '/__script__.ts';
  const sf = ts.createSourceFile(fileName, text, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const host: ts.CompilerHost = {
    getSourceFile: (name) => (name === fileName ? sf : undefined),
    getDefaultLibFileName: () => '/__lib__.d.ts',
    writeFile: () => undefined,
    getCurrentDirectory: () => '/',
    getCanonicalFileName: (f) => f,
    useCaseSensitiveFileNames: () => true,
    getNewLine: () => '\n',
    fileExists: (f) => f === fileName,
    readFile: () => undefined,
  };
  const program = ts.createProgram({
    rootNames: [fileName],
    options: { noLib: true, noResolve: true, types: [], target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext },
    host,
  });
  const checker = program.getTypeChecker();
  const definition = findDefinition(ts, sf, checker);
  const sdk = sdkSymbols(ts, sf, checker, definition);
  const isSdk = (e: ts.Expression): boolean => {
    const x = unwrap(ts, e);
    if (ts.isIdentifier(x) || ts.isPropertyAccessExpression(x)) {
      const s = symbolOf(ts, checker, ts.isIdentifier(x) ? x : x.name);
      return !!s && sdk.has(s);
    }
    return false;
  };
  const sdkCalls: SdkCall[] = [];
  const visit = (n: ts.Node): void => {
    if (ts.isCallExpression(n)) {
      const callee = unwrap(ts, n.expression);
      if (ts.isPropertyAccessExpression(callee) && isSdk(callee.expression)) sdkCalls.push({ call: n, method: callee.name.text });
      else if (ts.isElementAccessExpression(callee) && ts.isStringLiteralLike(callee.argumentExpression) && isSdk(callee.expression))
        sdkCalls.push({ call: n, method: callee.argumentExpression.text });
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return {
    ts,
    file,
    text,
    sf,
    checker,
    definition,
    sdkCalls,
    comments: commentsOf(ts, sf),
    isSdk,
    lineOf: (n) => sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1,
  };
}

/** Parentheses, `as`, `satisfies`, `!` and `await` do not change which value an expression is. */
export function unwrap(ts: TS, e: ts.Expression): ts.Expression {
  let x = e;
  for (;;) {
    if (ts.isParenthesizedExpression(x) || ts.isAsExpression(x) || ts.isNonNullExpression(x) || ts.isTypeAssertionExpression(x) || ts.isAwaitExpression(x))
      x = x.expression;
    else if (ts.isSatisfiesExpression?.(x)) x = x.expression;
    else return x;
  }
}

/**
 * The symbol a name means here (an import stays its alias: the rules follow imports themselves). The
 * name of a shorthand property (`{ nango }`) means the value it takes, not the property it makes.
 */
export function symbolOf(ts: TS, checker: ts.TypeChecker, n: ts.Node): ts.Symbol | undefined {
  try {
    const p = n.parent;
    if (p && ts.isShorthandPropertyAssignment(p) && p.name === n) return checker.getShorthandAssignmentValueSymbol(p);
    return checker.getSymbolAtLocation(n);
  } catch {
    return undefined;
  }
}

/** A property's name as written (`retries`, `'retries'`, `["retries"]`), or undefined when computed. */
export function propertyName(ts: TS, name: ts.PropertyName | undefined): string | undefined {
  if (!name) return undefined;
  if (ts.isIdentifier(name) || ts.isStringLiteralLike(name) || ts.isNumericLiteral(name) || ts.isPrivateIdentifier(name)) return name.text;
  if (ts.isComputedPropertyName(name) && ts.isStringLiteralLike(name.expression)) return name.expression.text;
  return undefined;
}

/** Whether `inner` is `outer` or inside it. */
export function contains(outer: ts.Node, inner: ts.Node): boolean {
  for (let n: ts.Node | undefined = inner; n; n = n.parent) if (n === outer) return true;
  return false;
}

function commentsOf(ts: TS, sf: ts.SourceFile): string[] {
  const seen = new Set<number>();
  const out: string[] = [];
  const take = (ranges: readonly ts.CommentRange[] | undefined) => {
    for (const r of ranges ?? []) {
      if (seen.has(r.pos)) continue;
      seen.add(r.pos);
      out.push(sf.text.slice(r.pos, r.end));
    }
  };
  const visit = (n: ts.Node): void => {
    take(ts.getLeadingCommentRanges(sf.text, n.pos));
    take(ts.getTrailingCommentRanges(sf.text, n.end));
    ts.forEachChild(n, visit);
  };
  visit(sf);
  take(ts.getLeadingCommentRanges(sf.text, sf.endOfFileToken.pos));
  return out;
}

/** The value a name was declared with, through `const x = …` (one step). */
export function initializerOf(ts: TS, checker: ts.TypeChecker, id: ts.Identifier): ts.Expression | undefined {
  const decl = symbolOf(ts, checker, id)?.declarations?.[0];
  return decl && ts.isVariableDeclaration(decl) && decl.initializer ? decl.initializer : undefined;
}

function findDefinition(ts: TS, sf: ts.SourceFile, checker: ts.TypeChecker): ScriptDefinition | undefined {
  const definitionOf = (e: ts.Expression | undefined, depth = 0): ScriptDefinition | undefined => {
    if (!e || depth > 4) return undefined;
    const x = unwrap(ts, e);
    if (ts.isIdentifier(x)) return definitionOf(initializerOf(ts, checker, x), depth + 1);
    if (!ts.isCallExpression(x)) return undefined;
    const callee = unwrap(ts, x.expression);
    const name = ts.isIdentifier(callee) ? callee.text : ts.isPropertyAccessExpression(callee) ? callee.name.text : '';
    const kind = (CREATE as Record<string, ScriptDefinition['kind']>)[name];
    if (!kind) return undefined;
    let arg = x.arguments[0] ? unwrap(ts, x.arguments[0]) : undefined;
    if (arg && ts.isIdentifier(arg)) arg = initializerOf(ts, checker, arg);
    return { kind, call: x, config: arg && ts.isObjectLiteralExpression(arg) ? arg : undefined };
  };
  // `export default createSync({…})` or `const sync = createSync({…}); export default sync;`
  for (const st of sf.statements) {
    if (ts.isExportAssignment(st) && !st.isExportEquals) {
      const d = definitionOf(st.expression);
      if (d) return d;
    }
  }
  // Otherwise the first createX call of the file (a script that does not export it still says what it is).
  let first: ScriptDefinition | undefined;
  const visit = (n: ts.Node): void => {
    if (first) return;
    if (ts.isCallExpression(n)) first = definitionOf(n);
    if (!first) ts.forEachChild(n, visit);
  };
  visit(sf);
  return first;
}

/** A function given as `exec: …`, `exec(…) {…}` or `exec` (shorthand for a function declared elsewhere). */
export function functionOf(ts: TS, checker: ts.TypeChecker, config: ts.ObjectLiteralExpression, name: string): ts.FunctionLikeDeclaration | undefined {
  for (const p of config.properties) {
    if (propertyName(ts, p.name) !== name) continue;
    if (ts.isMethodDeclaration(p)) return p;
    let value: ts.Expression | undefined;
    if (ts.isPropertyAssignment(p)) value = unwrap(ts, p.initializer);
    else if (ts.isShorthandPropertyAssignment(p)) {
      const decl = checker.getShorthandAssignmentValueSymbol(p)?.declarations?.[0];
      if (decl && ts.isFunctionDeclaration(decl)) return decl;
      if (decl && ts.isVariableDeclaration(decl) && decl.initializer) value = unwrap(ts, decl.initializer);
    }
    if (value && ts.isIdentifier(value)) {
      const decl = symbolOf(ts, checker, value)?.declarations?.[0];
      if (decl && ts.isFunctionDeclaration(decl)) return decl;
      if (decl && ts.isVariableDeclaration(decl) && decl.initializer) value = unwrap(ts, decl.initializer);
    }
    if (value && (ts.isArrowFunction(value) || ts.isFunctionExpression(value))) return value;
  }
  return undefined;
}

/** The function-like declaration a call's callee means, when it is declared in this file. */
export function calleeFunction(ts: TS, checker: ts.TypeChecker, call: ts.CallExpression | ts.NewExpression): ts.FunctionLikeDeclaration | undefined {
  const callee = unwrap(ts, call.expression);
  const nameNode = ts.isIdentifier(callee) ? callee : ts.isPropertyAccessExpression(callee) ? callee.name : undefined;
  if (!nameNode) return undefined;
  const decl = symbolOf(ts, checker, nameNode)?.declarations?.[0];
  if (!decl) return undefined;
  if (ts.isNewExpression(call) && ts.isClassDeclaration(decl)) return decl.members.find(ts.isConstructorDeclaration);
  if (ts.isFunctionDeclaration(decl) || ts.isMethodDeclaration(decl)) return decl;
  if ((ts.isVariableDeclaration(decl) || ts.isPropertyDeclaration(decl) || ts.isPropertyAssignment(decl)) && decl.initializer) {
    const init = unwrap(ts, decl.initializer);
    if (ts.isArrowFunction(init) || ts.isFunctionExpression(init)) return init;
  }
  return undefined;
}

function sdkSymbols(ts: TS, sf: ts.SourceFile, checker: ts.TypeChecker, definition: ScriptDefinition | undefined): Set<ts.Symbol> {
  const sdk = new Set<ts.Symbol>();
  const addParam = (p: ts.ParameterDeclaration | undefined): boolean => {
    if (!p || !ts.isIdentifier(p.name)) return false;
    let added = false;
    const symbols = ts.isParameterPropertyDeclaration?.(p, p.parent)
      ? checker.getSymbolsOfParameterPropertyDeclaration(p, p.name.text)
      : [symbolOf(ts, checker, p.name)];
    for (const s of symbols) {
      if (s && !sdk.has(s)) {
        sdk.add(s);
        added = true;
      }
    }
    return added;
  };
  // By role: the first parameter of exec and onWebhook.
  if (definition?.config) {
    for (const name of ['exec', 'onWebhook']) addParam(functionOf(ts, checker, definition.config, name)?.parameters[0]);
  }
  // By type: a helper's parameter or field declared as the SDK (`nango: NangoSync`).
  const isSdkType = (t: ts.TypeNode | undefined) =>
    !!t && ts.isTypeReferenceNode(t) && SDK_TYPE.test(ts.isIdentifier(t.typeName) ? t.typeName.text : t.typeName.right.text);
  const typed = (n: ts.Node): void => {
    if (ts.isParameter(n) && isSdkType(n.type)) addParam(n);
    // `({ nango, config }: { nango: NangoSync; config: ProxyConfiguration })`
    else if (ts.isParameter(n) && ts.isObjectBindingPattern(n.name) && n.type && ts.isTypeLiteralNode(n.type)) {
      const members = n.type.members;
      for (const el of n.name.elements) {
        const key = propertyName(ts, el.propertyName ?? (ts.isIdentifier(el.name) ? el.name : undefined));
        const member = members.find((m) => ts.isPropertySignature(m) && propertyName(ts, m.name) === key);
        if (member && ts.isPropertySignature(member) && isSdkType(member.type) && ts.isIdentifier(el.name)) {
          const sym = symbolOf(ts, checker, el.name);
          if (sym) sdk.add(sym);
        }
      }
    } else if ((ts.isPropertyDeclaration(n) || ts.isVariableDeclaration(n)) && isSdkType(n.type) && ts.isIdentifier(n.name)) {
      const s = symbolOf(ts, checker, n.name);
      if (s) sdk.add(s);
    }
    ts.forEachChild(n, typed);
  };
  typed(sf);
  // By flow: handed to a function of this file, or given another name, until nothing new is found.
  const isSdk = (e: ts.Expression): boolean => {
    const x = unwrap(ts, e);
    const nameNode = ts.isIdentifier(x) ? x : ts.isPropertyAccessExpression(x) ? x.name : undefined;
    const s = nameNode && symbolOf(ts, checker, nameNode);
    return !!s && sdk.has(s);
  };
  for (let round = 0; round < 10; round++) {
    let changed = false;
    const flow = (n: ts.Node): void => {
      if ((ts.isCallExpression(n) || ts.isNewExpression(n)) && n.arguments?.some(isSdk)) {
        const fn = calleeFunction(ts, checker, n);
        n.arguments.forEach((a, i) => {
          if (fn && isSdk(a) && addParam(fn.parameters[i])) changed = true;
        });
      }
      if (ts.isVariableDeclaration(n) && n.initializer && ts.isIdentifier(n.name) && isSdk(n.initializer)) {
        const s = symbolOf(ts, checker, n.name);
        if (s && !sdk.has(s)) {
          sdk.add(s);
          changed = true;
        }
      }
      if (ts.isBinaryExpression(n) && n.operatorToken.kind === ts.SyntaxKind.EqualsToken && isSdk(n.right)) {
        const left = unwrap(ts, n.left);
        const s = symbolOf(ts, checker, ts.isPropertyAccessExpression(left) ? left.name : left);
        if (s && !sdk.has(s)) {
          sdk.add(s);
          changed = true;
        }
      }
      ts.forEachChild(n, flow);
    };
    flow(sf);
    if (!changed) break;
  }
  return sdk;
}
