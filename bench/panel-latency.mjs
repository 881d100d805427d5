// panel-latency: 20 agents × 2,000 events each, replayed at full speed through the real host side of
/* global window, document */
// the Agents panel (PanelModel + Coalescer, 50 ms) into the real webview bundle in headless Chromium.
//
// Events are fed as fast as the loop allows, one per agent per turn of the event loop (text deltas,
// tool starts and ends), like a busy opencode stream. One agent is selected (its stream goes to the
// webview; the others update the list). Every stream message carries a sequence number; the webview
// records when it rendered each one.
// Figures:
//   p50_ms, p95_ms  per event of the selected agent: from the moment the core event was handled by the
//                   host to the DOM update that shows it (same machine clock on both sides).
//   dropped         items of the selected agent in the host model that are not in the webview at the
//                   end, plus agents missing from the list (must be 0).
//   heap_mb         the webview's JS heap at the end (performance.memory, after a GC).
//   messages        stream messages sent (coalescing: far fewer than events).
import { build } from 'esbuild';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

export async function run({ log }) {
  const AGENTS = Number(process.env.PANEL_AGENTS || 20);
  const EVENTS = Number(process.env.PANEL_EVENTS || 2000);
  const outfile = join(root, 'bench', '.build', 'panel-model.mjs');
  await build({ entryPoints: [join(root, 'src/extension/panelModel.ts')], bundle: true, platform: 'node', format: 'esm', outfile, logLevel: 'error' });
  const { PanelModel, Coalescer } = await import(pathToFileURL(outfile).href);
  await build({ entryPoints: [join(root, 'src/webview/agents.ts')], bundle: true, platform: 'browser', format: 'iife', target: 'es2022', outfile: join(root, 'bench', '.build', 'agents.js'), logLevel: 'error' });
  const { chromium } = require('playwright-core');
  const browser = await chromium.launch({ executablePath: process.env.CHROME || '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--enable-precise-memory-info', '--js-flags=--expose-gc'] });
  const page = await browser.newPage({ viewport: { width: 420, height: 900 } });
  const dir = join(root, 'bench', '.build');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'panel.html'), `<!DOCTYPE html><html><head><meta charset="utf-8"><link rel="stylesheet" href="file://${join(root, 'src/webview/agents.css')}">
<script>window.__ibRecordLatency = true; window.__posted = []; let st; window.acquireVsCodeApi = () => ({ postMessage: (m) => window.__posted.push(m), getState: () => st, setState: (s) => { st = s; } });</script>
</head><body><main id="root"></main><script src="file://${join(dir, 'agents.js')}"></script></body></html>`);
  await page.goto(`file://${join(dir, 'panel.html')}`);

  const model = new PanelModel();
  const keys = Array.from({ length: AGENTS }, (_, i) => `api-${i % 5}/interaction-${i}`);
  const selected = keys[0];
  // Sends go out in order; each is one page.evaluate (as the webview host's postMessage is one IPC).
  let chain = Promise.resolve();
  let messages = 0;
  const post = (m) => {
    if (m.type === 'stream') messages++;
    chain = chain.then(() => page.evaluate((msg) => window.postMessage(msg, '*'), m));
  };
  const coalescer = new Coalescer(model, post, 50, () => false);
  coalescer.selected = selected;
  /** Event times of the selected agent not yet in a sent message, and per message seq the times it carries. */
  let pendingTimes = [];
  const timesBySeq = new Map();
  coalescer.onSent = (seq, key) => {
    if (key !== selected) return;
    timesBySeq.set(seq, pendingTimes);
    pendingTimes = [];
  };
  const now = new Date().toISOString();
  for (const key of keys) {
    const [integrationId, interactionId] = key.split('/');
    model.onRun({ version: 1, key, integrationId, interactionId, specFile: '/s', folder: `/w/${key}`, attempt: 1, status: 'running', demo: false, queuedAt: now, startedAt: now, costUsd: 0, tokens: { input: 0, output: 0, reasoning: 0, cacheRead: 0, cacheWrite: 0 }, steps: 0, toolCalls: 0, retries: 0, history: [] });
  }
  coalescer.repaint();
  const t0 = Date.now();
  for (let i = 0; i < EVENTS; i++) {
    for (const key of keys) {
      const n = Math.floor(i / 4);
      let e;
      switch (i % 4) {
        case 0: e = { type: 'text', sessionId: key, messageId: 'm', partId: `t${n}`, delta: `Working on step ${n}. ` }; break;
        case 1: e = { type: 'text.done', sessionId: key, messageId: 'm', partId: `t${n}`, text: `Working on step ${n}.` }; break;
        case 2: e = { type: 'tool.started', sessionId: key, messageId: 'm', partId: `p${n}`, callId: `c${n}`, tool: 'bash', input: { command: `echo ${n}` } }; break;
        default: e = { type: 'tool.finished', sessionId: key, messageId: 'm', partId: `p${n}`, callId: `c${n}`, tool: 'bash', input: { command: `echo ${n}` }, ok: true, output: `${n}\n` };
      }
      const items = model.onEvent(key, e);
      if (key === selected) pendingTimes.push(Date.now());
      coalescer.items(key, items);
    }
    await new Promise((r) => setImmediate(r));
  }
  const fedMs = Date.now() - t0;
  coalescer.flush();
  await chain;
  await page.waitForTimeout(200);
  const result = await page.evaluate(() => {
    const p = window.__ibPanel;
    if (window.gc) window.gc();
    return { renderedAt: p.renderedAt, items: p.itemCount(), rows: document.querySelectorAll('.agent').length, heap: performance.memory ? performance.memory.usedJSHeapSize : 0 };
  });
  await browser.close();
  const lat = [];
  let unrendered = 0;
  for (const [seq, times] of timesBySeq) {
    const at = result.renderedAt[seq];
    if (at === undefined) unrendered += times.length;
    else for (const t of times) lat.push(at - t);
  }
  lat.sort((a, b) => a - b);
  const q = (p) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] ?? NaN;
  const dropped = Math.max(0, model.items(selected).length - result.items) + Math.max(0, keys.length - result.rows) + unrendered;
  log(`${AGENTS * EVENTS} events fed in ${fedMs} ms; ${messages} stream messages; ${lat.length} selected-agent events measured`);
  return { p50_ms: q(0.5), p95_ms: q(0.95), dropped, heap_mb: +(result.heap / 2 ** 20).toFixed(1), messages, events: AGENTS * EVENTS, feed_ms: fedMs, selected_items: model.items(selected).length };
}
