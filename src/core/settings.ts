// Every setting, once (a leaf: the orchestrator, the work root's paths and the front ends, through
// src/core/app/settings.ts, read it): its key in the editor's settings (package.json's contributes.configuration,
// checked against this table by test/unit/settings.test.ts), its CLI flag, its default and its bounds.
// The editor's Config, the CLI's parser and the orchestrator's defaults all read them from here.

interface SettingBase {
  /** The key under `integrationBuilder.` in the editor's settings. */
  readonly key: string;
  /** The CLI's flag, or why the CLI has none. */
  readonly flag: `--${string}` | { readonly none: string };
}

export type Setting =
  | (SettingBase & { readonly type: 'integer' | 'number'; readonly default: number; readonly min: number })
  | (SettingBase & { readonly type: 'string'; readonly default: string })
  | (SettingBase & { readonly type: 'boolean'; readonly default: boolean })
  | (SettingBase & { readonly type: 'array'; readonly default: readonly string[] });

export const SETTINGS = {
  model: { key: 'model', flag: '--model', type: 'string', default: '' },
  demoModel: { key: 'demoModel', flag: '--demo', type: 'boolean', default: false },
  concurrency: { key: 'concurrency', flag: '--concurrency', type: 'integer', default: 4, min: 1 },
  budgetUsd: { key: 'budgetUsd', flag: '--budget-usd', type: 'number', default: 0, min: 0 },
  maxProviderRetries: { key: 'maxProviderRetries', flag: '--max-provider-retries', type: 'integer', default: 5, min: 0 },
  demoCheaters: {
    key: 'demoCheaters',
    flag: { none: "a test switch of the demo model for the editor's end-to-end test; the CLI's tests script their agents instead" },
    type: 'array',
    default: [],
  },
  verifyAfterRun: { key: 'verify.afterRun', flag: { none: 'the CLI always verifies after generate (--no-verify skips it)' }, type: 'boolean', default: false },
  autoRestartAttempts: { key: 'verify.autoRestartAttempts', flag: '--auto-restart-attempts', type: 'integer', default: 0, min: 0 },
  verifyConcurrency: { key: 'verify.concurrency', flag: '--verify-concurrency', type: 'integer', default: 2, min: 1 },
  nangoProject: { key: 'nangoProject', flag: '--project', type: 'string', default: 'nango-integrations' },
  violationLimit: { key: 'violationLimit', flag: '--violation-limit', type: 'integer', default: 3, min: 0 },
  workRoot: { key: 'workRoot', flag: '--work-root', type: 'string', default: '.integration-builder/work' },
  opencodePath: { key: 'opencode.path', flag: '--opencode', type: 'string', default: '' },
  nangoHost: { key: 'nango.host', flag: '--nango-host', type: 'string', default: 'https://api.nango.dev' },
  notifyAttention: {
    key: 'notifications.attention',
    flag: { none: 'the editor only: the CLI prints every run as it ends and a summary when all have ended' },
    type: 'boolean',
    default: true,
  },
} as const satisfies Record<string, Setting>;

export type SettingName = keyof typeof SETTINGS;

/**
 * A number setting's value as given, or why it is refused: a whole number where one is needed, within
 * its bound. The editor falls back to the default on a refusal; the CLI stops with the message (exit 2).
 */
export function checkNumberSetting(
  name: 'concurrency' | 'budgetUsd' | 'maxProviderRetries' | 'autoRestartAttempts' | 'verifyConcurrency' | 'violationLimit',
  value: number,
): string | undefined {
  const s = SETTINGS[name];
  const whole = s.type === 'integer';
  if (!Number.isFinite(value) || (whole && !Number.isInteger(value)) || value < s.min)
    return `${name} must be a ${whole ? 'whole number' : 'number'} of at least ${s.min}`;
  return undefined;
}
