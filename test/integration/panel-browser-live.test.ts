// The Agents panel while an agent is live, in real headless Chromium: what the user opened or typed
// survives the stream's updates (an expanded output, a reason being typed for Reject, the focus),
// and a restart from scratch replaces the selected agent's stream instead of appending to it.
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newRunRecord, type RunRecord } from '../../src/core/runs/record';
import { Coalescer, PanelModel } from '../../src/extension/panelModel';
import type { HostMessage } from '../../src/shared/protocol';
import type { AgentEvent } from '../../src/core/agent/events';
import { REPO } from '../support/agentStack';
import { CHROME, openPanel } from '../support/panelPage';

const KEY = 'google-calendar/create-event';
let browser: Browser;

function run(extra: Partial<RunRecord> = {}): RunRecord {
  return {
    ...newRunRecord({
      key: KEY,
      integrationId: 'google-calendar',
      interactionId: 'create-event',
      specFile: '/s',
      folder: `/w/${KEY}`,
      demo: false,
      now: new Date().toISOString(),
    }),
    status: 'running',
    attempt: 1,
    ...extra,
  };
}

function host(send: (m: HostMessage) => Promise<void>) {
  const model = new PanelModel();
  const out: HostMessage[] = [];
  const coalescer = new Coalescer(model, (m) => out.push(m), 50);
  coalescer.selected = KEY;
  const event = (e: AgentEvent) => coalescer.items(KEY, model.onEvent(KEY, e));
  const flush = async () => {
    coalescer.flush();
    for (const m of out.splice(0)) await send(m);
  };
  return { model, coalescer, event, flush };
}

const longOutput = Array.from({ length: 80 }, (_, i) => `line ${i}`).join('\n');

beforeAll(async () => {
  if (!existsSync(path.join(REPO, 'dist/webview/agents.js'))) throw new Error('dist/webview/agents.js is missing: run `npm run build` first');
  browser = await chromium.launch({ executablePath: CHROME, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
});
afterAll(async () => browser?.close());

describe('Agents panel, live updates in Chromium', () => {
  it('an output or reasoning the user expanded stays open while the stream updates and when scrolling', async () => {
    const p = await openPanel({ browser, height: 700 });
    const h = host((m) => p.send(m));
    h.model.onRun(run());
    h.coalescer.repaint();
    h.event({ type: 'reasoning.done', sessionId: 's', messageId: 'm', partId: 'r1', text: 'I should read the docs first.' });
    h.event({
      type: 'tool.finished',
      sessionId: 's',
      messageId: 'm',
      partId: 'p1',
      callId: 'c1',
      tool: 'bash',
      input: { command: 'cat README.md' },
      ok: true,
      output: longOutput,
    });
    await h.flush();
    const output = p.page.locator('.kind-tool details.output');
    const reasoning = p.page.locator('details.reasoning');
    expect(await output.evaluate((d) => (d as HTMLDetailsElement).open)).toBe(false);
    await output.locator('summary').click();
    await reasoning.locator('summary').click();
    expect(await output.evaluate((d) => (d as HTMLDetailsElement).open)).toBe(true);
    // The agent goes on: a text part streams in, delta by delta.
    for (let i = 0; i < 5; i++) {
      h.event({ type: 'text', sessionId: 's', messageId: 'm', partId: 't1', delta: `word${i} ` });
      await h.flush();
    }
    expect(await output.evaluate((d) => (d as HTMLDetailsElement).open)).toBe(true);
    expect(await reasoning.evaluate((d) => (d as HTMLDetailsElement).open)).toBe(true);
    // Scrolling repaints the visible rows: still open.
    await p.page.locator('.stream').evaluate((el) => (el.scrollTop = 10));
    await p.page.waitForTimeout(100);
    expect(await output.evaluate((d) => (d as HTMLDetailsElement).open)).toBe(true);
    // The tool row itself changing (same call id, finished again with more output) keeps it open too.
    h.event({
      type: 'tool.finished',
      sessionId: 's',
      messageId: 'm',
      partId: 'p1',
      callId: 'c1',
      tool: 'bash',
      input: { command: 'cat README.md' },
      ok: true,
      output: `${longOutput}\nmore`,
    });
    await h.flush();
    expect(await p.page.locator('.kind-tool details.output').evaluate((d) => (d as HTMLDetailsElement).open)).toBe(true);
    await p.close();
  });

  it('a reason being typed for Reject keeps its text and focus while the stream updates', async () => {
    const p = await openPanel({ browser });
    const h = host((m) => p.send(m));
    h.model.onRun(run());
    h.coalescer.repaint();
    h.event({ type: 'permission.asked', sessionId: 's', requestId: 'per_1', permission: 'bash', patterns: ['curl https://example.test'] });
    await h.flush();
    const reason = p.page.locator('.perm-reason');
    await reason.click();
    await p.page.keyboard.type('no network');
    // Another agent event for this session arrives (a violation from the guard) while typing.
    h.coalescer.items(
      KEY,
      h.model.onViolation({
        time: 't',
        folder: '/w',
        key: KEY,
        file: 'tests/x.json',
        kind: 'changed',
        restored: true,
        detail: 'changed tests/x.json; restored',
      }),
    );
    await h.flush();
    expect(await p.page.locator('.violation').count()).toBe(1);
    expect(await p.page.evaluate(() => document.activeElement?.className)).toBe('perm-reason');
    await p.page.keyboard.type(' calls');
    expect(await p.page.locator('.perm-reason').inputValue()).toBe('no network calls');
    await p.page.locator('.perm-reject').click();
    expect((await p.posted()).filter((m) => m.type === 'permission')).toEqual([
      { type: 'permission', key: KEY, requestId: 'per_1', reply: 'reject', message: 'no network calls' },
    ]);
    await p.close();
  });

  it('Jump to first bad step: findings sit after their step, and the earliest one is scrolled into view in a long stream', async () => {
    const p = await openPanel({ browser, height: 700 });
    const h = host((m) => p.send(m));
    h.model.onRun(run({ status: 'needs-review' }));
    h.coalescer.repaint();
    for (let i = 0; i < 3000; i++)
      h.event({
        type: 'tool.finished',
        sessionId: 's',
        messageId: 'm',
        partId: `p${i}`,
        callId: `c${i}`,
        tool: 'bash',
        input: { command: `echo step-${i}` },
        ok: true,
        output: `step-${i}`,
      });
    await h.flush();
    h.model.onReport({
      version: 1,
      key: KEY,
      integrationId: 'google-calendar',
      interactionId: 'create-event',
      folder: '/w',
      attempt: 1,
      verdict: 'failed',
      startedAt: '',
      durationMs: 1,
      checks: [
        {
          check: 'transcript',
          outcome: 'failed',
          durationMs: 1,
          findings: [
            {
              check: 'transcript',
              rule: 'transcript.false-claim',
              severity: 'error',
              message: 'claimed success while tests failed',
              step: { attempt: 1, line: 2900, callId: 'c2899' },
            },
            {
              check: 'transcript',
              rule: 'transcript.fixture-edit',
              severity: 'error',
              message: 'edited a fixture',
              step: { attempt: 1, line: 1201, callId: 'c1200' },
            },
          ],
        },
      ],
    });
    h.coalescer.repaint(); // what the view does when the selected agent's report arrives
    await h.flush();
    await p.page.locator('.action-jumpToFirstBadStep').click();
    expect((await p.posted()).at(-1)).toEqual({ type: 'action', action: 'jumpToFirstBadStep', key: KEY });
    const first = h.model.firstBadItem(KEY);
    expect(first).toBeDefined();
    await p.send({ type: 'reveal', key: KEY, itemId: first! });
    await p.page.waitForTimeout(150);
    const revealed = p.page.locator('.stream .revealed');
    expect(await revealed.innerText()).toMatch(/transcript\.fixture-edit — edited a fixture/);
    // It is on screen, right after the step it points at.
    expect(
      await revealed.evaluate((el) => {
        const s = (el.closest('.stream') as HTMLElement).getBoundingClientRect();
        const r = el.getBoundingClientRect();
        return r.bottom > s.top && r.top < s.bottom;
      }),
    ).toBe(true);
    expect(await revealed.evaluate((el) => (el.previousElementSibling as HTMLElement | null)?.innerText ?? '')).toContain('echo step-1200');
    // New items do not pull the view away from it.
    h.event({ type: 'text.done', sessionId: 's', messageId: 'm', partId: 'late', text: 'late' });
    await h.flush();
    expect(await p.page.locator('.stream .revealed').count()).toBe(1);
    await p.close();
  });

  it('is keyboard navigable: arrows, Home and End move the selection in the list, Enter goes into the stream', async () => {
    const p = await openPanel({ browser });
    const h = host((m) => p.send(m));
    const keys = ['a/one', 'b/two', 'c/three'];
    for (const key of keys) h.model.onRun({ ...run(), key });
    h.coalescer.selected = 'a/one';
    h.coalescer.repaint();
    await h.flush();
    const list = p.page.locator('ul.agents');
    await list.focus();
    const selects = async () => (await p.posted()).filter((m) => m.type === 'select').map((m) => (m as { key: string }).key);
    await p.page.keyboard.press('ArrowDown');
    await p.page.keyboard.press('End');
    await p.page.keyboard.press('ArrowDown'); // already last: nothing
    await p.page.keyboard.press('Home');
    expect(await selects()).toEqual(['a/one', 'b/two', 'c/three', 'a/one']);
    const active = await list.getAttribute('aria-activedescendant');
    expect(await p.page.locator(`#${active}`).getAttribute('data-key')).toBe('a/one');
    expect(await p.page.locator(`#${active}`).getAttribute('aria-selected')).toBe('true');
    await p.page.keyboard.press('Enter');
    expect(await p.page.evaluate(() => document.activeElement?.className)).toBe('stream');
    // Tab reaches the toolbar's buttons and the filter box.
    await list.focus();
    await p.page.keyboard.press('Tab');
    expect(await p.page.evaluate(() => document.activeElement?.className)).toBe('action action-stop');
    await p.close();
  });

  it('a restart from scratch of the selected agent replaces its stream with the new attempt', async () => {
    const p = await openPanel({ browser });
    const h = host((m) => p.send(m));
    h.model.onRun(run());
    h.coalescer.repaint();
    h.event({ type: 'text.done', sessionId: 's1', messageId: 'm1', partId: 'old', text: 'attempt one says hello' });
    await h.flush();
    expect(await p.page.locator('.stream .item').allInnerTexts()).toEqual([expect.stringContaining('attempt one')]);
    // Restart from scratch: the run record of attempt 2 arrives, then the new session's events.
    if (h.model.onRun(run({ attempt: 2, status: 'queued' }))) h.coalescer.reset(KEY);
    h.event({ type: 'text.done', sessionId: 's2', messageId: 'm2', partId: 'new', text: 'attempt two starts' });
    await h.flush();
    await p.page.waitForTimeout(50);
    expect(await p.page.locator('.stream .item').allInnerTexts()).toEqual([expect.stringContaining('attempt two')]);
    await p.close();
  });
});
