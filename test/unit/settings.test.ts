// Every setting once (src/core/app/settings.ts): the editor's manifest says the same keys, types and
// defaults, and the CLI has a flag for each (or says why not) that its parser takes and its usage lists.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SETTINGS } from '../../src/core/app/settings';
import type { Setting } from '../../src/core/settings';
import { DEFAULT_WORK_ROOT } from '../../src/core/workspace/paths';
import { parseArgs, USAGE } from '../../src/cli/main';

const manifest = JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as {
  contributes: { configuration: { properties: Record<string, { type: string; default: unknown; minimum?: number }> } };
};
const properties = manifest.contributes.configuration.properties;
const settings: readonly Setting[] = Object.values(SETTINGS);

describe('settings, once', () => {
  it('the manifest has exactly these settings, with the same types, defaults and bounds', () => {
    expect(Object.keys(properties).sort()).toEqual(settings.map((s) => `integrationBuilder.${s.key}`).sort());
    for (const s of settings) {
      const p = properties[`integrationBuilder.${s.key}`]!;
      expect(p.type, s.key).toBe(s.type);
      expect(p.default, s.key).toEqual(s.default);
      if (s.type === 'integer' || s.type === 'number') expect(p.minimum, s.key).toBe(s.min);
    }
  });

  it('every setting has a CLI flag the parser takes and the usage lists, or says why the CLI has none', () => {
    const sample: Record<string, string> = { integer: '7', number: '2.5', string: 'x/y', array: 'http://127.0.0.1:4096' };
    for (const s of settings) {
      if (typeof s.flag === 'object') {
        expect(s.flag.none.length, s.key).toBeGreaterThan(20);
        continue;
      }
      expect(USAGE, s.key).toContain(s.flag);
      const argv = s.type === 'boolean' ? ['generate', '--all', s.flag] : ['generate', '--all', s.flag, sample[s.type]!];
      expect(() => parseArgs(argv), s.key).not.toThrow();
    }
  });

  it('the CLI takes its defaults from the settings and checks numbers as the settings bound them', () => {
    const o = parseArgs(['generate', '--all']);
    expect(o).toMatchObject({
      concurrency: SETTINGS.concurrency.default,
      maxProviderRetries: SETTINGS.maxProviderRetries.default,
      violationLimit: SETTINGS.violationLimit.default,
      autoRestartAttempts: SETTINGS.autoRestartAttempts.default,
      verifyConcurrency: SETTINGS.verifyConcurrency.default,
    });
    expect(o.budgetUsd).toBeUndefined();
    expect(DEFAULT_WORK_ROOT).toBe(SETTINGS.workRoot.default);
    expect(parseArgs(['generate', '--all', '--budget-usd', '12.5', '--violation-limit', '0'])).toMatchObject({ budgetUsd: 12.5, violationLimit: 0 });
    // Remote servers are not offered (the harness does not reach them): said plainly, not "unknown option".
    expect(() => parseArgs(['generate', '--all', '--server-url', 'http://a'])).toThrow(
      /--server-url is not supported: a remote opencode server gets none of the harness/,
    );
    expect(() => parseArgs(['generate', '--all', '--verify-concurrency', '0'])).toThrow('--verify-concurrency must be a whole number of at least 1 (got "0")');
    expect(() => parseArgs(['generate', '--all', '--budget-usd', '-1'])).toThrow('--budget-usd must be a number of at least 0');
    expect(() => parseArgs(['generate', '--all', '--max-provider-retries', '2.5'])).toThrow('--max-provider-retries must be a whole number of at least 0');
  });
});
