// The built CLI (dist/cli.js, `npm run build` first) on bad input and through pipes (issue 14): output
// written in full before the process ends, bad places refused with exit 2 and nothing written.
import { spawn } from 'node:child_process';
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, cliWorkspace, runCli } from '../support/cli';

let dir: string;
const cli = (args: string[]) => runCli(dir, args);
const tree = () => (readdirSync(dir, { recursive: true }) as string[]).sort();

beforeAll(() => {
  dir = cliWorkspace('cli-faults');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('integration-builder CLI on bad input', () => {
  it('status --json through a pipe is whole, however long (it was cut at 64 KB)', async () => {
    const interactions = Array.from({ length: 800 }, (_, i) => ({
      id: `interaction-number-${i}`,
      displayName: 'X',
      description: 'd',
      prompt: '',
      comments: '',
    }));
    writeFileSync(
      path.join(dir, 'big.interactions.json'),
      JSON.stringify({ integrations: [{ id: 'acme', connectionId: 'c', environment: 'dev', docs: 'https://example.com/api', context: '', interactions }] }),
    );
    const r = await cli(['status', '--json', '--spec', 'big.interactions.json']);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout.length).toBeGreaterThan(65_536);
    const rows = JSON.parse(r.stdout) as { key: string; status: string }[];
    expect(rows).toHaveLength(800);
    expect(rows.every((x) => x.status === 'not-started')).toBe(true);
    rmSync(path.join(dir, 'big.interactions.json'));
  }, 60_000);

  it('a reader that stops early (| head) is no crash', async () => {
    const r = await new Promise<{ stderr: string; stdout: string }>((resolve) => {
      const child = spawn('bash', ['-o', 'pipefail', '-c', `'${process.execPath}' '${CLI}' status --json | head -c 5`], {
        cwd: dir,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c) => (stdout += c));
      child.stderr.on('data', (c) => (stderr += c));
      child.on('close', () => resolve({ stdout, stderr }));
    });
    expect(r.stdout).toBe('[\n  {');
    expect(r.stderr).not.toMatch(/EPIPE|at .*\.js:\d+/);
  }, 60_000);

  it('the work root: the project itself, /proc, a path through a file: exit 2, a clear message, nothing written', async () => {
    const before = tree();
    const cases: [string[], RegExp][] = [
      [['generate', '--all', '--demo', '--work-root', '.'], /the work root .* is the project folder itself/],
      [['verify', '--all', '--work-root', '.'], /the work root .* is the project folder itself/],
      [['status', '--work-root', '/proc/x'], /the work root \/proc\/x is under \/proc, a system folder/],
      [['generate', '--all', '--demo', '--work-root', '/proc/x'], /is under \/proc, a system folder/],
      [['verify', '--all', '--work-root', 'interactions.json/work'], /cannot be created: .*interactions\.json is a file, not a folder/],
    ];
    for (const [args, why] of cases) {
      const started = Date.now();
      const r = await cli(args);
      expect(r.code, `${args.join(' ')}\n${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(why);
      expect(r.stderr).not.toMatch(/^\s+at /m); // no stack trace, no raw errno
      expect(Date.now() - started).toBeLessThan(20_000);
      expect(tree()).toEqual(before);
    }
  }, 120_000);

  it('an empty --spec= is an error, not the default spec; an unwritable --junit stops verify before it starts', async () => {
    const empty = await cli(['status', '--spec=']);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain('--spec needs a value, not an empty one');
    expect(empty.stdout).toBe('');
    const junit = await cli(['verify', '--all', '--junit', 'no-such-folder/verify.xml']);
    expect(junit.code).toBe(2);
    expect(junit.stderr).toMatch(/--junit .*no-such-folder\/verify\.xml cannot be written: its folder .* does not exist; nothing was verified/);
  }, 60_000);
});
