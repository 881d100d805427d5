// The recorder's key proxy: `nango dryrun --save` runs the agent's script in its own process, so
// whatever that process holds, the script holds. Handing it the Nango secret key would hand the agent a
// key to the whole Nango environment — every connection's credentials with it. Instead the recorder gets a one-time token and this proxy,
// run by the harness for one recording, which puts the real key on the requests a recording of THIS
// interaction needs (its connection, its integration, the provider calls made through that connection)
// and refuses everything else, naming it. The key never enters the sandbox. The recorder has no network
// of its own either: the proxy listens on a Unix socket bound into its sandbox, and the recorder
// (recorder.ts; or RECORDER_FORWARDER, run inside before the CLI) turns that into the loopback address the CLI is given — so what the
// script learns (a connection's credentials, say) it cannot send anywhere.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import * as http from 'node:http';
import * as https from 'node:https';
import * as path from 'node:path';
import { closeServer, listenLoopback } from '../util/httpServer';

/**
 * Script text for the recorder's sandbox: with `net` (node:net) and `sock` (the proxy's Unix socket) in
 * scope, defines `server`, which forwards each connection it takes to the socket (not yet listening).
 */
export const FORWARD_TO_SOCKET = `
const server = net.createServer((c) => {
  const up = net.connect(sock);
  c.on('error', () => up.destroy());
  up.on('error', () => c.destroy());
  c.pipe(up);
  up.pipe(c);
});
`;

/**
 * Runs inside the recorder's sandbox (`node -e RECORDER_FORWARDER -- <socket> <cli> <args…>`): listens on
 * the sandbox's own 127.0.0.1, forwards each connection to the proxy's Unix socket, and runs the CLI with
 * NANGO_HOSTPORT pointing there, ending with its exit code (and, through the PID namespace, with it).
 */
export const RECORDER_FORWARDER = `
const net = require('net');
const { spawn } = require('child_process');
const [sock, cli, ...args] = process.argv.slice(1).filter((a, i) => !(i === 0 && a === '--'));
${FORWARD_TO_SOCKET}
server.listen(0, '127.0.0.1', () => {
  const child = spawn(cli, args, { stdio: 'inherit', env: { ...process.env, NANGO_HOSTPORT: 'http://127.0.0.1:' + server.address().port } });
  child.on('error', (e) => { console.error('the recorder could not start: ' + e.message); process.exit(127); });
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 : 1)));
});
`;

export interface KeyProxyOptions {
  /** Listen on a Unix socket in this folder (for a sandbox without network) instead of 127.0.0.1. */
  readonly socketDir?: string;
  /** The Nango API the key belongs to (https://api.nango.dev or a self-hosted / stand-in URL). */
  readonly upstream: string;
  readonly secretKey: string;
  /** The one connection and integration this recording may use. */
  readonly connectionId: string;
  readonly integrationId: string;
}

export interface KeyProxy {
  /** Where it listens: `http://127.0.0.1:<port>`, or the Unix socket's path when `socketDir` was given. */
  readonly url: string;
  /** What the recorder is given instead of the key (valid for this proxy only). */
  readonly token: string;
  /** Requests refused, as `METHOD /path: why`. */
  readonly refused: readonly string[];
  /** Why the Nango API could not be reached, when it could not. */
  readonly unreachable: readonly string[];
  close(): Promise<void>;
}

/** Why a request is not one a recording of this interaction makes (undefined: it is). */
export function refusalOf(
  method: string,
  rawUrl: string,
  headers: http.IncomingHttpHeaders,
  scope: Pick<KeyProxyOptions, 'connectionId' | 'integrationId'>,
  /** The request's body, read for the requests judged by it (a metadata update). */
  body?: string,
): string | undefined {
  let url: URL;
  let parts: string[];
  try {
    url = new URL(rawUrl, 'http://proxy.invalid');
    parts = url.pathname
      .split('/')
      .filter(Boolean)
      .map((p) => decodeURIComponent(p));
  } catch {
    return 'not a URL';
  }
  const header = (name: string) => {
    const v = headers[name];
    return Array.isArray(v) ? v.join(',') : v;
  };
  if (parts[0] === 'proxy') {
    const conn = header('connection-id');
    const key = header('provider-config-key');
    if (conn !== scope.connectionId)
      return `a provider call through connection ${JSON.stringify(conn ?? '(none)')}, not this interaction's (${scope.connectionId})`;
    if (key !== scope.integrationId)
      return `a provider call for integration ${JSON.stringify(key ?? '(none)')}, not this interaction's (${scope.integrationId})`;
    return undefined;
  }
  if (parts[0] === 'action' && parts[1] === 'trigger' && parts.length === 2 && method === 'POST') {
    const conn = header('connection-id');
    const key = header('provider-config-key');
    if (conn !== scope.connectionId || key !== scope.integrationId)
      return `an action triggered for connection ${JSON.stringify(conn ?? '(none)')} of ${JSON.stringify(key ?? '(none)')}, not this interaction's`;
    return undefined;
  }
  if ((parts[0] === 'connections' || parts[0] === 'connection') && parts[1] === 'metadata' && parts.length === 2 && (method === 'POST' || method === 'PATCH')) {
    // the script's setMetadata/updateMetadata: its own connection only, as the body names it
    let sent: { connection_id?: unknown; provider_config_key?: unknown };
    try {
      sent = JSON.parse(body ?? '') as typeof sent;
    } catch {
      return 'a metadata update whose body is not JSON';
    }
    const ids = Array.isArray(sent?.connection_id) ? (sent.connection_id as unknown[]) : [sent?.connection_id];
    if (!ids.length || ids.some((c) => c !== scope.connectionId))
      return `a metadata update for connection ${JSON.stringify(sent?.connection_id)}, not this interaction's (${scope.connectionId})`;
    if (sent.provider_config_key !== scope.integrationId)
      return `a metadata update for integration ${JSON.stringify(sent.provider_config_key)}, not this interaction's (${scope.integrationId})`;
    return undefined;
  }
  if (method !== 'GET') return 'only provider calls and its own connection’s metadata may change anything during a recording';
  if ((parts[0] === 'connection' || parts[0] === 'connections') && parts.length === 2) {
    if (parts[1] !== scope.connectionId) return `connection ${JSON.stringify(parts[1])} is not this interaction's (${scope.connectionId})`;
    const pck = url.searchParams.get('provider_config_key');
    if (pck !== null && pck !== scope.integrationId) return `integration ${JSON.stringify(pck)} is not this interaction's (${scope.integrationId})`;
    return undefined;
  }
  if (parts[0] === 'integrations' && parts.length === 2) {
    return parts[1] === scope.integrationId ? undefined : `integration ${JSON.stringify(parts[1])} is not this interaction's (${scope.integrationId})`;
  }
  if (url.pathname === '/environment-variables' || url.pathname === '/api/v1/environments') return undefined;
  return 'not a request a recording needs';
}

/** The largest body read to judge a request (a metadata update). */
const MAX_JUDGED_BODY = 1_000_000;

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'host', 'authorization', 'content-length']);

export async function startKeyProxy(opts: KeyProxyOptions): Promise<KeyProxy> {
  const token = `ib-recorder-${randomBytes(24).toString('hex')}`;
  const expected = Buffer.from(`Bearer ${token}`);
  const refused: string[] = [];
  const unreachable: string[] = [];
  const upstream = new URL(opts.upstream);
  const base = upstream.pathname.replace(/\/$/, '');
  const send = upstream.protocol === 'https:' ? https.request : http.request;
  const server = http.createServer((req, res) => {
    const method = req.method ?? 'GET';
    const deny = (status: number, why: string) => {
      refused.push(`${method} ${(req.url ?? '/').split('?')[0]}: ${why}`);
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 'refused_by_harness', message: `Integration Builder's recorder refused this request: ${why}` } }));
      req.resume();
    };
    const auth = Buffer.from(String(req.headers.authorization ?? ''));
    if (auth.length !== expected.length || !timingSafeEqual(auth, expected)) return deny(401, 'not the recorder’s token');
    const judged = new URL(req.url ?? '/', 'http://proxy.invalid');
    if (method === 'GET' || judged.pathname.startsWith('/proxy/') || judged.pathname === '/proxy') {
      const why = refusalOf(method, req.url ?? '/', req.headers, opts);
      if (why) return deny(403, why);
      return forward(req, res, judged);
    }
    // other changes are judged by their body: read it (bounded) before anything is sent on
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_JUDGED_BODY) chunks.push(c);
    });
    req.on('end', () => {
      if (size > MAX_JUDGED_BODY) return deny(413, `a ${size}-byte body is more than a recording sends here`);
      const body = Buffer.concat(chunks);
      const why = refusalOf(method, req.url ?? '/', req.headers, opts, body.toString('utf8'));
      if (why) return deny(403, why);
      forward(req, res, judged, body);
    });
  });

  function forward(req: http.IncomingMessage, res: http.ServerResponse, judged: URL, body?: Buffer): void {
    const method = req.method ?? 'GET';
    const headers: http.OutgoingHttpHeaders = {};
    for (const [k, v] of Object.entries(req.headers)) if (!HOP_BY_HOP.has(k) && v !== undefined) headers[k] = v;
    headers.authorization = `Bearer ${opts.secretKey}`;
    if (body) headers['content-length'] = String(body.length);
    else if (req.headers['content-length'] !== undefined) headers['content-length'] = req.headers['content-length'];
    const out = send(
      {
        protocol: upstream.protocol,
        hostname: upstream.hostname,
        port: upstream.port || undefined,
        method,
        path: `${base}${judged.pathname}${judged.search}`,
        headers,
      },
      (answer) => {
        const back: http.OutgoingHttpHeaders = {};
        for (const [k, v] of Object.entries(answer.headers)) if (!HOP_BY_HOP.has(k) && v !== undefined) back[k] = v;
        res.writeHead(answer.statusCode ?? 502, back);
        answer.pipe(res);
      },
    );
    out.on('error', (err) => {
      unreachable.push(err.message);
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 'upstream_unreachable', message: `the Nango API cannot be reached: ${err.message}` } }));
    });
    // forwarded as judged (dot segments resolved), never as sent
    if (body) out.end(body);
    else req.pipe(out);
  }
  let url: string;
  if (opts.socketDir) {
    url = path.join(opts.socketDir, 'nango.sock');
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(url, () => resolve());
    });
  } else url = await listenLoopback(server);
  return { url, token, refused, unreachable, close: () => closeServer(server) };
}
