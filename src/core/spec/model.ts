// The loaded spec as the rest of the product sees it: every integration and interaction with its
// effective settings (overrides applied), where it sits in the file, and the problems that concern it.
import type { SpecDiagnostic, TextRange } from './diagnostics';
import type { InteractionKind, Toolchain } from './schema';

export interface InteractionModel {
  /** Absolute path of the spec file that defines it. */
  readonly file: string;
  readonly integrationId: string;
  readonly id: string;
  /** `<integrationId>/<id>`: unique across a workspace, and the interaction folder's relative path. */
  readonly key: string;
  readonly displayName: string;
  readonly description: string;
  readonly prompt: string;
  readonly comments: string;
  readonly kind: InteractionKind;
  readonly kindInferred: boolean;
  readonly kindReason: string;
  /** Effective values: the interaction's override, else the integration's. */
  readonly connectionId: string;
  readonly environment: string;
  readonly docs: readonly string[];
  readonly context: string;
  readonly toolchain: Toolchain;
  readonly model: string | undefined;
  /** The whole `{ … }` entry, and its `id` value (for CodeLens and reveal). */
  readonly range: TextRange;
  readonly idRange: TextRange;
  /** Problems located inside this entry (errors make it unusable until fixed). */
  readonly problems: readonly SpecDiagnostic[];
}

export interface IntegrationModel {
  readonly file: string;
  readonly id: string;
  readonly displayName: string;
  readonly connectionId: string;
  readonly environment: string;
  readonly docs: readonly string[];
  readonly context: string;
  readonly toolchain: Toolchain;
  readonly range: TextRange;
  readonly idRange: TextRange;
  /** Problems in the integration's own fields (not in its interactions). */
  readonly problems: readonly SpecDiagnostic[];
  readonly interactions: readonly InteractionModel[];
}

export interface LoadedSpec {
  readonly file: string;
  /** False when the text is not well-formed JSON(C); the model then holds what could be recovered. */
  readonly syntaxOk: boolean;
  readonly integrations: readonly IntegrationModel[];
  readonly diagnostics: readonly SpecDiagnostic[];
}

export function hasErrors(problems: readonly SpecDiagnostic[]): boolean {
  return problems.some((p) => p.severity === 'error');
}

/** An interaction can be generated only when neither it nor its integration has an error. */
export function isRunnable(integration: IntegrationModel, interaction: InteractionModel): boolean {
  return !hasErrors(integration.problems) && !hasErrors(interaction.problems);
}

/** Title-cases an id when no display name is given: "google-calendar" → "Google Calendar", "compliance_master" → "Compliance Master". */
export function titleFromId(id: string): string {
  return id
    .split(/[-_]/)
    .filter(Boolean)
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join(' ');
}
