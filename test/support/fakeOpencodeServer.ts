// A stand-in `opencode` binary for the connection's unit tests: `serve` listens on 127.0.0.1 (port 0),
// prints opencode's "listening on" line, and answers the few routes the connection uses — the event
// stream (/global/event, one event at once, then a heartbeat), /global/health and POST /session. Its
// behaviour is set per test through the environment (FAKE_* variables), the starts it has made are
// counted in a file. Cheap: the real binary's start is covered by the integration tests.
import { chmodSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';

const SCRIPT = `#!/usr/bin/env node
const fs = require('fs');
const http = require('http');
const starts = process.env.FAKE_STARTS_FILE;
const n = (starts && fs.existsSync(starts) ? Number(fs.readFileSync(starts, 'utf8')) : 0) + 1;
if (starts) fs.writeFileSync(starts, String(n));
// FAKE_SILENT_STARTS=k: the first k starts never report a URL (a server too slow to come up).
if (n <= Number(process.env.FAKE_SILENT_STARTS || 0)) { setInterval(() => {}, 1000); return; }
let streams = 0;
let sessions = 0;
const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://x');
  if (url.pathname === '/global/event') {
    streams++;
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const send = () => res.write('data: ' + JSON.stringify({ directory: 'global', payload: { type: 'server.heartbeat', properties: {} } }) + '\\n\\n');
    send();
    const beat = setInterval(send, 200);
    res.on('close', () => clearInterval(beat));
    // FAKE_DROP_FIRST_STREAM_MS: the first stream ends after this long (a dropped connection).
    const drop = Number(process.env.FAKE_DROP_FIRST_STREAM_MS || 0);
    if (streams === 1 && drop) setTimeout(() => { clearInterval(beat); res.destroy(); }, drop);
    return;
  }
  if (url.pathname === '/global/health') {
    if (process.env.FAKE_HEALTH === 'hang') return; // never answers
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ healthy: true, version: 'fake' }));
    return;
  }
  if (url.pathname === '/session' && req.method === 'POST') {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ id: 'ses_' + process.pid + '_' + ++sessions }));
    });
    return;
  }
  res.writeHead(404);
  res.end('{}');
});
server.listen(0, '127.0.0.1', () => console.log('opencode server listening on http://127.0.0.1:' + server.address().port));
`;

/** Writes the stand-in into `dir` and returns its path. */
export function writeFakeOpencode(dir: string): string {
  const bin = path.join(dir, 'opencode');
  writeFileSync(bin, SCRIPT);
  chmodSync(bin, 0o755);
  return bin;
}
