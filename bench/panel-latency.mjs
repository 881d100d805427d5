// panel-latency: 20 agents × 2,000 events each, replayed at full speed through the real host side of
/* global window, document, MutationObserver */
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
// Then, in the same run, the sustained mode (below): a real-time stream instead of a burst, with its own
// sustained_* figures.
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
  await build({
    entryPoints: [join(root, 'src/webview/agents.ts')],
    bundle: true,
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    outfile: join(root, 'bench', '.build', 'agents.js'),
    logLevel: 'error',
  });
  const { chromium } = require('playwright-core');
  const browser = await chromium.launch({
    executablePath: process.env.CHROME || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--enable-precise-memory-info', '--js-flags=--expose-gc'],
  });
  const page = await browser.newPage({ viewport: { width: 420, height: 900 } });
  const dir = join(root, 'bench', '.build');
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'panel.html'),
    `<!DOCTYPE html><html><head><meta charset="utf-8"><link rel="stylesheet" href="file://${join(root, 'src/webview/agents.css')}">
<script>window.__ibRecordLatency = true; window.__posted = []; let st; window.acquireVsCodeApi = () => ({ postMessage: (m) => window.__posted.push(m), getState: () => st, setState: (s) => { st = s; } });</script>
</head><body><main id="root"></main><script src="file://${join(dir, 'agents.js')}"></script></body></html>`,
  );
  await page.goto(`file://${join(dir, 'panel.html')}`);
  const figures = await burst({ page, PanelModel, Coalescer, AGENTS, EVENTS, log });
  const SECONDS = Number(process.env.PANEL_SUSTAINED_S ?? 20);
  if (SECONDS > 0) {
    const fresh = await browser.newPage({ viewport: { width: 420, height: 900 } });
    await fresh.goto(`file://${join(dir, 'panel.html')}`);
    Object.assign(figures, await sustained({ page: fresh, PanelModel, Coalescer, SECONDS, log }));
  }
  await browser.close();
  return figures;
}

/** The 40,000-event burst (figures p50_ms, p95_ms, dropped, heap_mb, as before the sustained mode). */
async function burst({ page, PanelModel, Coalescer, AGENTS, EVENTS, log }) {
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
    model.onRun({
      version: 1,
      key,
      integrationId,
      interactionId,
      specFile: '/s',
      folder: `/w/${key}`,
      attempt: 1,
      status: 'running',
      demo: false,
      queuedAt: now,
      startedAt: now,
      costUsd: 0,
      tokens: { input: 0, output: 0, reasoning: 0, cacheRead: 0, cacheWrite: 0 },
      steps: 0,
      toolCalls: 0,
      retries: 0,
      history: [],
    });
  }
  coalescer.repaint();
  const t0 = Date.now();
  for (let i = 0; i < EVENTS; i++) {
    for (const key of keys) {
      const n = Math.floor(i / 4);
      let e;
      switch (i % 4) {
        case 0:
          e = { type: 'text', sessionId: key, messageId: 'm', partId: `t${n}`, delta: `Working on step ${n}. ` };
          break;
        case 1:
          e = { type: 'text.done', sessionId: key, messageId: 'm', partId: `t${n}`, text: `Working on step ${n}.` };
          break;
        case 2:
          e = { type: 'tool.started', sessionId: key, messageId: 'm', partId: `p${n}`, callId: `c${n}`, tool: 'bash', input: { command: `echo ${n}` } };
          break;
        default:
          e = {
            type: 'tool.finished',
            sessionId: key,
            messageId: 'm',
            partId: `p${n}`,
            callId: `c${n}`,
            tool: 'bash',
            input: { command: `echo ${n}` },
            ok: true,
            output: `${n}\n`,
          };
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
    return {
      renderedAt: p.renderedAt,
      items: p.itemCount(),
      rows: document.querySelectorAll('.agent').length,
      heap: performance.memory ? performance.memory.usedJSHeapSize : 0,
    };
  });
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
  return {
    p50_ms: q(0.5),
    p95_ms: q(0.95),
    dropped,
    heap_mb: +(result.heap / 2 ** 20).toFixed(1),
    messages,
    events: AGENTS * EVENTS,
    feed_ms: fedMs,
    selected_items: model.items(selected).length,
  };
}

// ---- sustained mode
// PANEL_SUSTAINED_AGENTS agents (20) each emit PANEL_SUSTAINED_RATE events/s (100) for PANEL_SUSTAINED_S s
// (20; 0 skips it), paced by real timers against the monotonic clock: every agent has its own 10 ms
// interval and emits what its schedule says is due, at most twice a tick's share, so a late tick catches
// up without a burst. The events are what an opencode session streams: mostly text and reasoning deltas,
// text.done, tool.started and tool.finished, a step at the end of each turn followed by the run record's
// update (as the extension publishes it). The same host path as the extension: PanelModel → Coalescer
// (50 ms) → postMessage into the real webview page. One agent is selected (its stream is in the page);
// every agent's row is in the list.
// Figures:
//   sustained_p50_ms, sustained_p95_ms, sustained_max_ms
//                      per event, from its emission on the host (before the model handles it) to the
//                      page's own timestamp after the DOM update that shows it: every event of the selected
//                      agent (its stream message's render, as in the burst), and every step of every agent
//                      (the first list render whose row shows that step count, seen by a MutationObserver).
//   sustained_dropped  events emitted but never rendered (a stream message never rendered, a step count
//                      never shown), plus, at the end, items of the selected agent whose latest form is not
//                      in the page (or whose rendered tail rows differ from the model), agents missing from
//                      the list, rows showing another step count than the model, and items missing or
//                      stale in each other agent's stream when it is selected (through the host's repaint).
//   sustained_events   events emitted in all (agents × rate × seconds).
async function sustained({ page, PanelModel, Coalescer, SECONDS, log }) {
  const AGENTS = Number(process.env.PANEL_SUSTAINED_AGENTS || 20);
  const RATE = Number(process.env.PANEL_SUSTAINED_RATE || 100);
  const PER_AGENT = Math.round(RATE * SECONDS);
  const TICK_MS = 10;
  const CATCH_UP = 2 * Math.max(1, Math.ceil((RATE * TICK_MS) / 1000));
  const model = new PanelModel();
  const keys = Array.from({ length: AGENTS }, (_, i) => `api-${i % 5}/interaction-${i}`);
  const selected = keys[0];
  let chain = Promise.resolve();
  let messages = 0;
  const post = (m) => {
    messages++;
    chain = chain.then(() => page.evaluate((msg) => window.postMessage(msg, '*'), m));
  };
  const coalescer = new Coalescer(model, post, 50, () => false);
  coalescer.selected = selected;
  let pendingTimes = [];
  const timesBySeq = new Map();
  coalescer.onSent = (seq, key) => {
    if (key !== selected) return;
    timesBySeq.set(seq, pendingTimes);
    pendingTimes = [];
  };
  // The page's own record of what the list shows: per agent, each step count and when it first appeared.
  await page.evaluate(() => {
    const seen = (window.__rowSeen = {});
    const list = document.querySelector('ul.agents');
    new MutationObserver(() => {
      const t = Date.now();
      for (const li of list.querySelectorAll('.agent')) {
        const m = /(\d+) steps/.exec(li.querySelector('.meta')?.textContent ?? '');
        if (!m) continue;
        const s = (seen[li.dataset.key] ??= []);
        if (!s.length || s[s.length - 1][0] !== Number(m[1])) s.push([Number(m[1]), t]);
      }
    }).observe(list, { childList: true });
  });
  const started = new Date().toISOString();
  const runs = new Map();
  for (const key of keys) {
    const [integrationId, interactionId] = key.split('/');
    const run = {
      version: 1,
      key,
      integrationId,
      interactionId,
      specFile: '/s',
      folder: `/w/${key}`,
      attempt: 1,
      status: 'running',
      demo: false,
      queuedAt: started,
      startedAt: started,
      costUsd: 0,
      tokens: { input: 0, output: 0, reasoning: 0, cacheRead: 0, cacheWrite: 0 },
      steps: 0,
      toolCalls: 0,
      retries: 0,
      history: [],
    };
    runs.set(key, run);
    model.onRun(run);
  }
  coalescer.repaint();
  await chain;

  /** Per agent: [step count, emitted at] for each step event. */
  const stepTimes = new Map(keys.map((k) => [k, []]));
  const scripts = new Map(keys.map((k) => [k, script(k)]));
  const emit = (key) => {
    const e = scripts.get(key).next().value;
    const t = Date.now();
    const items = model.onEvent(key, e);
    if (e.type === 'step') {
      const run = runs.get(key);
      run.steps++;
      run.costUsd += e.costUsd;
      run.tokens = { ...run.tokens, input: run.tokens.input + e.tokens.input, output: run.tokens.output + e.tokens.output };
      stepTimes.get(key).push([run.steps, t]);
      coalescer.items(key, items);
      model.onRun({ ...run });
      coalescer.list();
    } else {
      if (key === selected) pendingTimes.push(t);
      coalescer.items(key, items);
    }
  };
  const t0 = performance.now();
  let maxBehind = 0;
  await new Promise((done) => {
    let left = keys.length;
    keys.forEach((key, i) => {
      const start = t0 + (i * TICK_MS) / keys.length;
      let sent = 0;
      const tick = () => {
        const now = performance.now();
        if (now < start) return;
        const due = Math.min(PER_AGENT, Math.floor(((now - start) * RATE) / 1000) + 1);
        maxBehind = Math.max(maxBehind, due - sent);
        const n = Math.min(due - sent, CATCH_UP);
        for (let j = 0; j < n; j++) emit(key);
        sent += n;
        if (sent >= PER_AGENT) {
          clearInterval(timer);
          if (--left === 0) done();
        }
      };
      const timer = setInterval(tick, TICK_MS);
    });
  });
  const feedS = (performance.now() - t0) / 1000;
  coalescer.flush();
  await chain;
  await page.waitForTimeout(300);
  const end = await page.evaluate(() => {
    const p = window.__ibPanel;
    const rows = {};
    for (const li of document.querySelectorAll('.agent'))
      rows[li.dataset.key] = Number(/(\d+) steps/.exec(li.querySelector('.meta')?.textContent ?? '')?.[1] ?? -1);
    return { renderedAt: p.renderedAt, rowSeen: window.__rowSeen, rows, items: p.items(), dom: domTail() };
    function domTail() {
      return Array.from(document.querySelectorAll('.rows .item')).map((r) => ({
        id: r.dataset.id,
        text: r.querySelector('.markdown')?.textContent ?? null,
        state: /state-(\w+)/.exec(r.querySelector('.tool-head')?.className ?? '')?.[1] ?? null,
      }));
    }
  });

  const lat = [];
  let unrendered = 0;
  for (const [seq, times] of timesBySeq) {
    const at = end.renderedAt[seq];
    if (at === undefined) unrendered += times.length;
    else for (const t of times) lat.push(at - t);
  }
  const streamSamples = lat.length;
  let stepsUnseen = 0;
  for (const [key, times] of stepTimes) {
    const seen = end.rowSeen[key] ?? [];
    for (const [n, t] of times) {
      const hit = seen.find(([shown]) => shown >= n);
      if (hit) lat.push(hit[1] - t);
      else stepsUnseen++;
    }
  }
  const stale = (key, pageItems) => {
    const want = model.items(key);
    const got = new Map(pageItems.map((it) => [it.id, JSON.stringify(it)]));
    return want.filter((it) => got.get(it.id) !== JSON.stringify(it)).length + Math.max(0, pageItems.length - want.length);
  };
  const staleSelected = stale(selected, end.items);
  // The rendered tail: each row drawn from the model's latest item (text as rendered, tool state).
  const byId = new Map(model.items(selected).map((it) => [it.id, it]));
  let staleDom = 0;
  for (const r of end.dom) {
    const it = byId.get(r.id);
    if (!it) staleDom++;
    else if (it.kind === 'text' && r.text !== it.text.replace(/`|\*\*/g, '')) staleDom++;
    else if (it.kind === 'tool' && r.state !== it.state) staleDom++;
  }
  if (!end.dom.length) staleDom++;
  const lastId = model.items(selected).at(-1)?.id;
  if (end.dom.at(-1)?.id !== lastId) staleDom++;
  let rowsWrong = Math.max(0, keys.length - Object.keys(end.rows).length);
  for (const key of keys) if (end.rows[key] !== undefined && end.rows[key] !== runs.get(key).steps) rowsWrong++;
  // Every other agent's stream, as the user would see it on selecting it (the host's repaint).
  let staleOthers = 0;
  for (const key of keys.slice(1)) {
    await page.click(`.agent[data-key="${key}"]`);
    coalescer.selected = key;
    coalescer.repaint();
    await chain;
    await page.waitForTimeout(20);
    staleOthers += stale(key, await page.evaluate(() => window.__ibPanel.items()));
  }
  coalescer.dispose();

  lat.sort((a, b) => a - b);
  const q = (p) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] ?? NaN;
  const events = keys.length * PER_AGENT;
  const dropped = unrendered + stepsUnseen + staleSelected + staleDom + rowsWrong + staleOthers;
  log(
    `sustained: ${keys.length} agents × ${RATE}/s for ${SECONDS} s: ${events} events fed in ${feedS.toFixed(1)} s (at most ${maxBehind} due at once per agent); ${messages} messages; ` +
      `${lat.length} latencies (${streamSamples} stream, ${lat.length - streamSamples} step); dropped: ${unrendered} unrendered, ${stepsUnseen} steps unseen, ${staleSelected} stale items, ${staleDom} stale rows, ${rowsWrong} wrong list rows, ${staleOthers} stale on select`,
  );
  return {
    sustained_p50_ms: q(0.5),
    sustained_p95_ms: q(0.95),
    sustained_max_ms: lat.length ? lat[lat.length - 1] : NaN,
    sustained_dropped: dropped,
    sustained_events: events,
    sustained_feed_s: +feedS.toFixed(2),
    sustained_measured: lat.length,
    sustained_messages: messages,
    sustained_selected_items: model.items(selected).length,
  };
}

const WORDS = 'the interaction reads `records` from the provider and maps each **field** into the model before it writes fixtures and runs tests again'.split(
  ' ',
);
const TOOLS = ['bash', 'read', 'edit', 'grep', 'write'];

/** One agent's endless stream, turn after turn, as the event normaliser produces it. */
function* script(key) {
  for (let turn = 0; ; turn++) {
    const messageId = `m${turn}`;
    if (turn % 2 === 0) {
      let r = '';
      for (let i = 0; i < 9; i++) {
        const delta = `${WORDS[(turn + i) % WORDS.length]} ${WORDS[(turn + 3 * i) % WORDS.length]} `;
        r += delta;
        yield { type: 'reasoning', sessionId: key, messageId, partId: `r${turn}`, delta };
      }
      yield { type: 'reasoning.done', sessionId: key, messageId, partId: `r${turn}`, text: r };
    }
    let text = '';
    for (let i = 0; i < 24; i++) {
      const delta = `${WORDS[(turn * 7 + i) % WORDS.length]} ${WORDS[(turn + 5 * i) % WORDS.length]} ${WORDS[(i * 3) % WORDS.length]} `;
      text += delta;
      yield { type: 'text', sessionId: key, messageId, partId: `t${turn}`, delta };
    }
    yield { type: 'text.done', sessionId: key, messageId, partId: `t${turn}`, text };
    const tool = TOOLS[turn % TOOLS.length];
    const input =
      tool === 'bash'
        ? { command: `npx vitest run tests/interaction-${turn}.test.ts` }
        : tool === 'write'
          ? { filePath: `/w/${key}/src/step-${turn}.ts`, content: `export const step = ${turn};\n`.repeat(8) }
          : tool === 'edit'
            ? { filePath: `/w/${key}/src/map.ts`, oldString: `const a = ${turn};`, newString: `const a = ${turn + 1};` }
            : tool === 'grep'
              ? { pattern: `field${turn}` }
              : { filePath: `/w/${key}/nango.yaml` };
    yield { type: 'tool.started', sessionId: key, messageId, partId: `p${turn}`, callId: `c${turn}`, tool, input };
    const output = Array.from({ length: 6 }, (_, i) => `line ${i} of the ${tool} output for turn ${turn}`).join('\n');
    yield { type: 'tool.finished', sessionId: key, messageId, partId: `p${turn}`, callId: `c${turn}`, tool, input, ok: turn % 9 !== 4, output };
    yield { type: 'step', sessionId: key, messageId, costUsd: 0.0004, tokens: { input: 1200, output: 180, reasoning: 0, cacheRead: 0, cacheWrite: 0 } };
  }
}
