// The extension's settings (`integrationBuilder.*`), read in one place. Keys, defaults and bounds are
// the settings table's (src/core/app/settings.ts), which the CLI's flags and the manifest share.
import * as vscode from 'vscode';
import { checkNumberSetting, SETTINGS, type SettingName } from '../core/app/settings';

export const CONFIG_SECTION = 'integrationBuilder';

type NumberSetting = Parameters<typeof checkNumberSetting>[0];

export class Config {
  private get section(): vscode.WorkspaceConfiguration {
    return vscode.workspace.getConfiguration(CONFIG_SECTION);
  }

  private string(name: SettingName & ('model' | 'workRoot' | 'opencodePath' | 'nangoHost' | 'nangoProject')): string {
    const s = SETTINGS[name];
    const v = this.section.get<string>(s.key, s.default);
    return typeof v === 'string' ? v.trim() : s.default;
  }

  private strings(name: 'demoCheaters'): string[] {
    const v = this.section.get<unknown>(SETTINGS[name].key, []);
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string' && !!x.trim()) : [];
  }

  private boolean(name: 'demoModel' | 'verifyAfterRun' | 'notifyAttention'): boolean {
    return this.section.get<boolean>(SETTINGS[name].key, SETTINGS[name].default) === true;
  }

  /** A number setting; a value out of its bounds falls back to the default (the manifest's bounds say the same). */
  private number(name: NumberSetting): number {
    const s = SETTINGS[name];
    const raw = this.section.get<number>(s.key, s.default);
    const n = s.type === 'integer' && Number.isFinite(raw) ? Math.floor(raw) : raw;
    return checkNumberSetting(name, n) ? s.default : n;
  }

  /** `provider/model`, e.g. `anthropic/claude-sonnet-4-5`; empty means "not chosen yet". */
  get model(): string {
    return this.string('model');
  }

  get concurrency(): number {
    return this.number('concurrency');
  }

  get workRoot(): string {
    return this.string('workRoot') || SETTINGS.workRoot.default;
  }

  /** Run agents against the built-in scripted demo model (offline, no key). */
  get demoModel(): boolean {
    return this.boolean('demoModel');
  }

  /** Demo only: interactions (keys) on which the demo model plays a dishonest agent. */
  get demoCheaters(): string[] {
    return this.strings('demoCheaters');
  }

  /** Stop starting new runs once this much (USD) is spent; undefined = no budget. */
  get budgetUsd(): number | undefined {
    const n = this.number('budgetUsd');
    return n > 0 ? n : undefined;
  }

  get opencodePath(): string | undefined {
    return this.string('opencodePath') || undefined;
  }

  get maxProviderRetries(): number {
    return this.number('maxProviderRetries');
  }

  /** Nango API host for recording. */
  get nangoHost(): string {
    return this.string('nangoHost') || SETTINGS.nangoHost.default;
  }

  /** Protected-file violations in one attempt before the agent is stopped as tampering (0: never). */
  get violationLimit(): number {
    return this.number('violationLimit');
  }

  /** Grouped notifications when runs need you or a batch has finished (src/shared/attention.ts). */
  get notifyAttention(): boolean {
    return this.boolean('notifyAttention');
  }

  /** Verify each run as soon as its agent finishes. */
  get verifyAfterRun(): boolean {
    return this.boolean('verifyAfterRun');
  }

  /** Restart from scratch when verification fails, up to this many attempts in all (0: never). */
  get autoRestartAttempts(): number {
    return this.number('autoRestartAttempts');
  }

  /** Interactions verified at once. */
  get verifyConcurrency(): number {
    return this.number('verifyConcurrency');
  }

  /** The Nango project Assemble writes into, relative to the workspace root. */
  get nangoProject(): string {
    return this.string('nangoProject') || SETTINGS.nangoProject.default;
  }

  /** The run policies the orchestrator takes, at start and whenever a setting changes. */
  get runPolicy(): {
    concurrency: number;
    budgetUsd: number | undefined;
    maxRetries: number;
    violationLimit: number;
    verifyAfterRun: boolean;
    autoRestartAttempts: number;
  } {
    return {
      concurrency: this.concurrency,
      budgetUsd: this.budgetUsd,
      maxRetries: this.maxProviderRetries,
      violationLimit: this.violationLimit,
      verifyAfterRun: this.verifyAfterRun,
      autoRestartAttempts: this.autoRestartAttempts,
    };
  }
}
