// The CLI's argument parsing, its progress lines, and the commands that need no agent (in process, on
// real files); generate and verify with real agents are in test/integration/cli.test.ts.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { main, parseArgs, UsageError } from '../../src/cli/main';
import { LiveLines } from '../../src/cli/progress';

const REPO = path.resolve(__dirname, '../..');

describe('parseArgs', () => {
  it('reads commands, ids and options, both --flag value and --flag=value', () => {
    expect(parseArgs(['generate', 'google-calendar/create-event', 'sync-events', '--concurrency=3', '--model', 'anthropic/claude-sonnet-4-5', '--json'])).toMatchObject({
      command: 'generate',
      ids: ['google-calendar/create-event', 'sync-events'],
      concurrency: 3,
      model: 'anthropic/claude-sonnet-4-5',
      demo: false,
      json: true,
      verify: true,
    });
    expect(parseArgs(['generate', '--all', '--model', 'demo'])).toMatchObject({ all: true, demo: true, model: undefined });
    expect(parseArgs(['assemble', 'hubspot', '--force', '--include-unverified', '--project', 'out'])).toMatchObject({ ids: ['hubspot'], force: true, includeUnverified: true, project: 'out' });
    expect(parseArgs(['--help']).command).toBe('help');
  });

  it('says what is wrong with bad input', () => {
    const bad: [string[], RegExp][] = [
      [[], /no command given/],
      [['build'], /unknown command "build"/],
      [['generate', '--frobnicate'], /unknown option --frobnicate/],
      [['generate', '--concurrency', '0'], /--concurrency must be a whole number of at least 1/],
      [['generate', '--concurrency', 'many'], /--concurrency must be a whole number/],
      [['generate', '--spec'], /--spec needs a value/],
      [['generate', '--spec', '--all'], /--spec needs a value/],
      [['assemble'], /assemble takes one integration id/],
      [['assemble', 'a', 'b'], /assemble takes one integration id/],
    ];
    for (const [argv, re] of bad) expect(() => parseArgs(argv), argv.join(' ')).toThrow(re);
    expect(() => parseArgs(['x'])).toThrow(UsageError);
  });
});

describe('LiveLines', () => {
  it('without a terminal: one plain line per change, repeats and activities left out', () => {
    const out: string[] = [];
    const l = new LiveLines(false, (s) => out.push(s));
    l.set('a', 'a running');
    l.set('a', 'a running');
    l.activity('a', 'bash');
    l.set('b', 'b queued');
    l.note('a: fixture guard: restored tests/x.json');
    l.set('a', 'a needs review');
    l.done();
    expect(out.join('')).toBe('a running\nb queued\na: fixture guard: restored tests/x.json\na needs review\n');
    expect(out.join('')).not.toContain('\u001b');
  });

  it('on a terminal: one line per agent, redrawn in place with its current activity', () => {
    vi.useFakeTimers();
    try {
      const out: string[] = [];
      const l = new LiveLines(true, (s) => out.push(s));
      l.set('a', 'a running');
      l.set('b', 'b queued');
      expect(out).toEqual([]); // coalesced
      vi.advanceTimersByTime(150);
      expect(out.join('')).toBe('a running\nb queued\n');
      out.length = 0;
      l.activity('a', 'record_fixture');
      vi.advanceTimersByTime(150);
      // Cursor up two lines, clear, redraw both.
      expect(out.join('')).toBe('\u001b[2A\u001b[Ja running  · record_fixture\nb queued\n');
      out.length = 0;
      l.note('a: violation');
      expect(out.join('')).toBe('\u001b[2A\u001b[Ja: violation\na running  · record_fixture\nb queued\n');
      out.length = 0;
      l.done();
      expect(out.join('')).toBe('\u001b[2A\u001b[Ja running  · record_fixture\nb queued\n');
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('main, without agents', () => {
  let dir: string;
  let out: string[];
  let err: string[];
  const io = () => ({ out: (s: string) => out.push(s), err: (s: string) => err.push(s), errRaw: (s: string) => err.push(s), isTTY: false, env: {}, cwd: dir, packageRoot: REPO });

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'ib-cli-'));
    out = [];
    err = [];
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('status of a fresh spec: every interaction not started, exit 1; --json is machine-readable', async () => {
    cpSync(path.join(REPO, 'examples/product-integrations/interactions.json'), path.join(dir, 'interactions.json'));
    expect(await main(['status', '--json'], io())).toBe(1);
    const rows = JSON.parse(out.join('')) as { key: string; status: string; attempt: number }[];
    expect(rows.length).toBeGreaterThan(10);
    expect(rows.every((r) => r.status === 'not-started' && r.attempt === 0)).toBe(true);
    expect(err).toEqual([]);
  });

  it('a spec that does not parse: errors as file:line:col, exit 2, for every command', async () => {
    writeFileSync(path.join(dir, 'interactions.json'), '{\n  "integrations": [\n    { "id": "x", }\n  \n');
    for (const command of [['status'], ['verify', '--all'], ['assemble', 'x'], ['generate', '--all', '--demo']]) {
      err = [];
      expect(await main(command, io()), command.join(' ')).toBe(2);
      expect(err.join('\n'), command.join(' ')).toMatch(new RegExp(`${path.join(dir, 'interactions.json').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:\\d+:\\d+: `));
    }
  });

  it('no spec here, or a missing one: exit 2 and how to fix it', async () => {
    expect(await main(['status'], io())).toBe(2);
    expect(err.join('')).toMatch(/no interactions\.json in .*: pass --spec <file>/);
    err = [];
    expect(await main(['status', '--spec', 'nope.json'], io())).toBe(2);
    expect(err.join('')).toMatch(/the spec nope\.json does not exist/);
  });

  it('verify and assemble before anything ran: clear messages, no crash', async () => {
    cpSync(path.join(REPO, 'examples/product-integrations/interactions.json'), path.join(dir, 'interactions.json'));
    expect(await main(['verify', '--all'], io())).toBe(2);
    expect(err.join('')).toMatch(/nothing to verify: no interaction has run yet/);
    err = [];
    expect(await main(['assemble', 'google-calendar'], io())).toBe(1);
    expect(err.join('')).toMatch(/nothing to assemble for google-calendar: no finished runs/);
    err = [];
    expect(await main(['assemble', 'no-such-api'], io())).toBe(2);
    expect(err.join('')).toMatch(/no interaction or integration "no-such-api" in the spec/);
  });

  it('--help prints the usage and exits 0', async () => {
    expect(await main(['--help'], io())).toBe(0);
    expect(out.join('')).toContain('usage: integration-builder');
    expect(readFileSync(path.join(REPO, 'README.md'), 'utf8')).toContain('integration-builder status');
  });
});
