// The server side of agent runs: a crashed server, a dropped event stream, remote servers, and a
// reload that re-attaches to a session still running on a remote server.
import { mkdtempSync, rmSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentConnection } from '../../src/core/agent/connection';
import { buildOpencodeConfig } from '../../src/core/agent/opencodeConfig';
import { OpencodeServer } from '../../src/core/agent/server';
import { ScriptedModelServer, scriptedProviderConfig, type ScriptStep } from '../../src/core/model/scriptedModel';
import { Orchestrator } from '../../src/core/orchestrator';
import { RunStore } from '../../src/core/runs/store';
import { OPENCODE_BIN, offlineEnv, startAgentStack, TEST_MODEL, type AgentStack } from '../support/agentStack';
import { targetsFor } from '../support/specs';

const slow = (id: string, stepDelayMs: number): ScriptStep[] => [
  { tool_calls: [{ name: 'write', arguments: { filePath: 'notes.txt', content: `${id}\n` } }], delayMs: stepDelayMs },
  { tool_calls: [{ name: 'bash', arguments: { command: 'cat notes.txt', description: 'Read notes' } }], delayMs: stepDelayMs },
  { tool_calls: [{ name: 'bash', arguments: { command: 'ls', description: 'List' } }], delayMs: stepDelayMs },
  { text: `Done with ${id}.`, delayMs: stepDelayMs },
];

async function until(probe: () => unknown, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A loopback TCP proxy whose live connections can be cut, to drop the event stream on purpose. */
async function startProxy(target: URL): Promise<{ url: string; cut(): number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port), target.hostname);
    sockets.add(client);
    sockets.add(upstream);
    client.pipe(upstream).pipe(client);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    cut() {
      const n = sockets.size;
      for (const s of [...sockets]) s.destroy();
      sockets.clear();
      return n;
    },
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

describe('a crashed opencode server', () => {
  let stack: AgentStack;
  beforeAll(async () => {
    stack = await startAgentStack();
  });
  afterAll(async () => stack?.close());

  it('marks its sessions interrupted, and the next run starts a new server', async () => {
    const workRoot = path.join(stack.root, 'work-crash');
    stack.model.define('doomed-run', [{ tool_calls: [{ name: 'bash', arguments: { command: 'sleep 60', description: 'Long task' } }] }, { text: 'never' }]);
    stack.model.define('after-crash', slow('after-crash', 0));
    const o = new Orchestrator({
      workRoot,
      connection: stack.connection,
      runs: new RunStore(workRoot),
      model: TEST_MODEL,
      onSessionCreated: (run) => stack.model.assign(run.sessionId!, run.interactionId),
    });
    let bashStarted = false;
    o.onAgentEvent(({ event }) => {
      if (event.type === 'tool.started' && event.tool === 'bash') bashStarted = true;
    });
    o.generate(targetsFor('google-calendar', ['doomed-run']));
    await until(() => bashStarted);
    const firstPid = stack.connection.ownedServer!.pid;
    stack.connection.ownedServer!.kill();
    await o.whenIdle();
    expect(o.get('google-calendar/doomed-run')).toMatchObject({ status: 'interrupted' });
    expect(o.get('google-calendar/doomed-run')!.detail).toMatch(/^the opencode server stopped unexpectedly/);

    o.generate(targetsFor('google-calendar', ['after-crash']));
    await o.whenIdle();
    expect(o.get('google-calendar/after-crash')!.status, o.get('google-calendar/after-crash')!.detail).toBe('needs-review');
    expect(stack.connection.ownedServer!.pid).not.toBe(firstPid);
  });
});

describe('a hung opencode server', () => {
  it('fails its health checks, is killed, and its sessions are marked interrupted', async () => {
    const stack = await startAgentStack(
      {},
      { connection: { healthCheck: { intervalMs: 1000, timeoutMs: 5000, failures: 2 } }, log: (l) => process.env.IB_DEBUG && console.log(l) },
    );
    try {
      const workRoot = path.join(stack.root, 'work-hang');
      stack.model.define('hung-run', [{ tool_calls: [{ name: 'bash', arguments: { command: 'sleep 60', description: 'Long task' } }] }, { text: 'never' }]);
      const o = new Orchestrator({
        workRoot,
        connection: stack.connection,
        runs: new RunStore(workRoot),
        model: TEST_MODEL,
        onSessionCreated: (run) => stack.model.assign(run.sessionId!, run.interactionId),
      });
      let bashStarted = false;
      o.onAgentEvent(({ event }) => {
        if (event.type === 'tool.started') bashStarted = true;
      });
      o.generate(targetsFor('google-calendar', ['hung-run']));
      await until(() => bashStarted || o.get('google-calendar/hung-run')?.status !== 'running');
      expect(o.get('google-calendar/hung-run')!.detail).toBeUndefined();
      process.kill(stack.connection.ownedServer!.pid!, 'SIGSTOP'); // alive, but answers nothing
      await o.whenIdle();
      expect(o.get('google-calendar/hung-run')).toMatchObject({ status: 'interrupted' });
      // The reason names the health checks that failed and the kill that followed.
      expect(o.get('google-calendar/hung-run')!.detail).toMatch(
        /stopped answering \(2 health checks failed in a row\) and was killed \(code null, signal SIGKILL\)/,
      );
    } finally {
      await stack.close();
    }
  });
});

describe('remote opencode servers', () => {
  let root: string;
  let model: ScriptedModelServer;
  let server: OpencodeServer;
  let serverUrl: string;

  beforeAll(async () => {
    root = mkdtempSync(path.join(tmpdir(), 'ib-remote-'));
    model = new ScriptedModelServer();
    const llm = await model.start();
    server = new OpencodeServer({
      bin: OPENCODE_BIN,
      cwd: root,
      env: offlineEnv(root),
      config: buildOpencodeConfig({ model: TEST_MODEL, providers: scriptedProviderConfig(llm), enabledProviders: ['scripted'] }),
    });
    serverUrl = (await server.start()).url;
  });
  afterAll(async () => {
    await server?.stop();
    await model?.close();
    rmSync(root, { recursive: true, force: true });
  });

  const remote = (urls: string[], backoffMs: [number, number] = [50, 800]) =>
    new AgentConnection({ mode: { kind: 'remote', urls, password: server.password }, backoffMs });

  it('a dropped event stream is reconnected and the run still finishes', async () => {
    const proxy = await startProxy(new URL(serverUrl));
    const connection = remote([proxy.url]);
    const workRoot = path.join(root, 'work-drop');
    model.define('survives-drop', slow('survives-drop', 400));
    const o = new Orchestrator({
      workRoot,
      connection,
      runs: new RunStore(workRoot),
      model: TEST_MODEL,
      onSessionCreated: (run) => model.assign(run.sessionId!, 'survives-drop'),
    });
    let tools = 0;
    o.onAgentEvent(({ event }) => {
      if (event.type === 'tool.finished') tools++;
    });
    try {
      o.generate(targetsFor('google-calendar', ['survives-drop']));
      await until(() => tools >= 1);
      expect(proxy.cut()).toBeGreaterThan(0);
      await o.whenIdle();
      const run = o.get('google-calendar/survives-drop')!;
      expect(run.status, run.detail).toBe('needs-review');
      expect(run.finalText).toBe('Done with survives-drop.');
      expect(run.serverOwned).toBe(false);
    } finally {
      await connection.dispose();
      await proxy.close();
    }
  });

  it('an unreachable server fails the run with a message naming it', async () => {
    const dead = await new Promise<number>((resolve) => {
      const s = net.createServer();
      s.listen(0, '127.0.0.1', () => {
        const port = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(port));
      });
    });
    const connection = remote([`http://127.0.0.1:${dead}`], [20, 160]);
    const workRoot = path.join(root, 'work-dead');
    const o = new Orchestrator({ workRoot, connection, runs: new RunStore(workRoot), model: TEST_MODEL });
    try {
      o.generate(targetsFor('google-calendar', ['nowhere-run']));
      await o.whenIdle();
      expect(o.get('google-calendar/nowhere-run')).toMatchObject({ status: 'failed' });
      expect(o.get('google-calendar/nowhere-run')!.detail).toContain(`cannot reach the opencode server at http://127.0.0.1:${dead}`);
    } finally {
      await connection.dispose();
    }
  });

  it('after a reload, a run on a remote server is re-attached and followed to its end', async () => {
    const workRoot = path.join(root, 'work-reattach');
    model.define('long-remote', slow('long-remote', 700));
    const first = remote([serverUrl]);
    const o1 = new Orchestrator({
      workRoot,
      connection: first,
      runs: new RunStore(workRoot),
      model: TEST_MODEL,
      onSessionCreated: (run) => model.assign(run.sessionId!, 'long-remote'),
    });
    let started = false;
    o1.onAgentEvent(({ event }) => {
      if (event.type === 'tool.finished') started = true;
    });
    o1.generate(targetsFor('google-calendar', ['long-remote']));
    await until(() => started);
    // The window closes: the connection goes away without stopping the remote session.
    const sessionId = o1.get('google-calendar/long-remote')!.sessionId;
    await first.dispose();
    await new RunStore(workRoot).flush();

    const second = remote([serverUrl]);
    try {
      const o2 = new Orchestrator({ workRoot, connection: second, runs: new RunStore(workRoot), model: TEST_MODEL });
      await o2.restore();
      expect(o2.get('google-calendar/long-remote')).toMatchObject({ status: 'running', sessionId });
      await o2.whenIdle();
      const run = o2.get('google-calendar/long-remote')!;
      expect(run.status, run.detail).toBe('needs-review');
      expect(run.finalText).toBe('Done with long-remote.');
    } finally {
      await second.dispose();
    }
  });
});
