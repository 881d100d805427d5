// Located problems in a spec file: file, line, column, JSON path and a plain message.

export type Severity = 'error' | 'warning' | 'info';
export type JsonPath = readonly (string | number)[];

/** 0-based line and column, as editors count; `offset` is the character offset into the text. */
export interface TextPosition {
  readonly line: number;
  readonly column: number;
  readonly offset: number;
}

export interface TextRange {
  readonly start: TextPosition;
  readonly end: TextPosition;
}

export type SpecProblemCode =
  | 'syntax'
  | 'missing-field'
  | 'wrong-type'
  | 'invalid-value'
  | 'not-kebab-case'
  /** An id that cannot name a script, folder or file: its form, its length, or a reserved name. */
  | 'invalid-id'
  | 'duplicate-id'
  | 'duplicate-key'
  | 'unknown-field'
  | 'unreadable'
  /** Larger than a spec may be (MAX_SPEC_BYTES): refused before it is parsed. */
  | 'too-large'
  /** Lists and objects nested deeper than a spec may be (MAX_SPEC_DEPTH). */
  | 'too-deep';

export interface SpecDiagnostic {
  readonly file: string;
  readonly severity: Severity;
  readonly code: SpecProblemCode;
  readonly message: string;
  /** Where in the document the problem is, e.g. ["integrations", 0, "interactions", 2, "id"]. */
  readonly path: JsonPath;
  readonly range: TextRange;
}

/** `integrations[0].interactions[2].id` */
export function formatJsonPath(path: JsonPath): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(seg)) out += out ? `.${seg}` : seg;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out || '(root)';
}

/** `examples/a/interactions.json:12:7: error: integrations[0].id: …` — 1-based, like compilers print. */
export function formatDiagnostic(d: SpecDiagnostic): string {
  const where = `${d.file}:${d.range.start.line + 1}:${d.range.start.column + 1}`;
  const path = d.path.length ? `${formatJsonPath(d.path)}: ` : '';
  return `${where}: ${d.severity}: ${path}${d.message}`;
}

/** Maps character offsets to 0-based line/column. Handles \n, \r\n and \r line ends. */
export class LineIndex {
  private readonly starts: number[] = [0];

  constructor(private readonly text: string) {
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 13 /* \r */) {
        if (text.charCodeAt(i + 1) === 10) i++;
        this.starts.push(i + 1);
      } else if (c === 10 /* \n */) {
        this.starts.push(i + 1);
      }
    }
  }

  position(offset: number): TextPosition {
    const o = Math.max(0, Math.min(offset, this.text.length));
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.starts[mid] ?? 0) <= o) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo, column: o - (this.starts[lo] ?? 0), offset: o };
  }

  range(offset: number, length: number): TextRange {
    return { start: this.position(offset), end: this.position(offset + Math.max(0, length)) };
  }
}
