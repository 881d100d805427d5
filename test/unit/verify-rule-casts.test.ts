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

  it('a value annotated `: any` that hides a request, or the result of a function that calls the API, counts as a cast', () => {
    const found = withSeverity(`        const body: any = { objectType: input.objectType };
        const res = await nango.post({ endpoint: '/crm/v3/properties/batch/read', data: body, retries: 10 });
        const names = res.data.results.map((p: { name: string }) => p.name);
        async function more(): Promise<string[]> { return (await load()).names; }
        async function load(): any {
            return (await nango.get({ endpoint: '/crm/v3/properties', retries: 10 })).data;
        }
        void more;
        return { names };`);
    expect(found.map((f) => [f.line, f.message.split(' ')[0], f.severity])).toEqual([
      [BODY, '`:', 'error'],
      [BODY + 4, '`):', 'error'],
    ]);
    expect(found[0]?.message).toMatch(/what the script hands the SDK/);
    expect(found[1]?.message).toMatch(/what the API answers/);
  });
});

// The policy for `: any` annotations (README, verification): an `any` that hides the SDK object (by its
// role: exec's first parameter, whatever its name, or what it is handed to), exec's input, what the API
// answered or what the script sends counts as a cast (error); any other is reported as Nango's own lint
// reports it (`@typescript-eslint/no-explicit-any` at warn in Nango's .eslintrc): a note.
function scriptOf(exec: string, before = ''): string {
  return `import { createSync } from 'nango';
import * as z from 'zod';
${before}
export default createSync({
    description: 'Contacts',
    models: { Contact: z.object({ id: z.string(), name: z.string() }) },
    exec: ${exec}
});
`;
}
function annotations(source: string) {
  return codeRules({ ts, file: 'acme/syncs/contacts.ts', source, kind: 'sync', readFile: () => undefined })
    .filter((f) => f.rule === 'code.as-any' || f.rule === 'code.explicit-any')
    .map((f) => ({ rule: f.rule, quote: f.quote, severity: f.severity, message: f.message }));
}

describe('code.as-any: `: any` annotations by the role of what they type', () => {
  it("honest: an `any` on a callback's or a mapper's parameter, or on a local list, is a note at Nango's lint severity", () => {
    const found = annotations(
      scriptOf(
        `async (nango) => {
        const res = await nango.get<{ results: unknown[] }>({ endpoint: '/v1/contacts', retries: 10 });
        const seen: any[] = [];
        const contacts = res.data.results.map((raw: any) => toContact(raw));
        seen.push(...contacts);
        await nango.batchSave(contacts, 'Contact');
    }`,
        `function toContact(raw: any): { id: string; name: string } {
    return { id: String(raw.id), name: String(raw.name) };
}`,
      ),
    );
    expect(found.map((f) => [f.rule, f.quote, f.severity])).toEqual([
      ['code.explicit-any', 'function toContact(raw: any): { id: string; name: string } {', 'info'],
      ['code.explicit-any', 'const seen: any[] = [];', 'info'],
      ['code.explicit-any', 'const contacts = res.data.results.map((raw: any) => toContact(raw));', 'info'],
    ]);
    expect(found[0]?.message).toMatch(/no-explicit-any/);
  });

  it("dishonest: the SDK object typed `any` under another name (exec's first parameter) counts as a cast", () => {
    const found = annotations(
      scriptOf(`async (client: any) => {
        const res = await client.get({ endpoint: '/v1/contacts' });
        await client.batchSave(res.data, 'Contact');
    }`),
    );
    expect(found).toEqual([expect.objectContaining({ rule: 'code.as-any', quote: 'exec: async (client: any) => {', severity: 'error' })]);
    expect(found[0]?.message).toMatch(/SDK object/);
  });

  it('dishonest: a helper whose parameter receives the SDK object, typed `any`, counts as a cast', () => {
    const found = annotations(
      scriptOf(
        `async (nango) => {
        await fetchAll(nango);
    }`,
        `async function fetchAll(api: any): Promise<void> {
    const res = await api.get({ endpoint: '/v1/contacts' });
    await api.batchSave(res.data, 'Contact');
}`,
      ),
    );
    expect(found.map((f) => [f.quote, f.severity])).toEqual([['async function fetchAll(api: any): Promise<void> {', 'error']]);
    expect(found.every((f) => f.rule === 'code.as-any')).toBe(true);
  });

  it("dishonest: exec's input typed `any` counts as a cast", () => {
    const found = annotations(
      scriptOf(`async (nango, input: any) => {
        await nango.batchSave([{ id: input.id, name: input.name }], 'Contact');
    }`),
    );
    expect(found.map((f) => [f.quote, f.severity])).toEqual([['exec: async (nango, input: any) => {', 'error']]);
    expect(found.every((f) => f.rule === 'code.as-any')).toBe(true);
    expect(found[0]?.message).toMatch(/input/);
  });

  it('dishonest: what the API answers typed `any` — directly, read on, or returned by a helper handed the SDK — counts as a cast', () => {
    const found = annotations(
      scriptOf(
        `async (nango) => {
        const res: any = await nango.get({ endpoint: '/v1/contacts', retries: 10 });
        const rows: any[] = res.data.results;
        const more: any = await loadMore(nango);
        const config: any = { endpoint: '/v1/contacts', params: { page: '2' } };
        await nango.get(config);
        await nango.batchSave([...rows, ...more], 'Contact');
    }`,
        `async function loadMore(nango: import('nango').NangoSync): Promise<unknown[]> {
    return (await nango.get<unknown[]>({ endpoint: '/v1/contacts/more', retries: 10 })).data;
}`,
      ),
    );
    expect(found.map((f) => [f.quote, f.severity])).toEqual([
      ["const res: any = await nango.get({ endpoint: '/v1/contacts', retries: 10 });", 'error'],
      ['const rows: any[] = res.data.results;', 'error'],
      ['const more: any = await loadMore(nango);', 'error'],
      ["const config: any = { endpoint: '/v1/contacts', params: { page: '2' } };", 'error'],
    ]);
    expect(found.every((f) => f.rule === 'code.as-any')).toBe(true);
  });

  it('casts stay errors wherever they are, a callback too (`as any`, `as unknown as T`)', () => {
    const found = annotations(
      scriptOf(`async (nango) => {
        const res = await nango.get({ endpoint: '/v1/contacts', retries: 10 });
        const rows = (res.data as any).results.map((r: unknown) => r as unknown as { id: string; name: string });
        await nango.batchSave(rows, 'Contact');
    }`),
    );
    expect(found.map((f) => [f.rule, f.severity])).toEqual([
      ['code.as-any', 'error'],
      ['code.as-any', 'error'],
    ]);
  });
});
