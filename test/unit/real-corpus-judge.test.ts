// The real-code bench's judge (test/support/realCorpus.ts judgeFlag): a flag counts as a true finding only
// when the code at its line shows it again, read apart from the rule that raised it — so a flag the rule
// put in the wrong category shows up as unexplained instead of being trusted.
import * as ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { judgeFlag } from '../support/realCorpus';
import { TRY_CATCH, WHILE_TRUE } from '../../src/core/verify/rules/lintJudge';

const FILE = 'acme/syncs/items.ts';

function script(body: string, before = ''): string {
  return `import { createSync } from 'nango';
${before}
export default createSync({
    description: 'items',
    exec: async (nango) => {
${body}
    }
});
`;
}
const lineOf = (text: string, re: RegExp) => text.split('\n').findIndex((l) => re.test(l)) + 1;
function judge(text: string, rule: string, re: RegExp, severity: 'error' | 'warning' = 'warning') {
  return judgeFlag(ts, { rule, severity, message: 'flag', location: { file: FILE, line: lineOf(text, re) } }, (rel) => (rel === FILE ? text : undefined));
}

describe('judgeFlag reads each flag again from the code', () => {
  it('a loop that advances an offset its request reads, with no checkpoint, is the true finding paginate-would-do, naming the offset', () => {
    const text = script(`        let offset = 0;
        while (true) {
            const res = await nango.get<{ items: { id: string }[] }>({ endpoint: '/v1/items', params: { offset: String(offset) }, retries: 3 });
            await nango.batchSave(res.data.items, 'Item');
            if (res.data.items.length < 100) break;
            offset += 100;
        }`);
    const j = judge(text, WHILE_TRUE, /while \(true\)/);
    expect(j.category).toBe('while:paginate-would-do');
    expect(j.evidence).toMatch(/`offset`/);
  });

  it('a loop the rule keeps as paging but that advances nothing the judge can see is unexplained, not trusted', () => {
    const text = script(
      `        const state = { cursor: '' };
        while (true) {
            const res = await nango.get<{ items: { id: string }[] }>({ endpoint: '/v1/items', params: { cursor: state.cursor }, retries: 3 });
            await nango.batchSave(res.data.items, 'Item');
            if (!advancePage(state, res.data)) break;
        }`,
      `import { advancePage } from './paging-lib';`,
    );
    const j = judge(text, WHILE_TRUE, /while \(true\)/);
    expect(j.category).toBeUndefined();
    expect(j.evidence).toMatch(/paginate-would-do.*no position/);
  });

  it('a finally that ends delete tracking is the true finding try:finally-ends-deletes; a catch that rethrows is none', () => {
    const text = script(`        await nango.trackDeletesStart('Item');
        try {
            const res = await nango.get<{ id: string }[]>({ endpoint: '/v1/items', retries: 3 });
            await nango.batchSave(res.data, 'Item');
        } finally {
            await nango.trackDeletesEnd('Item');
        }
        try {
            await nango.get({ endpoint: '/v1/ping', retries: 3 });
        } catch (err) {
            throw new Error(String(err));
        }`);
    expect(judge(text, TRY_CATCH, /^\s+try \{/).category).toBe('try:finally-ends-deletes');
    const second = text.split('\n').findIndex((l, i) => i > lineOf(text, /finally/) && /^\s+try \{/.test(l)) + 1;
    const j = judgeFlag(ts, { rule: TRY_CATCH, severity: 'warning', message: 'flag', location: { file: FILE, line: second } }, (rel) =>
      rel === FILE ? text : undefined,
    );
    expect(j.category).toBeUndefined();
  });

  it('an `any` flagged as a cast counts only where it types the SDK object, the input, a response or a request', () => {
    const text = script(`        const res: any = await nango.get({ endpoint: '/v1/items', retries: 3 });
        const ids = res.data.map((item: any) => String(item.id));
        await nango.batchSave(ids.map((id: string) => ({ id })), 'Item');`);
    expect(judge(text, 'code.as-any', /const res: any/, 'error').category).toBe('as-any:api-response');
    // a callback's parameter flagged as an error would be a mis-categorised flag: the judge says so
    expect(judge(text, 'code.as-any', /item: any/, 'error').category).toBeUndefined();
  });
});
