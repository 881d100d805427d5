// Browser side of the Agents view: the list of agents and the selected agent's live stream. Speaks
// only the typed protocol (src/shared/protocol.ts), validating what it receives. Long streams are
// virtualised: only the rows in (and near) the viewport are in the DOM.
import {
  parseHostMessage,
  type AgentRow,
  type HostMessage,
  type PanelAction,
  type ServerState,
  type StreamItem,
  type Totals,
  type WebviewMessage,
} from '../shared/protocol';

interface VsCodeApi {
  postMessage(msg: WebviewMessage): void;
  getState(): unknown;
  setState(state: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

interface SavedState {
  selected?: string;
  search?: string;
  scroll?: Record<string, number>;
}

const api = acquireVsCodeApi();
const saved = (api.getState() as SavedState | undefined) ?? {};
let agents: AgentRow[] = [];
let totals: Totals | undefined;
let server: ServerState = { state: 'idle' };
let demo = false;
let selected: string | undefined = saved.selected;
let search = saved.search ?? '';
const scroll: Record<string, number> = saved.scroll ?? {};
let items: StreamItem[] = [];
const indexOf = new Map<string, number>();
let follow = true;
/** Latency samples (core event sent → rendered), for the panel-latency benchmark and tests. */
const latency: number[] = [];
const renderedAt: Record<number, number> = {};
/** Only a benchmark or test page turns the timing record on (it would grow without end otherwise). */
const recording = !!(window as unknown as { __ibRecordLatency?: boolean }).__ibRecordLatency;
(window as unknown as { __ibPanel: unknown }).__ibPanel = {
  latency,
  renderedAt,
  itemCount: () => items.length,
  items: () => items,
  renderedCount: () => streamEl.querySelectorAll('.item').length,
};

const root = document.getElementById('root') as HTMLElement;
root.innerHTML = '';
root.setAttribute('aria-live', 'off');

const el = <K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string, text?: string): HTMLElementTagNameMap[K] => {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
};

const header = el('header', 'totals');
const emptyEl = el('div', 'empty-state');
emptyEl.append(el('p', 'empty', 'No agents yet.'), el('p', 'hint', 'Generate an interaction to watch its agent work here.'));
const generateBtn = el('button', 'primary', 'Generate interaction…');
generateBtn.type = 'button';
generateBtn.addEventListener('click', () => api.postMessage({ type: 'generate' }));
emptyEl.append(generateBtn);
const listEl = el('ul', 'agents');
listEl.setAttribute('role', 'listbox');
listEl.setAttribute('aria-label', 'Agents');
listEl.tabIndex = 0;
const detailEl = el('section', 'detail');
const toolbar = el('div', 'toolbar');
const searchEl = el('input', 'search');
searchEl.type = 'search';
searchEl.placeholder = 'Filter the transcript';
searchEl.setAttribute('aria-label', 'Filter the transcript');
searchEl.value = search;
const streamEl = el('div', 'stream');
streamEl.tabIndex = 0;
streamEl.setAttribute('role', 'log');
const spacerTop = el('div', 'spacer');
const rowsEl = el('div', 'rows');
const spacerBottom = el('div', 'spacer');
streamEl.append(spacerTop, rowsEl, spacerBottom);
detailEl.append(toolbar, searchEl, streamEl);
root.append(header, emptyEl, listEl, detailEl);

const ACTIONS: [PanelAction, string, string, string][] = [
  ['stop', 'Stop', 'Stop this agent', 'debug-stop'],
  ['restart', 'Restart', 'Restart from scratch: new folder, new session', 'refresh'],
  ['verify', 'Verify', 'Run every check on what the agent built', 'checklist'],
  ['review', 'Review', 'What the agent changed against the scaffold, with the findings as comments', 'diff-multiple'],
  ['feedback', 'Feedback', 'Tell the agent what to change: a new turn of its session, verified when it ends', 'feedback'],
  ['accept', 'Accept', 'Accept what the agent built: Assemble takes verified and accepted interactions', 'pass'],
  ['reject', 'Reject', 'Reject it: Assemble leaves it out', 'thumbsdown'],
  ['openFolder', 'Folder', 'Reveal the interaction folder', 'folder-opened'],
  ['openTranscript', 'Transcript', 'Open the transcript in an editor tab', 'output'],
  ['jumpToFirstBadStep', 'First bad step', 'Scroll to the earliest step a verification finding points at', 'debug-step-into'],
  ['attach', 'Attach', "Open OpenCode's own UI on this session in a terminal", 'terminal'],
];
/** A codicon (VS Code's icon font, shipped with the view). */
const icon = (name: string, cls = '') => {
  const i = el('i', `codicon codicon-${name} ${cls}`.trim());
  i.setAttribute('aria-hidden', 'true');
  return i;
};
for (const [action, label, title, codicon] of ACTIONS) {
  const b = el('button', `action action-${action}`);
  b.append(icon(codicon), document.createTextNode(` ${label}`));
  b.type = 'button';
  b.title = title;
  b.addEventListener('click', () => selected && api.postMessage({ type: 'action', action, key: selected }));
  toolbar.append(b);
}

function persist(): void {
  api.setState({ selected, search, scroll } satisfies SavedState);
}

// ---- the list

const STATUS_ICON: Record<string, string> = {
  running: 'loading codicon-modifier-spin',
  queued: 'clock',
  'needs-review': 'eye',
  blocked: 'circle-slash',
  verified: 'pass-filled',
  failed: 'error',
  stopped: 'debug-stop',
  interrupted: 'warning',
  'not-started': 'circle-large-outline',
};

function elapsed(r: AgentRow): string {
  if (!r.startedAt) return '';
  const end = r.endedAt ? Date.parse(r.endedAt) : Date.now();
  const s = Math.max(0, Math.round((end - Date.parse(r.startedAt)) / 1000));
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

/** The agent server's state, when it is not simply ready (or not started): what the header leads with. */
function serverText(): string {
  switch (server.state) {
    case 'idle':
    case 'ready':
      return '';
    case 'starting':
      return '⟳ agent server starting…';
    case 'reconnecting':
      return '⟳ agent server reconnecting…';
    case 'down':
      return '⚠ agent server down (Integration Builder: Restart Agent Server)';
  }
}

function renderList(): void {
  const state = serverText();
  header.title = server.detail ? `Agent server ${server.state}: ${server.detail}` : '';
  header.dataset.server = server.state;
  header.textContent = [
    state,
    totals
      ? `${totals.agents} agent(s) · ${totals.running} running · $${totals.costUsd.toFixed(4)} · ${totals.tokens.toLocaleString()} tokens${totals.violations ? ` · ⚠ ${totals.violations} violation(s)` : ''}${totals.attention ? ` · ${totals.attention} need attention` : ''}${demo ? ' · demo model' : ''}`
      : '',
  ]
    .filter(Boolean)
    .join(' · ');
  emptyEl.hidden = agents.length > 0;
  listEl.hidden = agents.length === 0;
  detailEl.hidden = !selected || !agents.some((a) => a.key === selected);
  listEl.replaceChildren(
    ...agents.map((r) => {
      const li = el('li', `agent status-${r.status}${r.key === selected ? ' selected' : ''}`);
      li.setAttribute('role', 'option');
      li.setAttribute('aria-selected', String(r.key === selected));
      li.id = `agent-${agents.indexOf(r)}`;
      li.dataset.key = r.key;
      const statusIcon = el('span', 'icon');
      statusIcon.append(icon(r.waiting ? 'question' : (STATUS_ICON[r.status] ?? 'circle-large-outline')));
      const name = el('span', 'name', r.key);
      const status = el('span', 'status', r.waiting ? 'permission waiting' : r.status.replace('-', ' '));
      const meta = el(
        'span',
        'meta',
        [
          elapsed(r),
          `${r.steps} steps`,
          `$${r.costUsd.toFixed(4)}`,
          `${r.tokens.toLocaleString()} tok`,
          r.violations ? `⚠ ${r.violations}` : '',
          r.verdict ? `verify: ${r.verdict}` : '',
          r.demo ? 'demo' : '',
          r.unsandboxed ? 'unsandboxed' : '',
        ]
          .filter(Boolean)
          .join(' · '),
      );
      li.title = r.detail ?? '';
      li.append(statusIcon, name, status, meta);
      li.addEventListener('click', () => select(r.key));
      return li;
    }),
  );
  // Screen readers follow the selection inside the focused list.
  const at = agents.findIndex((a) => a.key === selected);
  if (at >= 0) listEl.setAttribute('aria-activedescendant', `agent-${at}`);
  else listEl.removeAttribute('aria-activedescendant');
}

function select(key: string): void {
  if (selected) scroll[selected] = streamEl.scrollTop;
  selected = key;
  items = [];
  indexOf.clear();
  follow = true;
  persist();
  renderList();
  renderStream();
  api.postMessage({ type: 'select', key });
}

listEl.addEventListener('keydown', (e) => {
  const i = agents.findIndex((a) => a.key === selected);
  const to = e.key === 'ArrowDown' ? i + 1 : e.key === 'ArrowUp' ? i - 1 : e.key === 'Home' ? 0 : e.key === 'End' ? agents.length - 1 : undefined;
  if (to !== undefined) {
    e.preventDefault();
    const next = agents[Math.min(agents.length - 1, Math.max(0, to))];
    if (next && next.key !== selected) select(next.key);
  } else if (e.key === 'Enter' && selected) {
    // Into the selected agent's stream (arrow keys and Page Up/Down scroll it from there).
    e.preventDefault();
    streamEl.focus();
  }
});

// ---- the stream (virtualised)

const ESTIMATE = 44;
const heights = new Map<string, number>();
/**
 * Rendered rows by item id, reused while their item is unchanged, so a live stream's updates and
 * scrolling leave what the user expanded, typed or focused alone. Only the rows on screen are kept.
 */
let rendered = new Map<string, { item: StreamItem; node: HTMLElement }>();
/** What the user expanded or collapsed, by agent, item id and details class; applied when a row is drawn again. */
const userOpen = new Map<string, boolean>();
/** Reasons being typed for a Reject, by request id. */
const reasons = new Map<string, string>();

function visibleItems(): StreamItem[] {
  if (!search) return items;
  const q = search.toLowerCase();
  return items.filter((it) => textOf(it).toLowerCase().includes(q));
}

function textOf(it: StreamItem): string {
  switch (it.kind) {
    case 'tool':
      return `${it.tool} ${it.title} ${it.output ?? ''}`;
    case 'permission':
      return `${it.permission} ${it.patterns.join(' ')}`;
    case 'finding':
      return `${it.rule} ${it.text}`;
    case 'prompt':
    case 'text':
    case 'reasoning':
    case 'error':
    case 'violation':
    case 'end':
      return it.text;
  }
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** Markdown, safely: everything is escaped first; then fences, code spans, bold and line breaks. */
export function renderMarkdown(md: string): string {
  const parts = md.split(/```[^\n]*\n?/);
  return parts
    .map((part, i) => {
      const safe = escapeHtml(part);
      if (i % 2 === 1) return `<pre><code>${safe}</code></pre>`;
      return safe
        .replace(/`([^`\n]+)`/g, '<code>$1</code>')
        .replace(/\*\*([^*\n]+)\*\*/g, '<strong>$1</strong>')
        .replace(/^#{1,6} (.*)$/gm, '<strong>$1</strong>')
        .replace(/\n/g, '<br>');
    })
    .join('');
}

function diffView(before: string, after: string): HTMLElement {
  const pre = el('pre', 'diff');
  const lines = [...(before ? before.split('\n').map((l) => ['del', `- ${l}`]) : []), ...after.split('\n').map((l) => ['add', `+ ${l}`])].slice(0, 400);
  for (const [cls, text] of lines) pre.append(el('span', cls, `${text}\n`));
  return pre;
}

function renderItem(it: StreamItem): HTMLElement {
  const row = el('div', `item kind-${it.kind}`);
  row.dataset.id = it.id;
  switch (it.kind) {
    case 'prompt': {
      const d = el('details', it.turn ? 'feedback' : undefined);
      d.append(el('summary', undefined, it.turn ? `Your feedback (turn ${it.turn})` : 'Prompt'), el('pre', undefined, it.text));
      // Feedback is short and is what the turn is about: shown open; the prompt is long: folded.
      d.open = !!it.turn;
      row.append(d);
      break;
    }
    case 'text': {
      const body = el('div', 'markdown');
      body.innerHTML = renderMarkdown(it.text);
      row.append(body);
      break;
    }
    case 'reasoning': {
      const d = el('details', 'reasoning');
      d.append(el('summary', undefined, 'Reasoning'), el('div', undefined, it.text));
      row.append(d);
      break;
    }
    case 'tool': {
      const head = el('div', `tool-head state-${it.state}`);
      const state = el('span', 'state');
      state.append(icon(it.state === 'running' ? 'loading codicon-modifier-spin' : it.state === 'ok' ? 'check' : 'error'));
      head.append(state, el('span', 'tool', it.tool), el('code', 'title', it.title));
      row.append(head);
      if (it.after !== undefined) row.append(diffView(it.before ?? '', it.after));
      if (it.output && it.tool !== 'write' && it.tool !== 'edit') {
        const d = el('details', 'output');
        d.open = it.tool === 'bash' && it.output.length < 600;
        d.append(el('summary', undefined, `output (${it.output.split('\n').length} lines)`), el('pre', undefined, it.output));
        row.append(d);
      }
      break;
    }
    case 'permission': {
      row.append(el('div', 'perm-head', `Permission asked: ${it.permission} ${it.patterns.join(', ')}`));
      if (it.answered) row.append(el('div', 'perm-answer', `Answered: ${it.answered}`));
      else {
        const reason = el('input', 'perm-reason');
        reason.placeholder = 'Reason (for Reject)';
        reason.setAttribute('aria-label', 'Reason for rejecting');
        reason.value = reasons.get(it.requestId) ?? '';
        reason.addEventListener('input', () => reasons.set(it.requestId, reason.value));
        const answer = (reply: 'once' | 'always' | 'reject') =>
          selected &&
          api.postMessage({
            type: 'permission',
            key: selected,
            requestId: it.requestId,
            reply,
            message: reply === 'reject' && reason.value ? reason.value : undefined,
          });
        for (const [reply, label] of [
          ['once', 'Allow once'],
          ['always', 'Always'],
          ['reject', 'Reject'],
        ] as const) {
          const b = el('button', `perm-${reply}`, label);
          b.type = 'button';
          b.addEventListener('click', () => answer(reply));
          row.append(b);
        }
        row.append(reason);
      }
      break;
    }
    case 'error':
      row.append(el('div', 'error', `✗ ${it.text}`));
      break;
    case 'violation':
      {
        const v = el('div', 'violation');
        v.append(icon('shield'), document.createTextNode(` fixture guard: ${it.text}`));
        row.append(v);
      }
      break;
    case 'finding':
      row.append(el('div', `finding sev-${it.severity}`, `${it.severity === 'error' ? '✗' : '⚠'} ${it.rule} — ${it.text}`));
      break;
    case 'end':
      row.append(el('div', 'end', it.text));
      break;
  }
  for (const d of Array.from(row.querySelectorAll('details'))) {
    const key = `${selected ?? ''}\n${it.id}\n${d.className}`;
    const initial = d.open;
    const open = userOpen.get(key);
    if (open !== undefined) d.open = open;
    // Only what differs from how the row is drawn by default is remembered.
    d.addEventListener('toggle', () => (d.open === initial ? userOpen.delete(key) : userOpen.set(key, d.open)));
  }
  return row;
}

/** Puts exactly `nodes` into `parent`, in order, moving only what must move (focus stays where it is). */
function reconcile(parent: HTMLElement, nodes: readonly HTMLElement[]): void {
  const keep = new Set<Node>(nodes);
  for (const child of Array.from(parent.childNodes)) if (!keep.has(child)) child.remove();
  let cur = parent.firstChild;
  for (const n of nodes) {
    if (cur === n) cur = cur.nextSibling;
    else parent.insertBefore(n, cur);
  }
}

let frame = 0;
function renderStream(): void {
  if (frame) return;
  frame = requestAnimationFrame(() => {
    frame = 0;
    paint();
  });
}

function paint(): void {
  const list = visibleItems();
  const viewTop = streamEl.scrollTop;
  const viewHeight = streamEl.clientHeight || 600;
  const buffer = viewHeight;
  let y = 0;
  let first = -1;
  let last = -1;
  let top = 0;
  for (let i = 0; i < list.length; i++) {
    const h = heights.get((list[i] as StreamItem).id) ?? ESTIMATE;
    if (first < 0 && y + h >= viewTop - buffer) {
      first = i;
      top = y;
    }
    if (y <= viewTop + viewHeight + buffer) last = i;
    y += h;
  }
  const total = y;
  if (follow) {
    // Following the tail: render the end.
    let acc = 0;
    last = list.length - 1;
    first = last;
    while (first > 0 && acc < viewHeight + buffer) acc += heights.get((list[--first] as StreamItem).id) ?? ESTIMATE;
    top = 0;
    for (let i = 0; i < first; i++) top += heights.get((list[i] as StreamItem).id) ?? ESTIMATE;
  }
  const slice = first < 0 ? [] : list.slice(first, last + 1);
  const next = new Map<string, { item: StreamItem; node: HTMLElement }>();
  for (const it of slice) {
    const had = rendered.get(it.id);
    next.set(it.id, had && had.item === it ? had : { item: it, node: renderItem(it) });
  }
  rendered = next;
  reconcile(
    rowsEl,
    [...next.values()].map((r) => r.node),
  );
  for (const child of Array.from(rowsEl.children) as HTMLElement[]) {
    const h = child.offsetHeight;
    if (h) heights.set(child.dataset.id as string, h);
  }
  spacerTop.style.height = `${top}px`;
  let after = 0;
  for (let i = last + 1; i < list.length; i++) after += heights.get((list[i] as StreamItem).id) ?? ESTIMATE;
  spacerBottom.style.height = `${Math.max(0, after)}px`;
  void total;
  if (follow) streamEl.scrollTop = streamEl.scrollHeight;
}

streamEl.addEventListener('scroll', () => {
  const atBottom = streamEl.scrollHeight - streamEl.scrollTop - streamEl.clientHeight < 24;
  follow = atBottom;
  if (selected) scroll[selected] = streamEl.scrollTop;
  persist();
  renderStream();
});

searchEl.addEventListener('input', () => {
  search = searchEl.value;
  persist();
  renderStream();
});

function apply(m: HostMessage): void {
  switch (m.type) {
    case 'agents':
      agents = m.agents;
      totals = m.totals;
      demo = m.demo;
      if (!selected && agents[0]) select(agents[0].key);
      renderList();
      break;
    case 'server':
      server = m.server;
      renderList();
      break;
    case 'select':
      if (m.key !== selected && agents.some((a) => a.key === m.key)) select(m.key);
      break;
    case 'stream': {
      if (m.key !== selected) return;
      if (m.reset) {
        items = [];
        indexOf.clear();
      }
      for (const it of m.items) {
        const at = indexOf.get(it.id);
        if (at === undefined) {
          indexOf.set(it.id, items.length);
          items.push(it);
        } else items[at] = it;
      }
      if (m.reset) {
        // Order may have changed (findings inserted in place): rebuild the index.
        indexOf.clear();
        items.forEach((it, i) => indexOf.set(it.id, i));
        const y = scroll[m.key];
        if (y !== undefined && !follow) streamEl.scrollTop = y;
      }
      paint();
      if (recording) {
        if (m.sentAt) latency.push(Date.now() - m.sentAt);
        if (m.seq !== undefined) renderedAt[m.seq] = Date.now();
      }
      break;
    }
    case 'reveal': {
      if (m.key !== selected) return;
      search = '';
      searchEl.value = '';
      follow = false;
      const list = visibleItems();
      let y = 0;
      for (const it of list) {
        if (it.id === m.itemId) break;
        y += heights.get(it.id) ?? ESTIMATE;
      }
      streamEl.scrollTop = y;
      paint();
      // Rows are reused across paints: only the latest revealed row stays marked.
      for (const r of Array.from(rowsEl.querySelectorAll('.revealed'))) r.classList.remove('revealed');
      rowsEl.querySelector(`[data-id="${CSS.escape(m.itemId)}"]`)?.classList.add('revealed');
      break;
    }
  }
}

window.addEventListener('message', (e: MessageEvent) => {
  const m = parseHostMessage(e.data);
  if (m) apply(m);
});

renderList();
api.postMessage({ type: 'ready' });
if (selected) api.postMessage({ type: 'select', key: selected });
