// The insights report as one self-contained HTML page: no script, no network, no file beside it. Charts
// are inline SVG styled by classes from one <style> block, which the Content-Security-Policy allows by its
// hash (and nothing else: no other style, script, image, font, frame or form). The same page is written
// by `integration-builder report --html` and shown in the editor's Insights tab (with a refresh link).
import { createHash } from 'node:crypto';
import type { Bucket, InsightsReport, InteractionInsight, Segment, TimeSplit } from './report';
import { WAITING_BUCKETS } from './report';

export interface InsightsHtmlOptions {
  /** A `command:` URI the page links as "Refresh" (the editor tab); none in a written file. */
  readonly refreshHref?: string;
}

const BUCKET_LABEL: Readonly<Record<Bucket, string>> = {
  model: 'model',
  tool: 'tools',
  toolchain: 'toolchain',
  queue: 'queued',
  setup: 'setup',
  permission: 'asking you',
  retry: 'provider retries',
  idle: 'idle',
};
const BUCKET_ORDER: readonly Bucket[] = ['model', 'tool', 'toolchain', 'queue', 'setup', 'permission', 'retry', 'idle'];

const STYLE = `
:root { color-scheme: light dark; }
body { font-family: var(--vscode-font-family, system-ui, sans-serif); font-size: 13px; color: var(--vscode-foreground, #1f2328);
  background: var(--vscode-editor-background, #fff); margin: 0; padding: 16px 24px 48px; line-height: 1.45; }
h1 { font-size: 20px; margin: 0 0 4px; } h2 { font-size: 16px; margin: 28px 0 8px; border-bottom: 1px solid rgba(128,128,128,.35); padding-bottom: 4px; }
h3 { font-size: 13px; margin: 16px 0 6px; }
.sub { opacity: .75; margin: 0 0 12px; }
.cards { display: flex; flex-wrap: wrap; gap: 10px; margin: 12px 0; }
.card { border: 1px solid rgba(128,128,128,.35); border-radius: 6px; padding: 8px 12px; min-width: 120px; }
.card b { display: block; font-size: 18px; }
.card span { opacity: .75; font-size: 12px; }
table { border-collapse: collapse; margin: 6px 0 12px; }
th, td { text-align: left; padding: 3px 10px 3px 0; vertical-align: top; border-bottom: 1px solid rgba(128,128,128,.2); }
th { font-weight: 600; white-space: nowrap; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
code { font-family: var(--vscode-editor-font-family, ui-monospace, monospace); font-size: 12px; }
.problems { border: 2px solid #d1242f; border-radius: 6px; padding: 8px 14px; margin: 12px 0; }
.problems h2 { border: 0; margin-top: 4px; color: #d1242f; }
.notes li { opacity: .85; }
.muted { opacity: .65; }
.bad { color: #d1242f; } .warn { color: #b07d00; } .good { color: #1a7f37; }
a.refresh { float: right; border: 1px solid rgba(128,128,128,.5); border-radius: 4px; padding: 3px 10px; text-decoration: none; color: inherit; }
svg { display: block; max-width: 100%; height: auto; }
svg text { fill: currentColor; font-size: 11px; font-family: var(--vscode-font-family, system-ui, sans-serif); }
svg .axis { stroke: rgba(128,128,128,.5); stroke-width: 1; }
svg .sep { stroke: currentColor; stroke-width: 1.5; }
.b-model { fill: #4e79a7; } .b-tool { fill: #f28e2b; } .b-toolchain { fill: #59a14f; } .b-queue { fill: #bab0ac; }
.b-setup { fill: #9c755f; } .b-permission { fill: #e15759; } .b-retry { fill: #edc948; } .b-idle { fill: #d7d7d7; } .b-cost { fill: #76b7b2; }
.legend { display: flex; flex-wrap: wrap; gap: 12px; margin: 4px 0 8px; font-size: 12px; }
.legend svg { display: inline-block; vertical-align: middle; margin-right: 4px; }
dl dt { font-weight: 600; margin-top: 6px; } dl dd { margin: 0 0 0 16px; opacity: .85; }
`;

/** The policy the page carries: its one style block by hash, nothing else at all. */
export function insightsCsp(style: string = STYLE): string {
  const hash = createHash('sha256').update(style, 'utf8').digest('base64');
  return `default-src 'none'; style-src 'sha256-${hash}'; base-uri 'none'; form-action 'none'`;
}

const esc = (s: unknown): string =>
  String(s ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');

/** `950 ms`, `12.3 s`, `4 min 05 s`, `2 h 03 min`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(Math.floor(s % 60)).padStart(2, '0')} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}

export const formatUsd = (usd: number): string => `$${usd.toFixed(usd !== 0 && Math.abs(usd) < 1 ? 4 : 2)}`;
const formatInt = (n: number): string => Math.round(n).toLocaleString('en-US');
const pct = (part: number, whole: number): string => (whole > 0 ? `${Math.round((part / whole) * 100)}%` : '–');

const bucketMs = (t: TimeSplit, b: Bucket): number => (b === 'model' ? t.modelMs : b === 'tool' ? t.toolMs : b === 'toolchain' ? t.toolchainMs : t.waiting[b]);

function legend(): string {
  return `<div class="legend">${BUCKET_ORDER.map((b) => `<span><svg width="10" height="10" viewBox="0 0 10 10" aria-hidden="true"><rect class="b-${b}" width="10" height="10"/></svg>${esc(BUCKET_LABEL[b])}</span>`).join('')}</div>`;
}

/** A small horizontal bar of a time split, one rect per bucket. */
function splitBar(t: TimeSplit, width = 140, height = 10): string {
  if (!(t.wallMs > 0)) return '';
  let x = 0;
  const rects = BUCKET_ORDER.map((b) => {
    const w = (bucketMs(t, b) / t.wallMs) * width;
    const r =
      w > 0
        ? `<rect class="b-${b}" x="${x.toFixed(2)}" y="0" width="${w.toFixed(2)}" height="${height}"><title>${esc(`${BUCKET_LABEL[b]}: ${formatDuration(bucketMs(t, b))} (${pct(bucketMs(t, b), t.wallMs)})`)}</title></rect>`
        : '';
    x += w;
    return r;
  }).join('');
  return `<svg width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="time split">${rects}</svg>`;
}

/** Every agent on one time axis: a row per interaction, its attempts' stretches coloured by bucket. */
function timeline(interactions: readonly InteractionInsight[]): string {
  const rows = interactions.filter((i) => i.attempts.some((a) => a.segments.length));
  if (!rows.length) return '<p class="muted">No attempt has a readable, timestamped transcript: there is no timeline to draw.</p>';
  const all: Segment[] = rows.flatMap((i) => i.attempts.flatMap((a) => a.segments));
  const t0 = Math.min(...all.map((s) => s.start));
  const t1 = Math.max(...all.map((s) => s.end));
  const span = Math.max(1, t1 - t0);
  const label = 230;
  const width = 1000;
  const plot = width - label - 10;
  const rowH = 16;
  const top = 22;
  const height = top + rows.length * rowH + 6;
  const x = (t: number) => label + ((t - t0) / span) * plot;
  const ticks: string[] = [];
  const step = niceStep(span / 6);
  for (let t = 0; t <= span; t += step) {
    const px = x(t0 + t).toFixed(1);
    ticks.push(
      `<line class="axis" x1="${px}" y1="${top - 4}" x2="${px}" y2="${height}"/><text x="${px}" y="${top - 8}" text-anchor="middle">+${esc(formatDuration(t))}</text>`,
    );
  }
  const body = rows
    .map((i, n) => {
      const y = top + n * rowH;
      const name = i.key.length > 36 ? `${i.key.slice(0, 35)}…` : i.key;
      const bars = i.attempts
        .flatMap((a, k) => {
          const segs = a.segments.map(
            (s) =>
              `<rect class="b-${s.bucket}" x="${x(s.start).toFixed(2)}" y="${y + 2}" width="${Math.max(0.5, x(s.end) - x(s.start)).toFixed(2)}" height="${rowH - 4}"><title>${esc(`${i.key} #${a.attempt} · ${BUCKET_LABEL[s.bucket]} ${formatDuration(s.end - s.start)}`)}</title></rect>`,
          );
          const first = a.segments[0];
          if (k > 0 && first)
            segs.push(
              `<line class="sep" x1="${x(first.start).toFixed(2)}" y1="${y}" x2="${x(first.start).toFixed(2)}" y2="${y + rowH}"><title>attempt ${a.attempt}</title></line>`,
            );
          return segs;
        })
        .join('');
      return `<text x="0" y="${y + rowH - 4}"><title>${esc(i.key)}</title>${esc(name)}</text>${bars}`;
    })
    .join('');
  return `${legend()}<svg width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="timeline of all agents">${ticks.join('')}${body}</svg>`;
}

function niceStep(raw: number): number {
  const steps = [1000, 5000, 10_000, 30_000, 60_000, 120_000, 300_000, 600_000, 900_000, 1_800_000, 3_600_000, 7_200_000, 21_600_000, 43_200_000, 86_400_000];
  return steps.find((s) => s >= raw) ?? Math.ceil(raw / 86_400_000) * 86_400_000;
}

/** A horizontal bar chart, largest first. */
function barChart(items: readonly { label: string; value: number; title?: string }[], format: (n: number) => string, aria: string): string {
  const rows = [...items].sort((a, b) => b.value - a.value || a.label.localeCompare(b.label));
  if (!rows.length) return '<p class="muted">Nothing to chart.</p>';
  const max = Math.max(...rows.map((r) => r.value));
  const label = 230;
  const width = 1000;
  const plot = width - label - 90;
  const rowH = 18;
  const height = rows.length * rowH + 4;
  const body = rows
    .map((r, n) => {
      const y = n * rowH;
      const w = max > 0 ? (r.value / max) * plot : 0;
      const name = r.label.length > 36 ? `${r.label.slice(0, 35)}…` : r.label;
      return `<text x="0" y="${y + 13}"><title>${esc(r.title ?? r.label)}</title>${esc(name)}</text><rect class="b-cost" x="${label}" y="${y + 3}" width="${Math.max(w, r.value > 0 ? 0.5 : 0).toFixed(2)}" height="${rowH - 6}"><title>${esc(`${r.label}: ${format(r.value)}`)}</title></rect><text x="${(label + w + 6).toFixed(2)}" y="${y + 13}">${esc(format(r.value))}</text>`;
    })
    .join('');
  return `<svg width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${esc(aria)}">${body}</svg>`;
}

const table = (head: readonly string[], rows: readonly (readonly string[])[], numeric: readonly number[] = []): string =>
  rows.length
    ? `<table><thead><tr>${head.map((h, i) => `<th${numeric.includes(i) ? ' class="n"' : ''}>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows
        .map((r) => `<tr>${r.map((c, i) => `<td${numeric.includes(i) ? ' class="n"' : ''}>${c}</td>`).join('')}</tr>`)
        .join('')}</tbody></table>`
    : '<p class="muted">None.</p>';

function timeCells(t: TimeSplit, unknown: number): string[] {
  const note = unknown ? ` <span class="bad" title="attempts whose time is unknown">+${unknown} unknown</span>` : '';
  return [
    `${esc(formatDuration(t.wallMs))}${note}`,
    esc(formatDuration(t.modelMs)),
    esc(formatDuration(t.toolMs)),
    esc(formatDuration(t.toolchainMs)),
    esc(formatDuration(t.waitingMs)),
    splitBar(t),
  ];
}

const STATUS_CLASS: Readonly<Record<string, string>> = {
  verified: 'good',
  failed: 'bad',
  blocked: 'bad',
  'needs-review': 'warn',
  interrupted: 'warn',
  stopped: 'warn',
};

export function renderInsightsHtml(report: InsightsReport, opts: InsightsHtmlOptions = {}): string {
  const t = report.totals;
  const parts: string[] = [];
  parts.push(opts.refreshHref ? `<a class="refresh" href="${esc(opts.refreshHref)}">Refresh</a>` : '');
  parts.push('<h1>Integration Builder — Insights</h1>');
  parts.push(
    `<p class="sub">${esc(report.workRoot ?? '')}${report.workRoot ? ' · ' : ''}made ${esc(report.generatedAt)} from the run records and transcripts</p>`,
  );

  if (report.problems.length) {
    parts.push(
      `<section class="problems"><h2>Evidence that cannot be read (${report.problems.length})</h2><p>These are left out of the figures below, or counted only in part, as each line says. Nothing here is shown as zero or as "no runs".</p>${table(
        ['what', 'run', 'file', 'problem'],
        report.problems.map((p) => [
          esc(p.kind),
          esc(p.key ? `${p.key}${p.attempt ? ` #${p.attempt}` : ''}` : '—'),
          `<code>${esc(p.file)}</code>`,
          esc(p.message),
        ]),
      )}</section>`,
    );
  }

  parts.push(
    `<div class="cards">${[
      [formatInt(t.interactions), `interactions · ${t.apis} API${t.apis === 1 ? '' : 's'}`],
      [formatInt(t.attempts), 'attempts'],
      [formatUsd(t.costUsd), 'cost'],
      [formatInt(t.totalTokens), 'tokens'],
      [formatDuration(t.time.wallMs), `agent time${t.attemptsWithoutTime ? ` (+${t.attemptsWithoutTime} unknown)` : ''}`],
      [pct(t.time.modelMs, t.time.wallMs), 'model'],
      [pct(t.time.toolMs, t.time.wallMs), 'tools'],
      [pct(t.time.toolchainMs, t.time.wallMs), 'toolchain'],
      [pct(t.time.waitingMs, t.time.wallMs), 'waiting'],
    ]
      .map(([b, s]) => `<div class="card"><b>${esc(b)}</b><span>${esc(s)}</span></div>`)
      .join('')}</div>`,
  );
  if (report.notes.length) parts.push(`<ul class="notes">${report.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>`);

  parts.push('<h2>Timeline of all agents</h2>', timeline(report.interactions));

  parts.push('<h2>Cost</h2><h3>Per interaction</h3>');
  parts.push(
    barChart(
      report.interactions.map((i) => ({ label: i.key, value: i.costUsd })),
      formatUsd,
      'cost per interaction',
    ),
  );
  parts.push('<h3>Per API</h3>');
  parts.push(
    barChart(
      report.apis.map((a) => ({ label: a.integrationId, value: a.costUsd })),
      formatUsd,
      'cost per API',
    ),
  );

  parts.push('<h2>Time, cost and tokens per interaction</h2>');
  parts.push(
    table(
      ['interaction', 'status', 'attempts', 'cost', 'tokens', 'time', 'model', 'tools', 'toolchain', 'waiting', 'split', 'verification'],
      report.interactions.map((i) => [
        `<code>${esc(i.key)}</code>${i.demo ? ' <span class="muted">demo</span>' : ''}`,
        `<span class="${STATUS_CLASS[i.status] ?? ''}" title="${esc(i.detail ?? '')}">${esc(i.status)}</span>`,
        String(i.attempts.length),
        esc(formatUsd(i.costUsd)),
        esc(formatInt(i.totalTokens)),
        ...timeCells(i.time, i.attemptsWithoutTime),
        i.verification ? esc(`${formatDuration(i.verification.durationMs)} (#${i.verification.attempt})`) : '<span class="muted">—</span>',
      ]),
      [2, 3, 4, 5, 6, 7, 8, 9, 11],
    ),
  );
  parts.push(
    `<h3>Waiting, in parts</h3>${table(
      ['interaction', ...WAITING_BUCKETS.map((w) => BUCKET_LABEL[w])],
      report.interactions.map((i) => [`<code>${esc(i.key)}</code>`, ...WAITING_BUCKETS.map((w) => esc(formatDuration(i.time.waiting[w])))]),
      [1, 2, 3, 4, 5],
    )}`,
  );

  parts.push('<h2>Per API</h2>');
  parts.push(
    table(
      ['API', 'interactions', 'attempts', 'cost', 'tokens', 'time', 'model', 'tools', 'toolchain', 'waiting', 'split', 'statuses'],
      report.apis.map((a) => [
        `<code>${esc(a.integrationId)}</code>`,
        String(a.interactions),
        String(a.attempts),
        esc(formatUsd(a.costUsd)),
        esc(formatInt(a.totalTokens)),
        ...timeCells(a.time, a.attemptsWithoutTime),
        esc(
          Object.entries(a.statuses)
            .map(([s, n]) => `${s} ${n}`)
            .join(', '),
        ),
      ]),
      [1, 2, 3, 4, 5, 6, 7, 8],
    ),
  );

  const tx = report.taxonomy;
  parts.push('<h2>How runs failed</h2>');
  parts.push(
    `<p>Latest verifications: <span class="good">${tx.verdicts.verified} verified</span>, <span class="bad">${tx.verdicts.failed} failed</span>, <span class="warn">${tx.verdicts['needs-review']} need review</span>, ${tx.verdicts.unverified} not verified. Attempts by how they ended: ${esc(
      tx.outcomes.map((o) => `${o.status} ${o.attempts}`).join(', ') || 'none',
    )}; by what Verify said of each: ${esc(`${tx.attemptVerdicts.verified} verified, ${tx.attemptVerdicts.failed} failed, ${tx.attemptVerdicts['needs-review']} need review, ${tx.attemptVerdicts.unverified} not verified`)}.</p>`,
  );
  parts.push('<h3>Findings by rule</h3>');
  parts.push(
    table(
      ['rule', 'check', 'severity', 'interactions', 'findings', 'where'],
      tx.findings.map((f) => [
        `<code>${esc(f.rule)}</code>`,
        esc(f.check),
        `<span class="${f.severity === 'error' ? 'bad' : 'warn'}">${esc(f.severity)}</span>`,
        String(f.interactions),
        String(f.findings),
        esc(f.keys.join(', ')),
      ]),
      [3, 4],
    ),
  );
  parts.push('<h3>First bad steps</h3>');
  if (tx.firstBadByKind.length)
    parts.push(
      `<p>By kind of step: ${esc(tx.firstBadByKind.map((k) => `${k.kind} ${k.count}`).join(', '))}. By rule: ${esc(tx.firstBadByRule.map((r) => `${r.rule} ${r.count}`).join(', '))}.</p>`,
    );
  parts.push(
    table(
      ['interaction', 'attempt', 'step', 'kind', 'what', 'rules'],
      tx.firstBadSteps.map((s) => [
        `<code>${esc(s.key)}</code>`,
        `${s.attempt}${s.earlierAttempt ? ' <span class="muted">(earlier)</span>' : ''}`,
        esc(s.step !== undefined ? `${s.step} (line ${s.line + 1})` : `line ${s.line + 1}`),
        esc(s.kind),
        `<code>${esc(s.what)}</code>`,
        `<span class="${s.severity === 'error' ? 'bad' : 'warn'}">${esc(s.rules.join(', '))}</span>`,
      ]),
      [1],
    ),
  );
  parts.push('<h3>Attempts that ended blocked, stopped, interrupted or failed</h3>');
  parts.push(
    table(
      ['interaction', 'attempt', 'status', 'verification', 'why'],
      tx.endings.map((e) => [
        `<code>${esc(e.key)}</code>`,
        String(e.attempt),
        `<span class="${STATUS_CLASS[e.status] ?? ''}">${esc(e.status)}</span>`,
        e.verdict ? `<span class="${STATUS_CLASS[e.verdict] ?? ''}">${esc(e.verdict)}</span>` : '<span class="muted">—</span>',
        esc(e.detail),
      ]),
      [1],
    ),
  );

  parts.push('<h2>Slowest tool calls</h2>');
  parts.push(
    table(
      ['time', 'interaction', 'attempt', 'kind', 'call', 'result', 'started'],
      report.slowestToolCalls.map((c) => [
        esc(formatDuration(c.durationMs)),
        `<code>${esc(c.key)}</code>`,
        String(c.attempt),
        esc(c.bucket === 'toolchain' ? 'toolchain' : 'tool'),
        `<code>${esc(c.what)}</code>`,
        c.unfinished ? '<span class="warn">unfinished</span>' : c.ok ? '<span class="good">ok</span>' : '<span class="bad">failed</span>',
        esc(c.startedAt),
      ]),
      [0, 2],
    ),
  );

  parts.push(
    `<h2>How the figures are made</h2><dl>${Object.entries(report.definitions)
      .map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`)
      .join('')}</dl>`,
  );

  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${esc(insightsCsp())}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>Integration Builder — Insights</title>
<style>${STYLE}</style>
</head>
<body>
${parts.join('\n')}
</body>
</html>
`;
}
