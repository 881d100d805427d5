// code.as-any on the syntax tree: casts that silence the type checker (`as any`, `<any>`, `as unknown as T`,
// a value annotated `: any`) are found at their line, whatever the formatting; a type argument
// (`nango.paginate<any>(config)`), `as const`, a cast to a real type and `any` inside a type are not casts.
import * as ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { codeRules } from '../../src/core/verify/rules';

const FILE = 'hubspot/actions/fetch-properties.ts';

function sourceOf(body: string): string {
  return `import { createAction } from 'nango';
import * as z from 'zod';

const Output = z.object({ names: z.array(z.string()) });

export default createAction({
    description: 'Fetch the properties of an object type',
    input: z.object({ objectType: z.string() }),
    output: Output,
    exec: async (nango, input) => {
${body}
    }
});
`;
}

function casts(body: string) {
  const source = sourceOf(body);
  return codeRules({ ts, file: FILE, source, kind: 'action', readFile: () => undefined })
    .filter((f) => f.rule === 'code.as-any')
    .map((f) => ({ line: f.line, message: f.message, quote: f.quote }));
}
/** As casts(), with each finding's severity. */
function withSeverity(body: string) {
  return codeRules({ ts, file: FILE, source: sourceOf(body), kind: 'action', readFile: () => undefined })
    .filter((f) => f.rule === 'code.as-any')
    .map((f) => ({ line: f.line, message: f.message, severity: f.severity }));
}
/** The line of the body's first line in the script above. */
const BODY = 11;

describe('code.as-any: honest code', () => {
  it('a type argument is not a cast (nango.paginate<any>, nango.get<any>, Record<string, any>)', () => {
    expect(
      casts(`        const names: string[] = [];
        // https://developers.hubspot.com/docs/api/crm/properties
        for await (const page of nango.paginate<any>({ endpoint: \`/crm/v3/properties/\${input.objectType}\`, retries: 10 })) {
            names.push(...page.map((p) => String(p.name)));
        }
        const res = await nango.get<Record<string, any>>({ endpoint: '/crm/v3/schemas', retries: 10 });
        const seen = new Map<string, any>();
        void res; void seen;
        return { names };`),
    ).toEqual([]);
  });

  it('as const, a cast to a real type, unknown, and any inside an interface are not this rule', () => {
    expect(
      casts(`        interface Raw { name: string; extra: any }
        const kinds = ['a', 'b'] as const;
        const raw: unknown = { name: 'x' };
        const typed = raw as Raw;
        const list: Array<Raw> = [typed];
        void kinds;
        return { names: list.map((r) => r.name) };`),
    ).toEqual([]);
  });
});

describe('code.as-any: casts and any annotations', () => {
  it('`as any`, `as any[]` and `<any>` at their lines', () => {
    expect(
      casts(`        const res = await nango.get({ endpoint: '/crm/v3/properties', retries: 10 });
        const data = res.data as any;
        const list = (data.results as any[]).map((p) => p.name);
        const again = <any>res.data;
        void again;
        return { names: list };`),
    ).toEqual([
      { line: BODY + 1, message: '`as any` silences the type checker instead of typing the data', quote: 'const data = res.data as any;' },
      {
        line: BODY + 2,
        message: '`as any[]` silences the type checker instead of typing the data',
        quote: 'const list = (data.results as any[]).map((p) => p.name);',
      },
      { line: BODY + 3, message: '`<any>` silences the type checker instead of typing the data', quote: 'const again = <any>res.data;' },
    ]);
  });

  it('`as unknown as T` is a cast between unrelated types', () => {
    const found = casts(`        const res = await nango.get({ endpoint: '/crm/v3/properties', retries: 10 });
        const out = res.data as unknown as { names: string[] };
        return out;`);
    expect(found).toEqual([
      {
        line: BODY + 1,
        message: '`as unknown as { names: string[] }` silences the type checker instead of typing the data',
        quote: 'const out = res.data as unknown as { names: string[] };',
      },
    ]);
  });

  it('a cast split over lines is still one cast, at the line where it starts', () => {
    const found = casts(`        const res = await nango.get({ endpoint: '/crm/v3/properties', retries: 10 });
        const out = (
            res.data
        ) as
            any;
        return out;`);
    expect(found.map((f) => f.line)).toEqual([BODY + 1]);
  });

  it('a value annotated `: any` counts as a cast: variable, parameter, callback parameter, catch, result', () => {
    const found = withSeverity(`        const body: any = { objectType: input.objectType };
        const res = await nango.post({ endpoint: '/crm/v3/properties/batch/read', data: body, retries: 10 });
        const names = res.data.results.map((p: any) => p.name);
        try {
            await nango.log(names.length);
        } catch (e: any) {
            await nango.log(e.message);
        }
        function pick(raw: Record<string, unknown>): any {
            return raw['name'];
        }
        void pick;
        return { names };`);
    // the catch variable only goes to a log: a note (test/unit/verify-rule-casts-catch.test.ts); the rest are errors
    expect(found.map((f) => [f.line, f.message.split(' ')[0], f.severity])).toEqual([
      [BODY, '`:', 'error'],
      [BODY + 2, '`:', 'error'],
      [BODY + 5, '`catch', 'info'],
      [BODY + 8, '`):', 'error'],
    ]);
  });
});
