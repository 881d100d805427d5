// sdk.pagination-skipped with the recorded fixture as evidence: a sync that reads a list without paging
// is fine when every recorded answer of the API shows no sign of paging (the endpoint returned the whole
// list); when a recorded answer carries a cursor, a has-more flag, paging metadata or a Link header, the
// finding stands and names it; without a readable fixture the rule asks for a comment as before.
import * as ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { codeRules } from '../../src/core/verify/rules';
import { fixtureOf, recordedPaging } from '../../src/core/verify/rules/recordedPaging';

const FILE = 'acuity-scheduling/syncs/calendars.ts';
const FIXTURE = 'acuity-scheduling/tests/calendars.test.json';
const SOURCE = `import { createSync } from 'nango';
import * as z from 'zod';
const Calendar = z.object({ id: z.string(), name: z.string() });
export default createSync({
    description: 'calendars',
    frequency: 'every day',
    models: { Calendar },
    exec: async (nango) => {
        const res = await nango.get({ endpoint: '/calendars', retries: 3 });
        const records = res.data.map((c: { id: number; name: string }) => ({ id: String(c.id), name: c.name }));
        await nango.batchSave(records, 'Calendar');
    }
});
`;

const fixture = (response: unknown, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
  JSON.stringify({ nango: {}, api: { get: { '/calendars': { response, status: 200, headers } } } });
const rules = (files: Record<string, string>) =>
  codeRules({ ts, file: FILE, source: SOURCE, kind: 'sync', readFile: (rel) => files[rel] }).filter((f) => f.rule === 'sdk.pagination-skipped');

describe('sdk.pagination-skipped, judged on the recorded answers', () => {
  it('finds the fixture next to the script', () => {
    expect(fixtureOf(FILE)).toBe(FIXTURE);
  });

  it('a bare list with no paging header: the endpoint returns everything, no finding', () => {
    expect(rules({ [FIXTURE]: fixture([{ id: 1, name: 'a' }]) })).toEqual([]);
    expect(recordedPaging((rel) => (rel === FIXTURE ? fixture({ calendars: [{ id: 1 }] }) : undefined), FILE)).toEqual({
      kind: 'whole',
      endpoints: ['GET /calendars'],
    });
  });

  it.each([
    ['a next-page token', { items: [], nextPageToken: 'abc' }, undefined, 'nextPageToken'],
    ['a has-more flag, even false', { data: [], has_more: false }, undefined, 'has_more'],
    ['paging metadata', { results: [], paging: { next: { after: '2' } } }, undefined, 'paging'],
    ['a cursor inside meta', { data: [], meta: { next_cursor: null } }, undefined, 'meta.next_cursor'],
    ['a Link header', [{ id: 1 }], { link: '<https://api.x/calendars?page=2>; rel="next"' }, 'header link'],
  ])('%s: the finding stands and names it', (_name, response, headers, signal) => {
    const [f] = rules({ [FIXTURE]: fixture(response, headers) });
    expect(f?.message).toContain(`carries \`${signal}\``);
  });

  it('no fixture, or one that is not JSON: nothing concluded, the comment is still asked for', () => {
    expect(rules({})[0]?.message).toMatch(/no comment explains why/);
    expect(rules({ [FIXTURE]: '{ torn' })[0]?.message).toMatch(/no comment explains why/);
    expect(recordedPaging(() => JSON.stringify({ nango: {} }), FILE)).toEqual({ kind: 'unknown' });
  });

  it('a Link header that names no other page is no sign of paging', () => {
    expect(rules({ [FIXTURE]: fixture([{ id: 1 }], { link: '<https://docs.x>; rel="describedby"' }) })).toEqual([]);
  });
});
