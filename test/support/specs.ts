// Small specs for tests, loaded through the real loader.
import { loadSpec } from '../../src/core/spec/loader';
import type { RunTarget } from '../../src/core/orchestrator';

export function targetsFor(integration: string, ids: string[], extra: Record<string, unknown> = {}): RunTarget[] {
  const text = JSON.stringify({
    integrations: [
      {
        id: integration,
        connectionId: 'test-connection',
        environment: 'dev',
        docs: 'https://developers.google.com/calendar/api/v3/reference',
        context: 'This integration uses the Google Calendar REST API v3.',
        interactions: ids.map((id) => ({
          id,
          displayName: id,
          description: `Do ${id}`,
          prompt: 'As a pre-requisite create a calendar first',
          comments: '',
          ...extra,
        })),
      },
    ],
  });
  const spec = loadSpec('/virtual/interactions.json', text);
  if (spec.diagnostics.length) throw new Error(JSON.stringify(spec.diagnostics));
  const integ = spec.integrations[0]!;
  return integ.interactions.map((interaction) => ({ integration: integ, interaction }));
}
