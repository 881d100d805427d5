// `integration-builder accept <key>` / `reject <key> [--reason]`, `status` saying what is accepted, and
// `assemble` taking verified and accepted interactions by default (--include-unaccepted for the others).
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main, parseArgs } from '../../src/cli/main';
import { newRunRecord, type RunRecord } from '../../src/core/runs/record';
import { RunStore } from '../../src/core/runs/store';
import { capturedIo, put } from '../support/cliIo';

const REPO = path.resolve(__dirname, '../..');

let dir: string;
let out: string[];
let err: string[];
const io = capturedIo(() => ({ cwd: dir, out, err }));
const workRoot = () => path.join(dir, '.integration-builder', 'work');

async function finishedRun(id: string, status: RunRecord['status'] = 'verified'): Promise<string> {
  const folder = path.join(workRoot(), 'google-calendar', id);
  put(path.join(folder, 'google-calendar', 'actions', `${id}.ts`), `// ${id}\nexport default 1;\n`);
  const run = newRunRecord({
    key: `google-calendar/${id}`,
    integrationId: 'google-calendar',
    interactionId: id,
    specFile: path.join(dir, 'interactions.json'),
    folder,
    demo: true,
    now: '2026-01-01T00:00:00.000Z',
  });
  await new RunStore(workRoot()).save({ ...run, status });
  return folder;
}

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'ib-cli-review-'));
  out = [];
  err = [];
  cpSync(path.join(REPO, 'examples/product-integrations/interactions.json'), path.join(dir, 'interactions.json'));
  put(path.join(dir, 'node_modules', '.bin', 'nango'), '#!/bin/sh\nexit 0\n');
  put(path.join(dir, 'node_modules', 'zod', 'package.json'), '{ "name": "zod" }\n');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('accept and reject on the command line', () => {
  it('parses one interaction, --reason only for reject, --include-unaccepted only for assemble', () => {
    expect(parseArgs(['accept', 'google-calendar/create-event'])).toMatchObject({ command: 'accept', ids: ['google-calendar/create-event'] });
    expect(parseArgs(['reject', 'create-event', '--reason', 'wrong scope'])).toMatchObject({ command: 'reject', reason: 'wrong scope' });
    expect(parseArgs(['assemble', 'google-calendar', '--include-unaccepted'])).toMatchObject({ includeUnaccepted: true });
    expect(() => parseArgs(['accept'])).toThrow('accept takes one interaction: accept <integration>/<interaction>');
    expect(() => parseArgs(['accept', 'a', 'b'])).toThrow(/accept takes one interaction/);
    expect(() => parseArgs(['accept', '--all'])).toThrow(/accept takes one interaction/);
    expect(() => parseArgs(['accept', 'a', '--reason', 'x'])).toThrow('--reason applies to reject, not accept');
    expect(() => parseArgs(['status', '--include-unaccepted'])).toThrow('--include-unaccepted applies to assemble, not status');
  });

  it('bad input exits 2 with a message: an unknown key, an integration (several interactions), an interaction that never ran', async () => {
    expect(await main(['accept', 'nope/nothing'], io())).toBe(2);
    expect(err.join('')).toMatch(/no interaction or integration "nope\/nothing" in the spec/);
    err = [];
    expect(await main(['accept', 'google-calendar'], io())).toBe(2);
    expect(err.join('')).toMatch(/accept takes one interaction; "google-calendar" names \d+/);
    err = [];
    expect(await main(['reject', 'google-calendar/create-event'], io())).toBe(2);
    expect(err.join('')).toMatch(/google-calendar\/create-event has not run: there is nothing to review/);
  });

  it('accept records it and status shows it; a change to the folder clears it; reject says why; assemble takes only the accepted one', async () => {
    const folder = await finishedRun('create-event');
    await finishedRun('update-event');
    expect(await main(['accept', 'google-calendar/create-event'], io())).toBe(0);
    expect(out.join('\n')).toMatch(/^google-calendar\/create-event: accepted by .+ at \d{4}-\d\d-\d\dT.*\(1 files, sha256 [0-9a-f]{12}…\)$/);
    const record = JSON.parse(readFileSync(path.join(workRoot(), '.runs', 'google-calendar', 'create-event.json'), 'utf8')) as RunRecord;
    expect(record.review).toMatchObject({ decision: 'accepted', attempt: 1, files: 1 });

    out = [];
    expect(await main(['status', '--json'], io())).toBe(1);
    const rows = JSON.parse(out.join('')) as { key: string; accepted?: boolean; review?: string }[];
    expect(rows.find((r) => r.key === 'google-calendar/create-event')).toMatchObject({ accepted: true, review: expect.stringMatching(/^accepted by /) });
    expect(rows.find((r) => r.key === 'google-calendar/update-event')).toMatchObject({ accepted: false, review: 'not reviewed' });
    expect(rows.find((r) => r.key === 'slack/send-message')?.accepted).toBeUndefined();
    out = [];
    await main(['status'], io());
    expect(out.find((l) => l.startsWith('google-calendar/create-event'))).toContain('ACCEPTED');
    expect(out.find((l) => l.startsWith('google-calendar/update-event'))).not.toContain('ACCEPTED');

    // Assemble: only the accepted one; the other is left out, saying why and how to include it.
    out = [];
    err = [];
    const code = await main(['assemble', 'google-calendar', '--json'], io());
    expect(code, err.join('\n')).toBe(1); // not every interaction of the API is in
    const report = JSON.parse(out.join('')) as { interactions: { key: string; accepted?: { by: string } }[]; refused: { key: string; reason: string }[] };
    expect(report.interactions.map((i) => i.key)).toEqual(['google-calendar/create-event']);
    expect(report.interactions[0]?.accepted?.by).toBeTruthy();
    expect(report.refused).toEqual([{ key: 'google-calendar/update-event', reason: 'it is not accepted (not reviewed)' }]);
    expect(err.join('\n')).toContain(
      'left out: google-calendar/update-event: it is not accepted (not reviewed) (accept it, or --include-unaccepted to include it)',
    );

    // A change after acceptance: not accepted any more, and said so.
    put(path.join(folder, 'google-calendar', 'actions', 'create-event.ts'), '// changed\nexport default 2;\n');
    out = [];
    await main(['status', '--json'], io());
    expect(
      (JSON.parse(out.join('')) as { key: string; accepted?: boolean; review?: string }[]).find((r) => r.key === 'google-calendar/create-event'),
    ).toMatchObject({
      accepted: false,
      review: expect.stringMatching(/^not accepted: the interaction folder changed after it was accepted/),
    });

    out = [];
    expect(await main(['reject', 'google-calendar/update-event', '--reason', 'pages only once'], io())).toBe(0);
    expect(out.join('')).toMatch(/^google-calendar\/update-event: rejected by .+: pages only once$/);
    out = [];
    err = [];
    expect(await main(['assemble', 'google-calendar', '--include-unaccepted', '--force', '--json'], io())).toBe(1);
    expect((JSON.parse(out.join('')) as { interactions: { key: string }[] }).interactions.map((i) => i.key)).toEqual([
      'google-calendar/create-event',
      'google-calendar/update-event',
    ]);
  });

  it('accepting an interaction that is not verified warns that Assemble still leaves it out', async () => {
    await finishedRun('create-event', 'needs-review');
    expect(await main(['accept', 'create-event'], io())).toBe(0);
    expect(err.join('')).toContain('warning: google-calendar/create-event is needs review, not verified: Assemble leaves it out unless --include-unverified');
  });
});
