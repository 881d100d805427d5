// Why an assembly is refused: the problems and the error that carries them. A leaf of its own, so that
// the refusal's presentation (refusal.ts) and the assembler (index.ts) both import it, not each other.
import type { ProjectProblemKind } from './project';
import type { UnitProblemKind } from './unit';

/** Why an assembly cannot go ahead; any one of them means nothing is written. */
export interface AssemblyProblem {
  readonly kind: ProjectProblemKind | UnitProblemKind | 'helper-conflict';
  readonly message: string;
  /** The interactions it concerns (none for the project's own problems). */
  readonly keys: readonly string[];
  /** The file it is about, relative to the interaction folder and the project. */
  readonly file?: string;
  readonly line?: number;
  /** helper-conflict: the two versions as a unified diff (a/: the first interaction's, b/: the other's). */
  readonly diff?: string;
}

/** Assembling was refused before anything was written; `problems` says why, each on its own. */
export class AssemblyRefused extends Error {
  constructor(
    readonly integrationId: string,
    readonly problems: readonly AssemblyProblem[],
  ) {
    super(
      [
        `assembling ${integrationId} was refused, nothing was written:`,
        ...problems.map((p) => `- ${p.keys.length ? `${p.keys.join(', ')}: ` : ''}${p.message}`),
        ...problems.filter((p) => p.diff).map((p) => p.diff as string),
      ].join('\n'),
    );
    this.name = 'AssemblyRefused';
  }
}
