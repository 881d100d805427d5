// The Agents board's webview bundle (dist/webview/board.js) on a plain page in real headless Chromium,
// like the panel's (test/support/panelPage.ts): host messages go in through window.postMessage as VS
// Code delivers them, and what the board posts back is collected.
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import type { BoardHostMessage, BoardWebviewMessage } from '../../src/shared/boardProtocol';
import { REPO } from './agentStack';
import { THEMES } from './panelPage';

export interface BoardPage {
  readonly page: Page;
  /** Messages the board posted to the host. */
  posted(): Promise<BoardWebviewMessage[]>;
  send(...messages: BoardHostMessage[]): Promise<void>;
  close(): Promise<void>;
}

export async function openBoard(browser: Browser, opts: { theme?: string; width?: number; height?: number } = {}): Promise<BoardPage> {
  const dir = path.join(REPO, 'test-output', 'board-page');
  mkdirSync(dir, { recursive: true });
  const vars = Object.entries(THEMES[opts.theme ?? 'dark'] ?? {})
    .map(([k, v]) => (k === 'background' ? `background:${v};` : `${k}:${v};`))
    .join('');
  const html = `<!DOCTYPE html><html><head><meta charset="utf-8">
<link rel="stylesheet" href="file://${path.join(REPO, 'dist/webview/board.css')}">
<style>body{${vars}}</style>
<script>
  window.__posted = [];
  let state;
  window.acquireVsCodeApi = () => ({ postMessage: (m) => window.__posted.push(m), getState: () => state, setState: (s) => { state = s; } });
</script></head><body><main id="root"></main>
<script src="file://${path.join(REPO, 'dist/webview/board.js')}"></script></body></html>`;
  const file = path.join(dir, `index-${process.pid}-${Date.now()}.html`);
  writeFileSync(file, html);
  const page = await browser.newPage({ viewport: { width: opts.width ?? 1200, height: opts.height ?? 800 } });
  await page.goto(`file://${file}`);
  return {
    page,
    posted: () => page.evaluate(() => (window as unknown as { __posted: BoardWebviewMessage[] }).__posted),
    send: async (...messages) => {
      await page.evaluate((ms) => {
        for (const m of ms) window.postMessage(m, '*');
      }, messages);
      await page.waitForTimeout(30);
    },
    close: () => page.close(),
  };
}
