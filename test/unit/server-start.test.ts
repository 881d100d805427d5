// The opencode server we spawn: a start too slow to report its URL is tried once more before the runs
// waiting for it fail, and the server dies with the harness however the harness dies (SIGKILL included:
// `setpriv --pdeathsig`). A stand-in `opencode` script plays the server here (it only needs to print its
// URL line or stay silent); the real binary's start is covered by the integration tests.
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AgentConnection } from '../../src/core/agent/connection';
import { dieWithParent } from '../../src/core/util/parentDeath';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'ib-server-start-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A stand-in server: counts its starts; silent on the first, prints a URL on later ones. */
function fakeOpencode(): string {
  const bin = path.join(dir, 'opencode');
  writeFileSync(
    bin,
    `#!/usr/bin/env node
const fs = require('fs');
const f = ${JSON.stringify(path.join(dir, 'starts'))};
const n = (fs.existsSync(f) ? Number(fs.readFileSync(f, 'utf8')) : 0) + 1;
fs.writeFileSync(f, String(n));
if (n > 1) console.log('opencode server listening on http://127.0.0.1:9');
setInterval(() => {}, 1000);
`,
  );
  chmodSync(bin, 0o755);
  return bin;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('the opencode server start', () => {
  it('a start that does not report its URL in time is tried once more with a fresh process', async () => {
    const lines: string[] = [];
    const conn = new AgentConnection({
      mode: { kind: 'local', server: { bin: fakeOpencode(), cwd: dir, env: {}, config: {}, startTimeoutMs: 1500, stopGraceMs: 200 } },
      log: (l) => lines.push(l),
      backoffMs: [10, 20],
    });
    // The second start reports a URL where nothing answers, so the connection still fails — after two starts.
    await expect(conn.ensure()).rejects.toThrow();
    expect(readFileSync(path.join(dir, 'starts'), 'utf8')).toBe('2');
    expect(lines.join('\n')).toMatch(/did not report a URL within 1500 ms.*trying once more/);
    await conn.dispose();
  }, 30_000);

  // Linux with util-linux's setpriv only (Debian has it in its essential set); elsewhere dieWithParent changes nothing.
  it.runIf(process.platform === 'linux' && existsSync('/usr/bin/setpriv'))(
    'a child started through dieWithParent is killed when its parent is SIGKILLed',
    async () => {
      const pidFile = path.join(dir, 'child.pid');
      const launch = dieWithParent(process.execPath, ['-e', 'setInterval(() => {}, 1000)']);
      // The parent: starts the child the way the harness does, writes its pid, then waits to be killed.
      const parent = spawn(
        process.execPath,
        [
          '-e',
          `const c = require('child_process').spawn(${JSON.stringify(launch.cmd)}, ${JSON.stringify(launch.args)}, { stdio: 'ignore', detached: true }); require('fs').writeFileSync(${JSON.stringify(pidFile)}, String(c.pid)); setInterval(() => {}, 1000);`,
        ],
        { stdio: 'ignore' },
      );
      const deadline = Date.now() + 10_000;
      while (!existsSync(pidFile) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      const child = Number(readFileSync(pidFile, 'utf8'));
      expect(alive(child)).toBe(true);
      parent.kill('SIGKILL');
      const gone = Date.now() + 10_000;
      while (alive(child) && Date.now() < gone) await new Promise((r) => setTimeout(r, 50));
      const state = alive(child) ? execFileSync('ps', ['-o', 'stat=', '-p', String(child)], { encoding: 'utf8' }).trim() : '';
      // gone, or a zombie waiting for init to reap it
      expect(state === '' || state.startsWith('Z')).toBe(true);
    },
    30_000,
  );
});
