// The CLI's argument parsing, its progress lines, and the commands that need no agent (in process, on
// real files); generate and verify with real agents are in test/integration/cli.test.ts.
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { main, parseArgs, UsageError } from '../../src/cli/main';
import { LiveLines } from '../../src/cli/progress';
import { newRunRecord } from '../../src/core/runs/record';
import { RunStore } from '../../src/core/runs/store';
import { IntegrationBuilder } from '../../src/core/app/integrationBuilder';
import { capturedIo, put } from '../support/cliIo';

const REPO = path.resolve(__dirname, '../..');

describe('parseArgs', () => {
  it('reads commands, ids and options, both --flag value and --flag=value', () => {
    expect(
      parseArgs(['generate', 'google-calendar/create-event', 'sync-events', '--concurrency=3', '--model', 'anthropic/claude-sonnet-4-5', '--json']),
    ).toMatchObject({
      command: 'generate',
      ids: ['google-calendar/create-event', 'sync-events'],
      concurrency: 3,
      model: 'anthropic/claude-sonnet-4-5',
      demo: false,
      json: true,
      verify: true,
    });
    expect(parseArgs(['generate', '--all', '--model', 'demo'])).toMatchObject({ all: true, demo: true, model: undefined });
    expect(parseArgs(['assemble', 'hubspot', '--force', '--include-unverified', '--project', 'out'])).toMatchObject({
      ids: ['hubspot'],
      force: true,
      includeUnverified: true,
      project: 'out',
    });
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
  const io = capturedIo(() => ({ cwd: dir, out, err }));

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
      expect(err.join('\n'), command.join(' ')).toMatch(
        new RegExp(`${path.join(dir, 'interactions.json').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:\\d+:\\d+: `),
      );
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

describe('assemble refused before writing', () => {
  let dir: string;
  let out: string[];
  let err: string[];
  const io = capturedIo(() => ({ cwd: dir, out, err }));
  /** Every file and folder under `root` with its content: what "nothing was written" is checked against. */
  const snapshot = (root: string): string[] =>
    readdirSync(root, { recursive: true, withFileTypes: true })
      .map((e) => path.join(e.parentPath, e.name))
      .sort()
      .map(
        (f) =>
          `${path.relative(root, f)}: ${
            readdirSync(path.dirname(f), { withFileTypes: true })
              .find((e) => e.name === path.basename(f))
              ?.isFile()
              ? readFileSync(f, 'utf8')
              : '(folder)'
          }`,
      );

  /** A finished, verified and accepted run of a google-calendar interaction with its script (and any other files). */
  async function verifiedRun(id: string, kind: 'action' | 'sync', files: Record<string, string> = {}): Promise<string> {
    const workRoot = path.join(dir, '.integration-builder', 'work');
    const folder = path.join(workRoot, 'google-calendar', id);
    put(path.join(folder, 'google-calendar', `${kind}s`, `${id}.ts`), files.script ?? `// ${id}\nexport default 1;\n`);
    for (const [rel, content] of Object.entries(files)) if (rel !== 'script') put(path.join(folder, rel), content);
    const run = newRunRecord({
      key: `google-calendar/${id}`,
      integrationId: 'google-calendar',
      interactionId: id,
      specFile: path.join(dir, 'interactions.json'),
      folder,
      demo: true,
      now: '2026-01-01T00:00:00.000Z',
    });
    const store = new RunStore(workRoot);
    await store.save({ ...run, status: 'verified' });
    // The default flow: a person accepted it (Assemble takes verified and accepted interactions).
    await new IntegrationBuilder(workRoot).accept(run.key, { by: { name: 'Test Reviewer', source: 'os' } });
    return folder;
  }

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'ib-cli-assemble-'));
    out = [];
    err = [];
    cpSync(path.join(REPO, 'examples/product-integrations/interactions.json'), path.join(dir, 'interactions.json'));
    // What a Nango project has installed above it (Assemble refuses a project it could not compile):
    // a stand-in, so the only problems are the ones each test makes.
    put(path.join(dir, 'node_modules', '.bin', 'nango'), '#!/bin/sh\nexit 0\n');
    put(path.join(dir, 'node_modules', 'zod', 'package.json'), '{ "name": "zod" }\n');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('a nango.yaml project: the problem at its file and what to do, exit 2, nothing written, no report', async () => {
    await verifiedRun('create-event', 'action');
    const project = path.join(dir, 'nango-integrations');
    put(path.join(project, 'nango.yaml'), 'integrations:\n  google-calendar: {}\n');
    put(path.join(project, 'package.json'), '{ "name": "mine" }\n');
    const before = snapshot(project);

    expect(await main(['assemble', 'google-calendar'], io())).toBe(2);
    const text = err.join('\n');
    expect(text).toContain(`assembling google-calendar into ${project} was refused before writing anything (1 problem):`);
    expect(text).toContain(`${path.join(project, 'nango.yaml')}: ${project} is a nango.yaml project`);
    expect(text).toContain('nango migrate-to-zero-yaml');
    expect(text).toContain(`nothing was written to ${project}`);
    expect(out).toEqual([]);
    expect(snapshot(project)).toEqual(before);
    expect(existsSync(path.join(dir, '.integration-builder', 'work', '.runs', 'google-calendar.assembly.json'))).toBe(false);
    expect(readdirSync(dir).filter((f) => f.includes('assemble'))).toEqual([]); // no staging folder left

    // --json: the same problems on stdout, for scripts; the text stays on stderr.
    err = [];
    expect(await main(['assemble', 'google-calendar', '--json'], io())).toBe(2);
    expect(JSON.parse(out.join(''))).toEqual({
      integrationId: 'google-calendar',
      projectDir: project,
      written: [],
      problems: [
        {
          kind: 'nango-yaml',
          keys: [],
          message: expect.stringContaining(`${project} is a nango.yaml project`),
          path: path.join(project, 'nango.yaml'),
          paths: [path.join(project, 'nango.yaml')],
        },
      ],
    });
    expect(err.join('\n')).toContain('was refused before writing anything');
    expect(snapshot(project)).toEqual(before);
  });

  it('an import from outside the folder at its file and line, two versions of one helper with their diff; --force does not override a refusal', async () => {
    const create = await verifiedRun('create-event', 'action', {
      script: "import { toEvent } from '../../../shared.js';\nimport { Event } from '../models.js';\nexport default [toEvent, Event];\n",
      'google-calendar/models.ts': 'export const Event = 1;\n',
    });
    const update = await verifiedRun('update-event', 'action', {
      script: "import { Event } from '../models.js';\nexport default Event;\n",
      'google-calendar/models.ts': 'export const Event = 2;\n',
    });
    const project = path.join(dir, 'nango-integrations');

    expect(await main(['assemble', 'google-calendar', '--force'], io())).toBe(2);
    const text = err.join('\n');
    expect(text).toContain('(2 problems)');
    expect(text).toContain(
      `${path.join(create, 'google-calendar', 'actions', 'create-event.ts')}:1: google-calendar/create-event: google-calendar/actions/create-event.ts:1 imports ../../../shared.js, which is outside the interaction folder`,
    );
    expect(text).toContain(
      `${path.join(create, 'google-calendar', 'models.ts')}: google-calendar/create-event and google-calendar/update-event: both bring google-calendar/models.ts, in different versions`,
    );
    expect(text).toMatch(/^-export const Event = 1;$/m);
    expect(text).toMatch(/^\+export const Event = 2;$/m);
    expect(existsSync(project)).toBe(false);

    err = [];
    expect(await main(['assemble', 'google-calendar', '--json'], io())).toBe(2);
    const refusal = JSON.parse(out.join('')) as { problems: { kind: string; keys: string[]; path: string; paths: string[]; line?: number; diff?: string }[] };
    expect(refusal.problems.map((p) => [p.kind, p.keys, p.line])).toEqual([
      ['import-outside', ['google-calendar/create-event'], 1],
      ['helper-conflict', ['google-calendar/create-event', 'google-calendar/update-event'], undefined],
    ]);
    expect(refusal.problems[1]!.paths).toEqual([path.join(create, 'google-calendar', 'models.ts'), path.join(update, 'google-calendar', 'models.ts')]);
    expect(refusal.problems[1]!.diff).toContain('+export const Event = 2;');
    expect(existsSync(project)).toBe(false);
  });
});
