// Nango's advisory lint rules (no-while-true, no-try-catch-unless-explicitly-allowed) judged against the
// statement they flag: what Nango's guidance accepts becomes a note that holds no verdict; what stands
// keeps its severity and says what the code does. Snippets as the templates and agents write them.
import * as ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { verdictOf } from '../../src/core/verify';
import { judgeLintFindings, TRY_CATCH, WHILE_TRUE } from '../../src/core/verify/rules/lintJudge';
import type { Finding } from '../../src/core/verify/types';

const FILE = 'hubspot/syncs/contacts.ts';

function judge(body: string, rule: string) {
  const source = `import { createSync } from 'nango';
export default createSync({
    description: 'contacts',
    exec: async (nango) => {
${body}
    }
});
`;
  const line = source.split('\n').findIndex((l) => (rule === WHILE_TRUE ? /while \(true\)/ : /\btry \{/).test(l)) + 1;
  const f: Finding = { check: 'lint', rule, severity: 'warning', message: 'Nango says so', location: { file: FILE, line } };
  const [out] = judgeLintFindings(ts, (rel) => (rel === FILE ? source : undefined), [f]);
  return out!;
}

describe("Nango's advisory lint, judged on the syntax tree", () => {
  it('while (true) that saves a checkpoint on every page is accepted (a note)', () => {
    const f = judge(
      `        let cursor = (await nango.getCheckpoint())?.after;
        while (true) {
            const res = await nango.get({ endpoint: '/crm/v3/objects/contacts', params: cursor ? { after: cursor } : {}, retries: 3 });
            await nango.batchSave(res.data.results, 'Contact');
            cursor = res.data.paging?.next?.after;
            if (!cursor) break;
            await nango.saveCheckpoint({ after: cursor });
        }`,
      WHILE_TRUE,
    );
    expect(f.severity).toBe('info');
    expect(f.message).toMatch(/accepted: .*checkpoint/);
  });

  it('while (true) paging by hand without a checkpoint stands (a warning)', () => {
    const f = judge(
      `        let cursor: string | undefined;
        while (true) {
            const res = await nango.get({ endpoint: '/crm/v3/objects/contacts', params: cursor ? { after: cursor } : {}, retries: 3 });
            await nango.batchSave(res.data.results, 'Contact');
            cursor = res.data.paging?.next?.after;
            if (!cursor) break;
        }`,
      WHILE_TRUE,
    );
    expect(f.severity).toBe('warning');
    expect(f.message).toMatch(/nango\.paginate/);
  });

  it('a catch that rethrows is accepted; a try/finally with no catch too', () => {
    expect(
      judge(
        `        try { await nango.get({ endpoint: '/x', retries: 3 }); } catch (err) { throw new nango.ActionError({ message: String(err) }); }`,
        TRY_CATCH,
      ).severity,
    ).toBe('info');
    expect(judge(`        try { await nango.get({ endpoint: '/x', retries: 3 }); } finally { await nango.log('done'); }`, TRY_CATCH).severity).toBe('info');
  });

  it("while (true) over a GraphQL query stands: paginate sets a query variable (`cursor_name_in_request: 'variables.after'`, as Nango's Shopify templates do)", () => {
    const f = judge(
      `        let cursor: string | undefined;
        while (true) {
            const res = await nango.post({ endpoint: '/graphql', data: { query: 'query Teams($after: String) { teams(after: $after) { nodes { id } pageInfo { hasNextPage endCursor } } }', variables: { after: cursor } }, retries: 3 });
            await nango.batchSave(res.data.data.teams.nodes, 'Team');
            if (!res.data.data.teams.pageInfo.hasNextPage) break;
            cursor = res.data.data.teams.pageInfo.endCursor;
        }`,
      WHILE_TRUE,
    );
    expect(f.severity).toBe('warning');
    expect(f.message).toMatch(/nango\.paginate/);
  });

  it('a try around local code that awaits nothing is accepted (no API call fails inside it)', () => {
    const f = judge(
      `        let token = '';
        try { token = new URL('https://x.test/?page_token=1').searchParams.get('page_token') ?? ''; } catch { token = ''; }
        await nango.log(token);`,
      TRY_CATCH,
    );
    expect(f.severity).toBe('info');
    expect(f.message).toMatch(/local code/);
  });

  it('a try around awaited local work (no SDK call in it) is accepted; one around a function of the script that calls the API is not', () => {
    const local = judge(
      `        const res = await nango.get({ endpoint: '/export.zip', responseType: 'arraybuffer', retries: 3 });
        let rows: string[] = [];
        try { rows = (await unzipText(res.data)).split('\\n'); } catch { rows = []; }
        await nango.log(String(rows.length));`,
      TRY_CATCH,
    );
    expect(local.severity).toBe('info');
    const viaHelper = judge(
      `        const fetchPage = async () => (await nango.get({ endpoint: '/x', retries: 3 })).data;
        try { await fetchPage(); } catch { await nango.log('skipped'); }`,
      TRY_CATCH,
    );
    expect(viaHelper.severity).toBe('warning');
    expect(viaHelper.message).toMatch(/swallows/);
    const handed = judge(`        try { await fetchAll(nango, '/x'); } catch { await nango.log('skipped'); }`, TRY_CATCH);
    expect(handed.severity).toBe('warning');
  });

  it('a catch that swallows the error stands', () => {
    const f = judge(`        try { await nango.get({ endpoint: '/x', retries: 3 }); } catch (err) { await nango.log('failed'); }`, TRY_CATCH);
    expect(f.severity).toBe('warning');
    expect(f.message).toMatch(/swallows/);
  });

  it('a throw only inside a callback of the catch does not count as rethrowing', () => {
    const f = judge(
      `        try { await nango.get({ endpoint: '/x', retries: 3 }); } catch (err) { const later = () => { throw err; }; void later; }`,
      TRY_CATCH,
    );
    expect(f.severity).toBe('warning');
  });

  it('a finally that ends delete tracking stands, even when the catch rethrows', () => {
    const f = judge(
      `        await nango.trackDeletesStart('Contact');
        try { await nango.get({ endpoint: '/x', retries: 3 }); } catch (err) { throw err; } finally { await nango.trackDeletesEnd('Contact'); }`,
      TRY_CATCH,
    );
    expect(f.severity).toBe('warning');
    expect(f.message).toMatch(/deletes every record/);
  });

  it('other findings, and a file it cannot read, pass unchanged (never fewer)', () => {
    const other: Finding = { check: 'lint', rule: 'lint.proxy-call-retries', severity: 'error', message: 'm', location: { file: FILE, line: 3 } };
    const unreadable: Finding = { check: 'lint', rule: WHILE_TRUE, severity: 'warning', message: 'm', location: { file: 'x/syncs/gone.ts', line: 3 } };
    expect(judgeLintFindings(ts, () => undefined, [other, unreadable])).toEqual([other, unreadable]);
    expect(judgeLintFindings(undefined, () => undefined, [unreadable])).toEqual([unreadable]);
  });

  it('a note holds no verdict; a warning still asks for review', () => {
    const note: Finding = { check: 'lint', rule: WHILE_TRUE, severity: 'info', message: 'accepted' };
    expect(verdictOf([{ check: 'lint', outcome: 'passed', findings: [note], durationMs: 1 }])).toBe('verified');
    expect(verdictOf([{ check: 'lint', outcome: 'warning', findings: [{ ...note, severity: 'warning' }], durationMs: 1 }])).toBe('needs-review');
  });
});
