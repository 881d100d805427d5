// Memory that does not grow with N (issue 15, item 3): what the agent connection holds after many runs.
// The real AgentConnection against a small opencode stand-in on loopback (a remote server, so nothing
// is spawned): the event stream, POST /session and POST /instance/dispose. Each run does what the
// orchestrator does — create a session, subscribe, stream its turn, dispose the subscription, release
// the session — and events that arrive after the release (a late idle, the message updated again) are
// streamed too.
import * as http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentConnection } from '../../src/core/agent/connection';
import type { AgentEvent } from '../../src/core/agent/events';

const N = 60;

interface Stub {
  readonly url: string;
  readonly disposed: string[];
  push(payload: unknown): void;
  close(): Promise<void>;
}

async function stub(): Promise<Stub> {
  const streams = new Set<http.ServerResponse>();
  const disposed: string[] = [];
  let sessions = 0;
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/global/event') {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      res.write(`data: ${JSON.stringify({ directory: 'global', payload: { type: 'server.connected', properties: {} } })}\n\n`);
      streams.add(res);
      res.on('close', () => streams.delete(res));
      return;
    }
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      if (url.pathname === '/session' && req.method === 'POST') res.end(JSON.stringify({ id: `ses_${++sessions}` }));
      else if (url.pathname === '/instance/dispose') {
        disposed.push(decodeURIComponent(url.searchParams.get('directory') ?? req.headers['x-opencode-directory']?.toString() ?? ''));
        res.end('true');
      } else res.end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    disposed,
    push: (payload) => {
      for (const s of streams) s.write(`data: ${JSON.stringify({ directory: '/x', payload })}\n\n`);
    },
    close: () =>
      new Promise((r) => {
        for (const s of streams) s.destroy();
        server.close(() => r());
      }),
  };
}

function turn(sessionID: string): unknown[] {
  const messageID = `msg_${sessionID}`;
  return [
    { type: 'session.status', properties: { sessionID, status: { type: 'busy' } } },
    {
      type: 'message.part.updated',
      properties: { part: { id: `prt_${sessionID}`, sessionID, messageID, type: 'text', text: 'Done.', time: { start: 1, end: 2 } } },
    },
    { type: 'message.updated', properties: { info: { id: messageID, sessionID, role: 'assistant', finish: 'stop', time: { created: 1, completed: 3 } } } },
    { type: 'session.status', properties: { sessionID, status: { type: 'idle' } } },
  ];
}

let server: Stub | undefined;
let conn: AgentConnection | undefined;
afterEach(async () => {
  await conn?.dispose();
  await server?.close();
  conn = server = undefined;
});

describe('AgentConnection memory over N runs (issue 15, item 3)', () => {
  it(`follows no session, holds no listener or normaliser state, and disposed every folder's instance after ${N} runs end`, async () => {
    server = await stub();
    conn = new AgentConnection({ mode: { kind: 'remote', urls: [server.url] }, backoffMs: [20, 200] });
    await conn.ensure();
    for (let wave = 0; wave < N / 10; wave++) {
      // Ten at a time, as runs overlap.
      const runs = await Promise.all(
        Array.from({ length: 10 }, async (_, i) => {
          const ref = await conn!.createSession(`/work/api/interaction-${wave * 10 + i}`, 'run');
          const finished = new Promise<AgentEvent>((resolve) => {
            const sub = conn!.subscribe(ref.sessionId, (e) => {
              if (e.type === 'finished') {
                sub.dispose();
                resolve(e);
              }
            });
          });
          return { ref, finished };
        }),
      );
      expect(conn.bookkeeping.sessions).toBe(10);
      for (const r of runs) for (const p of turn(r.ref.sessionId)) server.push(p);
      await Promise.all(runs.map((r) => r.finished));
      for (const r of runs) await conn.release(r.ref);
      // What can still come after a run ended.
      for (const r of runs) for (const p of turn(r.ref.sessionId).slice(2)) server.push(p);
    }
    await new Promise((r) => setTimeout(r, 50)); // the late events through the stream
    const held = conn.bookkeeping;
    expect(held.sessions).toBe(0);
    expect(held.listeners).toBe(0);
    expect(held.normalized).toBeLessThanOrEqual(32);
    expect(new Set(server.disposed).size).toBe(N);
  });
});
