// What the interaction's recorded fixture says about paging: the real API's answers, as `nango dryrun
// --save` recorded them next to the script (`<integration>/tests/<script>.test.json`, Nango's unified
// mock format: `api.<method>.<endpoint>` → one recorded exchange or a list of them).
// An API that pages says so in its answers even on the last page: a cursor or next-page field (set or
// null), a has-more flag, paging metadata (`paging`, `pageInfo`, `response_metadata`), totals, or a
// `Link` / next-cursor header. Answers that show none of it — a bare list, an object of items with no
// paging field — are evidence the endpoint returns the whole list in one response.
// The limit, said plainly: an API that pages only on request and shows no sign of it in a one-page
// answer (a bare array without a Link header) reads as "returns everything". The rule asks for
// evidence either way; without a readable fixture nothing is concluded.
import * as path from 'node:path';
import type { ReadInteractionFile } from './modules';

export type RecordedPaging =
  /** No readable recording of API answers: nothing is concluded. */
  | { readonly kind: 'unknown' }
  /** Every recorded answer of these reads shows no sign of paging. */
  | { readonly kind: 'whole'; readonly endpoints: readonly string[] }
  /** A recorded answer shows that the API pages. */
  | { readonly kind: 'pages'; readonly endpoint: string; readonly signal: string };

/** Field names that only an API that pages puts in its answers (matched case-insensitively, `_` and `-` ignored). */
const PAGING_FIELD = new Set(
  [
    'next',
    'nextpage',
    'nextpagetoken',
    'nextpageurl',
    'nextpagelink',
    'nextcursor',
    'nextlink',
    'nextoffset',
    'nexturl',
    'nexttoken',
    'cursor',
    'cursors',
    'endcursor',
    'startcursor',
    'hasmore',
    'hasnext',
    'hasnextpage',
    'haspreviouspage',
    'islast',
    'islastpage',
    'continuation',
    'continuationtoken',
    '@odata.nextlink',
    'odata.nextlink',
    'offset',
    'pagetoken',
    'page',
    'pagenumber',
    'pagecount',
    'pagesize',
    'perpage',
    'totalpages',
    'totalcount',
    'totalresults',
    'totalitems',
    'totalsize',
    'total',
    'paging',
    'pagination',
    'pageinfo',
    'responsemetadata',
    'nextsynctoken',
    'syncToken',
    'scrollid',
    'bookmark',
    'after',
    'more',
    'moreresults',
    'limit',
  ].map((k) => k.toLowerCase()),
);
/** Objects a paging field hides in (`meta.pagination`, `data.search.pageInfo`, `links.next`). */
const PAGING_HOLDER = /^(meta|metadata|links|_links|paging|pagination|pageinfo|responsemetadata|data|result|results|response|search|nodes|edges|collection)$/;
const PAGING_HEADER = /^(link|x-next-(page|cursor|token)|x-(total|total-count|total-pages|page|per-page|pagination|continuation)|next-page|cursor)$/i;

const norm = (k: string) => k.toLowerCase().replace(/[_-]/g, '');

/** A paging field in a recorded answer body, looked for in the answer and the objects that usually hold one. */
function bodySignal(body: unknown, depth = 0): string | undefined {
  if (depth > 4 || body === null || typeof body !== 'object') return undefined;
  if (Array.isArray(body)) return undefined;
  for (const [k, v] of Object.entries(body as Record<string, unknown>)) {
    if (PAGING_FIELD.has(norm(k))) return k;
    if (PAGING_HOLDER.test(norm(k))) {
      const inner = bodySignal(v, depth + 1);
      if (inner) return `${k}.${inner}`;
    }
  }
  return undefined;
}

function headerSignal(headers: unknown): string | undefined {
  if (!headers || typeof headers !== 'object') return undefined;
  for (const [k, v] of Object.entries(headers as Record<string, unknown>)) {
    if (!PAGING_HEADER.test(k)) continue;
    if (k.toLowerCase() === 'link' && !/rel="?(next|last|prev)/i.test(String(v))) continue;
    return `header ${k}`;
  }
  return undefined;
}

/** The recorded fixture of a script: `<integration>/<syncs|actions>/<name>.ts` → `<integration>/tests/<name>.test.json`. */
export function fixtureOf(scriptFile: string): string {
  const dir = path.posix.dirname(path.posix.dirname(scriptFile));
  return path.posix.join(dir, 'tests', `${path.posix.basename(scriptFile).replace(/\.(ts|mts)$/, '')}.test.json`);
}

/** What the recorded answers of the interaction's API calls say about paging. */
export function recordedPaging(readFile: ReadInteractionFile, scriptFile: string): RecordedPaging {
  const text = readFile(fixtureOf(scriptFile));
  if (text === undefined) return { kind: 'unknown' };
  let fixture: unknown;
  try {
    fixture = JSON.parse(text);
  } catch {
    return { kind: 'unknown' };
  }
  const api = (fixture as { api?: unknown })?.api;
  if (!api || typeof api !== 'object') return { kind: 'unknown' };
  const endpoints: string[] = [];
  for (const [method, byEndpoint] of Object.entries(api as Record<string, unknown>)) {
    if (!byEndpoint || typeof byEndpoint !== 'object') continue;
    for (const [endpoint, recorded] of Object.entries(byEndpoint as Record<string, unknown>)) {
      const name = `${method.toUpperCase()} ${endpoint}`;
      for (const r of Array.isArray(recorded) ? recorded : [recorded]) {
        if (!r || typeof r !== 'object') continue;
        const x = r as { response?: unknown; headers?: unknown; request?: { params?: unknown } };
        const params =
          x.request?.params && typeof x.request.params === 'object'
            ? Object.keys(x.request.params as object).find((k) => PAGING_FIELD.has(norm(k)))
            : undefined;
        const signal = bodySignal(x.response) ?? headerSignal(x.headers) ?? (params ? `request parameter ${params}` : undefined);
        if (signal) return { kind: 'pages', endpoint: name, signal };
      }
      endpoints.push(name);
    }
  }
  return endpoints.length ? { kind: 'whole', endpoints } : { kind: 'unknown' };
}
