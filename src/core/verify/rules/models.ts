// sdk.untyped-models: an action's `input` and `output`, a sync's `models`, are zod schemas that say what
// the data is. The compiler already insists on *a* zod schema there; this rule catches the ones that
// say nothing (`z.any()`, `z.unknown()`, `z.array(z.any())`, `z.record(z.string(), z.any())`) and the
// ones it cannot read. A schema counts wherever it is written in the interaction: inline, in a
// variable, in another file of the interaction (`import { Event } from '../models.js'`, `schema.zod.js`,
// `import * as models from …`, re-exports), and however it is formatted (`z\n  .object({`). A schema
// from outside the interaction folder, from a package, or in a file that cannot be read is not taken on
// trust: the interaction must carry its own models.
import type * as ts from 'typescript';
import type { CodeFinding } from './finding';
import { InteractionModules } from './modules';
import { propertyName, symbolOf, unwrap, type ParsedScript } from './script';

type Verdict = { readonly ok: true } | { readonly ok: false; readonly why: string };
const OK: Verdict = { ok: true };
const no = (why: string): Verdict => ({ ok: false, why });

export function modelFindings(s: ParsedScript, modules: InteractionModules): CodeFinding[] {
  const { ts } = s;
  const def = s.definition;
  const finding = (message: string, at?: ts.Node): CodeFinding => ({
    rule: 'sdk.untyped-models',
    severity: 'warning',
    message,
    file: s.file,
    line: at ? s.lineOf(at) : undefined,
  });
  if (!def) return [finding('no createAction/createSync(…) found, so its zod models (input, output, records) cannot be checked')];
  if (def.kind === 'on-event') return [];
  if (!def.config) return [finding(`the ${def.kind}'s definition is not an object literal the rules can read, so its models cannot be checked`, def.call)];
  const reader = new ModelReader(modules);
  const props = new Map(def.config.properties.map((p) => [propertyName(ts, p.name), p] as const));
  const out: CodeFinding[] = [];
  const judge = (label: string, p: ts.ObjectLiteralElementLike | undefined) => {
    if (!p) {
      out.push(finding(`the ${def.kind} declares no \`${label}\` zod model`, def.call));
      return;
    }
    const v = reader.element(s, p, 0);
    if (!v.ok) out.push(finding(`\`${label}\` is not a typed zod model: ${v.why}`, p));
  };
  if (def.kind === 'action') {
    judge('input', props.get('input'));
    judge('output', props.get('output'));
    return out;
  }
  const models = props.get('models');
  if (!models) return [finding('the sync declares no `models`', def.call)];
  const entries = reader.objectEntries(s, models, 0);
  if (!entries) return [finding('`models` is not an object of zod models the rules can read', models)];
  if (!entries.length) return [finding('`models` is empty', models)];
  for (const [name, v] of entries) if (!v.ok) out.push(finding(`model \`${name}\` is not a typed zod model: ${v.why}`, models));
  return out;
}

class ModelReader {
  constructor(private readonly modules: InteractionModules) {}

  /** A property of an object literal (`output: X`, `{ Event }`, `...Models`) as a schema. */
  element(s: ParsedScript, p: ts.ObjectLiteralElementLike, depth: number): Verdict {
    const { ts } = s;
    if (ts.isPropertyAssignment(p)) return this.schema(s, p.initializer, depth + 1);
    if (ts.isShorthandPropertyAssignment(p)) {
      const sym = s.checker.getShorthandAssignmentValueSymbol(p);
      return sym ? this.symbol(s, sym, depth + 1) : no(`\`${p.name.text}\` is not declared in ${s.file}`);
    }
    return no('it is not a plain property');
  }

  /** The `[name, verdict]` of each entry of an object of models (`{ A, B: Schema, ...More }`), or undefined when it cannot be read. */
  objectEntries(s: ParsedScript, p: ts.ObjectLiteralElementLike | ts.Expression, depth: number): [string, Verdict][] | undefined {
    const { ts } = s;
    if (depth > 10) return undefined;
    let value: { s: ParsedScript; e: ts.Expression } | undefined;
    if (ts.isPropertyAssignment(p)) value = { s, e: p.initializer };
    else if (ts.isShorthandPropertyAssignment(p)) {
      const sym = s.checker.getShorthandAssignmentValueSymbol(p);
      value = sym ? this.valueOfSymbol(s, sym, depth + 1) : undefined;
    } else if (ts.isSpreadAssignment(p)) value = { s, e: p.expression };
    else if (ts.isExpression(p as ts.Node)) value = { s, e: p as ts.Expression };
    if (!value) return undefined;
    const x = unwrap(ts, value.e);
    if (ts.isIdentifier(x) || ts.isPropertyAccessExpression(x)) {
      const resolved = this.resolveName(value.s, x, depth + 1);
      return resolved ? this.objectEntries(resolved.s, resolved.e, depth + 1) : undefined;
    }
    if (!ts.isObjectLiteralExpression(x)) return undefined;
    const out: [string, Verdict][] = [];
    for (const el of x.properties) {
      if (ts.isSpreadAssignment(el)) {
        const more = this.objectEntries(value.s, el, depth + 1);
        if (!more) return undefined;
        out.push(...more);
      } else out.push([propertyName(ts, el.name) ?? '(computed)', this.element(value.s, el, depth + 1)]);
    }
    return out;
  }

  /** Whether `e` (in script `s`) is a zod schema that says what the data is. */
  schema(s: ParsedScript, e: ts.Expression, depth: number): Verdict {
    const { ts } = s;
    if (depth > 16) return no('it is defined too indirectly to follow');
    const x = unwrap(ts, e);
    if (ts.isIdentifier(x) || ts.isPropertyAccessExpression(x)) {
      if (ts.isIdentifier(x) && this.zodImport(s, x)) return no(`\`${x.text}\` is zod itself, not a schema`);
      const resolved = this.resolveName(s, x, depth + 1);
      if (!resolved) return no(this.whyUnresolved(s, x));
      return this.schema(resolved.s, resolved.e, depth + 1);
    }
    if (ts.isCallExpression(x)) {
      const callee = unwrap(ts, x.expression);
      if (ts.isPropertyAccessExpression(callee)) {
        const base = unwrap(ts, callee.expression);
        if (ts.isIdentifier(base) && this.zodImport(s, base)) return this.zodCall(s, callee.name.text, x, depth);
        // A method of a schema (`Event.extend({…})`, `.optional()`, `.array()`, `.describe()`): as typed as the schema.
        return this.schema(s, base, depth + 1);
      }
      if (ts.isIdentifier(callee) && this.zodImport(s, callee)) return this.zodCall(s, this.importedName(s, callee) ?? callee.text, x, depth);
      return no(`\`${clip(x.getText(s.sf))}\` is not a zod schema the rules can read`);
    }
    return no(`\`${clip(x.getText(s.sf))}\` is not a zod schema`);
  }

  private zodCall(s: ParsedScript, fn: string, call: ts.CallExpression, depth: number): Verdict {
    const { ts } = s;
    const args = call.arguments;
    if (fn === 'any' || fn === 'unknown') return no(`\`${clip(call.getText(s.sf))}\` accepts anything`);
    if (['array', 'optional', 'nullable', 'nullish', 'promise', 'set'].includes(fn) && args[0]) return this.schema(s, args[0], depth + 1);
    if ((fn === 'record' || fn === 'map') && args.length) return this.schema(s, args[args.length - 1] as ts.Expression, depth + 1);
    if (fn === 'lazy' && args[0]) {
      const f = unwrap(ts, args[0]);
      if (ts.isArrowFunction(f) && !ts.isBlock(f.body)) return this.schema(s, f.body, depth + 1);
    }
    return OK;
  }

  private symbol(s: ParsedScript, sym: ts.Symbol, depth: number): Verdict {
    const v = this.valueOfSymbol(s, sym, depth);
    return v ? this.schema(v.s, v.e, depth + 1) : no(`\`${sym.name}\` is not a value the rules can follow`);
  }

  /** The expression a name stands for: a local `const`, or an export of a file of the interaction. */
  private resolveName(s: ParsedScript, x: ts.Identifier | ts.PropertyAccessExpression, depth: number): { s: ParsedScript; e: ts.Expression } | undefined {
    const { ts } = s;
    if (ts.isIdentifier(x)) {
      const sym = symbolOf(s.ts, s.checker, x);
      return sym ? this.valueOfSymbol(s, sym, depth) : undefined;
    }
    // `models.Event` where `import * as models from '../models.js'`, or a local object of schemas
    const owner = unwrap(ts, x.expression);
    if (!ts.isIdentifier(owner)) return undefined;
    const decl = symbolOf(s.ts, s.checker, owner)?.declarations?.[0];
    if (decl && ts.isNamespaceImport(decl)) {
      const mod = this.module(s, decl.parent.parent.moduleSpecifier);
      return mod ? this.exported(mod, x.name.text, depth + 1) : undefined;
    }
    const obj = this.resolveName(s, owner, depth + 1);
    if (!obj) return undefined;
    const o = unwrap(ts, obj.e);
    if (!ts.isObjectLiteralExpression(o)) return undefined;
    const prop = o.properties.find((p) => propertyName(ts, p.name) === x.name.text);
    if (prop && ts.isPropertyAssignment(prop)) return { s: obj.s, e: prop.initializer };
    if (prop && ts.isShorthandPropertyAssignment(prop)) {
      const sym = obj.s.checker.getShorthandAssignmentValueSymbol(prop);
      return sym ? this.valueOfSymbol(obj.s, sym, depth + 1) : undefined;
    }
    return undefined;
  }

  private valueOfSymbol(s: ParsedScript, sym: ts.Symbol, depth: number): { s: ParsedScript; e: ts.Expression } | undefined {
    const { ts } = s;
    if (depth > 16) return undefined;
    const decl = sym.declarations?.[0];
    if (!decl) return undefined;
    if (ts.isVariableDeclaration(decl)) return decl.initializer ? { s, e: decl.initializer } : undefined;
    if (ts.isImportSpecifier(decl)) {
      const mod = this.module(s, decl.parent.parent.parent.moduleSpecifier);
      return mod ? this.exported(mod, (decl.propertyName ?? decl.name).text, depth + 1) : undefined;
    }
    if (ts.isImportClause(decl)) {
      const mod = this.module(s, decl.parent.moduleSpecifier);
      return mod ? this.exported(mod, 'default', depth + 1) : undefined;
    }
    return undefined;
  }

  /** An export of a module: `export const X = …`, `export { Y as X }`, `export { X } from …`, `export * from …`, `export default …`. */
  private exported(mod: ParsedScript, name: string, depth: number): { s: ParsedScript; e: ts.Expression } | undefined {
    const { ts } = mod;
    if (depth > 16) return undefined;
    for (const st of mod.sf.statements) {
      if (name === 'default' && ts.isExportAssignment(st)) return { s: mod, e: st.expression };
      if (ts.isVariableStatement(st) && st.modifiers?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword)) {
        for (const d of st.declarationList.declarations)
          if (ts.isIdentifier(d.name) && d.name.text === name && d.initializer) return { s: mod, e: d.initializer };
      }
      if (ts.isExportDeclaration(st) && st.exportClause && ts.isNamedExports(st.exportClause)) {
        for (const el of st.exportClause.elements) {
          if (el.name.text !== name) continue;
          const local = (el.propertyName ?? el.name).text;
          if (st.moduleSpecifier) {
            const next = this.module(mod, st.moduleSpecifier);
            return next ? this.exported(next, local, depth + 1) : undefined;
          }
          const sym = symbolOf(mod.ts, mod.checker, el.propertyName ?? el.name);
          const target = sym && (sym.flags & ts.SymbolFlags.Alias ? mod.checker.getImmediateAliasedSymbol?.(sym) : sym);
          const decl = (target ?? sym)?.declarations?.[0];
          if (decl && ts.isVariableDeclaration(decl) && decl.initializer) return { s: mod, e: decl.initializer };
          return sym ? this.valueOfSymbol(mod, sym, depth + 1) : undefined;
        }
      }
    }
    for (const st of mod.sf.statements) {
      if (ts.isExportDeclaration(st) && !st.exportClause && st.moduleSpecifier) {
        const next = this.module(mod, st.moduleSpecifier);
        const found = next && this.exported(next, name, depth + 1);
        if (found) return found;
      }
    }
    return undefined;
  }

  private module(from: ParsedScript, specifier: ts.Expression): ParsedScript | undefined {
    return this.modules.module(from, specifier);
  }

  private whyUnresolved(s: ParsedScript, x: ts.Identifier | ts.PropertyAccessExpression): string {
    const { ts } = s;
    const root = ts.isIdentifier(x) ? x : unwrap(ts, x.expression);
    const decl = ts.isIdentifier(root) ? symbolOf(s.ts, s.checker, root)?.declarations?.[0] : undefined;
    const spec =
      decl &&
      (ts.isImportSpecifier(decl)
        ? decl.parent.parent.parent.moduleSpecifier
        : ts.isImportClause(decl)
          ? decl.parent.moduleSpecifier
          : ts.isNamespaceImport(decl)
            ? decl.parent.parent.moduleSpecifier
            : undefined);
    if (spec && ts.isStringLiteralLike(spec)) {
      const where = this.modules.resolve(s, spec.text);
      if (where === 'outside') return `\`${x.getText(s.sf)}\` comes from ${spec.text}, outside the interaction folder`;
      if (where === 'unreadable') return `\`${x.getText(s.sf)}\` comes from ${spec.text}, which cannot be read`;
      if (where === 'package') return `\`${x.getText(s.sf)}\` comes from the package ${spec.text}, not from the interaction`;
      return `\`${x.getText(s.sf)}\` is not an exported zod schema of ${where.file}`;
    }
    return `\`${x.getText(s.sf)}\` is not defined as a zod schema in ${s.file}`;
  }

  /** Whether a name is imported from zod (`import { z } from 'zod'`, `import * as z from 'zod'`, `import { object } from 'zod/v4'`). */
  private zodImport(s: ParsedScript, id: ts.Identifier): boolean {
    const { ts } = s;
    const decl = symbolOf(s.ts, s.checker, id)?.declarations?.[0];
    if (!decl) return false;
    const spec = ts.isImportSpecifier(decl)
      ? decl.parent.parent.parent.moduleSpecifier
      : ts.isNamespaceImport(decl)
        ? decl.parent.parent.moduleSpecifier
        : ts.isImportClause(decl)
          ? decl.parent.moduleSpecifier
          : undefined;
    return !!spec && ts.isStringLiteralLike(spec) && /^zod(\/|$)/.test(spec.text);
  }

  private importedName(s: ParsedScript, id: ts.Identifier): string | undefined {
    const decl = symbolOf(s.ts, s.checker, id)?.declarations?.[0];
    return decl && s.ts.isImportSpecifier(decl) ? (decl.propertyName ?? decl.name).text : undefined;
  }
}

const clip = (t: string, n = 60) => {
  const one = t.replace(/\s+/g, ' ').trim();
  return one.length > n ? `${one.slice(0, n - 1)}…` : one;
};
