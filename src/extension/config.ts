// The extension's settings (`integrationBuilder.*`), read in one place.
import * as vscode from 'vscode';
import { DEFAULT_WORK_ROOT } from '../core/workspace/paths';

export const CONFIG_SECTION = 'integrationBuilder';

export class Config {
  private get section(): vscode.WorkspaceConfiguration {
    return vscode.workspace.getConfiguration(CONFIG_SECTION);
  }

  /** `provider/model`, e.g. `anthropic/claude-sonnet-4-5`; empty means "not chosen yet". */
  get model(): string {
    return this.section.get<string>('model', '').trim();
  }

  get concurrency(): number {
    const n = this.section.get<number>('concurrency', 4);
    return Number.isFinite(n) && n >= 1 ? Math.floor(n) : 4;
  }

  get workRoot(): string {
    return this.section.get<string>('workRoot', DEFAULT_WORK_ROOT);
  }

  get serverUrls(): string[] {
    return this.section.get<string[]>('opencode.serverUrls', []).filter((u) => typeof u === 'string' && u.trim());
  }

  /** Run agents against the built-in scripted demo model (offline, no key). */
  get demoModel(): boolean {
    return this.section.get<boolean>('demoModel', false);
  }

  /** Demo only: interactions (keys) on which the demo model plays a dishonest agent. */
  get demoCheaters(): string[] {
    return this.section.get<string[]>('demoCheaters', []).filter((k) => typeof k === 'string');
  }

  /** Stop starting new runs once this much (USD) is spent; undefined = no budget. */
  get budgetUsd(): number | undefined {
    const n = this.section.get<number>('budgetUsd', 0);
    return Number.isFinite(n) && n > 0 ? n : undefined;
  }

  get opencodePath(): string | undefined {
    return this.section.get<string>('opencode.path', '').trim() || undefined;
  }

  get maxProviderRetries(): number {
    const n = this.section.get<number>('maxProviderRetries', 5);
    return Number.isFinite(n) && n >= 0 ? Math.floor(n) : 5;
  }

  /** Nango API host for recording. */
  get nangoHost(): string {
    return this.section.get<string>('nango.host', 'https://api.nango.dev').trim() || 'https://api.nango.dev';
  }

  /** Protected-file violations in one attempt before the agent is stopped as tampering (0: never). */
  get violationLimit(): number {
    const n = this.section.get<number>('violationLimit', 3);
    return Number.isFinite(n) && n >= 0 ? Math.floor(n) : 3;
  }

  /** Verify each run as soon as its agent finishes. */
  get verifyAfterRun(): boolean {
    return this.section.get<boolean>('verify.afterRun', false);
  }

  /** Restart from scratch when verification fails, up to this many attempts in all (0: never). */
  get autoRestartAttempts(): number {
    const n = this.section.get<number>('verify.autoRestartAttempts', 0);
    return Number.isFinite(n) && n >= 0 ? Math.floor(n) : 0;
  }

  /** Interactions verified at once. */
  get verifyConcurrency(): number {
    const n = this.section.get<number>('verify.concurrency', 2);
    return Number.isFinite(n) && n >= 1 ? Math.floor(n) : 2;
  }

  /** The Nango project Assemble writes into, relative to the workspace root. */
  get nangoProject(): string {
    return this.section.get<string>('nangoProject', 'nango-integrations').trim() || 'nango-integrations';
  }

  /** The run policies the orchestrator takes, at start and whenever a setting changes. */
  get runPolicy(): { concurrency: number; budgetUsd: number | undefined; maxRetries: number; violationLimit: number; verifyAfterRun: boolean; autoRestartAttempts: number } {
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
