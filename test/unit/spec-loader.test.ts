import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatDiagnostic, type SpecDiagnostic } from '../../src/core/spec/diagnostics';
import { loadSpec, loadSpecFile } from '../../src/core/spec/loader';
import { titleFromId } from '../../src/core/spec/model';

const EXAMPLE = path.resolve(__dirname, '../../examples/product-integrations/interactions.json');

/** 1-based "line:column" of a diagnostic, as the Problems panel shows it. */
const at = (d: SpecDiagnostic) => `${d.range.start.line + 1}:${d.range.start.column + 1}`;
const only = (file: string, text: string) => {
  const spec = loadSpec(file, text);
  return { spec, d: spec.diagnostics };
};

const SEED = `{ "id": "create-event", "displayName": "Create Event", "description": "Create a calendar event",
  "prompt": "As a pre-requisite create a calendar first", "comments": "" }`;

function specWith(interactions: string, integrationExtra = ''): string {
  return [
    '{',
    '  "integrations": [',
    '    {',
    '      "id": "google-calendar",',
    '      "connectionId": "test-conn",',
    '      "environment": "dev",',
    '      "docs": ["https://developers.google.com/calendar/api/v3/reference"],',
    `      "context": "This integration uses the Google Calendar REST API v3.",${integrationExtra}`,
    `      "interactions": [${interactions}]`,
    '    }',
    '  ]',
    '}',
  ].join('\n');
}

describe('spec loader: valid input', () => {
  it('loads the example workspace with no problem at all', async () => {
    const spec = await loadSpecFile(EXAMPLE);
    expect(spec.diagnostics.map(formatDiagnostic)).toEqual([]);
    expect(spec.syntaxOk).toBe(true);
    expect(spec.integrations.map((i) => i.id)).toEqual(['google-calendar', 'google-drive', 'google-sheets', 'hubspot', 'slack']);
    for (const integ of spec.integrations) expect(integ.interactions.length).toBeGreaterThanOrEqual(3);
  });

  it('loads the seed entry unchanged as an interaction', () => {
    const { spec, d } = only('seed.json', specWith(SEED));
    expect(d).toEqual([]);
    const it0 = spec.integrations[0]!.interactions[0]!;
    expect(it0).toMatchObject({
      id: 'create-event',
      key: 'google-calendar/create-event',
      displayName: 'Create Event',
      description: 'Create a calendar event',
      prompt: 'As a pre-requisite create a calendar first',
      comments: '',
      kind: 'action',
      kindInferred: true,
      connectionId: 'test-conn',
      environment: 'dev',
      docs: ['https://developers.google.com/calendar/api/v3/reference'],
      context: 'This integration uses the Google Calendar REST API v3.',
      toolchain: 'nango',
      problems: [],
    });
    expect(it0.range.start.line).toBe(8); // 0-based: the line of "interactions"
    expect(it0.idRange.start).toMatchObject({ line: 8, column: 31 });
  });

  it('accepts comments, trailing commas, a BOM and CRLF line ends', () => {
    const text = '\ufeff// spec\r\n' + specWith(SEED + ',').replace(/\n/g, '\r\n');
    const { d } = only('x.json', text);
    expect(d).toEqual([]);
  });

  it('applies per-interaction overrides', () => {
    const { spec, d } = only(
      'o.json',
      specWith(`{ "id": "list-calendars", "displayName": "L", "description": "", "prompt": "", "comments": "",
        "connectionId": "other", "environment": "prod", "docs": "https://example.com/doc", "context": "More.", "model": "anthropic/x", "kind": "sync" }`),
    );
    expect(d).toEqual([]);
    expect(spec.integrations[0]!.interactions[0]).toMatchObject({
      connectionId: 'other',
      environment: 'prod',
      docs: ['https://example.com/doc'],
      context: 'This integration uses the Google Calendar REST API v3.\n\nMore.',
      model: 'anthropic/x',
      kind: 'sync',
      kindInferred: false,
    });
  });
});

describe('spec loader: kind inference says so', () => {
  const kindOf = (id: string, description: string) => {
    const { spec } = only('k.json', specWith(`{ "id": "${id}", "displayName": "X", "description": "${description}", "prompt": "", "comments": "" }`));
    const it0 = spec.integrations[0]!.interactions[0]!;
    return [it0.kind, it0.kindInferred, it0.kindReason];
  };
  it('sync from the id', () => {
    expect(kindOf('sync-files', 'Files')).toEqual(['sync', true, 'inferred "sync" from the word "sync" in the id "sync-files"']);
  });
  it('sync from a word of an id joined by underscores', () => {
    expect(kindOf('sync_files', 'Files')).toEqual(['sync', true, 'inferred "sync" from the word "sync" in the id "sync_files"']);
    expect(kindOf('backfill_users', 'Users')[0]).toBe('sync');
  });
  it('sync from the description', () => {
    expect(kindOf('contacts', 'Fetch contacts incrementally')[0]).toBe('sync');
  });
  it('action otherwise', () => {
    const [kind, inferred, reason] = kindOf('create-event', 'Create a calendar event');
    expect([kind, inferred]).toEqual(['action', true]);
    expect(reason).toMatch(/set "kind" to be explicit/);
  });
});

describe('spec loader: every bad input gets a located error', () => {
  it('malformed JSON: a missing comma', () => {
    const text = '{\n  "integrations": [\n    { "id": "a" "connectionId": "c" }\n  ]\n}';
    const { spec, d } = only('bad.json', text);
    expect(spec.syntaxOk).toBe(false);
    expect(d).toHaveLength(1);
    expect(d[0]).toMatchObject({ severity: 'error', code: 'syntax', message: 'expected "," between entries' });
    expect(at(d[0]!)).toBe('3:17');
    expect(formatDiagnostic(d[0]!)).toBe('bad.json:3:17: error: integrations[0].connectionId: expected "," between entries');
  });

  it('malformed JSON: an unclosed list and object at the end', () => {
    const { d } = only('bad.json', '{ "integrations": [\n');
    expect(d.map((x) => [x.code, x.message, at(x)])).toEqual([
      ['syntax', 'expected "]" to close the list', '2:1'],
      ['syntax', 'expected "}" to close the object', '2:1'],
    ]);
  });

  it('an empty file', () => {
    const { d } = only('empty.json', '   \n');
    expect(d).toHaveLength(1);
    expect(d[0]!.message).toMatch(/expected a value|empty/);
  });

  it('the root is not an object', () => {
    const { d } = only('root.json', '[1, 2]');
    expect(d).toHaveLength(1);
    expect(d[0]).toMatchObject({ code: 'wrong-type', message: 'the spec must be an object with an "integrations" list, not a list', path: [] });
    expect(at(d[0]!)).toBe('1:1');
  });

  it('a wrong type on an integration field', () => {
    const text = specWith(SEED).replace('"connectionId": "test-conn"', '"connectionId": 42');
    const { spec, d } = only('t.json', text);
    expect(d).toHaveLength(1);
    expect(d[0]).toMatchObject({ code: 'wrong-type', message: '"connectionId" must be a string, not a number', path: ['integrations', 0, 'connectionId'] });
    expect(at(d[0]!)).toBe('5:23');
    expect(d[0]!.range.end.column - d[0]!.range.start.column).toBe(2);
    // the integration still shows, marked with its problem; its interaction is intact
    expect(spec.integrations[0]!.problems).toHaveLength(1);
    expect(spec.integrations[0]!.interactions[0]!.problems).toEqual([]);
  });

  it('a missing field in an interaction points at its opening brace', () => {
    const bad = `{ "id": "update-event", "displayName": "Update Event", "description": "x", "comments": "" }`;
    const { spec, d } = only('m.json', specWith(`\n        ${SEED},\n        ${bad}\n      `));
    expect(d).toHaveLength(1);
    expect(d[0]!.message).toBe('missing required field "prompt" in interaction 2');
    expect(d[0]!.code).toBe('missing-field');
    expect(d[0]!.path).toEqual(['integrations', 0, 'interactions', 1, 'prompt']);
    expect(at(d[0]!)).toBe('12:9');
    // lenient: both interactions are in the model, only the bad one carries the problem
    const [good, broken] = spec.integrations[0]!.interactions;
    expect(good!.problems).toEqual([]);
    expect(broken!.problems).toHaveLength(1);
  });

  it('missing integration fields', () => {
    const { d } = only('m2.json', '{ "integrations": [ { "id": "slack", "interactions": [] } ] }');
    expect(d.map((x) => x.message)).toEqual([
      'missing required field "connectionId" in integration 1',
      'missing required field "context" in integration 1',
      'missing required field "docs" in integration 1',
      'missing required field "environment" in integration 1',
    ]);
    expect(d.every((x) => at(x) === '1:21')).toBe(true);
  });

  it('an interaction id that is not one: upper case, doubled or dangling joiners, path characters', () => {
    const { d } = only('k.json', specWith(SEED.replace('"create-event"', '"Create_Event"')));
    expect(d).toHaveLength(1);
    expect(d[0]).toMatchObject({
      code: 'invalid-id',
      path: ['integrations', 0, 'interactions', 0, 'id'],
      message:
        'interaction id "Create_Event" is not a valid id: lower-case letters and digits in groups joined by single "-" or "_" (e.g. "create-event" or "compliance_master")',
    });
    expect(at(d[0]!)).toBe('9:32');
    expect(formatDiagnostic(d[0]!)).toBe(`k.json:9:32: error: integrations[0].interactions[0].id: ${d[0]!.message}`);
    for (const bad of ['a__b', 'a-_b', '_a', 'a-', 'a.b', '../x', 'a/b', 'a\\\\b', 'ünï', 'a b']) {
      const r = only('k.json', specWith(SEED.replace('"create-event"', JSON.stringify(bad))));
      expect(
        r.d.map((x) => [x.code, at(x)]),
        bad,
      ).toEqual([['invalid-id', '9:32']]);
      expect(r.spec.integrations[0]!.interactions[0]!.problems, bad).toHaveLength(1);
    }
  });

  it('an interaction id as Nango names scripts: underscores are fine, the title splits on them', () => {
    const { spec, d } = only('u.json', specWith(SEED.replace('"create-event"', '"compliance_master"')));
    expect(d).toEqual([]);
    expect(spec.integrations[0]!.interactions[0]).toMatchObject({ id: 'compliance_master', key: 'google-calendar/compliance_master', problems: [] });
    expect(titleFromId('compliance_master')).toBe('Compliance Master');
    expect(titleFromId('sync_users-v2')).toBe('Sync Users V2');
    for (const ok of ['sync_users-v2', 'a1_b2-c3', 'x', '42']) expect(only('u.json', specWith(SEED.replace('"create-event"', `"${ok}"`))).d, ok).toEqual([]);
  });

  it('an id longer than 64 characters is a located error naming the limit; 64 is fine', () => {
    const long = 'a'.repeat(65);
    const { d } = only('l.json', specWith(SEED.replace('"create-event"', `"${long}"`)));
    expect(d).toHaveLength(1);
    expect(d[0]).toMatchObject({
      code: 'invalid-id',
      message: `interaction id "${long}" is 65 characters long: at most 64, so its folder, file and run names stay within file-system limits`,
    });
    expect(at(d[0]!)).toBe('9:32');
    expect(only('l.json', specWith(SEED.replace('"create-event"', `"${'a'.repeat(64)}"`))).d).toEqual([]);
    const integ = only('l.json', specWith(SEED).replace('"google-calendar"', `"${'g'.repeat(65)}"`)).d;
    expect(integ.map((x) => [x.code, x.path.join('.'), at(x)])).toEqual([['invalid-id', 'integrations.0.id', '4:13']]);
  });

  it('a name Windows keeps for a device cannot be an id, in any case of the rest of the rules', () => {
    for (const name of ['con', 'nul', 'com1', 'lpt9']) {
      const { d } = only('r.json', specWith(SEED.replace('"create-event"', `"${name}"`)));
      expect(
        d.map((x) => [x.code, x.message, at(x)]),
        name,
      ).toEqual([
        ['invalid-id', `interaction id "${name}" is a name Windows reserves for a device, so it cannot be a folder or file name; choose another`, '9:32'],
      ]);
    }
    expect(only('r.json', specWith(SEED.replace('"create-event"', '"console"'))).d).toEqual([]);
  });

  it('an integration id stays kebab-case (a provider config key): an underscore there is an error', () => {
    const { d } = only('i.json', specWith(SEED).replace('"google-calendar"', '"google_calendar"'));
    expect(d).toHaveLength(1);
    expect(d[0]).toMatchObject({
      code: 'not-kebab-case',
      message: 'integration id "google_calendar" is not kebab-case (lower-case letters, digits and single dashes, e.g. "create-event")',
    });
    expect(at(d[0]!)).toBe('4:13');
  });

  it('duplicate interaction ids within an integration', () => {
    const { d } = only('dup.json', specWith(`\n        ${SEED},\n        ${SEED}\n      `));
    expect(d).toHaveLength(1);
    expect(d[0]).toMatchObject({
      code: 'duplicate-id',
      message: 'duplicate interaction id "create-event" in integration "google-calendar" (first defined on line 10)',
    });
    expect(at(d[0]!)).toBe('12:17');
  });

  it('duplicate integration ids in a file', () => {
    const integ = '{ "id": "slack", "connectionId": "c", "environment": "dev", "docs": "https://api.slack.com", "context": "", "interactions": [] }';
    const { d } = only('dup2.json', `{ "integrations": [\n  ${integ},\n  ${integ}\n] }`);
    expect(d).toHaveLength(1);
    expect(d[0]!.message).toBe('duplicate integration id "slack" (first defined on line 2)');
    expect(at(d[0]!)).toBe('3:11');
  });

  it('an unknown field is a warning, located at the key, and loses nothing', () => {
    const { spec, d } = only('u.json', specWith(SEED.replace('"comments": ""', '"comments": "", "colour": "red"')));
    expect(d).toHaveLength(1);
    expect(d[0]).toMatchObject({ severity: 'warning', code: 'unknown-field', path: ['integrations', 0, 'interactions', 0, 'colour'] });
    expect(d[0]!.message).toMatch(/^unknown field "colour" is ignored; known fields: id, displayName/);
    expect(spec.integrations[0]!.interactions[0]!.id).toBe('create-event');
  });

  it('a key given twice is a warning', () => {
    const { d } = only('k2.json', specWith(SEED.replace('"comments": ""', '"comments": "", "comments": "again"')));
    expect(d).toHaveLength(1);
    expect(d[0]).toMatchObject({ severity: 'warning', code: 'duplicate-key' });
  });

  it('bad docs and a bad kind', () => {
    const { d } = only(
      'd.json',
      specWith(SEED.replace('"comments": ""', '"comments": "", "kind": "job"')).replace(
        '"docs": ["https://developers.google.com/calendar/api/v3/reference"]',
        '"docs": ["not a url"]',
      ),
    );
    expect(d.map((x) => [x.code, x.message, at(x)])).toEqual([
      ['invalid-value', '"not a url" is not an http(s) URL', '7:16'],
      ['invalid-value', '"kind" must be one of "action", "sync", not "job"', '10:83'],
    ]);
    const { d: d2 } = only('d2.json', specWith(SEED).replace('"docs": ["https://developers.google.com/calendar/api/v3/reference"]', '"docs": 7'));
    expect(d2.map((x) => x.message)).toEqual(['"docs" must be an http(s) URL or a list of them, not a number']);
  });

  it('an interaction that is not an object belongs to its integration', () => {
    const { spec, d } = only('n.json', specWith(`${SEED}, 5`));
    expect(d.map((x) => x.message)).toEqual(['interaction 2 must be an object, not a number']);
    expect(spec.integrations[0]!.interactions).toHaveLength(1);
    expect(spec.integrations[0]!.problems).toHaveLength(1);
  });

  it('an unreadable file is a diagnostic, not an exception', async () => {
    const spec = await loadSpecFile('/nonexistent/interactions.json');
    expect(spec.diagnostics).toHaveLength(1);
    expect(spec.diagnostics[0]).toMatchObject({ code: 'unreadable', file: '/nonexistent/interactions.json' });
  });

  it('never throws on arbitrary text', () => {
    const source = readFileSync(EXAMPLE, 'utf8');
    for (let cut = 0; cut < source.length; cut += 97) {
      const s = loadSpec('cut.json', source.slice(0, cut));
      for (const x of s.diagnostics) {
        expect(x.range.start.offset).toBeGreaterThanOrEqual(0);
        expect(x.range.start.offset).toBeLessThanOrEqual(cut);
      }
    }
  });
});
