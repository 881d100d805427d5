// The Agents panel's header shows the agent server's state (issue 14, health you can see): the real
// webview bundle in headless Chromium, fed the host's `server` messages as the extension posts them on
// every connection change. Starting and reconnecting lead the header, down says how to restart, ready
// shows the totals alone; the reason is the header's tooltip. And the host's `select` (the Agents
// board's Reveal) selects an agent.
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import type { Browser } from 'playwright-core';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HostMessage } from '../../src/shared/protocol';
import { REPO } from '../support/agentStack';
import { CHROME, openPanel } from '../support/panelPage';

let browser: Browser;

beforeAll(async () => {
  if (!existsSync(path.join(REPO, 'dist/webview/agents.js'))) throw new Error('dist/webview/agents.js is missing: run `npm run build` first');
  browser = await chromium.launch({ executablePath: CHROME, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
});
afterAll(async () => browser?.close());

const agents: HostMessage = {
  type: 'agents',
  agents: [],
  totals: { agents: 2, running: 1, costUsd: 0.0123, tokens: 4567, violations: 0, attention: 0 },
  demo: false,
};

describe('Agents panel header: the agent server', () => {
  it('follows the connection: starting, ready, reconnecting, down (with the way out), ready again', async () => {
    const p = await openPanel({ browser });
    try {
      const header = p.page.locator('header.totals');
      const read = async () => ({
        text: (await header.textContent()) ?? '',
        title: (await header.getAttribute('title')) ?? '',
        state: await header.getAttribute('data-server'),
      });
      await p.send(agents, { type: 'server', server: { state: 'starting' } });
      let h = await read();
      expect(h.state).toBe('starting');
      expect(h.text).toMatch(/^⟳ agent server starting… · 2 agent\(s\) · 1 running · \$0\.0123/);

      await p.send({ type: 'server', server: { state: 'ready' } });
      h = await read();
      expect(h).toMatchObject({ state: 'ready', title: '' });
      expect(h.text).toMatch(/^2 agent\(s\) · 1 running/);

      await p.send({ type: 'server', server: { state: 'reconnecting', detail: 'the event stream of http://127.0.0.1:4096 dropped' } });
      h = await read();
      expect(h.text).toMatch(/^⟳ agent server reconnecting…/);
      expect(h.title).toBe('Agent server reconnecting: the event stream of http://127.0.0.1:4096 dropped');

      await p.send({ type: 'server', server: { state: 'down', detail: 'opencode exited with code 1' } });
      h = await read();
      expect(h.state).toBe('down');
      expect(h.text).toContain('⚠ agent server down (Integration Builder: Restart Agent Server)');
      expect(h.title).toBe('Agent server down: opencode exited with code 1');

      await p.send({ type: 'server', server: { state: 'ready' } });
      h = await read();
      expect(h.text).not.toContain('agent server');
      expect(h.state).toBe('ready');
    } finally {
      await p.close();
    }
  });
});

describe("Agents panel: the host selects an agent (the board's Reveal)", () => {
  it('selects the named agent, tells the host which, and ignores a key it does not list', async () => {
    const p = await openPanel({ browser });
    try {
      const row = (key: string, status: 'running' | 'blocked') => ({
        key,
        status,
        attempt: 1,
        steps: 1,
        costUsd: 0,
        tokens: 0,
        violations: 0,
        demo: true,
        waiting: false,
      });
      await p.send({ ...agents, agents: [row('slack/send-message', 'blocked'), row('google-calendar/create-event', 'running')] } as HostMessage);
      const selected = () => p.page.locator('.agent[aria-selected="true"] .name').innerText();
      expect(await selected()).toBe('slack/send-message');
      await p.send({ type: 'select', key: 'google-calendar/create-event' });
      expect(await selected()).toBe('google-calendar/create-event');
      expect(await p.posted()).toContainEqual({ type: 'select', key: 'google-calendar/create-event' });
      await p.send({ type: 'select', key: 'nope/nothing' });
      expect(await selected()).toBe('google-calendar/create-event');
    } finally {
      await p.close();
    }
  });
});
