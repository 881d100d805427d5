// The latest run summary of every interaction, keyed by `<integration>/<interaction>`.
// Front ends read it; the orchestrator (a later stage) writes it.
import { Emitter } from '../util/emitter';
import type { RunSummary } from './status';

export interface RunStatusSource {
  get(key: string): RunSummary | undefined;
  readonly onDidChange: (listener: (keys: readonly string[]) => void) => { dispose(): void };
}

export class RunBoard implements RunStatusSource {
  private readonly runs = new Map<string, RunSummary>();
  private readonly changed = new Emitter<readonly string[]>();
  readonly onDidChange = this.changed.event;

  get(key: string): RunSummary | undefined {
    return this.runs.get(key);
  }

  set(key: string, summary: RunSummary): void {
    this.runs.set(key, summary);
    this.changed.fire([key]);
  }

  delete(key: string): void {
    if (this.runs.delete(key)) this.changed.fire([key]);
  }
}
