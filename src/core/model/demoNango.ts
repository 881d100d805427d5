// The demo's Nango: a loopback stand-in for the Nango API that answers the calls `nango dryrun --save`
// makes (connection, integration, environments, telemetry, proxy) with canned responses. A real Nango
// server (and a real API account) is not needed to try the product: Generate → Verify → Assemble then
// completes offline. Every proxied answer says it is a demo, so a fixture recorded through it can never
// pass for real API data. Tests use it too, with `refuse` to answer 403 as a missing scope would.
import * as http from 'node:http';
import { closeServer, listenLoopback } from '../util/httpServer';

export const DEMO_NANGO_SECRET = 'demo-stand-in-secret';
export const DEMO_NANGO_NOTE = 'Integration Builder demo: canned response from the loopback Nango stand-in, no real API was called';

/**
 * The Nango provider the stand-in reports for every integration: one Nango knows (its SDK refuses an
 * unknown one) with no pagination template, so scripts must say how they paginate.
 */
const DEMO_PROVIDER = 'unauthenticated';

export interface DemoNangoRequest {
  readonly method: string;
  readonly path: string;
  readonly body: string;
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', 'x-integration-builder-demo': 'true' });
  res.end(JSON.stringify(body));
}

/** A plausible answer for a proxied API call: lists for GETs of collections, the sent fields echoed for writes. */
export function cannedProxyResponse(method: string, apiPath: string, body: string): { status: number; body: unknown } {
  const segments = apiPath.split('/').filter(Boolean);
  const last = segments[segments.length - 1] ?? 'item';
  const now = new Date(Date.UTC(2026, 0, 1, 9, 0, 0)).toISOString();
  let sent: Record<string, unknown> = {};
  if (body) {
    try {
      const parsed: unknown = JSON.parse(body);
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) sent = parsed as Record<string, unknown>;
    } catch {
      // not JSON (a multipart upload): nothing to echo
    }
  }
  switch (method.toUpperCase()) {
    case 'GET': {
      // `/events/abc123` reads one; `/events` lists. An id-looking last segment reads one.
      if (segments.length > 1 && /\d|_/.test(last))
        return { status: 200, body: { id: last, name: `Demo ${segments[segments.length - 2]}`, updated: now, _demo: DEMO_NANGO_NOTE } };
      const items = [1, 2, 3].map((n) => ({ id: `demo_${last}_${n}`, name: `Demo ${last} ${n}`, updated: now }));
      return { status: 200, body: { items, _demo: DEMO_NANGO_NOTE } };
    }
    case 'DELETE':
      return { status: 200, body: { _demo: DEMO_NANGO_NOTE } };
    default:
      return { status: 200, body: { id: `demo_${last}_1`, ...sent, created: now, _demo: DEMO_NANGO_NOTE } };
  }
}

export type ProxyAnswer = (method: string, apiPath: string, body: string) => { status: number; body: unknown };

export class DemoNango {
  readonly requests: DemoNangoRequest[] = [];
  /** How proxied API calls are answered (default: `cannedProxyResponse`). */
  constructor(private readonly proxy: ProxyAnswer = cannedProxyResponse) {}

  /** Answer every proxied call with 403, as an API would for a missing scope. */
  refuse = false;
  private server: http.Server | undefined;
  private address: string | undefined;

  get url(): string {
    if (!this.address) throw new Error('the demo Nango stand-in is not started');
    return this.address;
  }

  async start(): Promise<string> {
    if (this.address) return this.address;
    this.server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => this.answer(req, res, body));
    });
    this.address = await listenLoopback(this.server);
    return this.address;
  }

  private answer(req: http.IncomingMessage, res: http.ServerResponse, body: string): void {
    const url = new URL(req.url ?? '/', 'http://stand-in');
    const method = req.method ?? 'GET';
    this.requests.push({ method, path: url.pathname, body });
    const now = new Date().toISOString();
    if (url.pathname.startsWith('/connection/') || url.pathname.startsWith('/connections/')) {
      const id = url.pathname.split('/')[2];
      const providerConfigKey = url.searchParams.get('provider_config_key') ?? 'demo';
      return send(res, 200, {
        id: 1,
        connection_id: id,
        provider_config_key: providerConfigKey,
        provider: DEMO_PROVIDER,
        connection_config: { connection_id: id, provider: DEMO_PROVIDER },
        metadata: {},
        credentials: { type: 'OAUTH2', access_token: 'demo-stand-in' },
        created_at: now,
        updated_at: now,
        errors: [],
        end_user: null,
      });
    }
    if (url.pathname.startsWith('/integrations/')) {
      return send(res, 200, { data: { unique_key: url.pathname.split('/')[2], provider: DEMO_PROVIDER, display_name: 'Demo stand-in' } });
    }
    if (url.pathname === '/cli/telemetry') return send(res, 200, {});
    if (url.pathname === '/api/v1/environments') return send(res, 200, { data: [{ name: 'dev' }, { name: 'prod' }] });
    if (url.pathname.startsWith('/proxy/')) {
      if (this.refuse) {
        return send(res, 403, { error: { code: 403, message: 'Request had insufficient authentication scopes.', status: 'PERMISSION_DENIED' } });
      }
      const canned = this.proxy(method, url.pathname.slice('/proxy'.length), body);
      return send(res, canned.status, canned.body);
    }
    return send(res, 404, { error: { code: 'not_found', message: `demo stand-in: ${url.pathname} is not implemented` } });
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    this.address = undefined;
    if (server) await closeServer(server);
  }
}
