// The Agents board (dist/webview/board.js) in real headless Chromium, fed the board's host messages:
// its three groups with their counts, sorting by a header (mouse and keyboard), the keyboard (arrows
// move the selection across groups, Enter posts open, Shift+Enter reveal, `/` goes to the filter), the
// filter, 200 rows, and a screenshot of 20 agents (docs/screenshots/board-20-agents.png).
import { existsSync, mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newRunRecord, type RunRecord } from '../../src/core/runs/record';
import { BoardRows } from '../../src/extension/boardRows';
import { PanelModel } from '../../src/extension/panelModel';
import { RowDiff } from '../../src/shared/board';
import type { BoardHostMessage, BoardRow } from '../../src/shared/boardProtocol';
import type { AgentRow } from '../../src/shared/protocol';
import { REPO } from '../support/agentStack';
import { openBoard } from '../support/boardPage';
import { CHROME } from '../support/panelPage';

let browser: Browser;
const NOW = Date.parse('2026-12-03T10:00:00Z');
const ago = (s: number) => new Date(NOW - s * 1000).toISOString();

function row(key: string, status: AgentRow['status'], extra: Partial<BoardRow> = {}): BoardRow {
  return { key, status, attempt: 1, steps: 12, costUsd: 0.0123, tokens: 4567, violations: 0, demo: false, waiting: false, since: ago(90), ...extra };
}

const rowsMessage = (rows: BoardRow[], extra: Partial<Extract<BoardHostMessage, { type: 'rows' }>> = {}): BoardHostMessage => ({
  type: 'rows',
  rows,
  removed: [],
  reset: true,
  now: NOW,
  demo: false,
  ...extra,
});

/** 20 agents as a batch looks midway: some need you, most work, some are done. */
function twenty(): BoardRow[] {
  const apis = ['google-calendar', 'slack', 'github', 'hubspot', 'jira'];
  const actions = ['create-event', 'list-items', 'sync-records', 'delete-item'];
  const statuses: [AgentRow['status'], Partial<BoardRow>][] = [
    ['blocked', { detail: 'the API refused access (403)', lastTool: { tool: 'bash', title: 'nango dryrun create-event', state: 'error' } }],
    ['running', { waiting: true, lastTool: { tool: 'bash', title: 'npm install left-pad', state: 'running' } }],
    ['failed', { verdict: 'failed', detail: 'verification failed: the script casts the response with `as any`' }],
    ['needs-review', { verdict: 'needs-review' }],
    ['running', { lastTool: { tool: 'edit', title: 'nango-integrations/slack/syncs/list-items.ts', state: 'ok' } }],
    ['running', { lastTool: { tool: 'bash', title: 'npx nango compile', state: 'running' } }],
    ['running', { lastTool: { tool: 'read', title: 'nango-integrations/github/actions/create.ts', state: 'ok' } }],
    ['queued', { since: ago(20), steps: 0, costUsd: 0, tokens: 0 }],
    ['verified', { verdict: 'verified', since: ago(600) }],
    ['stopped', { detail: 'stopped by the user', since: ago(1200) }],
  ];
  return Array.from({ length: 20 }, (_, i) => {
    const [status, extra] = statuses[i % statuses.length] as [AgentRow['status'], Partial<BoardRow>];
    const key = `${apis[i % apis.length]}/${actions[i % actions.length]}-${i}`;
    return row(key, status, {
      since: ago(30 + i * 47),
      costUsd: 0.004 * (i + 1),
      tokens: 1500 * (i + 1),
      steps: 3 + i,
      edits: i % 3 ? { files: 1 + (i % 4), added: 10 * i, removed: i } : undefined,
      lastTool: { tool: 'write', title: `nango-integrations/${apis[i % apis.length]}/actions/${actions[i % actions.length]}.ts`, state: 'ok' },
      ...extra,
      attempt: i === 2 ? 2 : 1,
      priorCostUsd: i === 2 ? 0.05 : undefined,
    });
  });
}

beforeAll(async () => {
  if (!existsSync(path.join(REPO, 'dist/webview/board.js'))) throw new Error('dist/webview/board.js is missing: run `npm run build` first');
  browser = await chromium.launch({ executablePath: CHROME, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
});
afterAll(async () => browser?.close());

const groupKeys = (p: Awaited<ReturnType<typeof openBoard>>, group: string) =>
  p.page.locator(`tbody.group-${group} tr.run`).evaluateAll((trs) => trs.map((t) => (t as HTMLElement).dataset.key));
const selectedKey = (p: Awaited<ReturnType<typeof openBoard>>) =>
  p.page.locator('tr.run.selected').evaluateAll((trs) => trs.map((t) => (t as HTMLElement).dataset.key));

describe('Agents board in Chromium', () => {
  it('shows every run in its group with counts, time in state, last tool call, edits, cost and tokens; screenshot of 20 agents', async () => {
    const p = await openBoard(browser, { theme: 'dark', width: 1280, height: 760 });
    expect(await p.page.locator('.board-empty').isVisible()).toBe(true);
    expect(await p.posted()).toEqual([{ type: 'ready' }]);
    const rows = twenty();
    await p.send(rowsMessage(rows));
    expect(await p.page.locator('.board-empty').isVisible()).toBe(false);
    // 20 rows: 2 of every 10 blocked, waiting, failed, needs-review → 8 need you; 8 working; 4 done.
    expect(await p.page.locator('tbody.group-needs-you .group-head').innerText()).toMatch(/needs you\s*8/i);
    expect(await p.page.locator('tbody.group-working .group-head').innerText()).toMatch(/working\s*8/i);
    expect(await p.page.locator('tbody.group-done .group-head').innerText()).toMatch(/done\s*4/i);
    const needsYou = await groupKeys(p, 'needs-you');
    expect(needsYou).toHaveLength(8);
    // Sorted by state: blocked, then permission asked, then failed, then needs review.
    expect(needsYou.slice(0, 2).every((k) => rows.find((r) => r.key === k)?.status === 'blocked')).toBe(true);
    expect(needsYou.slice(2, 4).every((k) => rows.find((r) => r.key === k)?.waiting)).toBe(true);
    expect(await groupKeys(p, 'done')).toHaveLength(4);
    expect(await p.page.locator('.board-totals').innerText()).toContain('8 needs you · 8 working · 4 done');

    const blocked = p.page.locator(`tr.run[data-key="${rows[0]?.key}"]`);
    expect(await blocked.locator('.col-state').innerText()).toBe('blocked');
    expect(await blocked.locator('.col-time').innerText()).toMatch(/^\d+s$/);
    expect(await blocked.locator('.col-lastTool').innerText()).toContain('nango dryrun create-event');
    expect(await blocked.locator('.col-edits').innerText()).toBe('—');
    expect(await blocked.getAttribute('title')).toBe('the API refused access (403)');
    const retried = p.page.locator(`tr.run[data-key="${rows[2]?.key}"]`);
    expect(await retried.locator('.col-key').innerText()).toContain('attempt 2');
    expect(await retried.locator('.col-cost').innerText()).toBe(`$${(0.012 + 0.05).toFixed(4)}`);
    expect(await retried.locator('.col-edits').innerText()).toBe('3 files +20 −2');
    expect(await retried.locator('.col-tokens').innerText()).toBe('4,500');
    const waiting = p.page.locator(`tr.run[data-key="${rows[1]?.key}"]`);
    expect(await waiting.locator('.col-state').innerText()).toBe('permission asked');
    // 77 s at the host's clock when sent, and the clock moves on from there.
    expect(await waiting.locator('.col-time').innerText()).toMatch(/^1m(1[7-9]|2\d)s$/);

    await p.page.locator('table.board').focus();
    await p.page.keyboard.press('ArrowDown');
    await p.page.keyboard.press('ArrowDown');
    mkdirSync(path.join(REPO, 'docs/screenshots'), { recursive: true });
    await p.page.screenshot({ path: path.join(REPO, 'docs/screenshots/board-20-agents.png') });
    await p.close();
  });

  it('the keyboard: arrows move the selection through the groups, Enter posts open, Shift+Enter reveal', async () => {
    const p = await openBoard(browser);
    const rows = [row('a/blocked', 'blocked'), row('b/running', 'running'), row('c/queued', 'queued', { since: undefined }), row('d/verified', 'verified')];
    await p.send(rowsMessage(rows));
    await p.page.locator('table.board').focus();
    await p.page.keyboard.press('ArrowDown');
    expect(await selectedKey(p)).toEqual(['a/blocked']);
    expect(await p.page.locator('table.board').getAttribute('aria-activedescendant')).toBe(await p.page.locator('tr.run.selected').getAttribute('id'));
    await p.page.keyboard.press('ArrowDown');
    await p.page.keyboard.press('ArrowDown');
    expect(await selectedKey(p), 'working: running before queued').toEqual(['c/queued']);
    expect(await p.page.locator('tr.run[data-key="c/queued"] .col-time').innerText()).toBe('—');
    await p.page.keyboard.press('ArrowDown');
    await p.page.keyboard.press('ArrowDown');
    expect(await selectedKey(p), 'stays on the last row').toEqual(['d/verified']);
    await p.page.keyboard.press('Home');
    expect(await selectedKey(p)).toEqual(['a/blocked']);
    await p.page.keyboard.press('End');
    await p.page.keyboard.press('ArrowUp');
    expect(await selectedKey(p)).toEqual(['c/queued']);
    await p.page.keyboard.press('Enter');
    await p.page.keyboard.press('Shift+Enter');
    expect((await p.posted()).slice(1)).toEqual([
      { type: 'open', key: 'c/queued' },
      { type: 'reveal', key: 'c/queued' },
    ]);
    // A click selects, a double-click opens.
    await p.page.locator('tr.run[data-key="d/verified"]').dblclick();
    expect(await selectedKey(p)).toEqual(['d/verified']);
    expect((await p.posted()).at(-1)).toEqual({ type: 'open', key: 'd/verified' });
    // The selection survives the run changing group (the host sends it changed).
    await p.send(rowsMessage([{ ...(rows[3] as BoardRow), status: 'failed', verdict: 'failed' }], { reset: false }));
    expect(await groupKeys(p, 'needs-you')).toEqual(['a/blocked', 'd/verified']);
    expect(await selectedKey(p)).toEqual(['d/verified']);
    await p.close();
  });

  it('`/` focuses the filter; typing narrows every group; Escape clears; ArrowDown goes back to the rows', async () => {
    const p = await openBoard(browser);
    await p.send(rowsMessage(twenty()));
    await p.page.locator('table.board').focus();
    await p.page.keyboard.press('/');
    expect(await p.page.evaluate(() => document.activeElement?.className)).toBe('board-filter');
    expect(await p.page.locator('.board-filter').inputValue(), 'the slash is not typed into it').toBe('');
    await p.page.keyboard.type('slack');
    const shown = await p.page.locator('tr.run').evaluateAll((trs) => trs.map((t) => (t as HTMLElement).dataset.key));
    expect(shown).toHaveLength(4);
    expect(shown.every((k) => k?.startsWith('slack/'))).toBe(true);
    expect(await p.page.locator('tbody.group-working .group-head').innerText()).toMatch(/2 of 8/i);
    await p.page.keyboard.type(' blocked');
    expect(await p.page.locator('tr.run').count()).toBe(0);
    await p.page.keyboard.press('Escape');
    expect(await p.page.locator('.board-filter').inputValue()).toBe('');
    expect(await p.page.locator('tr.run').count()).toBe(20);
    await p.page.keyboard.type('verified');
    await p.page.keyboard.press('ArrowDown');
    expect(await p.page.evaluate(() => document.activeElement?.tagName)).toBe('TABLE');
    const sel = await selectedKey(p);
    expect(sel).toHaveLength(1);
    expect(sel[0]).toMatch(/-(8|18)$/);
    await p.page.keyboard.press('Enter');
    expect((await p.posted()).at(-1)).toEqual({ type: 'open', key: sel[0] });
    await p.close();
  });

  it('sorts by a column header, with the mouse or the keyboard; aria-sort tells which', async () => {
    const p = await openBoard(browser);
    const rows = [
      row('x/cheap', 'running', { costUsd: 0.001, tokens: 10, since: ago(5) }),
      row('y/dear', 'running', { costUsd: 0.5, tokens: 99_000, since: ago(500) }),
      row('z/mid', 'running', { costUsd: 0.05, tokens: 500, since: ago(50) }),
    ];
    await p.send(rowsMessage(rows));
    expect(await groupKeys(p, 'working')).toEqual(['x/cheap', 'y/dear', 'z/mid']);
    await p.page.locator('th.col-cost button').click();
    expect(await groupKeys(p, 'working')).toEqual(['y/dear', 'z/mid', 'x/cheap']);
    expect(await p.page.locator('th.col-cost').getAttribute('aria-sort')).toBe('descending');
    expect(await p.page.locator('th.col-state').getAttribute('aria-sort')).toBe('none');
    await p.page.locator('th.col-cost button').click();
    expect(await groupKeys(p, 'working')).toEqual(['x/cheap', 'z/mid', 'y/dear']);
    expect(await p.page.locator('th.col-cost').getAttribute('aria-sort')).toBe('ascending');
    await p.page.locator('th.col-key button').focus();
    await p.page.keyboard.press('Enter');
    await p.page.keyboard.press('Space');
    expect(await groupKeys(p, 'working')).toEqual(['z/mid', 'y/dear', 'x/cheap']);
    await p.page.locator('th.col-time button').focus();
    await p.page.keyboard.press('Enter');
    expect(await groupKeys(p, 'working'), 'longest in state first').toEqual(['y/dear', 'z/mid', 'x/cheap']);
    await p.close();
  });

  it('200 rows: every one drawn in its group with the right counts; an update redraws only the rows it changes', async () => {
    const p = await openBoard(browser, { height: 900 });
    const statuses: AgentRow['status'][] = ['blocked', 'failed', 'needs-review', 'running', 'queued', 'verified', 'stopped', 'interrupted'];
    const rows = Array.from({ length: 200 }, (_, i) =>
      row(`api-${String(i % 20).padStart(2, '0')}/interaction-${String(i).padStart(3, '0')}`, statuses[i % statuses.length] as AgentRow['status'], {
        costUsd: i / 1000,
        tokens: i * 100,
      }),
    );
    await p.send(rowsMessage(rows));
    expect(await p.page.locator('tr.run').count()).toBe(200);
    expect(await groupKeys(p, 'needs-you')).toHaveLength(75);
    expect(await groupKeys(p, 'working')).toHaveLength(50);
    expect(await groupKeys(p, 'done')).toHaveLength(75);
    expect(await p.page.locator('.board-totals').innerText()).toContain('75 needs you · 50 working · 75 done');
    const rendersAfterFirst = await p.page.evaluate(() => (window as unknown as { __ibBoard: { rowRenders(): number } }).__ibBoard.rowRenders());
    expect(rendersAfterFirst).toBe(200);
    // Two rows change: only they are drawn again; re-sorting moves rows without drawing them.
    const changed = [
      { ...(rows[3] as BoardRow), status: 'verified' as const, verdict: 'verified' as const },
      { ...(rows[4] as BoardRow), lastTool: { tool: 'bash', title: 'npm test', state: 'running' as const } },
    ];
    await p.send(rowsMessage(changed, { reset: false, removed: [rows[0]?.key as string] }));
    await p.page.locator('th.col-tokens button').click();
    expect(await p.page.evaluate(() => (window as unknown as { __ibBoard: { rowRenders(): number } }).__ibBoard.rowRenders())).toBe(202);
    expect(await p.page.locator('tr.run').count()).toBe(199);
    expect(await groupKeys(p, 'done')).toHaveLength(76);
    expect(await groupKeys(p, 'working')).toHaveLength(49);
    expect(await p.page.locator(`tr.run[data-key="${rows[4]?.key}"] .col-lastTool`).innerText()).toContain('npm test');
    const done = await groupKeys(p, 'done');
    expect(done[0], 'tokens, largest first (row 199 is interrupted)').toBe(rows[199]?.key);
    // The keyboard walks all of them.
    await p.page.locator('table.board').focus();
    await p.page.keyboard.press('End');
    const last = await selectedKey(p);
    expect(last).toEqual([done.at(-1)]);
    await p.close();
  });

  it("fed by the host's own rows and diff: a run's events reach its row, and only its row is drawn again", async () => {
    const p = await openBoard(browser);
    const model = new PanelModel();
    const board = new BoardRows(model, async () => [
      { type: 'prompt', text: 'build it' },
      {
        type: 'tool.finished',
        sessionId: 's',
        messageId: 'm',
        partId: 'p',
        callId: 'c',
        tool: 'bash',
        input: { command: 'npx nango dryrun' },
        ok: false,
        output: '',
      },
    ]);
    const diff = new RowDiff();
    const send = async (reset: boolean, live: string[]) => {
      const { rows } = board.rows(new Set(live));
      await p.send({ type: 'rows', ...diff.diff(rows), reset, now: Date.now(), demo: true });
    };
    const record = (key: string, extra: Partial<RunRecord>): RunRecord => {
      const [i, x] = key.split('/') as [string, string];
      const r = {
        ...newRunRecord({ key, integrationId: i, interactionId: x, specFile: '/s', folder: `/w/${key}`, demo: true, now: new Date().toISOString() }),
        ...extra,
      };
      model.onRun(r);
      board.remember(r);
      return r;
    };
    record('slack/send', { status: 'running', startedAt: new Date(Date.now() - 65_000).toISOString(), sessionId: 's' });
    record('jira/create', { status: 'blocked', detail: 'the API refused access (403)', endedAt: new Date().toISOString(), sessionId: 's' });
    record('hubspot/contacts', { status: 'queued' });
    await send(true, ['slack/send', 'hubspot/contacts']);
    expect(await groupKeys(p, 'needs-you')).toEqual(['jira/create']);
    expect(await groupKeys(p, 'working')).toEqual(['slack/send', 'hubspot/contacts']);
    expect(await p.page.locator('tr.run[data-key="slack/send"] .col-time').innerText()).toMatch(/^1m0\ds$/);
    // The blocked run is not live: its stored transcript is read, and its row says what it did last.
    const { unread } = board.rows(new Set(['slack/send', 'hubspot/contacts']));
    expect(unread).toEqual(['jira/create']);
    await board.read(unread);
    await send(false, ['slack/send', 'hubspot/contacts']);
    expect(await p.page.locator('tr.run[data-key="jira/create"] .col-lastTool').innerText()).toContain('npx nango dryrun');
    const renders = () => p.page.evaluate(() => (window as unknown as { __ibBoard: { rowRenders(): number } }).__ibBoard.rowRenders());
    const before = await renders();
    model.onEvent('slack/send', {
      type: 'tool.started',
      sessionId: 's',
      messageId: 'm',
      partId: 'p2',
      callId: 'c2',
      tool: 'bash',
      input: { command: 'npm test' },
    });
    model.onEvent('slack/send', { type: 'permission.asked', sessionId: 's', requestId: 'r1', permission: 'bash', patterns: ['curl *'] });
    board.permissionAsked('slack/send');
    await send(false, ['slack/send', 'hubspot/contacts']);
    expect(await renders()).toBe(before + 1);
    expect(await groupKeys(p, 'needs-you'), 'blocked first, then a permission asked').toEqual(['jira/create', 'slack/send']);
    const slack = p.page.locator('tr.run[data-key="slack/send"]');
    expect(await slack.locator('.col-state').innerText()).toBe('permission asked');
    expect(await slack.locator('.col-time').innerText()).toMatch(/^[0-2]s$/);
    expect(await slack.locator('.col-lastTool').innerText()).toContain('npm test');
    await p.close();
  });

  it('drops a malformed message and keeps what it shows', async () => {
    const p = await openBoard(browser);
    await p.send(rowsMessage([row('a/b', 'running')]));
    await p.page.evaluate(() => window.postMessage({ type: 'rows', rows: [{ key: 'evil' }], removed: [], reset: true, now: 0, demo: false }, '*'));
    await p.page.waitForTimeout(30);
    expect(await p.page.locator('tr.run').evaluateAll((trs) => trs.map((t) => (t as HTMLElement).dataset.key))).toEqual(['a/b']);
    await p.close();
  });
});
