// A hand-rolled `while (true)` paging loop judged by what it does (rules/handLoop.ts): Nango's lint says
// "use the nango built-in paginate method instead", which holds only where paginate can do what the loop
// does. Each accepted kind with a loop as the templates write it, and beside it the dishonest look-alike
// that paginate does handle (or that hides its paging), which must keep the warning.
import * as ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { judgeHandLoop, type HandLoopKind } from '../../src/core/verify/rules/handLoop';
import { judgeLintFindings, WHILE_TRUE } from '../../src/core/verify/rules/lintJudge';
import { parseScript } from '../../src/core/verify/rules/script';
import type { Finding } from '../../src/core/verify/types';

const FILE = 'provider/syncs/records.ts';

function source(body: string, before = ''): string {
  return `import { createSync } from 'nango';
${before}
export default createSync({
    description: 'records',
    exec: async (nango) => {
${body}
    }
});
`;
}

function judge(body: string, before = ''): { kind: HandLoopKind; accepted: boolean; why: string } {
  const s = parseScript(ts, FILE, source(body, before));
  let loop: ts.WhileStatement | undefined;
  const visit = (n: ts.Node): void => {
    if (!loop && ts.isWhileStatement(n) && n.expression.kind === ts.SyntaxKind.TrueKeyword) loop = n;
    else ts.forEachChild(n, visit);
  };
  visit(s.sf);
  if (!loop) throw new Error('no while (true) in the snippet');
  return judgeHandLoop(s, loop);
}

describe('hand-rolled paging loops: checkpoint on every page', () => {
  it('a loop that saves its cursor in a checkpoint after each page is accepted (Nango checkpoint guidance)', () => {
    const j = judge(`        const checkpoint = await nango.getCheckpoint();
        let cursor = checkpoint?.after;
        while (true) {
            const res = await nango.get({ endpoint: '/crm/v3/objects/contacts', params: cursor ? { after: cursor } : {}, retries: 3 });
            await nango.batchSave(res.data.results, 'Contact');
            cursor = res.data.paging?.next?.after;
            if (!cursor) break;
            await nango.saveCheckpoint({ after: cursor });
        }`);
    expect(j).toMatchObject({ kind: 'checkpoint-per-page', accepted: true });
  });

  it('a checkpoint saved through a function of the script counts too', () => {
    const j = judge(
      `        let cursor: string | undefined;
        while (true) {
            const res = await nango.get({ endpoint: '/v1/tickets', params: { cursor: cursor ?? '' }, retries: 3 });
            await nango.batchSave(res.data.tickets, 'Ticket');
            if (!res.data.next) break;
            cursor = res.data.next;
            await remember(nango, cursor);
        }`,
      `async function remember(nango: any, cursor: string) {
    await nango.saveCheckpoint({ cursor });
}`,
    );
    expect(j).toMatchObject({ kind: 'checkpoint-per-page', accepted: true });
  });

  it('a checkpoint saved only once the loop is over is no checkpoint per page: the warning stands', () => {
    const j = judge(`        let cursor: string | undefined;
        while (true) {
            const res = await nango.get({ endpoint: '/crm/v3/objects/contacts', params: cursor ? { after: cursor } : {}, retries: 3 });
            await nango.batchSave(res.data.results, 'Contact');
            cursor = res.data.paging?.next?.after;
            if (!cursor) break;
        }
        await nango.saveCheckpoint({ updatedAfter: new Date().toISOString() });`);
    expect(j).toMatchObject({ kind: 'paginate-would-do', accepted: false });
  });
});

describe('hand-rolled paging loops: not paging at all', () => {
  it('a loop that drains a list it deletes from repeats the same request: accepted', () => {
    const j = judge(`        while (true) {
            const res = await nango.get({ endpoint: '/v2/webhooks/pending', retries: 3 });
            if (!res.data.items.length) break;
            await nango.batchSave(res.data.items, 'Event');
            for (const item of res.data.items) {
                await nango.delete({ endpoint: \`/v2/webhooks/pending/\${item.id}\`, retries: 3 });
            }
        }`);
    expect(j).toMatchObject({ kind: 'not-paging', accepted: true });
  });

  it('a loop that re-lists from offset 0 while it deletes (Supabase: the prefix is read once before the loop) does not page: accepted', () => {
    const j = judge(`        const queue: string[] = [''];
        while (queue.length > 0) {
            const prefix = queue[0]!;
            while (true) {
                const res = await nango.post({ endpoint: '/storage/v1/object/list/bucket', data: { limit: 1000, offset: 0, prefix }, retries: 3 });
                const objects: { name: string; id: string | null }[] = res.data;
                if (objects.length === 0) break;
                for (const folder of objects.filter((o) => o.id == null)) queue.push(\`\${prefix}\${folder.name}/\`);
                await nango.delete({ endpoint: '/storage/v1/object/bucket', data: { prefixes: objects.map((o) => o.name) }, retries: 3 });
                if (objects.length < 1000) break;
            }
            queue.shift();
        }`);
    expect(j).toMatchObject({ kind: 'not-paging', accepted: true });
  });

  it('re-listing from offset 0 while deleting, its answer parsed by a zod schema of the module (Supabase as written): still not paging, accepted', () => {
    // The schema is handed to a library call (`z.array(Entry)`) on every turn; that changes nothing the
    // next request reads, so it is not a position the loop carries.
    const j = judge(
      `        const pending: string[] = [''];
        const queued = new Set<string>(['']);
        while (pending.length > 0) {
            const dir = pending[0]!;
            while (true) {
                const res = await nango.post({ endpoint: \`/files/list/\${encodeURIComponent(input.bucket)}\`, data: { limit: 500, offset: 0, dir }, retries: 3 });
                const entries = z.array(Entry).parse(res.data || []);
                if (!entries.length) break;
                for (const sub of entries.filter((e) => e.id == null)) {
                    const next = \`\${dir}\${sub.name}/\`;
                    if (!queued.has(next)) {
                        queued.add(next);
                        pending.push(next);
                    }
                }
                const names = entries.filter((e) => e.id != null).map((e) => \`\${dir}\${e.name}\`);
                if (names.length) await nango.delete({ endpoint: '/files', data: { names }, retries: 3 });
                if (entries.length < 500) break;
            }
            pending.shift();
        }`,
      `import { z } from 'zod';
const Entry = z.object({ name: z.string(), id: z.string().nullable().optional() });`,
    );
    expect(j).toMatchObject({ kind: 'not-paging', accepted: true });
  });

  it('a state object made in the script and handed to a library call on every turn may be moved by it: the warning stands', () => {
    const j = judge(
      `        const state = { cursor: '' };
        while (true) {
            const res = await nango.get({ endpoint: '/v1/items', params: { cursor: state.cursor }, retries: 3 });
            await nango.batchSave(res.data.items, 'Item');
            if (!advancePage(state, res.data)) break;
        }`,
      `import { advancePage } from './paging-lib';`,
    );
    expect(j).toMatchObject({ kind: 'paginate-would-do', accepted: false });
  });

  it('a page number kept in a config object made before the loop does page: the warning stands', () => {
    const j = judge(`        const params = { page: 1, per_page: 100 };
        const config = { endpoint: '/v1/items', params, retries: 3 };
        while (true) {
            const res = await nango.get(config);
            if (!res.data.length) break;
            await nango.batchSave(res.data, 'Item');
            params.page += 1;
        }`);
    expect(j).toMatchObject({ kind: 'paginate-would-do', accepted: false });
  });

  it('a cursor moved by a function the loop hands its state to does page: the warning stands', () => {
    const j = judge(
      `        const state = { cursor: '' };
        while (true) {
            const res = await nango.get({ endpoint: '/v1/items', params: { cursor: state.cursor }, retries: 3 });
            await nango.batchSave(res.data.items, 'Item');
            if (!advance(state, res.data)) break;
        }`,
      `function advance(state: { cursor: string }, data: { next?: string }): boolean {
    state.cursor = data.next ?? '';
    return !!data.next;
}`,
    );
    expect(j).toMatchObject({ kind: 'paginate-would-do', accepted: false });
  });
});

describe('hand-rolled paging loops: the position inside a string', () => {
  it("QuickBooks' query language (STARTPOSITION in the query text) is accepted", () => {
    const j = judge(`        let start = 1;
        while (true) {
            const query = \`SELECT * FROM Invoice STARTPOSITION \${start} MAXRESULTS 100\`;
            const res = await nango.get({ endpoint: '/v3/company/123/query', params: { query }, retries: 3 });
            const invoices = res.data.QueryResponse.Invoice ?? [];
            await nango.batchSave(invoices, 'Invoice');
            if (invoices.length < 100) break;
            start += 100;
        }`);
    expect(j).toMatchObject({ kind: 'position-in-string', accepted: true });
    expect(j.why).toMatch(/`start`/);
  });

  it('a page number that is a segment of the path is accepted', () => {
    const j = judge(`        let page = 1;
        while (true) {
            const res = await nango.get({ endpoint: \`/api/v2/reports/page/\${page}\`, retries: 3 });
            await nango.batchSave(res.data.rows, 'Report');
            if (!res.data.has_more) break;
            page++;
        }`);
    expect(j).toMatchObject({ kind: 'position-in-string', accepted: true });
  });

  it("a page number in the endpoint's query string is a parameter paginate sets: the warning stands", () => {
    const j = judge(`        let page = 1;
        while (true) {
            const res = await nango.get({ endpoint: \`/api/v2/reports?per_page=100&page=\${page}\`, retries: 3 });
            await nango.batchSave(res.data.rows, 'Report');
            if (!res.data.has_more) break;
            page++;
        }`);
    expect(j).toMatchObject({ kind: 'paginate-would-do', accepted: false });
  });

  it('a cursor concatenated into the query string stands too', () => {
    const j = judge(`        let cursor = '';
        while (true) {
            const res = await nango.get({ endpoint: '/api/v2/reports?cursor=' + cursor, retries: 3 });
            await nango.batchSave(res.data.rows, 'Report');
            if (!res.data.next_cursor) break;
            cursor = res.data.next_cursor;
        }`);
    expect(j).toMatchObject({ kind: 'paginate-would-do', accepted: false });
  });

  it("a cursor written into a GraphQL query's text could be a variable paginate sets: the warning stands", () => {
    const j = judge(`        let after: string | null = null;
        while (true) {
            const query = \`query { issues(first: 50\${after ? \`, after: "\${after}"\` : ''}) { nodes { id title } pageInfo { hasNextPage endCursor } } }\`;
            const res = await nango.post({ endpoint: '/graphql', data: { query }, retries: 3 });
            await nango.batchSave(res.data.data.issues.nodes, 'Issue');
            if (!res.data.data.issues.pageInfo.hasNextPage) break;
            after = res.data.data.issues.pageInfo.endCursor;
        }`);
    expect(j).toMatchObject({ kind: 'paginate-would-do', accepted: false });
  });
});

describe('hand-rolled paging loops: a cursor paginate cannot read', () => {
  it("a continuation token from a response header (Azure DevOps' x-ms-continuationtoken) is accepted", () => {
    const j = judge(`        let continuationToken: string | undefined;
        while (true) {
            const res = await nango.get({ endpoint: '/_apis/projects', params: continuationToken ? { continuationToken } : {}, retries: 3 });
            await nango.batchSave(res.data.value, 'Project');
            continuationToken = res.headers['x-ms-continuationtoken'];
            if (!continuationToken) break;
        }`);
    expect(j).toMatchObject({ kind: 'cursor-paginate-cannot-read', accepted: true });
    expect(j.why).toMatch(/header/);
  });

  it("a cursor taken from the page's last record is accepted", () => {
    const j = judge(`        let startingAfter: string | undefined;
        while (true) {
            const res = await nango.get({ endpoint: '/v1/events', params: { limit: 100, ...(startingAfter ? { starting_after: startingAfter } : {}) }, retries: 3 });
            const events = res.data.events;
            await nango.batchSave(events, 'Event');
            if (events.length < 100) break;
            startingAfter = events[events.length - 1].id;
        }`);
    expect(j).toMatchObject({ kind: 'cursor-paginate-cannot-read', accepted: true });
    expect(j.why).toMatch(/last record/);
  });

  it('a cursor from a field of the response body is what paginate reads: the warning stands', () => {
    const j = judge(`        let cursor: string | undefined;
        while (true) {
            const res = await nango.get({ endpoint: '/v1/events', params: { cursor }, retries: 3 });
            await nango.batchSave(res.data.events, 'Event');
            cursor = res.data.meta.next_cursor;
            if (!cursor) break;
        }`);
    expect(j).toMatchObject({ kind: 'paginate-would-do', accepted: false });
  });

  it('a next link from the Link header is what paginate follows: the warning stands', () => {
    const j = judge(`        let endpoint = '/repos/o/r/issues';
        while (true) {
            const res = await nango.get({ endpoint, retries: 3 });
            await nango.batchSave(res.data, 'Issue');
            const next = /<([^>]+)>; rel="next"/.exec(res.headers['link'] ?? '');
            if (!next) break;
            endpoint = next[1];
        }`);
    expect(j).toMatchObject({ kind: 'paginate-would-do', accepted: false });
  });
});

describe('hand-rolled paging loops that paginate does', () => {
  it('a GraphQL query whose cursor is a variable: paginate sets `variables.after` (as Nango’s Shopify templates do), so the warning stands', () => {
    const j = judge(`        let cursor: string | undefined;
        while (true) {
            const res = await nango.post({ endpoint: '/graphql', data: { query: 'query Teams($after: String) { teams(after: $after) { nodes { id } pageInfo { hasNextPage endCursor } } }', variables: { after: cursor } }, retries: 3 });
            await nango.batchSave(res.data.data.teams.nodes, 'Team');
            if (!res.data.data.teams.pageInfo.hasNextPage) break;
            cursor = res.data.data.teams.pageInfo.endCursor;
        }`);
    expect(j).toMatchObject({ kind: 'paginate-would-do', accepted: false });
  });

  it("a delta link kept from the last page for a checkpoint saved after the loop: paginate's on_page hands every page's response back, so the warning stands", () => {
    const j = judge(`        const checkpoint = await nango.getCheckpoint();
        let url: string = checkpoint?.deltaLink ?? '/v1.0/users/delta';
        let deltaLink = '';
        while (true) {
            const res = await nango.get({ endpoint: url, retries: 3 });
            await nango.batchSave(res.data.value, 'User');
            if (res.data['@odata.nextLink']) {
                url = res.data['@odata.nextLink'];
            } else {
                deltaLink = res.data['@odata.deltaLink'];
                break;
            }
        }
        await nango.saveCheckpoint({ deltaLink });`);
    expect(j).toMatchObject({ kind: 'paginate-would-do', accepted: false });
  });

  it('through the lint judge: an accepted loop is a note naming why, one paginate does keeps its warning', () => {
    const run = (body: string) => {
      const text = source(body);
      const line = text.split('\n').findIndex((l) => /while \(true\)/.test(l)) + 1;
      const f: Finding = { check: 'lint', rule: WHILE_TRUE, severity: 'warning', message: 'Nango says so', location: { file: FILE, line } };
      return judgeLintFindings(ts, (rel) => (rel === FILE ? text : undefined), [f])[0]!;
    };
    const header = run(`        let token: string | undefined;
        while (true) {
            const res = await nango.get({ endpoint: '/_apis/projects', params: token ? { continuationToken: token } : {}, retries: 3 });
            await nango.batchSave(res.data.value, 'Project');
            token = res.headers['x-ms-continuationtoken'];
            if (!token) break;
        }`);
    expect(header.severity).toBe('info');
    expect(header.message).toMatch(/accepted: the next cursor \(`token`\) comes from a response header/);
    const body = run(`        let page = 1;
        while (true) {
            const res = await nango.get({ endpoint: '/v1/items', params: { page }, retries: 3 });
            if (!res.data.length) break;
            await nango.batchSave(res.data, 'Item');
            page++;
        }`);
    expect(body.severity).toBe('warning');
    expect(body.message).toMatch(/nango\.paginate/);
  });
});
