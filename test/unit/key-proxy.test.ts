// The recorder's key proxy (src/core/toolchain/keyProxy.ts) with a real loopback upstream: the
// recording's own requests reach Nango with the real key on them; the token the recorder holds is
// worth nothing elsewhere; another connection, another integration, or anything a recording does not
// need is refused and named, and the key is never seen by the caller.
import * as http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refusalOf, startKeyProxy, type KeyProxy } from '../../src/core/toolchain/keyProxy';
import { closeServer, listenLoopback } from '../../src/core/util/httpServer';

const KEY = 'sk-real-environment-key';
const scope = { connectionId: 'conn-1', integrationId: 'google-calendar' };
const seen: { method: string; url: string; auth: string | undefined; body: string }[] = [];
let upstream: http.Server;
let upstreamUrl: string;
let proxy: KeyProxy;

beforeAll(async () => {
  upstream = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', auth: req.headers.authorization, body });
      res.writeHead(200, { 'content-type': 'application/json', 'x-upstream': 'yes' });
      res.end(JSON.stringify({ ok: true, echo: body }));
    });
  });
  upstreamUrl = await listenLoopback(upstream);
  proxy = await startKeyProxy({ upstream: upstreamUrl, secretKey: KEY, ...scope });
});
afterAll(async () => {
  await proxy?.close();
  await closeServer(upstream);
});

async function call(path: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}) {
  const r = await fetch(`${proxy.url}${path}`, {
    method: init.method ?? 'GET',
    headers: { authorization: `Bearer ${proxy.token}`, ...init.headers },
    body: init.body,
  });
  return { status: r.status, text: await r.text(), upstream: r.headers.get('x-upstream') };
}

describe("the recorder's key proxy", () => {
  it('puts the real key on the recording’s own requests, bodies and queries intact', async () => {
    const before = seen.length;
    const conn = await call('/connection/conn-1?provider_config_key=google-calendar');
    expect(conn).toMatchObject({ status: 200, upstream: 'yes' });
    const post = await call('/proxy/calendar/v3/calendars/primary/events?sendUpdates=none', {
      method: 'POST',
      headers: { 'connection-id': 'conn-1', 'provider-config-key': 'google-calendar', 'content-type': 'application/json' },
      body: '{"summary":"x"}',
    });
    expect(post).toMatchObject({ status: 200, upstream: 'yes' });
    expect(JSON.parse(post.text).echo).toBe('{"summary":"x"}');
    const got = seen.slice(before);
    expect(got.map((s) => [s.method, s.url, s.auth])).toEqual([
      ['GET', '/connection/conn-1?provider_config_key=google-calendar', `Bearer ${KEY}`],
      ['POST', '/proxy/calendar/v3/calendars/primary/events?sendUpdates=none', `Bearer ${KEY}`],
    ]);
    // the caller never sees the key
    expect(conn.text + post.text).not.toContain(KEY);
  });

  it('refuses, and names, what a recording of this interaction does not need', async () => {
    const before = seen.length;
    const cases: [string, Parameters<typeof call>[1], RegExp][] = [
      ['/connection/someone-else', {}, /connection "someone-else" is not this interaction's/],
      ['/connection/conn-1?provider_config_key=hubspot', {}, /integration "hubspot" is not this interaction's/],
      ['/connections', {}, /not a request a recording needs/],
      ['/proxy/anything', { headers: { 'connection-id': 'conn-2', 'provider-config-key': 'google-calendar' } }, /through connection "conn-2"/],
      ['/proxy/anything', { headers: { 'connection-id': 'conn-1', 'provider-config-key': 'slack' } }, /for integration "slack"/],
      ['/connection/conn-1', { method: 'DELETE' }, /only provider calls and its own connection’s metadata may change anything/],
      ['/integrations/hubspot', {}, /integration "hubspot" is not this interaction's/],
    ];
    for (const [p, init, why] of cases) {
      const r = await call(p, init);
      expect(r.status, p).toBe(403);
      expect((JSON.parse(r.text) as { error: { message: string } }).error.message, p).toMatch(why);
    }
    expect(seen.length, 'nothing refused reached Nango').toBe(before);
    expect(proxy.refused.length).toBeGreaterThanOrEqual(cases.length);
  });

  it('is worth nothing without its token (a guessed or the real key alike)', async () => {
    const before = seen.length;
    for (const auth of ['', 'Bearer wrong', `Bearer ${KEY}`, `Bearer ${proxy.token}x`]) {
      const r = await fetch(`${proxy.url}/connection/conn-1`, { headers: auth ? { authorization: auth } : {} });
      expect(r.status, auth).toBe(401);
    }
    expect(seen.length).toBe(before);
  });

  it("lets the script update its own connection's metadata, and no other's (judged by the body)", async () => {
    const before = seen.length;
    const own = JSON.stringify({ metadata: { cursor: 'x' }, connection_id: 'conn-1', provider_config_key: 'google-calendar' });
    expect(await call('/connections/metadata', { method: 'POST', headers: { 'content-type': 'application/json' }, body: own })).toMatchObject({ status: 200 });
    expect(seen.slice(before).map((s) => [s.method, s.url, s.auth, s.body])).toEqual([['POST', '/connections/metadata', `Bearer ${KEY}`, own]]);
    for (const body of [
      JSON.stringify({ metadata: {}, connection_id: 'conn-2', provider_config_key: 'google-calendar' }),
      JSON.stringify({ metadata: {}, connection_id: ['conn-1', 'conn-2'], provider_config_key: 'google-calendar' }),
      JSON.stringify({ metadata: {}, connection_id: 'conn-1', provider_config_key: 'hubspot' }),
      'not json',
    ]) {
      const r = await call('/connections/metadata', { method: 'PATCH', body });
      expect(r.status, body).toBe(403);
    }
    expect(seen.length).toBe(before + 1);
  });

  it('lets the script trigger an action on its own connection only', async () => {
    const mine = await call('/action/trigger', {
      method: 'POST',
      headers: { 'connection-id': 'conn-1', 'provider-config-key': 'google-calendar' },
      body: '{}',
    });
    expect(mine.status).toBe(200);
    const other = await call('/action/trigger', {
      method: 'POST',
      headers: { 'connection-id': 'conn-9', 'provider-config-key': 'google-calendar' },
      body: '{}',
    });
    expect(other.status).toBe(403);
  });

  it('judges paths as decoded segments (no way round by encoding)', () => {
    expect(refusalOf('GET', '/connection/%E0%A4%A', {}, scope)).toBe('not a URL');
    expect(refusalOf('GET', '/connection/%63onn-1', {}, scope)).toBeUndefined();
    expect(refusalOf('GET', '/connection/conn-1%2F..%2Fother', {}, scope)).toMatch(/is not this interaction's/);
    expect(refusalOf('GET', '/connection/conn-1/../other', {}, scope)).toMatch(/is not this interaction's|not a request/);
  });
});
