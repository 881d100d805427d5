// The other files of an interaction a script imports (`../models.js`, `../helpers/paginate.js`), found
// and parsed the way the compiler would find them (a `.js` specifier names the `.ts` source), read only
// inside the interaction folder: a file outside it, or one that cannot be read, is never vouched for.
import * as path from 'node:path';
import type * as ts from 'typescript';
import { normalizeRel } from '../../guard/protectedPaths';
import { parseScript, symbolOf, type ParsedScript } from './script';

/** Reads a file of the interaction folder (relative, posix); undefined when there is none. */
export type ReadInteractionFile = (rel: string) => string | undefined;

export type Resolved = { readonly file: string; readonly text: string } | 'outside' | 'unreadable' | 'package';

export class InteractionModules {
  private readonly parsed = new Map<string, ParsedScript>();

  constructor(private readonly readFile: ReadInteractionFile) {}

  /** Where a module specifier of `from` leads. */
  resolve(from: ParsedScript, specifier: string): Resolved {
    if (!/^\.\.?(\/|$)/.test(specifier)) return 'package';
    const base = normalizeRel(path.posix.join(path.posix.dirname(from.file), specifier));
    if (base === undefined) return 'outside';
    const stem = base.replace(/\.(js|ts|mjs|mts|cjs|cts)$/, '');
    const candidates = [
      ...new Set([/\.(ts|mts|cts)$/.test(base) ? base : undefined, `${stem}.ts`, `${stem}.mts`, `${stem}/index.ts`].filter((c): c is string => !!c)),
    ];
    for (const file of candidates) {
      const text = this.readFile(file);
      if (text !== undefined) return { file, text };
    }
    return 'unreadable';
  }

  /** The parsed file of the interaction a specifier names; undefined for packages and files it cannot read. */
  module(from: ParsedScript, specifier: ts.Expression): ParsedScript | undefined {
    if (!from.ts.isStringLiteralLike(specifier)) return undefined;
    const where = this.resolve(from, specifier.text);
    if (typeof where === 'string') return undefined;
    let parsed = this.parsed.get(where.file);
    if (!parsed) {
      parsed = parseScript(from.ts, where.file, where.text);
      this.parsed.set(where.file, parsed);
    }
    return parsed;
  }

  /** The module an imported name comes from, with the name it has there. */
  importOf(s: ParsedScript, id: ts.Identifier): { specifier: ts.Expression; name: string } | undefined {
    const { ts } = s;
    const decl = symbolOf(s.ts, s.checker, id)?.declarations?.[0];
    if (!decl) return undefined;
    if (ts.isImportSpecifier(decl)) return { specifier: decl.parent.parent.parent.moduleSpecifier, name: (decl.propertyName ?? decl.name).text };
    if (ts.isImportClause(decl)) return { specifier: decl.parent.moduleSpecifier, name: 'default' };
    if (ts.isNamespaceImport(decl)) return { specifier: decl.parent.parent.moduleSpecifier, name: '*' };
    return undefined;
  }
}
