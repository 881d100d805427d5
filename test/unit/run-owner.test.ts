// A record says running only while its process lives: a CLI killed by SIGKILL cannot write its end, so
// readers ask the owner (src/core/runs/owner.ts); a live other process's runs are left to it.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Orchestrator } from '../../src/core/orchestrator';
import { cutShort, ownerState, thisProcess } from '../../src/core/runs/owner';
import { newRunRecord } from '../../src/core/runs/record';
import { RunStore } from '../../src/core/runs/store';
import { FakeBackend } from '../support/fakeBackend';
import { targetsFor } from '../support/specs';

const children: { kill(): void }[] = [];
afterEach(() => {
  for (const c of children.splice(0)) c.kill();
});

function liveChild(): { pid: number; since: string } {
  const since = new Date(Date.now() - 1000).toISOString();
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
  children.push(child);
  return { pid: child.pid as number, since };
}

function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

describe('run owners', () => {
  it('this process is alive; a finished process is gone; another machine cannot be told; a reused pid is gone', () => {
    expect(ownerState(thisProcess())).toBe('alive');
    expect(ownerState({ pid: deadPid(), host: os.hostname(), since: new Date().toISOString() })).toBe('gone');
    expect(ownerState({ pid: 1, host: 'build-agent-7', since: new Date().toISOString() })).toBe('elsewhere');
    expect(ownerState(undefined)).toBe('unknown');
    const child = liveChild();
    expect(ownerState({ pid: child.pid, host: os.hostname(), since: child.since })).toBe('alive');
    // The same pid, but the owner started long before this process did: the pid was reused.
    expect(ownerState({ pid: child.pid, host: os.hostname(), since: '2020-01-01T00:00:00.000Z' })).toBe('gone');
  });

  it('a running record whose process is gone was cut short; one whose process lives, or a finished one, is as it says', () => {
    const gone = { pid: deadPid(), host: os.hostname(), since: new Date().toISOString() };
    expect(cutShort({ status: 'running', owner: gone })).toBe(`the process that ran it (pid ${gone.pid}) is gone: the run was cut short`);
    expect(cutShort({ status: 'queued', owner: gone })).toMatch(/cut short/);
    expect(cutShort({ status: 'failed', owner: gone })).toBeUndefined();
    const child = liveChild();
    expect(cutShort({ status: 'running', owner: { pid: child.pid, host: os.hostname(), since: child.since } })).toBeUndefined();
    expect(cutShort({ status: 'running' })).toBeUndefined();
  });

  it('an orchestrator leaves a run that another live process runs to it (no interrupted mark, no second run), and marks one whose process is gone', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'ib-owner-'));
    try {
      const workRoot = path.join(root, 'work');
      const store = new RunStore(workRoot);
      const child = liveChild();
      const mk = (id: string, pid: number, since: string) => ({
        ...newRunRecord({
          key: `google-calendar/${id}`,
          integrationId: 'google-calendar',
          interactionId: id,
          specFile: '/s.json',
          folder: path.join(workRoot, 'google-calendar', id),
          demo: false,
          now: since,
        }),
        status: 'running' as const,
        owner: { pid, host: os.hostname(), since },
      });
      await store.save(mk('theirs', child.pid, child.since));
      await store.save(mk('orphan', deadPid(), new Date().toISOString()));
      await store.flush();
      const backend = new FakeBackend();
      const o = new Orchestrator({ workRoot, connection: backend, runs: store });
      await o.restore();
      expect(o.get('google-calendar/theirs')!.status).toBe('running');
      expect(o.get('google-calendar/orphan')).toMatchObject({ status: 'interrupted' });
      expect(o.generate(targetsFor('google-calendar', ['theirs']))).toEqual([]);
      expect(backend.calls).toEqual([]);
      o.dispose();
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
