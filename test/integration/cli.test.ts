// The headless CLI end to end (dist/cli.js, built by `npm run build`): the demo model generates two
// interactions with the real opencode and the real Nango CLI against the demo stand-in, verifies them,
// writes JUnit, assembles them into a Nango project; bad input exits 2 with located errors.
import { spawn } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPENCODE_BIN } from '../support/agentStack';
import { CLI, cliWorkspace, runCli } from '../support/cli';

let dir: string;
const cli = (args: string[], env: Record<string, string> = {}) => runCli(dir, args, env);

beforeAll(() => {
  dir = cliWorkspace('cli');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('integration-builder CLI', () => {
  it('generate --demo runs, verifies and writes JSON and JUnit; exit 0 when all are verified', async () => {
    const r = await cli(['generate', 'google-calendar/create-event', 'sync-events', '--demo', '--json', '--junit', 'verify.xml', '--concurrency', '2']);
    expect(r.code, r.stderr).toBe(0);
    const reports = JSON.parse(r.stdout) as { key: string; verdict: string }[];
    expect(reports.map((x) => [x.key, x.verdict]).sort()).toEqual([
      ['google-calendar/create-event', 'verified'],
      ['google-calendar/sync-events', 'verified'],
    ]);
    // Not a TTY: plain progress lines, one per change.
    expect(r.stderr).toMatch(/google-calendar\/create-event\s+running/);
    const junit = readFileSync(path.join(dir, 'verify.xml'), 'utf8');
    // 2 interactions × 7 checks (fixtures, compile, assemble, tests, lint, confinement, transcript)
    expect(junit).toContain('<testsuite name="google-calendar" tests="14" failures="0" errors="0"');
  }, 400_000);

  it('status lists every interaction; assemble writes the verified ones into the project', async () => {
    const status = await cli(['status', '--json']);
    const rows = JSON.parse(status.stdout) as { key: string; status: string }[];
    expect(rows.find((x) => x.key === 'google-calendar/create-event')?.status).toBe('verified');
    expect(rows.find((x) => x.key === 'slack/send-message')?.status).toBe('not-started');
    expect(status.code).toBe(1);
    // The default flow: a person accepts what was verified (Assemble takes verified and accepted interactions).
    for (const key of ['google-calendar/create-event', 'google-calendar/sync-events']) {
      const accepted = await cli(['accept', key]);
      expect(accepted.code, accepted.stderr).toBe(0);
    }
    const asm = await cli(['assemble', 'google-calendar']);
    expect(asm.code, asm.stderr + asm.stdout).toBe(0);
    expect(asm.stdout).toContain('## Compile: ✓ passed');
    expect(readFileSync(path.join(dir, 'nango-integrations/index.ts'), 'utf8')).toBe(
      "import './google-calendar/actions/create-event.js';\nimport './google-calendar/syncs/sync-events.js';\n",
    );
    // A file changed in the project is a conflict: refused without --force.
    writeFileSync(path.join(dir, 'nango-integrations/google-calendar/actions/create-event.ts'), '// mine\n');
    const again = await cli(['assemble', 'google-calendar']);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/conflict: .*create-event\.ts exists with other content \(pass --force/);
    // With the diff from the project's file to the assembled one; nothing written.
    expect(again.stderr).toContain('--- a/google-calendar/actions/create-event.ts\n+++ b/google-calendar/actions/create-event.ts\n');
    expect(again.stderr).toMatch(/^-\/\/ mine$/m);
    expect(again.stderr).toMatch(/^\+.*createAction/m);
    expect(readFileSync(path.join(dir, 'nango-integrations/google-calendar/actions/create-event.ts'), 'utf8')).toBe('// mine\n');
    const json = await cli(['assemble', 'google-calendar', '--json']);
    expect(json.code).toBe(1);
    expect((JSON.parse(json.stdout) as { conflicts: { file: string }[] }).conflicts.map((c) => c.file)).toEqual(['google-calendar/actions/create-event.ts']);
    // --force overwrites; the report is kept next to the run records.
    const forced = await cli(['assemble', 'google-calendar', '--force', '--json']);
    expect(forced.code, forced.stderr).toBe(0);
    const report = JSON.parse(forced.stdout) as {
      written: string[];
      interactions: { key: string; attempt: number; verdict: string }[];
      compile: { ok: boolean };
    };
    expect(report.written).toEqual(['google-calendar/actions/create-event.ts']);
    expect(report.interactions.map((i) => [i.key, i.attempt, i.verdict])).toEqual([
      ['google-calendar/create-event', 1, 'verified'],
      ['google-calendar/sync-events', 1, 'verified'],
    ]);
    expect(report.compile.ok).toBe(true);
    expect(JSON.parse(readFileSync(path.join(dir, '.integration-builder/work/.runs/google-calendar.assembly.json'), 'utf8'))).toEqual(report);
  }, 200_000);

  it('verify re-checks finished runs from disk', async () => {
    const r = await cli(['verify', 'google-calendar/sync-events']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('1 interaction(s): 1 verified');
  }, 200_000);

  it('on a terminal: one live line per agent, redrawn in place', async () => {
    // `script` gives the CLI a real pseudo-terminal; what it drew is kept in a typescript file.
    const typescript = path.join(dir, 'tty.log');
    const command = [process.execPath, CLI, 'generate', 'slack/send-message', 'hubspot/create-contact', '--demo', '--no-verify'].map((a) => `'${a}'`).join(' ');
    const r = await new Promise<{ code: number | null; output: string }>((resolve) => {
      const child = spawn('script', ['--quiet', '--return', '--command', command, typescript], {
        cwd: dir,
        env: { ...process.env, OPENCODE_BIN },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (c) => (output += c));
      child.stderr.on('data', (c) => (output += c));
      child.on('close', (code) => resolve({ code, output }));
    });
    const drawn = readFileSync(typescript, 'utf8');
    expect(r.code, `${r.output}\n${drawn.slice(-2000)}`).toBe(0);
    // Redrawn in place (cursor up over the lines, clear to the end), not one line per change. The
    // runs restored from the earlier tests are lines of their own.
    expect(drawn).toContain('\u001b[4A\u001b[J');
    const last = drawn
      .slice(drawn.lastIndexOf('\u001b[J') + 3)
      .split(/\r?\n/)
      .filter((l) => l.trim() && !l.startsWith('Script done'));
    expect(last.map((l) => l.replace(/\s+\d+ steps.*$/, '').replace(/\s+/g, ' ')).sort()).toEqual([
      'google-calendar/create-event verified',
      'google-calendar/sync-events verified',
      'hubspot/create-contact needs review',
      'slack/send-message needs review',
    ]);
  }, 400_000);

  it('bad input exits 2 with a located message', async () => {
    writeFileSync(path.join(dir, 'broken.interactions.json'), '{ "integrations": [ { "id": "Bad Id", "interactions": [] } ] }\n');
    const spec = await cli(['generate', '--all', '--demo', '--spec', 'broken.interactions.json']);
    expect(spec.code).toBe(2);
    expect(spec.stderr).toMatch(/broken\.interactions\.json:1:\d+: /);
    expect((await cli(['generate', '--frobnicate'])).code).toBe(2);
    expect((await cli(['generate', 'no-such-interaction', '--demo'])).stderr).toMatch(/no interaction or integration "no-such-interaction"/);
    expect((await cli(['generate', 'create-event'])).stderr).toMatch(/--model <provider\/model>, or --demo/);
  });
});
