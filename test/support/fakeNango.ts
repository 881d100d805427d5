// A loopback stand-in for the Nango API, answering the calls `nango dryrun --save` makes
// (connection, integration, proxy, telemetry). A real Nango server does not run on these machines;
// this is for tests only. `refuse` makes every proxied API call answer 403, as a missing scope would.
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeNango {
  readonly url: string;
  readonly requests: { method: string; path: string; body: string }[];
  refuse: boolean;
  close(): Promise<void>;
}

export async function startFakeNango(): Promise<FakeNango> {
  const requests: FakeNango['requests'] = [];
  const state = { refuse: false };
  const send = (res: http.ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://stand-in');
      requests.push({ method: req.method ?? 'GET', path: url.pathname, body });
      const now = new Date().toISOString();
      if (url.pathname.startsWith('/connection/') || url.pathname.startsWith('/connections/')) {
        const id = url.pathname.split('/')[2];
        const provider = url.searchParams.get('provider_config_key') ?? 'google-calendar';
        return send(res, 200, {
          id: 1, connection_id: id, provider_config_key: provider, provider,
          connection_config: { connection_id: id, provider }, metadata: {}, credentials: { type: 'OAUTH2', access_token: 'stand-in' },
          created_at: now, updated_at: now, errors: [], end_user: null,
        });
      }
      if (url.pathname.startsWith('/integrations/')) return send(res, 200, { data: { unique_key: url.pathname.split('/')[2], provider: 'stand-in', display_name: 'Stand-in' } });
      if (url.pathname === '/cli/telemetry') return send(res, 200, {});
      if (url.pathname === '/api/v1/environments') return send(res, 200, { data: [{ name: 'dev' }, { name: 'prod' }] });
      if (url.pathname.startsWith('/proxy/')) {
        if (state.refuse) {
          return send(res, 403, { error: { code: 403, message: 'Request had insufficient authentication scopes.', status: 'PERMISSION_DENIED' } });
        }
        const input = body ? (JSON.parse(body) as Record<string, unknown>) : {};
        return send(res, 200, { id: 'evt_stand_in_1', status: 'confirmed', htmlLink: 'https://calendar.example.test/e/evt_stand_in_1', ...input });
      }
      return send(res, 404, { error: { code: 'not_found', message: `stand-in: ${url.pathname} is not implemented` } });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    requests,
    get refuse() {
      return state.refuse;
    },
    set refuse(v: boolean) {
      state.refuse = v;
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
