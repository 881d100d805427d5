// Spec input that used to crash, hang or slip through (issue 14): every one a located error.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSpec, loadSpecFile, MAX_SPEC_BYTES, MAX_SPEC_DEPTH, tooDeepAt } from '../../src/core/spec/loader';
import { isRunnable } from '../../src/core/spec/model';
import { withCrossFileClashes } from '../../src/core/spec/store';

const interaction = (id: string, extra: Record<string, unknown> = {}) => ({ id, displayName: 'X', description: 'd', prompt: '', comments: '', ...extra });
const spec = (integration: Record<string, unknown>, interactions: unknown[]) =>
  JSON.stringify(
    { integrations: [{ id: 'acme', connectionId: 'c', environment: 'dev', docs: 'https://example.com/api', context: '', ...integration, interactions }] },
    null,
    2,
  );
const errors = (text: string) => loadSpec('/w/interactions.json', text).diagnostics.filter((d) => d.severity === 'error');

describe('nesting', () => {
  it('3,000 levels: one located error, no stack overflow', () => {
    const text = `{\n  "integrations": [],\n  "x": ${'['.repeat(3000)}${']'.repeat(3000)}\n}\n`;
    let loaded!: ReturnType<typeof loadSpec>;
    expect(() => (loaded = loadSpec('/w/interactions.json', text))).not.toThrow();
    expect(loaded.syntaxOk).toBe(false);
    expect(loaded.diagnostics).toHaveLength(1);
    const [d] = loaded.diagnostics;
    expect(d).toMatchObject({ severity: 'error', code: 'too-deep', file: '/w/interactions.json' });
    expect(d!.message).toContain(`more than ${MAX_SPEC_DEPTH} levels deep`);
    expect(d!.range.start.line).toBe(2); // 0-based: the line of "x"
    expect(d!.range.start.offset).toBe(text.indexOf('[[') + MAX_SPEC_DEPTH - 1); // the first bracket too deep (the root object is level 1)
  });

  it('brackets inside strings and comments do not count; a real spec is nowhere near the limit', () => {
    expect(tooDeepAt(`{ "a": "${'['.repeat(500)}", /* ${'{'.repeat(500)} */ "b": 1 // ${'['.repeat(500)}\n}`)).toBeUndefined();
    expect(tooDeepAt(`{ "a": "\\"${'['.repeat(500)}" }`)).toBeUndefined();
    expect(errors(spec({}, [interaction('create-event', { docs: ['https://example.com/a'] })]))).toEqual([]);
    expect(tooDeepAt('['.repeat(MAX_SPEC_DEPTH))).toBeUndefined();
    expect(tooDeepAt('['.repeat(MAX_SPEC_DEPTH + 1))).toBe(MAX_SPEC_DEPTH);
  });
});

describe('size', () => {
  it('a spec over the limit is refused before it is read, with a clear message', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ib-spec-big-'));
    try {
      const file = path.join(dir, 'interactions.json');
      const many = Array.from({ length: 40_000 }, (_, i) => interaction(`interaction-${i}`, { context: 'x'.repeat(100) }));
      writeFileSync(file, spec({}, many));
      const started = Date.now();
      const loaded = await loadSpecFile(file);
      expect(Date.now() - started).toBeLessThan(2000);
      expect(loaded.integrations).toEqual([]);
      expect(loaded.diagnostics).toHaveLength(1);
      expect(loaded.diagnostics[0]).toMatchObject({ severity: 'error', code: 'too-large', file });
      expect(loaded.diagnostics[0]!.message).toMatch(/^the file is \d+\.\d MB: a spec may be at most 5 MB; split it/);
      // Text handed over directly (an editor buffer) is refused the same way.
      const text = 'x'.repeat(MAX_SPEC_BYTES + 1);
      expect(loadSpec(file, text).diagnostics.map((d) => d.code)).toEqual(['too-large']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('ids that become path components', () => {
  it('a 300-character interaction or integration id is a located validation error', () => {
    const long = 'a'.repeat(300);
    const text = spec({}, [interaction(long)]);
    const [d, ...rest] = errors(text);
    expect(rest).toEqual([]);
    expect(d).toMatchObject({ code: 'invalid-id', path: ['integrations', 0, 'interactions', 0, 'id'] });
    expect(d!.message).toContain('is 300 characters long: at most 64');
    expect(d!.range.start.line).toBe(text.split('\n').findIndex((l) => l.includes(long)));
    const loaded = loadSpec('/w/interactions.json', text);
    expect(isRunnable(loaded.integrations[0]!, loaded.integrations[0]!.interactions[0]!)).toBe(false);

    const integ = spec({ id: long }, [interaction('create-event')]);
    const [e] = errors(integ);
    expect(e).toMatchObject({ code: 'invalid-id', path: ['integrations', 0, 'id'] });
    expect(e!.message).toContain('integration id');
  });
});

describe('environment', () => {
  it.each(['my-env', 'my env', 'prod.eu', 'dev/x'])('%j on an integration or an interaction is a located error', (env) => {
    const text = spec({ environment: env }, [interaction('create-event', { environment: env })]);
    const found = errors(text);
    expect(found.map((d) => d.path)).toEqual([
      ['integrations', 0, 'environment'],
      ['integrations', 0, 'interactions', 0, 'environment'],
    ]);
    for (const d of found) {
      expect(d.code).toBe('invalid-value');
      expect(d.message).toContain(`environment ${JSON.stringify(env)} may hold only letters, digits and underscores`);
      expect(d.message).toContain('NANGO_SECRET_KEY_');
      expect(d.range.start.line).toBeGreaterThan(0);
    }
  });

  it('letters, digits and underscores are fine', () => {
    expect(errors(spec({ environment: 'staging_eu' }, [interaction('create-event', { environment: 'Prod2' })]))).toEqual([]);
  });
});

describe('the same interaction in two spec files', () => {
  it('is an error in the file acted on, located at its id, naming both files; the entry is not runnable', () => {
    const a = loadSpec('/w/a.interactions.json', spec({}, [interaction('create-event'), interaction('sync-events')]));
    const b = loadSpec('/w/b.interactions.json', spec({}, [interaction('create-event')]));
    for (const [self, other] of [
      [a, b],
      [b, a],
    ] as const) {
      const checked = withCrossFileClashes(self, [self, other]);
      const errs = checked.diagnostics.filter((d) => d.severity === 'error');
      expect(errs).toHaveLength(1);
      expect(errs[0]).toMatchObject({ file: self.file, code: 'duplicate-id' });
      expect(errs[0]!.message).toMatch(new RegExp(`"acme/create-event" is defined both in ${self.file} \\(line \\d+\\) and in ${other.file} \\(line \\d+\\)`));
      const integ = checked.integrations[0]!;
      expect(
        isRunnable(
          integ,
          integ.interactions.find((i) => i.id === 'create-event')!,
        ),
      ).toBe(false);
    }
    const sync = withCrossFileClashes(a, [b]).integrations[0]!.interactions.find((i) => i.id === 'sync-events')!;
    expect(isRunnable(withCrossFileClashes(a, [b]).integrations[0]!, sync)).toBe(true);
    expect(withCrossFileClashes(a, [])).toBe(a);
  });
});
