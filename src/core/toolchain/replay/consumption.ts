// Did the script make the recorded calls? The replayed test passing proves only that the script's
// result looks like the recorded one; the harness's mock (harnessCode.ts) also records which recorded
// request answered each call. Here that record is compared with the fixture: every recorded request must
// have been asked for by some test, none asked for that the fixture lacks, and a script that asks for
// nothing at all is a finding of its own.
//
// Only unified fixtures (`<integration>/tests/<name>.test.json`, what `nango dryrun --save` writes and
// the harness's recorder keeps) are compared. A legacy fixture (`<integration>/mocks/…`, read by
// nango's LegacyFixtureProvider) is not: the tests still run and must pass, but which recorded files were
// consumed is not checked (the report's detail says so).
import type { Finding } from '../../runs/report';

/** What one test file's replay did (written by the harness's setup into each test's meta). */
export interface ReplayRecord {
  /** The fixture each mock loaded (absolute path as the test saw it; null when none was found). */
  readonly loads: readonly { readonly fixture: string | null; readonly unified: boolean }[];
  /** Recorded entries that answered a request: `api[method][endpoint]`, the index in its list (0 for a single entry). */
  readonly consumed: readonly { readonly fixture: string | null; readonly method: string; readonly endpoint: string; readonly index: number }[];
  /** Requests the fixture does not hold (the mock threw). */
  readonly unrecorded: readonly {
    readonly fixture: string | null;
    readonly method: string;
    readonly endpoint: string;
    readonly params: readonly (readonly [string, string])[];
    readonly body: boolean;
  }[];
}

export interface RecordedRequest {
  readonly method: string;
  /** The key under `api[method]`, as recorded (`/calendar/v3/…`). */
  readonly endpoint: string;
  readonly index: number;
  /** Entries that are the same request (same hash or same request): any one of them answers it. */
  readonly group: string;
  readonly description: string;
}

const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

function stable(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stable).join(',')}]`;
  if (isObject(v))
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stable(v[k])}`)
      .join(',')}}`;
  return JSON.stringify(v) ?? 'undefined';
}

const clipValue = (v: string) => (v.length > 40 ? `${v.slice(0, 12)}…` : v);

/** `GET /calendar/v3/calendars/primary/events?maxResults=2&pageToken=CigK…` (long values shortened). */
export function describeRequest(method: string, endpoint: string, params: readonly (readonly [string, unknown])[] = [], body = false): string {
  const ep = endpoint.startsWith('/') || /^https?:/.test(endpoint) ? endpoint : `/${endpoint}`;
  const query = params.map(([k, v]) => `${k}=${clipValue(String(v))}`).join('&');
  return `${method.toUpperCase()} ${ep}${query ? `?${query}` : ''}${body ? ' (with a body)' : ''}`;
}

/** The API requests a unified fixture records, in order. */
export function recordedRequests(fixture: unknown): RecordedRequest[] {
  const out: RecordedRequest[] = [];
  const api = isObject(fixture) ? fixture['api'] : undefined;
  if (!isObject(api)) return out;
  for (const method of Object.keys(api)) {
    const byEndpoint = api[method];
    if (!isObject(byEndpoint)) continue;
    for (const endpoint of Object.keys(byEndpoint)) {
      const value = byEndpoint[endpoint];
      const list = Array.isArray(value) ? value : [value];
      list.forEach((entry, index) => {
        if (!isObject(entry)) return;
        const request = isObject(entry['request']) ? entry['request'] : {};
        const params = isObject(request['params']) ? Object.entries(request['params']) : [];
        const identity = typeof entry['hash'] === 'string' && entry['hash'] ? `hash:${entry['hash']}` : `request:${stable(request)}`;
        out.push({
          method,
          endpoint,
          index,
          group: `${method} ${endpoint} ${identity}`,
          description: describeRequest(method, endpoint, params, request['data'] !== undefined),
        });
      });
    }
  }
  return out;
}

/**
 * Whether a script's source calls a provider method of the SDK (`nango.get/post/put/patch/delete/proxy/
 * paginate`). Comments are left out; any such call counts (this only tells a script with no call at all).
 */
export function callsProviderApi(source: string): boolean {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:])\/\/.*$/gm, '$1');
  return (
    /\.\s*(get|post|put|patch|delete|proxy|paginate)\s*(<[^>()]*>)?\s*\(/.test(code) ||
    /\[\s*['"`](get|post|put|patch|delete|proxy|paginate)['"`]\s*\]\s*\(/.test(code)
  );
}

export interface ReplayComparisonInput {
  /** `<integration>/tests`, relative and posix. */
  readonly testsRel: string;
  /** The fixture files of the tests folder, by name, parsed (as the harness reads them, not as the test did). */
  readonly fixtures: ReadonlyMap<string, unknown>;
  /** Every test's record (a file's records are cumulative: they are merged). */
  readonly records: readonly ReplayRecord[];
  /** Maps a fixture path as the test saw it to its name in the tests folder (undefined: elsewhere). */
  readonly nameOf: (fixture: string) => string | undefined;
  /** Whether the script's code calls a provider method (for a fixture that records no request). */
  readonly scriptCallsApi?: boolean;
  /** Some test ran and passed (a passing replay that used no harness mock is a finding). */
  readonly testsPassed: boolean;
}

export interface ReplayComparison {
  readonly findings: Finding[];
  /** What was not compared (legacy fixtures), for the check's detail. */
  readonly notes: string[];
}

export function compareReplay(input: ReplayComparisonInput): ReplayComparison {
  const findings: Finding[] = [];
  const notes: string[] = [];
  const loaded = new Map<string, boolean>();
  const consumed = new Map<string, Set<string>>();
  const unrecorded = new Map<string, { description: string; file: string | undefined }>();
  // method and endpoint of the refused requests, per fixture: the recorded request they were meant to be is named by them
  const refused = new Set<string>();
  const endpointKey = (name: string | undefined, method: string, endpoint: string) => `${name ?? ''}\0${method.toLowerCase()}\0${endpoint.replace(/^\/+/, '')}`;
  let loads = 0;
  const attempts = new Map<string, number>();
  for (const r of input.records) {
    for (const l of r.loads ?? []) {
      loads++;
      const name = l.fixture ? input.nameOf(l.fixture) : undefined;
      if (!name) continue;
      loaded.set(name, (loaded.get(name) ?? false) || l.unified);
    }
    for (const c of r.consumed ?? []) {
      const name = c.fixture ? input.nameOf(c.fixture) : undefined;
      if (!name) continue;
      const set = consumed.get(name) ?? new Set<string>();
      set.add(`${c.method}\0${c.endpoint}\0${c.index}`);
      consumed.set(name, set);
      attempts.set(name, (attempts.get(name) ?? 0) + 1);
    }
    for (const u of r.unrecorded ?? []) {
      const name = u.fixture ? input.nameOf(u.fixture) : undefined;
      const description = describeRequest(u.method, u.endpoint, u.params ?? [], u.body);
      unrecorded.set(`${name ?? ''}\0${description}`, { description, file: name });
      refused.add(endpointKey(name, u.method, u.endpoint));
      if (name) attempts.set(name, (attempts.get(name) ?? 0) + 1);
    }
  }
  for (const { description, file } of unrecorded.values()) {
    findings.push({
      check: 'tests',
      rule: 'tests.unrecorded-request',
      severity: 'error',
      message: `${description} was requested by the script but the fixture does not hold it (the replay refused it)`,
      ...(file ? { location: { file: `${input.testsRel}/${file}` } } : {}),
    });
  }
  for (const [name, unified] of loaded) {
    const file = `${input.testsRel}/${name}`;
    if (!unified) {
      notes.push(`${file} is a legacy fixture: which of its recorded requests the script made was not checked`);
      continue;
    }
    const requests = recordedRequests(input.fixtures.get(name));
    if (!requests.length) {
      if (input.scriptCallsApi === false) {
        findings.push({
          check: 'tests',
          rule: 'tests.no-provider-call',
          severity: 'error',
          message: `${name} records no API request and the script calls no provider method: nothing it returns comes from the API`,
          location: { file },
        });
      } else {
        findings.push({
          check: 'tests',
          rule: 'tests.no-provider-call',
          severity: 'warning',
          message: `${name} records no API request: the replay does not exercise any call of the script to the API (record it with an input that reaches the API)`,
          location: { file },
        });
      }
      continue;
    }
    if (!attempts.get(name)) {
      const list = requests
        .slice(0, 3)
        .map((r) => r.description)
        .join(', ');
      findings.push({
        check: 'tests',
        rule: 'tests.no-provider-call',
        severity: 'error',
        message: `the script made no request to the provider: ${name} records ${requests.length} (${list}${requests.length > 3 ? ', …' : ''}) and the replayed script asked for none — its result does not come from the API`,
        location: { file },
      });
      continue;
    }
    // Nango's migration from its legacy mock format (`_migrated: true`) writes every mock the legacy folder
    // held for an endpoint, pages of older versions of the script included, not the requests of one run:
    // "recorded but never requested" means nothing there. The harness's own recordings (nango dryrun
    // --save) are never migrated, and the fixtures check holds them to the recorder's baseline.
    if (isObject(input.fixtures.get(name)) && (input.fixtures.get(name) as Record<string, unknown>)['_migrated'] === true) {
      notes.push(
        `${file} was migrated from Nango's legacy mock format, which keeps every mock of an endpoint: that each of its requests was made was not checked (that the script made requests was)`,
      );
      continue;
    }
    const used = consumed.get(name) ?? new Set<string>();
    const groupsUsed = new Set(requests.filter((r) => used.has(`${r.method}\0${r.endpoint}\0${r.index}`)).map((r) => r.group));
    const reported = new Set<string>();
    for (const r of requests) {
      if (groupsUsed.has(r.group) || reported.has(r.group) || refused.has(endpointKey(name, r.method, r.endpoint))) continue;
      reported.add(r.group);
      findings.push({
        check: 'tests',
        rule: 'tests.replay-unconsumed',
        severity: 'error',
        message: `${r.description} was recorded but never requested by the script`,
        location: { file },
      });
    }
  }
  if (!loads && input.testsPassed) {
    findings.push({
      check: 'tests',
      rule: 'tests.replay-missing',
      severity: 'error',
      message: "the tests passed without replaying the fixture through the harness's mock (no test loaded a fixture)",
    });
  }
  return { findings, notes };
}
