// Loads a spec file: parse with positions (jsonc-parser), validate with zod, and turn every problem
// into a located diagnostic. Never throws on bad input, and never drops the entries that are fine:
// one broken interaction does not hide the thirty others.
import { promises as fs } from 'node:fs';
import { findNodeAtLocation, getLocation, getNodeValue, parseTree, printParseErrorCode, type Node as JsonNode, type ParseError } from 'jsonc-parser';
import { z } from 'zod';
import { LineIndex, type JsonPath, type SpecDiagnostic, type SpecProblemCode, type Severity } from './diagnostics';
import { decideKind } from './kind';
import { titleFromId, type IntegrationModel, type InteractionModel, type LoadedSpec } from './model';
import { SpecSchema, type InteractionKind, type Toolchain } from './schema';

const PARSE_MESSAGES: Record<string, string> = {
  InvalidSymbol: 'unexpected character',
  InvalidNumberFormat: 'malformed number',
  PropertyNameExpected: 'expected a property name in double quotes',
  ValueExpected: 'expected a value',
  ColonExpected: 'expected ":" after the property name',
  CommaExpected: 'expected "," between entries',
  CloseBraceExpected: 'expected "}" to close the object',
  CloseBracketExpected: 'expected "]" to close the list',
  EndOfFileExpected: 'unexpected content after the end of the document',
  InvalidCommentToken: 'malformed comment',
  UnexpectedEndOfComment: 'unterminated comment',
  UnexpectedEndOfString: 'unterminated string',
  UnexpectedEndOfNumber: 'unterminated number',
  InvalidUnicode: 'invalid unicode escape',
  InvalidEscapeCharacter: 'invalid escape character in string',
  InvalidCharacter: 'invalid character in string (control characters must be escaped)',
};

class DiagnosticSink {
  readonly items: SpecDiagnostic[] = [];
  constructor(
    readonly file: string,
    readonly lines: LineIndex,
  ) {}

  add(severity: Severity, code: SpecProblemCode, message: string, path: JsonPath, offset: number, length: number): void {
    this.items.push({ file: this.file, severity, code, message, path, range: this.lines.range(offset, length) });
  }
}

/**
 * The largest spec read. A spec of a hundred integrations with long contexts is a few hundred KB; parsing
 * and validating tens of MB takes tens of seconds and a GB of memory, for a file that is surely a mistake.
 */
export const MAX_SPEC_BYTES = 5 * 1024 * 1024;

/**
 * The deepest nesting of lists and objects. A spec needs 6 (integrations, an integration, its
 * interactions, one of them, its docs); 64 leaves room for any unknown field, and the parser and the
 * validator walk the tree recursively, so thousands of levels would overflow the stack.
 */
export const MAX_SPEC_DEPTH = 64;

const tooLarge = (size: number) =>
  `the file is ${(size / 1024 / 1024).toFixed(1)} MB: a spec may be at most ${MAX_SPEC_BYTES / 1024 / 1024} MB; split it into several *.interactions.json files`;

/** Reads and loads a spec file; an unreadable file becomes one located diagnostic, not an exception. */
export async function loadSpecFile(file: string): Promise<LoadedSpec> {
  let text: string;
  try {
    // Refused before it is read: its size is known from the file system.
    const st = await fs.stat(file);
    if (st.isFile() && st.size > MAX_SPEC_BYTES) {
      const sink = new DiagnosticSink(file, new LineIndex(''));
      sink.add('error', 'too-large', tooLarge(st.size), [], 0, 0);
      return { file, syntaxOk: false, integrations: [], diagnostics: sink.items };
    }
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    const sink = new DiagnosticSink(file, new LineIndex(''));
    sink.add('error', 'unreadable', `cannot read the file: ${(err as Error).message}`, [], 0, 0);
    return { file, syntaxOk: false, integrations: [], diagnostics: sink.items };
  }
  return loadSpec(file, text);
}

/** Loads a spec from its text. `file` is only used to label diagnostics and entries. */
export function loadSpec(file: string, text: string): LoadedSpec {
  // A UTF-8 BOM is not JSON; skip it but keep offsets pointing into the original text.
  const bom = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const body = bom ? ' ' + text.slice(1) : text;
  if (text.length > MAX_SPEC_BYTES) {
    const sink = new DiagnosticSink(file, new LineIndex(''));
    sink.add('error', 'too-large', tooLarge(Buffer.byteLength(text, 'utf8')), [], 0, 0);
    return { file, syntaxOk: false, integrations: [], diagnostics: sink.items };
  }
  const sink = new DiagnosticSink(file, new LineIndex(text));
  const deep = tooDeepAt(body);
  if (deep !== undefined) {
    sink.add(
      'error',
      'too-deep',
      `lists and objects are nested more than ${MAX_SPEC_DEPTH} levels deep here: a spec needs 6`,
      getLocationSafe(body, deep).slice(0, 8),
      deep,
      1,
    );
    return { file, syntaxOk: false, integrations: [], diagnostics: sink.items };
  }

  const parseErrors: ParseError[] = [];
  const root = parseTree(body, parseErrors, { allowTrailingComma: true, disallowComments: false });
  for (const e of parseErrors) {
    const code = printParseErrorCode(e.error);
    const path = getLocation(body, e.offset).path;
    sink.add('error', 'syntax', PARSE_MESSAGES[code] ?? code, path, e.offset, Math.max(1, e.length));
  }
  if (!root) {
    if (parseErrors.length === 0) {
      sink.add('error', 'syntax', 'the file is empty: expected an object with an "integrations" list', [], 0, 0);
    }
    return { file, syntaxOk: false, integrations: [], diagnostics: sink.items };
  }
  const syntaxOk = parseErrors.length === 0;
  const value: unknown = getNodeValue(root);

  // Schema problems. With broken syntax the recovered tree is partial, so its schema errors would
  // mostly be echoes of the syntax error: report only the syntax errors then.
  if (syntaxOk) {
    const result = SpecSchema.safeParse(value);
    if (!result.success) {
      for (const issue of result.error.issues) reportIssue(sink, root, issue);
    }
    reportUnknownAndDuplicateKeys(sink, root, SpecSchema, []);
  }

  const integrations = buildModel(file, root, sink);
  return { file, syntaxOk, integrations, diagnostics: sortDiagnostics(sink.items) };
}

/**
 * The offset of the first `[` or `{` nested deeper than MAX_SPEC_DEPTH, or undefined. A flat scan that
 * knows strings and comments, so that nothing recursive runs on a document that would overflow the stack.
 */
export function tooDeepAt(text: string): number | undefined {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34 /* " */) {
      for (i++; i < text.length; i++) {
        const d = text.charCodeAt(i);
        if (d === 92 /* \\ */) i++;
        else if (d === 34 || d === 10 || d === 13) break; // an unterminated string ends at its line (as the parser sees it)
      }
    } else if (c === 47 /* / */ && text.charCodeAt(i + 1) === 47) {
      while (i < text.length && text.charCodeAt(i) !== 10) i++;
    } else if (c === 47 && text.charCodeAt(i + 1) === 42 /* * */) {
      const end = text.indexOf('*/', i + 2);
      i = end < 0 ? text.length : end + 1;
    } else if (c === 91 /* [ */ || c === 123 /* { */) {
      if (++depth > MAX_SPEC_DEPTH) return i;
    } else if (c === 93 /* ] */ || c === 125 /* } */) {
      if (depth > 0) depth--;
    }
  }
  return undefined;
}

/** The JSON path at an offset, as far as it can be had cheaply (the scanner, not the tree). */
function getLocationSafe(text: string, offset: number): JsonPath {
  try {
    return getLocation(text, offset).path;
  } catch {
    return [];
  }
}

function sortDiagnostics(items: SpecDiagnostic[]): SpecDiagnostic[] {
  return items.sort((a, b) => a.range.start.offset - b.range.start.offset || a.message.localeCompare(b.message));
}

// ---------------------------------------------------------------------------------------------
// zod issues → located diagnostics

function nodeType(node: JsonNode): string {
  switch (node.type) {
    case 'object':
      return 'an object';
    case 'array':
      return 'a list';
    case 'string':
      return 'a string';
    case 'number':
      return 'a number';
    case 'boolean':
      return 'a boolean';
    case 'null':
      return 'null';
    case 'property':
    default:
      return node.type;
  }
}

function expectedType(expected: string): string {
  switch (expected) {
    case 'array':
      return 'a list';
    case 'object':
      return 'an object';
    default:
      return `a ${expected}`;
  }
}

/** How to name the place a path points at, in a message: `"connectionId"`, `integration 2`. */
function subject(path: JsonPath): string {
  const last = path[path.length - 1];
  if (last === undefined) return 'the spec';
  if (typeof last === 'string') return `"${last}"`;
  const parent = path[path.length - 2];
  if (parent === 'integrations') return `integration ${last + 1}`;
  if (parent === 'interactions') return `interaction ${last + 1}`;
  return `item ${last + 1} of ${typeof parent === 'string' ? `"${parent}"` : 'the list'}`;
}

function reportIssue(sink: DiagnosticSink, root: JsonNode, issue: z.core.$ZodIssue): void {
  const path: (string | number)[] = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
  const node = findNodeAtLocation(root, path);

  if (!node) {
    // The value is absent: a missing field. Point at the start of the object that should hold it.
    const parent = findNodeAtLocation(root, path.slice(0, -1)) ?? root;
    const field = path[path.length - 1];
    const where = path.length > 1 ? ` in ${subject(path.slice(0, -1))}` : '';
    sink.add('error', 'missing-field', `missing required field "${String(field)}"${where}`, path, parent.offset, 1);
    return;
  }
  const at = (code: SpecProblemCode, message: string) => sink.add('error', code, message, path, node.offset, node.length);

  switch (issue.code) {
    case 'invalid_type':
      if (path.length === 0) at('wrong-type', `the spec must be an object with an "integrations" list, not ${nodeType(node)}`);
      else at('wrong-type', `${subject(path)} must be ${expectedType(issue.expected)}, not ${nodeType(node)}`);
      return;
    case 'invalid_format':
      // An integration id is a provider config key (kebab-case); an interaction id names a script, as Nango does.
      at(path[path.length - 1] === 'id' ? (path[path.length - 3] === 'interactions' ? 'invalid-id' : 'not-kebab-case') : 'invalid-value', issue.message);
      return;
    case 'too_big':
    case 'custom':
      // The id checks (length, names no file system takes) carry their own sentence.
      if (path[path.length - 1] === 'id') at('invalid-id', issue.message);
      else at('invalid-value', `${subject(path)}: ${issue.message}`);
      return;
    case 'too_small':
      at('invalid-value', issue.message.startsWith('Too small') ? `${subject(path)} must not be empty` : issue.message);
      return;
    case 'invalid_value':
      at(
        'invalid-value',
        `${subject(path)} must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}, not ${JSON.stringify(getNodeValue(node))}`,
      );
      return;
    case 'invalid_union':
      if (path[path.length - 1] === 'docs') {
        at('wrong-type', `"docs" must be an http(s) URL or a list of them, not ${nodeType(node)}`);
      } else {
        at('invalid-value', `${subject(path)} has a form that is not allowed here`);
      }
      return;
    // zod's own sentence for the rest: the schema has no record, set or multipleOf, and unknown keys are
    // warned about by the walk below (the schema does not reject them).
    case 'invalid_element':
    case 'invalid_key':
    case 'not_multiple_of':
    case 'unrecognized_keys':
    default:
      at('invalid-value', `${subject(path)}: ${issue.message}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Unknown fields (warnings) and keys given twice, found by walking the tree along the zod schema.

function unwrap(schema: z.ZodType): z.ZodType {
  let s = schema;
  for (;;) {
    if (s instanceof z.ZodOptional || s instanceof z.ZodNullable || s instanceof z.ZodDefault) {
      s = s.unwrap() as z.ZodType;
    } else {
      return s;
    }
  }
}

function reportUnknownAndDuplicateKeys(sink: DiagnosticSink, node: JsonNode, schema: z.ZodType, path: JsonPath): void {
  const s = unwrap(schema);
  if (s instanceof z.ZodObject && node.type === 'object') {
    const shape = s.shape as Record<string, z.ZodType>;
    const seen = new Map<string, JsonNode>();
    for (const prop of node.children ?? []) {
      const [keyNode, valueNode] = prop.children ?? [];
      if (!keyNode) continue;
      const key = String(keyNode.value);
      const first = seen.get(key);
      if (first) {
        const line = sink.lines.position(first.offset).line + 1;
        sink.add(
          'warning',
          'duplicate-key',
          `"${key}" is given twice in this object (first on line ${line}); the last one wins`,
          [...path, key],
          keyNode.offset,
          keyNode.length,
        );
      }
      seen.set(key, keyNode);
      const child = shape[key];
      if (!child) {
        const known = Object.keys(shape).filter((k) => k !== '$schema');
        sink.add(
          'warning',
          'unknown-field',
          `unknown field "${key}" is ignored; known fields: ${known.join(', ')}`,
          [...path, key],
          keyNode.offset,
          keyNode.length,
        );
      } else if (valueNode) {
        reportUnknownAndDuplicateKeys(sink, valueNode, child, [...path, key]);
      }
    }
  } else if (s instanceof z.ZodArray && node.type === 'array') {
    (node.children ?? []).forEach((child, i) => reportUnknownAndDuplicateKeys(sink, child, s.element as z.ZodType, [...path, i]));
  }
}

// ---------------------------------------------------------------------------------------------
// Lenient model: read each entry field by field so a bad entry still shows, marked with its problems.

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function docsOf(v: unknown): string[] | undefined {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v)) return v.filter((d): d is string => typeof d === 'string');
  return undefined;
}

function isPrefix(prefix: JsonPath, path: JsonPath): boolean {
  return prefix.length <= path.length && prefix.every((seg, i) => path[i] === seg);
}

function buildModel(file: string, root: JsonNode, sink: DiagnosticSink): IntegrationModel[] {
  const list = findNodeAtLocation(root, ['integrations']);
  if (!list || list.type !== 'array') return [];
  const integrations: IntegrationModel[] = [];
  // Where each entry sits in its JSON list (entries that are not objects are skipped).
  const integrationIndex: number[] = [];
  const interactionIndex: number[][] = [];
  const firstIntegration = new Map<string, JsonNode>();

  (list.children ?? []).forEach((integNode, i) => {
    if (integNode.type !== 'object') return;
    const raw = getNodeValue(integNode) as Record<string, unknown>;
    const idNode = findNodeAtLocation(integNode, ['id']);
    const id = str(raw.id) ?? `integration-${i + 1}`;
    const integPath: JsonPath = ['integrations', i];

    if (idNode && typeof raw.id === 'string') {
      const first = firstIntegration.get(raw.id);
      if (first) {
        const line = sink.lines.position(first.offset).line + 1;
        sink.add(
          'error',
          'duplicate-id',
          `duplicate integration id "${raw.id}" (first defined on line ${line})`,
          [...integPath, 'id'],
          idNode.offset,
          idNode.length,
        );
      } else {
        firstIntegration.set(raw.id, idNode);
      }
    }

    const connectionId = str(raw.connectionId) ?? '';
    const environment = str(raw.environment) ?? '';
    const docs = docsOf(raw.docs) ?? [];
    const context = str(raw.context) ?? '';
    // Nango is the only toolchain today; any other value was reported by the schema check.
    const toolchain: Toolchain = 'nango';
    const interactions: InteractionModel[] = [];
    const slots: number[] = [];
    const firstInteraction = new Map<string, JsonNode>();
    const listNode = findNodeAtLocation(integNode, ['interactions']);

    (listNode?.type === 'array' ? (listNode.children ?? []) : []).forEach((node, j) => {
      if (node.type !== 'object') return;
      const r = getNodeValue(node) as Record<string, unknown>;
      const path: JsonPath = [...integPath, 'interactions', j];
      const iid = str(r.id) ?? `interaction-${j + 1}`;
      const iidNode = findNodeAtLocation(node, ['id']);
      if (iidNode && typeof r.id === 'string') {
        const first = firstInteraction.get(r.id);
        if (first) {
          const line = sink.lines.position(first.offset).line + 1;
          sink.add(
            'error',
            'duplicate-id',
            `duplicate interaction id "${r.id}" in integration "${id}" (first defined on line ${line})`,
            [...path, 'id'],
            iidNode.offset,
            iidNode.length,
          );
        } else {
          firstInteraction.set(r.id, iidNode);
        }
      }
      const description = str(r.description) ?? '';
      const explicitKind = r.kind === 'action' || r.kind === 'sync' ? (r.kind as InteractionKind) : undefined;
      const kind = decideKind(iid, description, explicitKind);
      slots.push(j);
      interactions.push({
        file,
        integrationId: id,
        id: iid,
        key: `${id}/${iid}`,
        displayName: str(r.displayName) || titleFromId(iid),
        description,
        prompt: str(r.prompt) ?? '',
        comments: str(r.comments) ?? '',
        kind: kind.kind,
        kindInferred: kind.inferred,
        kindReason: kind.reason,
        connectionId: str(r.connectionId) ?? connectionId,
        environment: str(r.environment) ?? environment,
        docs: docsOf(r.docs) ?? docs,
        context: [context, str(r.context) ?? ''].filter(Boolean).join('\n\n'),
        toolchain,
        model: str(r.model),
        range: sink.lines.range(node.offset, node.length),
        idRange: iidNode ? sink.lines.range(iidNode.offset, iidNode.length) : sink.lines.range(node.offset, 1),
        problems: [], // filled below, once every diagnostic is known
      });
    });

    integrationIndex.push(i);
    interactionIndex.push(slots);
    integrations.push({
      file,
      id,
      displayName: str(raw.displayName) || titleFromId(id),
      connectionId,
      environment,
      docs,
      context,
      toolchain,
      range: sink.lines.range(integNode.offset, integNode.length),
      idRange: idNode ? sink.lines.range(idNode.offset, idNode.length) : sink.lines.range(integNode.offset, 1),
      problems: [],
      interactions,
    });
  });

  // Attach each diagnostic to the entry it is located in. Problems inside an interaction slot that
  // could not become an entry (e.g. a number instead of an object) belong to the integration.
  const all = sink.items;
  return integrations.map((integ, i) => {
    const integPath: JsonPath = ['integrations', integrationIndex[i] ?? i];
    const slots = interactionIndex[i] ?? [];
    const interactions = integ.interactions.map((it, j) => ({
      ...it,
      problems: all.filter((d) => isPrefix([...integPath, 'interactions', slots[j] ?? j], d.path)),
    }));
    const own = all.filter((d) => isPrefix(integPath, d.path) && !(d.path[2] === 'interactions' && typeof d.path[3] === 'number' && slots.includes(d.path[3])));
    return { ...integ, problems: own, interactions };
  });
}
