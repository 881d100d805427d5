// The loopback Nango stand-in for tests: the demo's (src/core/model/demoNango.ts), answering every
// proxied call as Google Calendar's events.insert would. `refuse` makes it answer 403, as a missing
// scope would.
import { DemoNango } from '../../src/core/model/demoNango';

export type FakeNango = DemoNango;

export async function startFakeNango(): Promise<FakeNango> {
  const nango = new DemoNango((_method, _path, body) => {
    const input = body ? (JSON.parse(body) as Record<string, unknown>) : {};
    return { status: 200, body: { id: 'evt_stand_in_1', status: 'confirmed', htmlLink: 'https://calendar.example.test/e/evt_stand_in_1', ...input } };
  });
  await nango.start();
  return nango;
}
