// code.as-any: what silences the type checker instead of typing the data — `x as any`, `<any>x`,
// `x as unknown as T` (a cast between unrelated types), and a value annotated `: any` (a variable, a
// parameter, a field or a function's result: it takes anything without a check, as a cast does).
// A type argument is not a cast (`nango.paginate<any>(config)`, `Record<string, any>`: the value is still
// checked where it is used), and neither is `as const` or a cast to a real type (Nango's lint rule
// no-object-casting judges those).
import type * as ts from 'typescript';
import { needleOf, quoteLine, type CodeFinding } from './finding';
import type { ParsedScript } from './script';

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
  const report = (node: ts.Node, what: string, needle: RegExp) => {
    const line = s.lineOf(node);
    out.push({
      rule: 'code.as-any',
      severity: 'error',
      message: `\`${what}\` silences the type checker instead of typing the data`,
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
      report(n.type as ts.TypeNode, `: ${(n.type as ts.TypeNode).getText(s.sf)}`, /:\s*any\b/);
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
