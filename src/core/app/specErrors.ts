// A spec's errors as the front ends print them: located (file:line:column), with the field's path.
import { formatDiagnostic } from '../spec/diagnostics';
import type { LoadedSpec } from '../spec/model';

/** `examples/a/interactions.json:12:7: error: integrations[0].id: …`, one line per error. */
export function specErrorLines(spec: Pick<LoadedSpec, 'diagnostics'>): string[] {
  return spec.diagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic);
}
