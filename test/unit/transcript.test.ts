import { describe, expect, it } from 'vitest';
import { newRunRecord } from '../../src/core/runs/record';
import { renderTranscriptWithLines } from '../../src/core/runs/transcript';
import type { Finding } from '../../src/core/verify/types';

const run = newRunRecord({
  key: 'google-calendar/create-event',
  integrationId: 'google-calendar',
  interactionId: 'create-event',
  specFile: '/ws/interactions.json',
  folder: '/ws/work/google-calendar/create-event',
  demo: false,
  now: '2026-11-22T10:00:00.000Z',
});

const entries = [
  { type: 'prompt', text: 'Build create-event' },
  { type: 'text.done', text: 'Reading the stub.' },
  { type: 'tool.finished', tool: 'bash', input: { command: 'nango frobnicate' }, ok: false, output: 'error: unknown command frobnicate' },
  {
    type: 'violation',
    kind: 'changed',
    file: 'google-calendar/tests/create-event.test.json',
    detail: 'changed google-calendar/tests/create-event.test.json during bash: sed -i; restored',
  },
  { type: 'finished', finish: 'stop', text: 'Done, all tests pass.' },
];

describe('renderTranscript', () => {
  it('maps every entry to the Markdown line where it starts', () => {
    const { markdown, lineOfEntry } = renderTranscriptWithLines(run, entries);
    const lines = markdown.split('\n');
    expect(lineOfEntry).toHaveLength(entries.length);
    // Each entry's first non-empty line is at or just after its recorded start.
    const firstAfter = (i: number) => lines.slice(lineOfEntry[i]).find((l) => l.trim()) ?? '';
    expect(firstAfter(0)).toBe('## Prompt');
    expect(firstAfter(1)).toBe('Reading the stub.');
    expect(firstAfter(2)).toBe('### ✗ bash `nango frobnicate`');
    expect(firstAfter(3)).toMatch(/^> ⛔ fixture guard: changed google-calendar\/tests/);
    expect(firstAfter(4)).toBe('---');
  });

  it('shows verification findings under the step they point at, for this attempt only', () => {
    const findings: Finding[] = [
      {
        check: 'transcript',
        rule: 'transcript.hallucinated-command',
        severity: 'error',
        message: 'ran a CLI command that does not exist',
        quote: 'nango frobnicate',
        step: { attempt: 1, line: 2 },
      },
      { check: 'transcript', rule: 'transcript.other-attempt', severity: 'error', message: 'from attempt 2', step: { attempt: 2, line: 2 } },
    ];
    const md = renderTranscriptWithLines(run, entries, findings).markdown;
    const at = md.indexOf('transcript.hallucinated-command');
    expect(at).toBeGreaterThan(md.indexOf('nango frobnicate'));
    expect(at).toBeLessThan(md.indexOf('fixture guard'));
    expect(md).not.toContain('transcript.other-attempt');
  });
});
