// The Agents panel in real headless Chromium: the webview bundle, fed by the real host-side model and
// coalescer replaying a recorded opencode session (test/fixtures/opencode-1.18.33-basic-events.jsonl
// through EventNormalizer). Rendering, permission answers, search, tail-follow, a 10,000-item stream,
// and screenshots in light, dark and high-contrast themes (test-output/panel/).
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventNormalizer, type AgentEvent } from '../../src/core/agent/events';
import { newRunRecord, type RunRecord } from '../../src/core/runs/record';
import { Coalescer, PanelModel } from '../../src/extension/panelModel';
import type { HostMessage } from '../../src/shared/protocol';
import { REPO } from '../support/agentStack';
import { CHROME, openPanel, THEMES } from '../support/panelPage';

const SHOTS = path.join(REPO, 'test-output', 'panel');
const KEY = 'google-calendar/create-event';
let browser: Browser;

function recordedEvents(): AgentEvent[] {
  const n = new EventNormalizer();
  return readFileSync(path.join(REPO, 'test/fixtures/opencode-1.18.33-basic-events.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .flatMap((l) => n.normalize((JSON.parse(l) as { payload: unknown }).payload));
}

function run(key: string, extra: Partial<RunRecord> = {}): RunRecord {
  const [i, x] = key.split('/') as [string, string];
  return {
    ...newRunRecord({
      key,
      integrationId: i,
      interactionId: x,
      specFile: '/s',
      folder: `/w/${key}`,
      demo: true,
      now: new Date(Date.now() - 42_000).toISOString(),
    }),
    startedAt: new Date(Date.now() - 42_000).toISOString(),
    ...extra,
  };
}

/** The host side as the extension runs it, posting into the page. */
function host(send: (m: HostMessage) => Promise<void>) {
  const model = new PanelModel();
  const out: HostMessage[] = [];
  const coalescer = new Coalescer(
    model,
    (m) => out.push(m),
    50,
    () => true,
  );
  const flush = async () => {
    coalescer.flush();
    const batch = out.splice(0);
    for (const m of batch) await send(m);
  };
  return { model, coalescer, flush };
}

beforeAll(async () => {
  if (!existsSync(path.join(REPO, 'dist/webview/agents.js'))) throw new Error('dist/webview/agents.js is missing: run `npm run build` first');
  browser = await chromium.launch({ executablePath: CHROME, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
  mkdirSync(SHOTS, { recursive: true });
});
afterAll(async () => browser?.close());

describe('Agents panel in Chromium', () => {
  it('renders a recorded session: list with totals, text, tool rows with output and diffs; screenshots in three themes', async () => {
    for (const theme of Object.keys(THEMES)) {
      const p = await openPanel({ browser, theme });
      const h = host((m) => p.send(m));
      h.model.onRun(run(KEY, { status: 'running', attempt: 1, costUsd: 0.0123, steps: 3 }));
      h.model.onRun(run('slack/send-message', { status: 'blocked', detail: 'the API refused access (403)', attempt: 1 }));
      h.model.onRun(run('google-drive/sync-files', { status: 'verified', attempt: 1 }));
      h.coalescer.selected = KEY;
      h.coalescer.repaint();
      h.model.onEvent(KEY, {
        type: 'tool.finished',
        sessionId: 's',
        messageId: 'm0',
        partId: 'w0',
        callId: 'w0',
        tool: 'edit',
        input: { filePath: 'google-calendar/actions/create-event.ts', oldString: 'retries: 1', newString: 'retries: 3' },
        ok: true,
        output: '',
      });
      for (const e of recordedEvents()) h.coalescer.items(KEY, h.model.onEvent(KEY, e));
      h.coalescer.items(
        KEY,
        h.model.onViolation({
          time: 't',
          folder: '/w',
          key: KEY,
          file: 'google-calendar/tests/create-event.test.json',
          kind: 'changed',
          restored: true,
          detail: 'changed google-calendar/tests/create-event.test.json during bash: sed -i …; restored',
        }),
      );
      await h.flush();
      // The view selected the agent that needs attention first (blocked); the user picks ours.
      expect((await p.posted()).find((m) => m.type === 'select')).toEqual({ type: 'select', key: 'slack/send-message' });
      await p.page.locator('.agent', { hasText: KEY }).click();
      expect((await p.posted()).at(-1)).toEqual({ type: 'select', key: KEY });
      h.coalescer.selected = KEY;
      h.coalescer.repaint();
      await h.flush();
      // The first agent in the list is the one that needs attention: blocked.
      expect(await p.page.locator('.agent .name').allInnerTexts()).toEqual(['slack/send-message', KEY, 'google-drive/sync-files']);
      expect(await p.page.locator('.totals').innerText()).toMatch(/3 agent\(s\) · 1 running .* · ⚠ 1 violation\(s\) · 1 need attention · demo model/);
      const stream = p.page.locator('.stream');
      expect(await stream.locator('.kind-tool .tool').allInnerTexts()).toEqual(expect.arrayContaining(['edit', 'write', 'bash']));
      expect(await stream.locator('.diff .add').first().innerText()).toContain('+ retries: 3');
      expect(await stream.locator('.violation').innerText()).toMatch(/fixture guard: changed google-calendar\/tests/);
      expect(await stream.locator('.kind-reasoning summary').count()).toBeGreaterThan(0);
      await p.page.screenshot({ path: path.join(SHOTS, `panel-${theme}.png`) });
      await p.close();
    }
  });

  it('answers a permission request inline; Markdown is rendered safely', async () => {
    const p = await openPanel({ browser });
    const h = host((m) => p.send(m));
    h.model.onRun(run(KEY, { status: 'running', attempt: 1 }));
    h.coalescer.selected = KEY;
    h.coalescer.repaint();
    h.coalescer.items(
      KEY,
      h.model.onEvent(KEY, {
        type: 'text.done',
        sessionId: 's',
        messageId: 'm',
        partId: 't1',
        text: 'Use **`nango.paginate`** <img src=x onerror="window.__pwned=1">',
      }),
    );
    h.coalescer.items(
      KEY,
      h.model.onEvent(KEY, { type: 'permission.asked', sessionId: 's', requestId: 'per_1', permission: 'bash', patterns: ['curl https://example.test'] }),
    );
    await h.flush();
    expect(await p.page.locator('.agent .status').first().innerText()).toBe('permission waiting');
    const md = p.page.locator('.markdown').first();
    expect(await md.locator('strong code').innerText()).toBe('nango.paginate');
    expect(await md.locator('img').count()).toBe(0);
    expect(await p.page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    await p.page.locator('.perm-reason').fill('no network calls from the agent');
    await p.page.locator('.perm-reject').click();
    await p.page.locator('.perm-once').click();
    const posted = await p.posted();
    expect(posted.filter((m) => m.type === 'permission')).toEqual([
      { type: 'permission', key: KEY, requestId: 'per_1', reply: 'reject', message: 'no network calls from the agent' },
      { type: 'permission', key: KEY, requestId: 'per_1', reply: 'once' },
    ]);
    await p.page.locator('.action-stop').click();
    expect((await p.posted()).at(-1)).toEqual({ type: 'action', action: 'stop', key: KEY });
    await p.close();
  });

  it('search filters the stream; it follows the tail unless scrolled up; 10,000 items render only what is visible', async () => {
    const p = await openPanel({ browser, height: 700 });
    const h = host((m) => p.send(m));
    h.model.onRun(run(KEY, { status: 'running', attempt: 1 }));
    h.coalescer.selected = KEY;
    h.coalescer.repaint();
    for (let i = 0; i < 10_000; i++) {
      h.coalescer.items(
        KEY,
        h.model.onEvent(KEY, {
          type: 'tool.finished',
          sessionId: 's',
          messageId: 'm',
          partId: `p${i}`,
          callId: `c${i}`,
          tool: 'bash',
          input: { command: `echo step-${i}` },
          ok: true,
          output: `step-${i}`,
        }),
      );
    }
    await h.flush();
    const stats = () =>
      p.page.evaluate(() => {
        const s = document.querySelector('.stream') as HTMLElement;
        const panel = (window as unknown as { __ibPanel: { itemCount(): number; renderedCount(): number } }).__ibPanel;
        return { items: panel.itemCount(), rendered: panel.renderedCount(), atBottom: s.scrollHeight - s.scrollTop - s.clientHeight < 30, top: s.scrollTop };
      });
    await p.page.waitForTimeout(100);
    let s = await stats();
    expect(s.items).toBe(10_000);
    expect(s.rendered).toBeLessThan(200);
    expect(s.atBottom).toBe(true);
    expect(await p.page.locator('.stream .item').last().innerText()).toContain('step-9999');
    // Scrolled up: new items do not pull the view down.
    await p.page.locator('.stream').evaluate((el) => (el.scrollTop = 2000));
    await p.page.waitForTimeout(100);
    const before = (await stats()).top;
    h.coalescer.items(KEY, h.model.onEvent(KEY, { type: 'text.done', sessionId: 's', messageId: 'm', partId: 'late', text: 'late text' }));
    await h.flush();
    s = await stats();
    expect(s.atBottom).toBe(false);
    expect(Math.abs(s.top - before)).toBeLessThan(5);
    // Search.
    await p.page.locator('.search').fill('step-4242');
    await p.page.waitForTimeout(100);
    expect(await p.page.locator('.stream .item').allInnerTexts()).toEqual([expect.stringContaining('step-4242')]);
    await p.close();
  });
});
