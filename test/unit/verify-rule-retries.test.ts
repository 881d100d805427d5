// sdk.retries-skipped on the syntax tree: the proxy config is followed through variables, spreads,
// shorthand, later assignments, helpers and parameters; a config that sets `retries` anywhere along
// that chain is fine, one that does not (or cannot be followed) is a finding at the call. The SDK object
// is recognised by its role, whatever the agent names it.
import * as ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { codeRules } from '../../src/core/verify/rules';

const FILE = 'google-calendar/actions/create-event.ts';

function retries(body: string, { preamble = '', sdk = 'nango' }: { preamble?: string; sdk?: string } = {}) {
  const source = `import { createAction } from 'nango';
import type { NangoAction, ProxyConfiguration } from 'nango';
import * as z from 'zod';
${preamble}
export default createAction({
    description: 'Create an event in a calendar',
    input: z.object({ calendarId: z.string(), summary: z.string() }),
    output: z.object({ id: z.string() }),
    exec: async (${sdk}, input) => {
${body}
        return { id: 'x' };
    }
});
`;
  return codeRules({ ts, file: FILE, source, kind: 'action', readFile: () => undefined })
    .filter((f) => f.rule === 'sdk.retries-skipped')
    .map((f) => f.line);
}

describe('sdk.retries-skipped: configs that do set retries', () => {
  it.each([
    ['an object literal', `        await nango.post({ endpoint: '/calendars/x/events', data: input, retries: 3 });`],
    [
      'a variable',
      `        const config: ProxyConfiguration = { endpoint: '/calendars/x/events', data: input, retries: 3 };\n        await nango.post(config);`,
    ],
    [
      'a spread of a base that sets it',
      `        const base = { retries: 10, headers: { 'X-Goog-Api-Client': 'nango' } };\n        await nango.post({ ...base, endpoint: '/calendars/x/events', data: input });`,
    ],
    [
      'a spread chain through two variables',
      `        const common = { retries: 10 };\n        const base = { ...common, baseUrlOverride: 'https://www.googleapis.com' };\n        const config = { ...base, endpoint: '/events' };\n        await nango.get(config);`,
    ],
    ['shorthand', `        const retries = 5;\n        await nango.get({ endpoint: '/calendars/x', retries });`],
    [
      'set on the variable later',
      `        const config: ProxyConfiguration = { endpoint: '/calendars/x' };\n        config.retries = 3;\n        await nango.get(config);`,
    ],
    [
      'a ternary where both sides set it',
      `        const config = input.summary ? { endpoint: '/a', retries: 3 } : { endpoint: '/b', retries: 5 };\n        await nango.get(config);`,
    ],
    ['Object.assign', `        const config = Object.assign({}, { endpoint: '/a' }, { retries: 3 });\n        await nango.get(config);`],
    ['a helper of the file that builds it', `        await nango.post(buildConfig(input.calendarId));`],
    ['a helper that takes the config as a parameter, called with retries', `        await send(nango, { endpoint: '/calendars/x/events', retries: 3 });`],
    ['an SDK object named otherwise', `        await sdk.post({ endpoint: '/calendars/x/events', retries: 3 });`],
  ])('%s', (_name, body) => {
    const helpers: Record<string, string> = {
      buildConfig: `function buildConfig(id: string): ProxyConfiguration {\n    return { endpoint: \`/calendars/\${id}/events\`, retries: 10 };\n}\n`,
      send: `async function send(n: NangoAction, config: ProxyConfiguration) {\n    return n.post(config);\n}\n`,
    };
    const preamble = Object.entries(helpers)
      .filter(([name]) => body.includes(`${name}(`))
      .map(([, code]) => code)
      .join('');
    expect(retries(body, { preamble, sdk: body.includes('sdk.') ? 'sdk' : 'nango' })).toEqual([]);
  });

  it('a comment saying why (or Nango’s own lint directive for it) is enough', () => {
    expect(
      retries(
        `        // No retries: creating an event is not idempotent, a retry would create it twice.\n        await nango.post({ endpoint: '/calendars/x/events', data: input });`,
      ),
    ).toEqual([]);
    expect(
      retries(
        `        // eslint-disable-next-line @nangohq/custom-integrations-linting/proxy-call-retries\n        await nango.post({ endpoint: '/calendars/x/events', data: input });`,
      ),
    ).toEqual([]);
  });
});

describe('sdk.retries-skipped: configs that do not', () => {
  const CALL = 10; // the body's first line

  it('no retries in the literal, at the call', () => {
    expect(retries(`        await nango.post({ endpoint: '/calendars/x/events', data: input });`)).toEqual([CALL]);
  });

  it('no config at all', () => {
    expect(retries(`        await nango.get();`)).toEqual([CALL]);
  });

  it('a spread of a base that does not set it', () => {
    expect(
      retries(`        const base = { headers: { Accept: 'application/json' } };\n        await nango.post({ ...base, endpoint: '/calendars/x/events' });`),
    ).toEqual([CALL + 1]);
  });

  it('a variable reassigned to a config without retries', () => {
    expect(
      retries(
        `        let config: ProxyConfiguration = { endpoint: '/a', retries: 3 };\n        if (input.summary) config = { endpoint: '/b' };\n        await nango.get(config);`,
      ),
    ).toEqual([CALL + 2]);
  });

  it('a ternary where one side lacks it', () => {
    expect(retries(`        await nango.get(input.summary ? { endpoint: '/a', retries: 3 } : { endpoint: '/b' });`)).toEqual([CALL]);
  });

  it('a config from elsewhere that cannot be followed is not taken on trust', () => {
    // (the import is one more line above the call)
    expect(retries(`        await nango.get(makeConfig());`, { preamble: `import { makeConfig } from './shared.js';\n` })).toEqual([CALL + 1]);
  });

  it('a helper with a config parameter that nobody here calls gives nothing to check: a finding at its call', () => {
    expect(
      retries(`        void 0;`, { preamble: `async function send(n: NangoAction, config: ProxyConfiguration) {\n    return n.post(config);\n}\n` }),
    ).toEqual([5]);
  });

  it('the SDK is recognised by its role, whatever its name, and through helpers', () => {
    expect(retries(`        await client.post({ endpoint: '/calendars/x/events', data: input });`, { sdk: 'client' })).toEqual([CALL]);
    const preamble = `async function create(api: NangoAction, summary: string) {
    return api.post({ endpoint: '/calendars/x/events', data: { summary } });
}
async function createUntyped(api, summary: string) {
    return api.post({ endpoint: '/calendars/x/events', data: { summary } });
}
`;
    // the helpers' calls (lines 5 and 8 of the file), once as a typed parameter, once by the value handed to it
    expect(retries(`        await create(nango, input.summary);\n        await createUntyped(nango, input.summary);`, { preamble })).toEqual([5, 8]);
  });

  it('a local object named nango that is not the SDK is not a provider call', () => {
    const preamble = `const nango = { get: (x: { endpoint: string }) => x };\n`;
    expect(retries(`        void nango;`, { preamble, sdk: 'sdk' }).length).toBe(0);
    expect(retries(`        nango.get({ endpoint: '/x' });`, { preamble, sdk: 'sdk' })).toEqual([]);
  });
});
