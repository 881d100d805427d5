// sdk.pagination-skipped on the syntax tree: a sync that reads a list pages through it — nango.paginate,
// a loop that carries a cursor (page number, offset, next URL, token), a next-page token or position kept
// in the checkpoint (one page or window per run), a helper of the interaction that pages — or a comment
// says why not. A read of one record has nothing to page. Honest and dishonest syncs, as agents write them.
import * as ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { codeRules } from '../../src/core/verify/rules';

const FILE = 'google-calendar/syncs/events.ts';

function pagination(exec: string, { preamble = '', files = {} as Record<string, string>, kind = 'sync' as 'sync' | 'action' } = {}) {
  const source = `import { createSync } from 'nango';
import type { NangoSync, ProxyConfiguration } from 'nango';
import * as z from 'zod';
${preamble}
const Event = z.object({ id: z.string(), summary: z.string() });

export default createSync({
    description: 'Sync the events of the primary calendar',
    frequency: 'every hour',
    autoStart: true,
    models: { Event },
    checkpoint: z.object({ pageToken: z.string() }),
    exec: async (nango) => {
${exec}
    }
});
`;
  return codeRules({ ts, file: FILE, source, kind, readFile: (rel) => files[rel] }).filter((f) => f.rule === 'sdk.pagination-skipped');
}

const map = `const records = items.map((e: { id: string; summary?: string }) => ({ id: e.id, summary: e.summary ?? '' }));
        await nango.batchSave(records, 'Event');`;

describe('sdk.pagination-skipped: syncs that page', () => {
  it.each([
    [
      'nango.paginate',
      `        for await (const items of nango.paginate({ endpoint: '/calendar/v3/calendars/primary/events', paginate: { type: 'cursor', cursor_path_in_response: 'nextPageToken', cursor_name_in_request: 'pageToken', response_path: 'items' }, retries: 3 })) {
            ${map}
        }`,
    ],
    [
      'a do/while loop over a page token',
      `        let pageToken: string | undefined;
        do {
            const res = await nango.get({ endpoint: '/calendar/v3/calendars/primary/events', params: { ...(pageToken ? { pageToken } : {}) }, retries: 3 });
            const items = res.data.items;
            ${map}
            pageToken = res.data.nextPageToken;
        } while (pageToken);`,
    ],
    [
      'a while (true) loop with an offset and a break',
      `        let offset = 0;
        while (true) {
            const res = await nango.get({ endpoint: '/events', params: { offset: String(offset), limit: '100' }, retries: 3 });
            const items = res.data.results;
            ${map}
            if (items.length < 100) break;
            offset += 100;
        }`,
    ],
    [
      'a for loop over page numbers',
      `        for (let page = 1; page <= 50; page++) {
            const res = await nango.get({ endpoint: '/events', params: { page: String(page) }, retries: 3 });
            const items = res.data.results;
            if (!items.length) break;
            ${map}
        }`,
    ],
    [
      'a next URL followed, the config built inside the loop',
      `        let next: string | null = '/events';
        while (next) {
            const config: ProxyConfiguration = { endpoint: next, retries: 3 };
            const res = await nango.get(config);
            const items = res.data.value;
            ${map}
            next = res.data['@odata.nextLink'] ?? null;
        }`,
    ],
    [
      'a helper of the file called from a loop with the cursor',
      `        let cursor: string | undefined;
        do {
            const page = await fetchPage(nango, cursor);
            const items = page.items;
            ${map}
            cursor = page.next;
        } while (cursor);`,
    ],
    [
      'one page per run, the next page token kept in the checkpoint',
      `        const checkpoint = await nango.getCheckpoint();
        const res = await nango.get({ endpoint: '/events', params: { pageToken: checkpoint?.pageToken ?? '' }, retries: 3 });
        const items = res.data.items;
        ${map}
        await nango.saveCheckpoint({ pageToken: res.data.nextPageToken ?? '' });`,
    ],
    [
      'one window per run, its position read from the checkpoint and saved again',
      `        const checkpoint = await nango.getCheckpoint();
        const hour = checkpoint ? Number(checkpoint.pageToken) + 1 : 0;
        const res = await nango.get({ endpoint: '/export', params: { start: \`\${hour}\` }, retries: 3 });
        const items = res.data.events;
        ${map}
        await nango.saveCheckpoint({ pageToken: String(hour) });`,
    ],
    [
      'pages by POST (a search endpoint), reading one lookup list besides',
      `        const calendars = await nango.get({ endpoint: '/users/me/calendarList', retries: 3 });
        for (const cal of calendars.data.items) {
            let after: string | undefined;
            do {
                const res = await nango.post({ endpoint: '/search', data: { calendar: cal.id, after }, retries: 3 });
                const items = res.data.results;
                ${map}
                after = res.data.paging?.next?.after;
            } while (after);
        }`,
    ],
  ])('%s', (_name, exec) => {
    const preamble = `async function fetchPage(n: NangoSync, cursor?: string) {
    const res = await n.get({ endpoint: '/events', params: cursor ? { cursor } : {}, retries: 3 });
    return { items: res.data.items, next: res.data.next_cursor };
}
`;
    expect(pagination(exec, { preamble: exec.includes('fetchPage(') ? preamble : '' })).toEqual([]);
  });

  it('a paging helper in another file of the interaction (read, not trusted by its name)', () => {
    const helper = `import type { NangoSync, ProxyConfiguration } from 'nango';
export async function* paginate<T>({ nango, proxyConfig }: { nango: NangoSync; proxyConfig: ProxyConfiguration }): AsyncGenerator<T[]> {
    let offset = 0;
    while (true) {
        const res = await nango.get({ ...proxyConfig, params: { offset: String(offset) } });
        yield res.data.items;
        if (!res.data.hasMore) break;
        offset += res.data.items.length;
    }
}
`;
    const exec = `        const base = await nango.get({ endpoint: '/me', retries: 3 });
        void base.data.id;
        for await (const items of paginate<{ id: string }>({ nango, proxyConfig: { endpoint: '/events', retries: 3 } })) {
            ${map}
        }
        const more = await nango.get({ endpoint: '/colors', retries: 3 });
        for (const c of more.data.items) await nango.log(c);`;
    const preamble = `import { paginate } from '../helpers/paginate.js';\n`;
    expect(pagination(exec, { preamble, files: { 'google-calendar/helpers/paginate.ts': helper } })).toEqual([]);
    // the same helper that reads one page only does not count
    const onePage = helper.replace('while (true)', 'for (const _ of [0])').replace('offset += res.data.items.length;', '');
    expect(pagination(exec, { preamble, files: { 'google-calendar/helpers/paginate.ts': onePage } })).toHaveLength(1);
    // nor does a helper that cannot be read
    expect(pagination(exec, { preamble })).toHaveLength(1);
  });

  it('a read of one record has nothing to page (the account, one item per id it already has)', () => {
    const exec = `        const res = await nango.get({ endpoint: '/users/me/settings/timezone', retries: 3 });
        const tz = res.data;
        await nango.batchSave([{ id: 'tz', summary: String(tz.value) }], 'Event');
        for (const id of ['a', 'b']) {
            const one = await nango.get({ endpoint: \`/events/\${id}\`, retries: 3 });
            await nango.batchSave([mapOne(one.data)], 'Event');
        }`;
    expect(
      pagination(exec, { preamble: `function mapOne(raw: { id: string; summary?: string }) { return { id: raw.id, summary: raw.summary ?? '' }; }\n` }),
    ).toEqual([]);
  });

  it('a comment that says why is enough (the API returns the complete list in one response)', () => {
    const exec = `        // The colors endpoint has no pagination: it returns the complete list in a single response.
        const res = await nango.get({ endpoint: '/colors', retries: 3 });
        const items = res.data.items;
        ${map}`;
    expect(pagination(exec)).toEqual([]);
    const wrapped = exec.replace(
      'has no pagination: it returns the complete list in a single response.',
      'returns the complete\n        // list in one response.',
    );
    expect(pagination(wrapped)).toEqual([]);
  });

  it('actions are not this rule’s (an action returns what it was asked for); the script’s own createSync wins over the spec’s kind', () => {
    const action = `import { createAction } from 'nango';
import * as z from 'zod';
export default createAction({
    description: 'List upcoming events',
    input: z.object({}),
    output: z.object({ ids: z.array(z.string()) }),
    exec: async (nango) => {
        const res = await nango.get({ endpoint: '/events', params: { maxResults: '10' }, retries: 3 });
        return { ids: res.data.items.map((e: { id: string }) => e.id) };
    }
});
`;
    expect(codeRules({ ts, file: 'google-calendar/actions/list-upcoming.ts', source: action, kind: 'sync', readFile: () => undefined })).toEqual([]);
    expect(
      pagination(`        const res = await nango.get({ endpoint: '/events', retries: 3 });\n        const items = res.data.items;\n        ${map}`, {
        kind: 'action',
      }),
    ).toHaveLength(1);
  });
});

describe('sdk.pagination-skipped: syncs that read a list without paging', () => {
  it('one GET of the list, mapped and saved', () => {
    const found = pagination(`        const res = await nango.get({ endpoint: '/calendar/v3/calendars/primary/events', retries: 3 });
        const items = res.data.items;
        ${map}`);
    expect(found).toMatchObject([{ severity: 'warning', line: 14, quote: "nango.get({ endpoint: '/calendar/v3/calendars/primary/events', retries: 3 })" }]);
  });

  it('a list parsed with zod and iterated, the SDK named otherwise', () => {
    const exec = `        const res = await api.get({ endpoint: '/events', retries: 3 });
        const parsed = z.object({ items: z.array(Event) }).parse(res.data);
        for (const e of parsed.items) await api.batchSave([e], 'Event');`;
    const source = `import { createSync } from 'nango';
import * as z from 'zod';
const Event = z.object({ id: z.string(), summary: z.string() });
export default createSync({ description: 'x', frequency: 'every hour', models: { Event }, exec: async (api) => {
${exec}
} });
`;
    expect(codeRules({ ts, file: FILE, source, kind: 'sync', readFile: () => undefined }).map((f) => f.rule)).toEqual(['sdk.pagination-skipped']);
  });

  it('a loop that turns without a cursor is not paging (the same page every time), nor is a link to docs a reason', () => {
    const exec = `        // https://developers.google.com/calendar/api/guides/pagination
        for (const calendarId of ['primary', 'work']) {
            const res = await nango.get({ endpoint: '/calendars/' + calendarId + '/events', retries: 3 });
            const items = res.data.items;
            ${map}
        }`;
    expect(pagination(exec)).toHaveLength(1);
  });

  it('a checkpoint that only holds a time is not a page token when the read does not use it', () => {
    const exec = `        const res = await nango.get({ endpoint: '/events', retries: 3 });
        const items = res.data.items;
        ${map}
        await nango.saveCheckpoint({ pageToken: new Date().toISOString() });`;
    expect(pagination(exec)).toHaveLength(1);
  });
});
