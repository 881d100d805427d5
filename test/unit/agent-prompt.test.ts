import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildPrompt, SKILL_NAMES } from '../../src/core/agent/prompt';
import { loadSpec } from '../../src/core/spec/loader';
import type { InteractionModel } from '../../src/core/spec/model';

const FOLDER = path.join('/work', 'ws', '.integration-builder', 'work', 'google-calendar', 'create-event');

interface Entry {
  id: string;
  displayName?: string;
  description?: string;
  prompt?: string;
  comments?: string;
  kind?: 'action' | 'sync';
  connectionId?: string;
  environment?: string;
  docs?: string | string[];
  context?: string;
}

/** Loads a one-integration spec through the real loader and returns its interactions. */
function load(entries: Entry[], integration: Record<string, unknown> = {}): InteractionModel[] {
  const text = JSON.stringify(
    {
      integrations: [
        {
          id: 'google-calendar',
          connectionId: 'test-conn',
          environment: 'dev',
          docs: ['https://developers.google.com/calendar/api/v3/reference', 'https://developers.google.com/calendar/api/guides/overview'],
          context: 'This integration uses the Google Calendar REST API v3.',
          ...integration,
          interactions: entries.map((e) => ({ displayName: 'X', description: '', prompt: '', comments: '', ...e })),
        },
      ],
    },
    null,
    2,
  );
  const spec = loadSpec('/work/ws/interactions.json', text);
  expect(spec.diagnostics).toEqual([]);
  return [...spec.integrations[0]!.interactions];
}

function one(entry: Entry, integration: Record<string, unknown> = {}): InteractionModel {
  return load([entry], integration)[0]!;
}

const FULL: Entry = {
  id: 'create-event',
  displayName: 'Create Event',
  description: 'Create a calendar event',
  prompt: 'As a pre-requisite create a calendar first',
  comments: 'Ask Jane about recurring events',
  kind: 'action',
};

/** The body of a `## title` section, or undefined when the section is absent. */
function sectionOf(prompt: string, title: string): string | undefined {
  const lines = prompt.split('\n');
  const start = lines.indexOf(`## ${title}`);
  if (start < 0) return undefined;
  const body: string[] = [];
  for (const line of lines.slice(start + 1)) {
    if (line.startsWith('## ')) break;
    body.push(line);
  }
  return body.join('\n').trim();
}

const headings = (prompt: string) => prompt.split('\n').filter((l) => l.startsWith('#'));

describe('buildPrompt', () => {
  it('is deterministic: the same input gives the same prompt, also from a second load of the same spec', () => {
    const a = buildPrompt({ interaction: one(FULL), folder: FOLDER });
    const b = buildPrompt({ interaction: one(FULL), folder: FOLDER });
    expect(a).toBe(b);
    expect(buildPrompt({ interaction: one(FULL), folder: FOLDER })).toBe(a);
  });

  it('has a title naming the kind, the interaction and the integration', () => {
    const p = buildPrompt({ interaction: one(FULL), folder: FOLDER });
    expect(p.split('\n')[0]).toBe('# Build the action "create-event" for the google-calendar integration');
  });

  it('includes everything the spec says about the interaction', () => {
    const it0 = one(FULL);
    const p = buildPrompt({ interaction: it0, folder: FOLDER });
    expect(sectionOf(p, 'Task')).toBe(
      ['Interaction: Create Event (google-calendar/create-event)', 'Kind: action', 'Description: Create a calendar event'].join('\n'),
    );
    expect(sectionOf(p, 'Instructions from the spec')).toBe('As a pre-requisite create a calendar first');
    expect(sectionOf(p, 'Comments from the spec')).toBe('Ask Jane about recurring events');
    expect(sectionOf(p, 'About the API')).toBe('This integration uses the Google Calendar REST API v3.');
    expect(sectionOf(p, 'API documentation')).toBe(
      ['- https://developers.google.com/calendar/api/v3/reference', '- https://developers.google.com/calendar/api/guides/overview'].join('\n'),
    );
    expect(sectionOf(p, 'Test account')).toBe(['Connection id: test-conn', 'Environment: dev'].join('\n'));
    for (const d of it0.docs) expect(p).toContain(d);
  });

  it('says where to work: the folder, the action script and the fixtures folder', () => {
    const p = buildPrompt({ interaction: one(FULL), folder: FOLDER });
    const where = sectionOf(p, 'Where you work')!;
    expect(where).toContain(`Your folder is ${FOLDER}.`);
    expect(where).toContain('Write the implementation in google-calendar/actions/create-event.ts');
    expect(where).toContain('google-calendar/tests/');
    expect(where).toContain('index.ts, package.json and tsconfig.json');
  });

  it('names the sync script under syncs/', () => {
    const p = buildPrompt({ interaction: one({ ...FULL, id: 'sync-events', kind: 'sync', description: 'Sync all events' }), folder: FOLDER });
    expect(p.split('\n')[0]).toBe('# Build the sync "sync-events" for the google-calendar integration');
    expect(p).toContain('Write the implementation in google-calendar/syncs/sync-events.ts');
    expect(p).not.toContain('/actions/');
    expect(sectionOf(p, 'Task')).toContain('Kind: sync\n');
  });

  it('gives the inferred reason with an inferred kind, and no reason with an explicit one', () => {
    const inferred = one({ ...FULL, id: 'sync-events', kind: undefined, description: 'Fetch events' });
    expect(inferred.kindInferred).toBe(true);
    const p = buildPrompt({ interaction: inferred, folder: FOLDER });
    expect(sectionOf(p, 'Task')).toContain(`Kind: sync (${inferred.kindReason})`);
    expect(inferred.kindReason).toContain('"sync"');
    expect(p).toContain('google-calendar/syncs/sync-events.ts');

    const action = one({ ...FULL, kind: undefined });
    expect(action.kindInferred).toBe(true);
    expect(sectionOf(buildPrompt({ interaction: action, folder: FOLDER }), 'Task')).toContain(`Kind: action (${action.kindReason})`);

    const explicit = one(FULL);
    expect(explicit.kindInferred).toBe(false);
    const q = buildPrompt({ interaction: explicit, folder: FOLDER });
    expect(q).toContain('Kind: action\n');
    expect(q).not.toContain(explicit.kindReason);
  });

  it('names the default skills, or the ones given', () => {
    const it0 = one(FULL);
    const p = buildPrompt({ interaction: it0, folder: FOLDER });
    expect(p).toContain(`Read the skills before you start: ${SKILL_NAMES.join(', ')}.`);
    for (const s of SKILL_NAMES) expect(p).toContain(s);
    const q = buildPrompt({ interaction: it0, folder: FOLDER, skills: ['alpha-skill', 'beta-skill'] });
    expect(q).toContain('Read the skills before you start: alpha-skill, beta-skill.');
    expect(q).not.toContain('api-research');
  });

  it('applies the interaction overrides of connection, environment, docs and context', () => {
    const it0 = one({
      ...FULL,
      connectionId: 'override-conn',
      environment: 'prod',
      docs: 'https://example.com/override-docs',
      context: 'Use the v4 endpoints.',
    });
    const p = buildPrompt({ interaction: it0, folder: FOLDER });
    expect(sectionOf(p, 'Test account')).toBe('Connection id: override-conn\nEnvironment: prod');
    expect(sectionOf(p, 'API documentation')).toBe('- https://example.com/override-docs');
    expect(p).not.toContain('https://developers.google.com/calendar/api/v3/reference');
    expect(sectionOf(p, 'About the API')).toBe('This integration uses the Google Calendar REST API v3.\n\nUse the v4 endpoints.');
  });

  it('omits the sections whose content is empty or blank', () => {
    const it0 = one({ ...FULL, prompt: '', comments: '   \n\t ' }, { context: '' });
    const p = buildPrompt({ interaction: it0, folder: FOLDER });
    expect(headings(p)).toEqual([
      '# Build the action "create-event" for the google-calendar integration',
      '## Task',
      '## API documentation',
      '## Test account',
      '## Where you work',
      '## Rules',
    ]);
    expect(p).not.toContain('Instructions from the spec');
    expect(p).not.toContain('Comments from the spec');
    expect(p).not.toContain('About the API');
  });

  it('has every section, in order, when all content is given', () => {
    expect(headings(buildPrompt({ interaction: one(FULL), folder: FOLDER }))).toEqual([
      '# Build the action "create-event" for the google-calendar integration',
      '## Task',
      '## Instructions from the spec',
      '## Comments from the spec',
      '## About the API',
      '## API documentation',
      '## Test account',
      '## Where you work',
      '## Rules',
    ]);
  });

  it('says "(none given)" for an empty description', () => {
    const p = buildPrompt({ interaction: one({ ...FULL, description: '' }), folder: FOLDER });
    expect(sectionOf(p, 'Task')).toContain('Description: (none given)');
  });

  it('trims the content of sections but keeps multi-line text intact', () => {
    const p = buildPrompt({ interaction: one({ ...FULL, prompt: '\n  Step one.\nStep two.  \n\n' }), folder: FOLDER });
    expect(sectionOf(p, 'Instructions from the spec')).toBe('Step one.\nStep two.');
  });

  it('differs between two interactions of one spec only where they differ', () => {
    const [a, b] = load([FULL, { ...FULL, id: 'delete-event', displayName: 'Delete Event', description: 'Delete a calendar event' }]);
    const pa = buildPrompt({ interaction: a!, folder: FOLDER });
    const pb = buildPrompt({ interaction: b!, folder: path.join(path.dirname(FOLDER), 'delete-event') });
    expect(pa).not.toBe(pb);
    expect(pb).toContain('google-calendar/actions/delete-event.ts');
    expect(pb).toContain('Interaction: Delete Event (google-calendar/delete-event)');
    expect(pb).not.toContain('create-event');
  });

  it('contains no timestamps or random parts (same output across time)', async () => {
    const it0 = one(FULL);
    const a = buildPrompt({ interaction: it0, folder: FOLDER });
    await new Promise((r) => setTimeout(r, 5));
    expect(buildPrompt({ interaction: it0, folder: FOLDER })).toBe(a);
  });
});
