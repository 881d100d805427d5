// The Agents webview bundle (dist/webview/agents.js) on a plain page in real headless Chromium, with a
// scripted host in Node: messages go in through window.postMessage exactly as VS Code delivers them,
// and what the webview posts back is collected. Themes are VS Code's variables, set on the page.
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { HostMessage, WebviewMessage } from '../../src/shared/protocol';
import { REPO } from './agentStack';

export const CHROME = process.env.CHROME || '/usr/bin/chromium';
const CHROME_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

export const THEMES: Record<string, Record<string, string>> = {
  dark: {
    '--vscode-foreground': '#cccccc',
    '--vscode-descriptionForeground': '#9d9d9d',
    '--vscode-font-family': 'sans-serif',
    '--vscode-font-size': '13px',
    '--vscode-editor-font-family': 'monospace',
    '--vscode-editor-font-size': '12px',
    background: '#181818',
    '--vscode-button-background': '#0078d4',
    '--vscode-button-foreground': '#ffffff',
    '--vscode-button-secondaryBackground': '#313131',
    '--vscode-button-secondaryForeground': '#cccccc',
    '--vscode-list-activeSelectionBackground': '#04395e',
    '--vscode-list-activeSelectionForeground': '#ffffff',
    '--vscode-list-hoverBackground': '#2a2d2e',
    '--vscode-textCodeBlock-background': '#2b2b2b',
    '--vscode-errorForeground': '#f85149',
    '--vscode-input-background': '#313131',
    '--vscode-input-foreground': '#cccccc',
    '--vscode-panel-border': '#2b2b2b',
    '--vscode-focusBorder': '#0078d4',
    '--vscode-charts-green': '#89d185',
    '--vscode-charts-blue': '#75beff',
    '--vscode-editorWarning-foreground': '#cca700',
    '--vscode-inputValidation-warningBackground': '#352a05',
  },
  light: {
    '--vscode-foreground': '#3b3b3b',
    '--vscode-descriptionForeground': '#717171',
    '--vscode-font-family': 'sans-serif',
    '--vscode-font-size': '13px',
    '--vscode-editor-font-family': 'monospace',
    '--vscode-editor-font-size': '12px',
    background: '#f8f8f8',
    '--vscode-button-background': '#005fb8',
    '--vscode-button-foreground': '#ffffff',
    '--vscode-button-secondaryBackground': '#e5e5e5',
    '--vscode-button-secondaryForeground': '#3b3b3b',
    '--vscode-list-activeSelectionBackground': '#e8e8e8',
    '--vscode-list-activeSelectionForeground': '#000000',
    '--vscode-list-hoverBackground': '#f2f2f2',
    '--vscode-textCodeBlock-background': '#f2f2f2',
    '--vscode-errorForeground': '#e51400',
    '--vscode-input-background': '#ffffff',
    '--vscode-input-foreground': '#3b3b3b',
    '--vscode-panel-border': '#e5e5e5',
    '--vscode-focusBorder': '#005fb8',
    '--vscode-charts-green': '#388a34',
    '--vscode-charts-blue': '#1a85ff',
    '--vscode-editorWarning-foreground': '#bf8803',
    '--vscode-inputValidation-warningBackground': '#f6f5d2',
  },
  'high-contrast': {
    '--vscode-foreground': '#ffffff',
    '--vscode-descriptionForeground': '#ffffff',
    '--vscode-font-family': 'sans-serif',
    '--vscode-font-size': '13px',
    '--vscode-editor-font-family': 'monospace',
    '--vscode-editor-font-size': '12px',
    background: '#000000',
    '--vscode-button-background': '#000000',
    '--vscode-button-foreground': '#ffffff',
    '--vscode-button-border': '#6fc3df',
    '--vscode-button-secondaryBackground': '#000000',
    '--vscode-button-secondaryForeground': '#ffffff',
    '--vscode-list-activeSelectionBackground': '#000000',
    '--vscode-list-activeSelectionForeground': '#ffffff',
    '--vscode-textCodeBlock-background': '#000000',
    '--vscode-errorForeground': '#f48771',
    '--vscode-input-background': '#000000',
    '--vscode-input-foreground': '#ffffff',
    '--vscode-input-border': '#6fc3df',
    '--vscode-panel-border': '#6fc3df',
    '--vscode-focusBorder': '#f38518',
    '--vscode-charts-green': '#89d185',
    '--vscode-charts-blue': '#75beff',
    '--vscode-editorWarning-foreground': '#ffd700',
    '--vscode-inputValidation-warningBackground': '#000000',
  },
};

export interface PanelPage {
  readonly page: Page;
  /** Messages the webview posted to the host. */
  posted(): Promise<WebviewMessage[]>;
  send(...messages: HostMessage[]): Promise<void>;
  close(): Promise<void>;
}

export async function openPanel(opts: { theme?: string; width?: number; height?: number; browser?: Browser } = {}): Promise<PanelPage & { browser: Browser }> {
  const browser = opts.browser ?? (await chromium.launch({ executablePath: CHROME, args: CHROME_ARGS }));
  const dir = path.join(REPO, 'test-output', 'panel-page');
  mkdirSync(dir, { recursive: true });
  const vars = Object.entries(THEMES[opts.theme ?? 'dark'] ?? {})
    .map(([k, v]) => (k === 'background' ? `background:${v};` : `${k}:${v};`))
    .join('');
  const html = `<!DOCTYPE html><html><head><meta charset="utf-8">
<link rel="stylesheet" href="file://${path.join(REPO, 'dist/webview/codicon.css')}">
<link rel="stylesheet" href="file://${path.join(REPO, 'dist/webview/agents.css')}">
<style>body{${vars}}</style>
<script>
  window.__posted = [];
  window.__ibRecordLatency = true;
  let state;
  window.acquireVsCodeApi = () => ({ postMessage: (m) => window.__posted.push(m), getState: () => state, setState: (s) => { state = s; } });
</script></head><body><main id="root"></main>
<script src="file://${path.join(REPO, 'dist/webview/agents.js')}"></script></body></html>`;
  const file = path.join(dir, `index-${process.pid}-${Date.now()}.html`);
  writeFileSync(file, html);
  const page = await browser.newPage({ viewport: { width: opts.width ?? 420, height: opts.height ?? 800 } });
  await page.goto(`file://${file}`);
  return {
    browser,
    page,
    posted: () => page.evaluate(() => (window as unknown as { __posted: WebviewMessage[] }).__posted),
    send: async (...messages) => {
      await page.evaluate((ms) => {
        for (const m of ms) window.postMessage(m, '*');
      }, messages);
      await page.waitForTimeout(30);
    },
    close: async () => {
      await page.close();
      if (!opts.browser) await browser.close();
    },
  };
}
