// The agent connection's state (idle → starting → ready; reconnecting; down; restart), as the editor
// shows it. The real AgentConnection and OpencodeServer run against a stand-in `opencode` binary
// (test/support/fakeOpencodeServer.ts: a small HTTP server speaking the three routes the connection
// uses), so every transition comes from a real spawn, a real event stream and a real process exit.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AgentConnection, type ConnectionOptions, type SessionsLost } from '../../src/core/agent/connection';
import type { ConnectionState, ConnectionStatus } from '../../src/core/agent/types';
import { writeFakeOpencode } from '../support/fakeOpencodeServer';

let dir: string;
let conn: AgentConnection | undefined;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'ib-conn-state-'));
});
afterEach(async () => {
  await conn?.dispose();
  conn = undefined;
  rmSync(dir, { recursive: true, force: true });
});

function connection(env: Record<string, string> = {}, extra: Partial<ConnectionOptions> = {}): { conn: AgentConnection; states: ConnectionStatus[] } {
  const server = {
    bin: writeFakeOpencode(dir),
    cwd: dir,
    config: {},
    env: { FAKE_STARTS_FILE: path.join(dir, 'starts'), ...env },
    startTimeoutMs: 10_000,
    stopGraceMs: 500,
  };
  conn = new AgentConnection({ mode: { kind: 'local', server }, backoffMs: [50, 400], ...extra });
  const states: ConnectionStatus[] = [];
  conn.onStateChanged((s) => states.push(s));
  return { conn, states };
}
const names = (states: readonly ConnectionStatus[]): ConnectionState[] => states.map((s) => s.state);
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('agent connection state', () => {
  it('is idle until used; ensure() goes starting → ready with our own server; dispose() makes it idle', async () => {
    const { conn, states } = connection();
    expect(conn.state).toEqual({ state: 'idle' });
    await conn.ensure();
    expect(names(states)).toEqual(['starting', 'ready']);
    expect(conn.state.state).toBe('ready');
    expect(conn.ownedServer?.pid).toBeGreaterThan(0);
    await conn.dispose();
    expect(names(states)).toEqual(['starting', 'ready', 'idle']);
  }, 30_000);

  it('restart() stops our server and starts a new one: starting → ready, a new process, its sessions lost', async () => {
    const { conn, states } = connection();
    await conn.ensure();
    const first = conn.ownedServer!.pid!;
    const url = conn.serverUrls()[0];
    const ref = await conn.createSession(dir, 'a run');
    const lost: SessionsLost[] = [];
    conn.onSessionsLost((l) => lost.push(l));
    await conn.restart();
    expect(names(states)).toEqual(['starting', 'ready', 'starting', 'ready']);
    const second = conn.ownedServer!.pid!;
    expect(second).not.toBe(first);
    expect(alive(first)).toBe(false);
    expect(conn.serverUrls()).toHaveLength(1);
    expect(conn.serverUrls()[0]).not.toBe(url);
    expect(lost).toEqual([{ serverUrl: url, sessionIds: [ref.sessionId], reason: 'the agent server was restarted' }]);
    expect(readFileSync(path.join(dir, 'starts'), 'utf8')).toBe('2');
  }, 30_000);

  it('a run asking for the server during a restart waits for the new one', async () => {
    const { conn } = connection();
    await conn.ensure();
    const restarting = conn.restart();
    const ensured = conn.ensure();
    await Promise.all([restarting, ensured]);
    expect(conn.state.state).toBe('ready');
    expect(readFileSync(path.join(dir, 'starts'), 'utf8')).toBe('2');
  }, 30_000);

  it('a server that crashes is down (saying why); the next ensure() starts a fresh one', async () => {
    const { conn, states } = connection();
    await conn.ensure();
    conn.ownedServer!.kill();
    await vi.waitFor(() => expect(conn.state.state).toBe('down'), { timeout: 10_000 });
    expect(conn.state.detail).toMatch(/^the opencode server stopped unexpectedly \(code null, signal SIGKILL\)$/);
    await conn.ensure();
    // The dying server's event stream may end a moment before its exit is seen: reconnecting, then down.
    expect(names(states).filter((s) => s !== 'reconnecting')).toEqual(['starting', 'ready', 'down', 'starting', 'ready']);
  }, 30_000);

  it('a server that stops answering its health checks is killed and down, saying so', async () => {
    const { conn, states } = connection({ FAKE_HEALTH: 'hang' }, { healthCheck: { intervalMs: 100, timeoutMs: 100, failures: 2 } });
    await conn.ensure();
    await vi.waitFor(() => expect(conn.state.state).toBe('down'), { timeout: 10_000 });
    expect(conn.state.detail).toMatch(
      /^the opencode server stopped answering \(2 health checks failed in a row\) and was killed \(code null, signal SIGKILL\)$/,
    );
    expect(names(states).filter((s) => s !== 'reconnecting')).toEqual(['starting', 'ready', 'down']);
  }, 30_000);

  it('an event stream that drops is reconnecting, then ready again', async () => {
    const { conn, states } = connection({ FAKE_DROP_FIRST_STREAM_MS: '300' });
    await conn.ensure();
    await vi.waitFor(() => expect(names(states)).toEqual(['starting', 'ready', 'reconnecting', 'ready']), { timeout: 10_000 });
    expect(states[2]?.detail).toMatch(/^the event stream to http:\/\/127\.0\.0\.1:\d+ dropped; reconnecting$/);
  }, 30_000);

  it('a server that never reports its URL (twice: the start is tried once more) is down with the reason', async () => {
    const server = {
      bin: writeFakeOpencode(dir),
      cwd: dir,
      config: {},
      env: { FAKE_STARTS_FILE: path.join(dir, 'starts'), FAKE_SILENT_STARTS: '2' },
      startTimeoutMs: 800,
      stopGraceMs: 200,
    };
    conn = new AgentConnection({ mode: { kind: 'local', server } });
    const states: ConnectionStatus[] = [];
    conn.onStateChanged((s) => states.push(s));
    await expect(conn.ensure()).rejects.toThrow(/did not report a URL within 800 ms/);
    expect(names(states)).toEqual(['starting', 'down']);
    expect(states[1]?.detail).toMatch(/did not report a URL within 800 ms/);
    // The third start reports its URL: the next ensure() gets a server.
    await conn.ensure();
    expect(names(states)).toEqual(['starting', 'down', 'starting', 'ready']);
  }, 30_000);
});
