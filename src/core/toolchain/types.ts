// What the harness needs from a toolchain (Nango first): record fixtures and run the tests of one
// interaction folder. Beside it in this module, what Verify, Assemble and the harness all run: the
// project's own tools (tools.ts), its compile (compile.ts), the TypeScript it is read with
// (typescript.ts) and the replay of the generated tests (replay/). Lint belongs to verification.
import type { InteractionModel } from '../spec/model';

export interface RecordRequest {
  readonly folder: string;
  readonly interaction: InteractionModel;
  /** The action input as JSON text (`{}` for a sync). */
  readonly input?: string;
  readonly signal?: AbortSignal;
}

export type RecordOutcome =
  | { readonly kind: 'recorded'; readonly output: string; readonly files: readonly string[] }
  /** The API refused (401, 403, missing scope) or cannot be reached: the session must end, not guess. */
  | { readonly kind: 'blocked'; readonly reason: string; readonly output: string }
  | { readonly kind: 'failed'; readonly output: string };

export interface TestOutcome {
  readonly ok: boolean;
  readonly output: string;
}

export interface Toolchain {
  readonly name: string;
  record(req: RecordRequest): Promise<RecordOutcome>;
  runTests(req: { readonly folder: string; readonly interaction: InteractionModel; readonly signal?: AbortSignal }): Promise<TestOutcome>;
}

/** How a child process ended: its exit code (null when it could not start or was killed), its output. */
export interface ProcessResult {
  readonly code: number | null;
  readonly output: string;
  readonly timedOut: boolean;
}
