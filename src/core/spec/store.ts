// Every spec file of a workspace, loaded, with change notifications. Front ends feed it text
// (the editor's unsaved buffer or the file on disk) and read one merged view of the workspace.
import { Emitter } from '../util/emitter';
import type { SpecDiagnostic } from './diagnostics';
import type { IntegrationModel, InteractionModel, LoadedSpec } from './model';

/** Spec files are `interactions.json` or `<anything>.interactions.json`. */
export function isSpecFileName(name: string): boolean {
  const base = name.split(/[\\/]/).pop() ?? name;
  return base === 'interactions.json' || base.endsWith('.interactions.json');
}

export const SPEC_FILE_GLOB = '**/{interactions.json,*.interactions.json}';

export class SpecStore {
  private readonly specs = new Map<string, LoadedSpec>();
  private readonly changed = new Emitter<void>();
  readonly onDidChange = this.changed.event;

  /**
   * Stores a loaded spec (from `loadSpec` / `loadSpecFile`). The store does not parse by itself, so
   * holding it costs nothing: the editor loads the parser (zod) only once there is a file to read.
   */
  put(spec: LoadedSpec): void {
    this.specs.set(spec.file, spec);
    this.changed.fire();
  }

  delete(file: string): boolean {
    const had = this.specs.delete(file);
    if (had) this.changed.fire();
    return had;
  }

  clear(): void {
    this.specs.clear();
    this.changed.fire();
  }

  files(): string[] {
    return [...this.specs.keys()].sort();
  }

  get(file: string): LoadedSpec | undefined {
    return this.specs.get(file);
  }

  /** All specs, sorted by file path so the order is stable. */
  all(): LoadedSpec[] {
    return this.files().map((f) => this.specs.get(f) as LoadedSpec);
  }

  integrations(): IntegrationModel[] {
    return this.all().flatMap((s) => s.integrations);
  }

  interactions(): InteractionModel[] {
    return this.integrations().flatMap((i) => i.interactions);
  }

  /** Finds an interaction by `<integration>/<interaction>` key (the first file wins on a clash). */
  find(key: string): { integration: IntegrationModel; interaction: InteractionModel } | undefined {
    for (const integration of this.integrations()) {
      for (const interaction of integration.interactions) {
        if (interaction.key === key) return { integration, interaction };
      }
    }
    return undefined;
  }

  /** The interaction whose `{ … }` entry contains the offset, in the given file. */
  interactionAt(file: string, offset: number): InteractionModel | undefined {
    const spec = this.specs.get(file);
    if (!spec) return undefined;
    for (const integ of spec.integrations) {
      for (const it of integ.interactions) {
        if (offset >= it.range.start.offset && offset <= it.range.end.offset) return it;
      }
    }
    return undefined;
  }

  /**
   * Diagnostics per file, including clashes across files: two files defining the same
   * `<integration>/<interaction>` would share one work folder, so the later file gets an error.
   */
  diagnostics(): Map<string, SpecDiagnostic[]> {
    const out = new Map<string, SpecDiagnostic[]>();
    const owner = new Map<string, string>();
    for (const spec of this.all()) {
      const list = [...spec.diagnostics];
      for (const integ of spec.integrations) {
        for (const it of integ.interactions) {
          const first = owner.get(it.key);
          if (first === undefined) {
            owner.set(it.key, spec.file);
          } else if (first !== spec.file) {
            list.push({
              file: spec.file,
              severity: 'error',
              code: 'duplicate-id',
              message: `interaction "${it.key}" is also defined in ${first}; each interaction needs its own work folder`,
              path: [],
              range: it.idRange,
            });
          }
        }
      }
      out.set(spec.file, list);
    }
    return out;
  }
}

/**
 * `spec` with an error on every interaction that one of `others` defines too (the same
 * `<integration>/<interaction>`), located at its id and naming both files: two files sharing a work
 * root would share that interaction's folder and run record, and one file's verdict would be read as
 * the other's. Such an interaction is no longer runnable.
 */
export function withCrossFileClashes(spec: LoadedSpec, others: readonly LoadedSpec[]): LoadedSpec {
  const added: SpecDiagnostic[] = [];
  const integrations = spec.integrations.map((integration) => ({
    ...integration,
    interactions: integration.interactions.map((it) => {
      const clash = others
        .filter((o) => o.file !== spec.file)
        .flatMap((o) => o.integrations.flatMap((i) => i.interactions))
        .find((other) => other.key === it.key);
      if (!clash) return it;
      const d: SpecDiagnostic = {
        file: spec.file,
        severity: 'error',
        code: 'duplicate-id',
        message: `interaction "${it.key}" is defined both in ${spec.file} (line ${it.idRange.start.line + 1}) and in ${clash.file} (line ${clash.idRange.start.line + 1}); each interaction needs its own work folder and run record: remove or rename one`,
        path: [],
        range: it.idRange,
      };
      added.push(d);
      return { ...it, problems: [...it.problems, d] };
    }),
  }));
  if (!added.length) return spec;
  return { ...spec, integrations, diagnostics: [...spec.diagnostics, ...added].sort((a, b) => a.range.start.offset - b.range.start.offset) };
}
