import { afterEach, describe, expect, it } from 'vitest';
import { cannedProxyResponse, DEMO_NANGO_NOTE, DemoNango } from '../../src/core/model/demoNango';

describe('cannedProxyResponse', () => {
  it('lists for a collection GET, one record for an id, echoes writes — each labelled as a demo', () => {
    const list = cannedProxyResponse('GET', '/calendar/v3/calendars/primary/events', '').body as { items: { id: string }[]; _demo: string };
    expect(list.items.map((i) => i.id)).toEqual(['demo_events_1', 'demo_events_2', 'demo_events_3']);
    expect(list._demo).toBe(DEMO_NANGO_NOTE);
    expect(cannedProxyResponse('GET', '/files/abc_123', '').body).toMatchObject({ id: 'abc_123', _demo: DEMO_NANGO_NOTE });
    expect(cannedProxyResponse('POST', '/events', JSON.stringify({ summary: 'Standup' })).body).toMatchObject({
      id: 'demo_events_1',
      summary: 'Standup',
      _demo: DEMO_NANGO_NOTE,
    });
    expect(cannedProxyResponse('POST', '/upload', 'not json').body).toMatchObject({ id: 'demo_upload_1' });
    expect(cannedProxyResponse('DELETE', '/events/e_1', '').body).toEqual({ _demo: DEMO_NANGO_NOTE });
  });
});

describe('DemoNango', () => {
  let nango: DemoNango | undefined;
  afterEach(async () => nango?.close());

  it('answers on loopback, records requests, and refuses with 403 when asked to', async () => {
    nango = new DemoNango();
    const url = await nango.start();
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const conn = await (await fetch(`${url}/connection/test-google-calendar?provider_config_key=google-calendar`)).json();
    expect(conn).toMatchObject({ connection_id: 'test-google-calendar', provider_config_key: 'google-calendar', provider: 'unauthenticated' });
    const ok = await fetch(`${url}/proxy/events`, { method: 'POST', body: '{"summary":"x"}' });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('x-integration-builder-demo')).toBe('true');
    nango.refuse = true;
    expect((await fetch(`${url}/proxy/events`)).status).toBe(403);
    expect((await fetch(`${url}/nope`)).status).toBe(404);
    expect(nango.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /connection/test-google-calendar',
      'POST /proxy/events',
      'GET /proxy/events',
      'GET /nope',
    ]);
  });
});
