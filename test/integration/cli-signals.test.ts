// The CLI stopped mid-run (SIGTERM, as a CI runner or `kill` sends it): the runs are recorded as
// stopped, and no process it started is left — not the opencode server, not a sandboxed command.
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPENCODE_BIN } from '../support/agentStack';
import { CLI, cliWorkspace } from '../support/cli';

let dir: string;

/** Processes whose working directory is under `root` (the server runs in the work root, commands in their folders). */
function processesUnder(root: string): string[] {
  const out: string[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const cwd = readlinkSync(`/proc/${pid}/cwd`);
      if (cwd === root || cwd.startsWith(`${root}/`)) out.push(`${pid} ${readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ')}`);
    } catch {
      // gone, or not ours to read
    }
  }
  return out;
}

beforeAll(() => {
  dir = cliWorkspace('cli-signals');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('integration-builder stopped by a signal', () => {
  it('SIGTERM mid-run: the runs are recorded as stopped and nothing it started is left running', async () => {
    const child = spawn(process.execPath, [CLI, 'generate', 'google-calendar/create-event', 'sync-events', '--demo', '--concurrency', '2'], {
      cwd: dir,
      env: { ...process.env, OPENCODE_BIN },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (c) => (stderr += c));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    const deadline = Date.now() + 120_000;
    while (!/running\s+[1-9]\d* steps/.test(stderr) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    expect(stderr, 'an agent got to work').toMatch(/running\s+[1-9]\d* steps/);
    const workRoot = path.join(dir, '.integration-builder', 'work');
    expect(processesUnder(workRoot).length, 'the server runs in the work root').toBeGreaterThan(0);
    child.kill('SIGTERM');
    const code = await exited;
    expect(code).toBe(1);
    expect(stderr).toMatch(/stopped by SIGTERM/);
    await new Promise((r) => setTimeout(r, 500));
    expect(processesUnder(workRoot)).toEqual([]);
    for (const id of ['create-event', 'sync-events']) {
      const record = JSON.parse(readFileSync(path.join(workRoot, '.runs', 'google-calendar', `${id}.json`), 'utf8')) as { status: string };
      expect(['stopped', 'needs-review']).toContain(record.status);
    }
  }, 240_000);
});
