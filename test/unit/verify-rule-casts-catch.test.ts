// code.as-any on `catch (e: any)`: the thrown error typed `any` instead of `unknown`. While the value stays
// in the catch (a condition, a string, a log, a throw) nothing unchecked reaches a record, an output or a
// request: a note (info). Once it leaves — returned, assigned, spread, handed to any other call — it is
// provider data like any other (a proxy error carries the provider's answer) and stays an error.
import * as ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { codeRules } from '../../src/core/verify/rules';

const FILE = 'hubspot/actions/delete-contact.ts';

function catchFinding(body: string, before = '') {
  const source = `import { createAction } from 'nango';
import * as z from 'zod';
${before}
export default createAction({
    description: 'Delete a contact',
    input: z.object({ id: z.string() }),
    output: z.object({ deleted: z.boolean() }),
    exec: async (nango, input) => {
${body}
    }
});
`;
  const found = codeRules({ ts, file: FILE, source, kind: 'action', readFile: () => undefined }).filter((f) => f.rule === 'code.as-any');
  expect(found, 'one code.as-any finding, on the catch').toHaveLength(1);
  const f = found[0]!;
  expect(source.split('\n')[(f.line ?? 0) - 1]).toMatch(/catch \(\w+: any\)/);
  return f;
}

describe('catch (e: any) whose value stays in the catch: a note', () => {
  it('read in a condition and rethrown (a 404 on delete means already gone)', () => {
    const f = catchFinding(`        try {
            await nango.delete({ endpoint: \`/crm/v3/objects/contacts/\${input.id}\`, retries: 3 });
        } catch (e: any) {
            if (e.response?.status === 404) return { deleted: false };
            throw e;
        }
        return { deleted: true };`);
    expect(f.severity).toBe('info');
    expect(f.message).toMatch(/stays in the catch/);
  });

  it('written into a log and a thrown ActionError, through a local of the catch', () => {
    const f = catchFinding(`        try {
            await nango.delete({ endpoint: \`/crm/v3/objects/contacts/\${input.id}\`, retries: 3 });
        } catch (err: any) {
            const status = err.response?.status ?? 0;
            await nango.log(\`delete failed: \${err.message} (\${status})\`);
            console.error('delete failed: ' + err.message);
            throw new nango.ActionError({ message: err.message || 'delete failed', status });
        }
        return { deleted: true };`);
    expect(f.severity).toBe('info');
  });
});

describe('catch (e: any) whose value leaves the catch: an error', () => {
  const tryAround = (catchBody: string, before = '') =>
    catchFinding(
      `        let saved: unknown;
        try {
            await nango.delete({ endpoint: \`/crm/v3/objects/contacts/\${input.id}\`, retries: 3 });
        } catch (e: any) {
${catchBody}
        }
        void saved;
        return { deleted: true };`,
      before,
    );

  it('returned (the provider answer becomes the output)', () => {
    const f = tryAround(`            return e.response.data;`);
    expect(f.severity).toBe('error');
    expect(f.message).toMatch(/silences the type checker/);
  });

  it('returned through a local of the catch', () => {
    expect(tryAround(`            const data = e.response?.data;\n            return data;`).severity).toBe('error');
  });

  it('assigned to a variable outside the catch', () => {
    expect(tryAround(`            saved = e.response?.data;`).severity).toBe('error');
  });

  it('spread into an object', () => {
    expect(tryAround(`            return { deleted: false, ...e.response.data };`).severity).toBe('error');
  });

  it('handed to a call that is not a log (a mapper, a save)', () => {
    expect(
      tryAround(
        `            await nango.batchSave([toRecord(e.response.data)], 'Failure');`,
        `const toRecord = (x: unknown) => ({ id: String(Date.now()), raw: x });`,
      ).severity,
    ).toBe('error');
    expect(tryAround(`            await nango.batchSave([e.response.data], 'Failure');`).severity).toBe('error');
  });

  it('put in an object that is not thrown', () => {
    expect(tryAround(`            const failure = { reason: e.message, body: e.response?.data };\n            saved = failure;`).severity).toBe('error');
  });
});
