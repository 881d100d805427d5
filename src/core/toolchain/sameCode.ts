// Whether two TypeScript sources are the same program, formatting aside: the generated tests Verify
// compares are what `nango generate:tests` writes, but a project may keep them formatted by prettier
// (indentation, quotes, trailing commas, semicolons, redundant parentheses, quoted property names). Those
// are the same test; anything else is a real difference, reported where it starts in both texts with the
// code that differs — never a trimmed line that looks the same on both sides.
import type * as ts from 'typescript';
import type { TS } from './typescript';

export type CodeComparison =
  | { readonly same: true }
  | {
      readonly same: false;
      /** 1-based lines where the first difference starts, in each text. */
      readonly line: number;
      readonly expectedLine: number;
      /** Where it differs, on one line each: the source lines, or the code itself when the lines look alike. */
      readonly actual: string;
      readonly expected: string;
    };

export function compareCode(ts: TS, actual: string, expected: string): CodeComparison {
  const a = ts.createSourceFile('/actual.ts', actual, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const b = ts.createSourceFile('/expected.ts', expected, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const diff = firstDifference(ts, a, b);
  if (!diff) return { same: true };
  const [x, y] = diff;
  const lineOf = (n: ts.Node | undefined, sf: ts.SourceFile) => sf.getLineAndCharacterOfPosition(n ? n.getStart(sf) : sf.end).line + 1;
  const line = lineOf(x, a);
  const expectedLine = lineOf(y, b);
  return {
    same: false,
    line,
    expectedLine,
    ...showDifference(
      actual.split('\n')[line - 1] ?? '',
      expected.split('\n')[expectedLine - 1] ?? '',
      x ? x.getText(a) : '(nothing)',
      y ? y.getText(b) : '(nothing)',
    ),
  };
}

/**
 * How to show a difference so that it shows: the two source lines; when they read the same once
 * whitespace is folded (the difference is further on, or inside a string's spaces), the differing code
 * itself; and when that reads the same too, as literals with every space and quote visible.
 */
export function showDifference(
  actualLine: string,
  expectedLine: string,
  actualCode = actualLine,
  expectedCode = expectedLine,
): { actual: string; expected: string } {
  if (clip(actualLine) !== clip(expectedLine)) return { actual: clip(actualLine), expected: clip(expectedLine) };
  if (clip(actualCode) !== clip(expectedCode)) return { actual: clip(actualCode), expected: clip(expectedCode) };
  // As literals, spaces and all: folding them here would hide the very difference.
  const literal = (t: string) => {
    const j = JSON.stringify(t);
    return j.length > 160 ? `${j.slice(0, 159)}…` : j;
  };
  return { actual: literal(actualCode), expected: literal(expectedCode) };
}

function clip(s: string, n = 100): string {
  const one = s.replace(/\s+/g, ' ').trim();
  return one.length > n ? `${one.slice(0, n - 1)}…` : one;
}

/** The smallest pair of nodes that differ, or undefined when the programs are the same. */
function firstDifference(ts: TS, a: ts.Node, b: ts.Node): [ts.Node | undefined, ts.Node | undefined] | undefined {
  const x = skipParens(ts, a);
  const y = skipParens(ts, b);
  if (x.kind !== y.kind) {
    // `a: 1` and `'a': 1` name the same property
    const nx = propertyNameText(ts, x);
    if (nx !== undefined && nx === propertyNameText(ts, y)) return undefined;
    return [x, y];
  }
  if (!sameLeaf(ts, x, y)) return [x, y];
  const cx = childrenOf(ts, x);
  const cy = childrenOf(ts, y);
  for (let i = 0; i < Math.max(cx.length, cy.length); i++) {
    const u = cx[i];
    const v = cy[i];
    if (!u || !v) return [u ?? x, v ?? y];
    const d = firstDifference(ts, u, v);
    if (d) return d;
  }
  return undefined;
}

function skipParens(ts: TS, n: ts.Node): ts.Node {
  let x = n;
  while (ts.isParenthesizedExpression(x) || ts.isParenthesizedTypeNode(x))
    x = x.kind === ts.SyntaxKind.ParenthesizedExpression ? (x as ts.ParenthesizedExpression).expression : (x as ts.ParenthesizedTypeNode).type;
  return x;
}

function propertyNameText(ts: TS, n: ts.Node): string | undefined {
  const p = n.parent;
  const isName =
    p &&
    (ts.isPropertyAssignment(p) || ts.isPropertySignature(p) || ts.isPropertyDeclaration(p) || ts.isMethodDeclaration(p) || ts.isPropertyAccessExpression(p)) &&
    (p as ts.NamedDeclaration).name === n;
  if (!isName) return undefined;
  if (ts.isIdentifier(n) || ts.isStringLiteral(n) || ts.isNumericLiteral(n)) return n.text;
  return undefined;
}

/** The value a leaf stands for: names, literal values (whatever the quotes), operators and keywords by kind. */
function sameLeaf(ts: TS, x: ts.Node, y: ts.Node): boolean {
  if (ts.isIdentifier(x) || ts.isPrivateIdentifier(x)) return x.text === (y as ts.Identifier).text;
  if (
    ts.isStringLiteralLike(x) ||
    ts.isTemplateHead(x) ||
    ts.isTemplateMiddle(x) ||
    ts.isTemplateTail(x) ||
    ts.isRegularExpressionLiteral(x) ||
    ts.isJsxText(x)
  )
    return x.text === (y as ts.LiteralLikeNode).text;
  if (ts.isNumericLiteral(x) || ts.isBigIntLiteral(x)) return Number(x.text.replace(/n$/, '')) === Number((y as ts.NumericLiteral).text.replace(/n$/, ''));
  if (ts.isBinaryExpression(x)) return x.operatorToken.kind === (y as ts.BinaryExpression).operatorToken.kind;
  if (ts.isPrefixUnaryExpression(x) || ts.isPostfixUnaryExpression(x)) return x.operator === (y as ts.PrefixUnaryExpression).operator;
  if (ts.isVariableDeclarationList(x)) return (x.flags & (ts.NodeFlags.Let | ts.NodeFlags.Const)) === (y.flags & (ts.NodeFlags.Let | ts.NodeFlags.Const));
  return true;
}

/** Child nodes in source order, without the empty statements stray semicolons make. */
function childrenOf(ts: TS, n: ts.Node): ts.Node[] {
  const out: ts.Node[] = [];
  ts.forEachChild(n, (c) => {
    if (!ts.isEmptyStatement(c)) out.push(c);
  });
  return out;
}
