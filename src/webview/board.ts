// Browser side of the Agents board (an editor tab): every run of the workspace in three groups — needs
// you, working, done — with time in state, the last tool call, edits, cost and tokens; sortable by any
// column, filtered by the box, driven by the keyboard (arrows move, Enter opens the transcript,
// Shift+Enter shows the run in the Agents view, `/` goes to the filter). Speaks only the board's protocol
// (src/shared/boardProtocol.ts). A row's cells are built once and rebuilt only when the host sends that
// row changed; re-sorting and filtering move the existing rows; the clock updates one cell per row.
import {
  arrange,
  COLUMN_LABEL,
  COLUMNS,
  DEFAULT_SORT,
  formatDuration,
  nextSort,
  rowCost,
  rowTokens,
  stateLabel,
  timeInState,
  type Column,
  type Sort,
} from '../shared/board';
import { parseBoardHostMessage, type BoardHostMessage, type BoardRow, type BoardWebviewMessage } from '../shared/boardProtocol';

interface VsCodeApi {
  postMessage(msg: BoardWebviewMessage): void;
  getState(): unknown;
  setState(state: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

interface SavedState {
  sort?: Sort;
  filter?: string;
  selected?: string;
}

const api = acquireVsCodeApi();
const saved = (api.getState() as SavedState | undefined) ?? {};
let sort: Sort = saved.sort && (COLUMNS as readonly string[]).includes(saved.sort.column) ? saved.sort : DEFAULT_SORT;
let filter = saved.filter ?? '';
let selected: string | undefined = saved.selected;
let demo = false;
/** The host's clock minus ours: time in state is measured on the host's clock. */
let skew = 0;
const rows = new Map<string, BoardRow>();
/** The rows in the order they are shown (every group, filtered and sorted): what the arrow keys walk. */
let shown: BoardRow[] = [];
let rowRenders = 0;

const el = <K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string, text?: string): HTMLElementTagNameMap[K] => {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
};

const root = document.getElementById('root') as HTMLElement;
root.innerHTML = '';

const header = el('header', 'board-header');
const title = el('h1', 'board-title', 'Agents');
const totalsEl = el('span', 'board-totals');
const filterEl = el('input', 'board-filter');
filterEl.type = 'search';
filterEl.placeholder = 'Filter by interaction or state ( / )';
filterEl.setAttribute('aria-label', 'Filter the board by interaction or state');
filterEl.value = filter;
const hint = el('span', 'board-hint', '↑↓ select · Enter transcript · Shift+Enter Agents view · / filter');
header.append(title, totalsEl, filterEl, hint);

const table = el('table', 'board');
table.tabIndex = 0;
table.setAttribute('role', 'grid');
table.setAttribute('aria-label', 'Agents board');
const colgroup = el('colgroup');
for (const column of COLUMNS) colgroup.append(el('col', `col-${column}`));
table.append(colgroup);
const thead = el('thead');
const headRow = el('tr');
const headCells = new Map<Column, HTMLTableCellElement>();
for (const column of COLUMNS) {
  const th = el('th', `col-${column}`);
  th.scope = 'col';
  const b = el('button', 'sort', COLUMN_LABEL[column]);
  b.type = 'button';
  b.dataset.column = column;
  b.title = `Sort by ${COLUMN_LABEL[column].toLowerCase()}`;
  b.addEventListener('click', () => {
    sort = nextSort(sort, column);
    persist();
    render();
  });
  th.append(b);
  headCells.set(column, th);
  headRow.append(th);
}
thead.append(headRow);
table.append(thead);

interface GroupEls {
  body: HTMLTableSectionElement;
  head: HTMLTableRowElement;
  count: HTMLElement;
}
const groupEls = new Map<string, GroupEls>();
const emptyEl = el('p', 'board-empty', 'No runs yet. Generate an interaction and its agent shows up here.');
const scroller = el('div', 'board-scroll');
scroller.append(table);
root.append(header, scroller, emptyEl);

/** The drawn rows, by key: rebuilt only when the host sends the row changed. */
const drawn = new Map<string, { row: BoardRow; tr: HTMLTableRowElement; time: HTMLTableCellElement; id: string }>();
let nextId = 0;

(window as unknown as { __ibBoard: unknown }).__ibBoard = { rowRenders: () => rowRenders, shown: () => shown.map((r) => r.key) };

function persist(): void {
  api.setState({ sort, filter, selected } satisfies SavedState);
}

const now = () => Date.now() + skew;

function timeText(r: BoardRow): string {
  const t = timeInState(r, now());
  return t === undefined ? '—' : formatDuration(t);
}

function drawRow(r: BoardRow): HTMLTableRowElement {
  rowRenders++;
  const had = drawn.get(r.key);
  const tr = had?.tr ?? el('tr', 'run');
  const id = had?.id ?? `run-${nextId++}`;
  tr.id = id;
  tr.className = `run status-${r.status}${r.waiting ? ' waiting' : ''}${r.key === selected ? ' selected' : ''}`;
  tr.dataset.key = r.key;
  tr.setAttribute('role', 'row');
  tr.setAttribute('aria-selected', String(r.key === selected));
  tr.title = r.detail ?? '';
  const key = el('td', 'col-key');
  key.append(el('span', 'name', r.key));
  if (r.attempt > 1) key.append(el('span', 'badge', `attempt ${r.attempt}`));
  if (r.demo) key.append(el('span', 'badge', 'demo'));
  if (r.unsandboxed) key.append(el('span', 'badge warn', 'unsandboxed'));
  if (r.violations) key.append(el('span', 'badge warn', `⚠ ${r.violations}`));
  const state = el('td', 'col-state', stateLabel(r));
  if (r.verdict && r.verdict !== 'failed' && r.verdict !== r.status) state.append(el('span', 'verdict', ` · verify: ${r.verdict}`));
  const time = el('td', 'col-time', timeText(r));
  const tool = el('td', 'col-lastTool');
  if (r.lastTool) {
    tool.append(el('span', `tool state-${r.lastTool.state}`, r.lastTool.tool), el('code', 'tool-title', r.lastTool.title));
    tool.title = `${r.lastTool.tool} ${r.lastTool.title} (${r.lastTool.state})`;
  } else tool.textContent = '—';
  const edits = el('td', 'col-edits');
  if (r.edits) {
    edits.append(
      el('span', 'files', `${r.edits.files} file${r.edits.files === 1 ? '' : 's'} `),
      el('span', 'add', `+${r.edits.added}`),
      document.createTextNode(' '),
      el('span', 'del', `−${r.edits.removed}`),
    );
    edits.title = "Lines the agent's write and edit calls added and removed (from its transcript)";
  } else edits.textContent = '—';
  const cost = el('td', 'col-cost', `$${rowCost(r).toFixed(4)}`);
  if (r.priorCostUsd) cost.title = `this attempt $${r.costUsd.toFixed(4)}, earlier attempts $${r.priorCostUsd.toFixed(4)}`;
  const tokens = el('td', 'col-tokens', rowTokens(r).toLocaleString('en-US'));
  tr.replaceChildren(key, state, time, tool, edits, cost, tokens);
  drawn.set(r.key, { row: r, tr, time, id });
  return tr;
}

function groupElements(group: string, label: string): GroupEls {
  let g = groupEls.get(group);
  if (!g) {
    const body = el('tbody', `group group-${group}`);
    body.dataset.group = group;
    const head = el('tr', 'group-head');
    const th = el('th', undefined, label);
    th.colSpan = COLUMNS.length;
    th.scope = 'rowgroup';
    const count = el('span', 'count');
    th.append(count);
    head.append(th);
    body.append(head);
    table.append(body);
    g = { body, head, count };
    groupEls.set(group, g);
  }
  return g;
}

/** Puts exactly `nodes` into `parent` after `first`, in order, moving only what must move. */
function reconcile(parent: HTMLElement, first: HTMLElement, nodes: readonly HTMLElement[]): void {
  const keep = new Set<Node>([first, ...nodes]);
  for (const child of Array.from(parent.childNodes)) if (!keep.has(child)) child.remove();
  let cur = first.nextSibling;
  for (const n of nodes) {
    if (cur === n) cur = cur.nextSibling;
    else parent.insertBefore(n, cur);
  }
}

function render(): void {
  const groups = arrange([...rows.values()], { sort, filter, now: now() });
  shown = groups.flatMap((g) => g.rows);
  for (const g of groups) {
    const els = groupElements(g.group, g.label);
    els.count.textContent = g.rows.length === g.total ? ` ${g.total}` : ` ${g.rows.length} of ${g.total}`;
    els.body.hidden = g.total === 0;
    reconcile(
      els.body,
      els.head,
      g.rows.map((r) => {
        const d = drawn.get(r.key);
        return d && d.row === r ? d.tr : drawRow(r);
      }),
    );
  }
  for (const key of [...drawn.keys()]) if (!rows.has(key)) drawn.delete(key);
  for (const [column, th] of headCells) {
    th.setAttribute('aria-sort', column === sort.column ? (sort.dir === 'asc' ? 'ascending' : 'descending') : 'none');
    th.classList.toggle('sorted', column === sort.column);
  }
  const all = [...rows.values()];
  const cost = all.reduce((n, r) => n + rowCost(r), 0);
  const tokens = all.reduce((n, r) => n + rowTokens(r), 0);
  totalsEl.textContent = `${groups.map((g) => `${g.total} ${g.label.toLowerCase()}`).join(' · ')} · $${cost.toFixed(4)} · ${tokens.toLocaleString('en-US')} tokens${demo ? ' · demo model' : ''}`;
  emptyEl.hidden = rows.size > 0;
  scroller.hidden = rows.size === 0;
  markSelected();
}

function markSelected(): void {
  for (const d of drawn.values()) {
    const on = d.row.key === selected;
    if (d.tr.classList.contains('selected') !== on) {
      d.tr.classList.toggle('selected', on);
      d.tr.setAttribute('aria-selected', String(on));
    }
  }
  const d = selected ? drawn.get(selected) : undefined;
  if (d && d.tr.isConnected) table.setAttribute('aria-activedescendant', d.id);
  else table.removeAttribute('aria-activedescendant');
}

function select(key: string | undefined): void {
  if (key === selected) return;
  selected = key;
  persist();
  markSelected();
  if (key) drawn.get(key)?.tr.scrollIntoView({ block: 'nearest' });
}

table.addEventListener('click', (e) => {
  const tr = (e.target as HTMLElement).closest<HTMLTableRowElement>('tr.run');
  if (tr?.dataset.key) select(tr.dataset.key);
});
table.addEventListener('dblclick', (e) => {
  const tr = (e.target as HTMLElement).closest<HTMLTableRowElement>('tr.run');
  if (tr?.dataset.key) api.postMessage({ type: 'open', key: tr.dataset.key });
});

table.addEventListener('keydown', (e) => {
  if ((e.target as HTMLElement).closest('thead')) return; // the sort buttons keep Enter and Space
  const i = shown.findIndex((r) => r.key === selected);
  const page = Math.max(1, Math.floor(scroller.clientHeight / 24) - 2);
  const to =
    e.key === 'ArrowDown'
      ? i + 1
      : e.key === 'ArrowUp'
        ? i < 0
          ? shown.length - 1
          : i - 1
        : e.key === 'Home'
          ? 0
          : e.key === 'End'
            ? shown.length - 1
            : e.key === 'PageDown'
              ? i + page
              : e.key === 'PageUp'
                ? i - page
                : undefined;
  if (to !== undefined) {
    e.preventDefault();
    const next = shown[Math.min(shown.length - 1, Math.max(0, to))];
    if (next) select(next.key);
  } else if (e.key === 'Enter' && selected && shown.some((r) => r.key === selected)) {
    e.preventDefault();
    api.postMessage({ type: e.shiftKey ? 'reveal' : 'open', key: selected });
  }
});

document.addEventListener('keydown', (e) => {
  const t = e.target as HTMLElement;
  if (e.key === '/' && t !== filterEl && !(t instanceof HTMLInputElement) && !(t instanceof HTMLTextAreaElement)) {
    e.preventDefault();
    filterEl.focus();
    filterEl.select();
  }
});

filterEl.addEventListener('input', () => {
  filter = filterEl.value;
  persist();
  render();
});
filterEl.addEventListener('keydown', (e) => {
  if (e.key === 'Escape' && filterEl.value) {
    e.preventDefault();
    filterEl.value = '';
    filter = '';
    persist();
    render();
  } else if (e.key === 'ArrowDown' || e.key === 'Enter' || e.key === 'Escape') {
    // Back to the rows, the selection on the first one that passes the filter.
    e.preventDefault();
    if (!shown.some((r) => r.key === selected) && shown[0]) select(shown[0].key);
    table.focus();
  }
});

function apply(m: BoardHostMessage): void {
  skew = m.now - Date.now();
  demo = m.demo;
  if (m.reset) rows.clear();
  for (const key of m.removed) rows.delete(key);
  for (const r of m.rows) rows.set(r.key, r);
  render();
}

// The clock: time in state moves on without the host; only cells whose text changes are touched.
setInterval(() => {
  for (const d of drawn.values()) {
    const t = timeText(d.row);
    if (d.time.textContent !== t) d.time.textContent = t;
  }
}, 1000);

window.addEventListener('message', (e: MessageEvent) => {
  const m = parseBoardHostMessage(e.data);
  if (m) apply(m);
});

render();
api.postMessage({ type: 'ready' });
