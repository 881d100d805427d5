// The CLI and the agent sandbox (dist/cli.js, built by `npm run build`): `doctor` runs the real sandbox;
// where no sandbox can run (here: a PATH without bubblewrap) `generate` refuses with exit 2 and writes
// nothing, unless --allow-unsandboxed; then every run, the status and the verdict say unsandboxed.
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findOnPath } from '../../src/core/agent/binaries';
import { cliWorkspace, runCli } from '../support/cli';

let dir: string;
let noBwrap: string;
const cli = (args: string[], env: Record<string, string> = {}) => runCli(dir, args, env);

beforeAll(() => {
  dir = cliWorkspace('cli-sandbox');
  noBwrap = path.join(dir, '.bin');
  mkdirSync(noBwrap, { recursive: true });
  // A PATH with what the flow needs (node for the Nango CLI's shebang, ripgrep for opencode) but no bwrap.
  for (const name of ['node', 'rg']) {
    const found = findOnPath(name);
    if (found) symlinkSync(found, path.join(noBwrap, name));
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('integration-builder and the agent sandbox', () => {
  it('doctor runs the real sandbox and says what holds', async () => {
    const r = await cli(['doctor']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    for (const line of [
      '✓ folder writable',
      '✓ fixtures read-only',
      '✓ neighbours and run records invisible',
      '✓ environment cleared',
      '✓ no process outlives a command',
      '✓ no network',
    ])
      expect(r.stdout).toContain(line);
  });

  it('doctor without bubblewrap says so and exits 1', async () => {
    const r = await cli(['doctor'], { PATH: noBwrap });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/✗ bubblewrap: bubblewrap \(bwrap\) is not installed/);
  });

  it('generate without a sandbox refuses, exit 2, nothing written', async () => {
    const r = await cli(['generate', 'google-calendar/create-event', '--demo'], { PATH: noBwrap });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/cannot be sandboxed on this machine: bubblewrap \(bwrap\) is not installed.*--allow-unsandboxed/s);
    expect(existsSync(path.join(dir, '.integration-builder'))).toBe(false);
  });

  it('--allow-unsandboxed runs it, and the run, the status and the verdict say unsandboxed', async () => {
    const r = await cli(['generate', 'google-calendar/create-event', '--demo', '--allow-unsandboxed'], { PATH: noBwrap });
    expect(r.stderr).toMatch(/running agents UNSANDBOXED/);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toMatch(/verified \(unsandboxed\)/);
    const record = JSON.parse(readFileSync(path.join(dir, '.integration-builder/work/.runs/google-calendar/create-event.json'), 'utf8')) as {
      sandbox?: string;
    };
    expect(record.sandbox).toBe('unsandboxed');
    const status = await cli(['status']);
    expect(status.stdout).toMatch(/google-calendar\/create-event\s+verified\s+#1 \$\S+\s+UNSANDBOXED/);
  }, 400_000);
});
