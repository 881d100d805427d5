// The parent half of bench/agent-overhead.mjs, bundled with esbuild at run time.
//
// This process holds what both sides share: one scripted OpenAI-compatible model and one real
// opencode server (the pinned binary, offline, private XDG dirs via agentStack's offlineEnv, the
// harness plugin loaded as the extension loads it). The two sides run in their own long-lived worker
// processes (agent-overhead-worker.ts), so each side's CPU and memory are its own; this process
// times what only it can see: when the model got a session's first request and sent its last byte.
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type * as http from 'node:http';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { createOpencodeClient } from '@opencode-ai/sdk/v2';
import { buildOpencodeConfig } from '../../src/core/agent/opencodeConfig';
import { authHeaders, OpencodeServer, type ServerEndpoint } from '../../src/core/agent/server';
import { ScriptedModelServer, scriptedProviderConfig } from '../../src/core/model/scriptedModel';
import { buildHarnessPlugin, offlineEnv, TEST_MODEL } from '../../test/support/agentStack';
import { epochMs, honest, INTEGRATION, MODEL, type WorkerMessage, type WorkerResult } from './agent-overhead-shared';

if (MODEL !== TEST_MODEL) throw new Error(`bench model ${MODEL} is not agentStack's ${TEST_MODEL}`);

export type Side = 'harness' | 'bare';

export interface SessionTiming {
  readonly id: string;
  /** Batch clock start (generate() / the bare script's start) → the model gets the session's first tool-bearing request. */
  readonly startToModelMs: number;
  /** Batch clock start → promptSentAt (harness, ms resolution) / promptAsync returned (bare). */
  readonly startToPromptSentMs: number;
  /** The model's last SSE byte of the final step → the `finished` event (bare: idle on its stream). */
  readonly lastByteToFinishedMs: number;
  /** The model's last SSE byte of the final step → the run's status is needs-review (bare: idle). */
  readonly lastByteToEndMs: number;
}

export interface BatchResult {
  readonly side: Side;
  readonly n: number;
  readonly wallMs: number;
  /** CPU of the worker (the harness or the bare script alone) over the timed part. */
  readonly clientCpuMs: number;
  /** CPU of the opencode server over the whole batch (10 ms ticks). */
  readonly serverCpuMs: number;
  readonly rssBeforeMb: number;
  readonly peakRssMb: number;
  readonly sessions: SessionTiming[];
}

/** For sessions whose `assign` has not arrived (it is sent over IPC): the interaction id in the prompt. */
const KEY_IN_PROMPT = new RegExp(`\\(${INTEGRATION}/([\\w-]+)\\)`);
/** USER_HZ: the unit of utime/stime in /proc/<pid>/stat. */
const CLOCK_TICKS = 100;

class Worker {
  private readonly pending = new Map<number, (r: WorkerResult) => void>();
  private stderr = '';
  readonly ready: Promise<Record<string, string> | undefined>;

  constructor(
    readonly side: Side,
    readonly proc: ChildProcess,
    onMessage: (m: WorkerMessage) => void,
  ) {
    proc.stderr?.on('data', (d: Buffer) => (this.stderr = (this.stderr + d.toString()).slice(-8000)));
    let readyResolve!: (env: Record<string, string> | undefined) => void;
    let readyReject!: (err: Error) => void;
    this.ready = new Promise((resolve, reject) => ((readyResolve = resolve), (readyReject = reject)));
    proc.on('message', (m: WorkerMessage) => {
      if (m.type === 'ready') readyResolve(m.env);
      else if (m.type === 'result') this.pending.get(m.id)?.(m);
      else onMessage(m);
    });
    proc.once('exit', (code, signal) => {
      const err = new Error(`${side} worker exited (code ${code}, signal ${signal}): ${this.stderr.trim()}`);
      readyReject(err);
      for (const [id, resolve] of this.pending) resolve({ type: 'result', id, error: err.message });
    });
  }

  run(id: number, request: object): Promise<WorkerResult> {
    return new Promise((resolve) => {
      this.pending.set(id, (r) => {
        this.pending.delete(id);
        resolve(r);
      });
      this.proc.send({ type: 'batch', id, ...request });
    });
  }

  async stop(): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => this.proc.once('exit', () => resolve()));
    try {
      this.proc.send({ type: 'exit' });
    } catch {
      /* channel closed */
    }
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), 3000);
    await gone;
    clearTimeout(timer);
  }
}

export interface BenchOptions {
  /** Absolute path of the opencode binary. */
  readonly bin: string;
  /** The bundled agent-overhead-worker.ts. */
  readonly workerBundle: string;
  readonly chunkDelayMs?: number;
  readonly log?: (line: string) => void;
}

export class OverheadBench {
  readonly root = mkdtempSync(path.join(tmpdir(), 'ib-bench-overhead-'));
  readonly model: ScriptedModelServer;
  server: OpencodeServer | undefined;
  endpoint: ServerEndpoint | undefined;
  private readonly workers = new Map<Side, Worker>();
  /** Epoch ms of each session's first tool-bearing model request. */
  private readonly firstToolRequest = new Map<string, number>();
  /** Epoch ms at which each session's final step (the one with no tool calls) was requested. */
  private readonly finalStepRequest = new Map<string, number>();
  /** Epoch ms of the last response byte the model sent for each session. */
  private readonly lastByte = new Map<string, number>();
  private readonly log: (line: string) => void;
  private batchNo = 0;
  /** Sessions run on the server so far. */
  sessionsRun = 0;

  constructor(private readonly options: BenchOptions) {
    this.log = options.log ?? (() => undefined);
    this.model = new ScriptedModelServer({
      chunkDelayMs: options.chunkDelayMs ?? 5,
      fallback: (req) => KEY_IN_PROMPT.exec(req.userText)?.[1],
      onRequest: ({ sessionId, script, reply }) => {
        if (!sessionId || !script) return; // opencode's helper calls (the title) carry no tools and follow no script
        if (!this.firstToolRequest.has(sessionId)) this.firstToolRequest.set(sessionId, epochMs());
        if (!reply.tool_calls?.length) this.finalStepRequest.set(sessionId, epochMs());
      },
    });
  }

  private spawnWorker(side: Side): Worker {
    const proc = fork(this.options.workerBundle, [side], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'], serialization: 'json' });
    const worker = new Worker(side, proc, (m) => {
      if (m.type === 'assign') this.model.assign(m.sessionId, m.id);
      else if (m.type === 'log') this.log(m.line);
    });
    this.workers.set(side, worker);
    return worker;
  }

  async start(): Promise<void> {
    const url = await this.model.start();
    // The model's own http.Server is private; listening to it is the only way to see when a response
    // ends ('finish': its last SSE byte has been handed to the OS). Read-only: replies are untouched.
    const httpServer = (this.model as unknown as { server: http.Server }).server;
    httpServer.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
      const sid = req.headers['x-session-id'];
      if (typeof sid !== 'string') return;
      res.on('finish', () => this.lastByte.set(sid, Math.max(this.lastByte.get(sid) ?? 0, epochMs())));
    });
    const harness = this.spawnWorker('harness');
    const bare = this.spawnWorker('bare');
    const [toolEnv] = await Promise.all([harness.ready, bare.ready]);
    // As the extension runs it: the harness plugin in opencode, reaching the tool server in the
    // harness worker. The plugin is loaded for every session, so the bare side's sessions carry its
    // tools too: both sides get the same server, the same tool list, the same requests.
    const harnessPlugin = await buildHarnessPlugin(path.join(this.root, 'harness-plugin.mjs'));
    this.server = new OpencodeServer({
      bin: this.options.bin,
      cwd: this.root,
      env: { ...offlineEnv(this.root), ...toolEnv },
      config: buildOpencodeConfig({ model: MODEL, providers: scriptedProviderConfig(url), enabledProviders: [MODEL.split('/')[0] as string], harnessPlugin }),
      onOutput: (line) => {
        if (/error/i.test(line)) this.log(`opencode: ${line}`);
      },
    });
    this.endpoint = await this.server.start();
    // The server must be the product's kind: with the harness plugin's tools.
    const client = createOpencodeClient({ baseUrl: this.endpoint.url, headers: authHeaders(this.endpoint) });
    const ids = ((await client.tool.ids({ directory: this.root })) as { data?: string[] }).data ?? [];
    if (!ids.includes('record_fixture')) throw new Error(`the opencode server did not load the harness plugin (tools: ${ids.join(', ')})`);
  }

  /** Opencode server memory from /proc: peak (VmHWM) and current (VmRSS), MiB. */
  serverMemory(): { peakMb: number; rssMb: number } | undefined {
    const pid = this.server?.pid;
    if (!pid) return undefined;
    try {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(status)?.[1] ?? NaN);
      return { peakMb: kb('VmHWM') / 1024, rssMb: kb('VmRSS') / 1024 };
    } catch {
      return undefined;
    }
  }

  /** CPU time the server process has used so far, ms (utime + stime from /proc/<pid>/stat). */
  serverCpuMs(): number {
    const pid = this.server?.pid;
    if (!pid) return NaN;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // fields[0] is field 3 (state); utime and stime are fields 14 and 15.
      return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
    } catch {
      return NaN;
    }
  }

  /** One batch of `n` concurrent sessions on one side, with fresh interaction ids and folders. */
  async batch(side: Side, n: number): Promise<BatchResult> {
    const no = ++this.batchNo;
    const tag = `${side[0]}${no}`;
    const ids = Array.from({ length: n }, (_, i) => `${tag}-s${String(i).padStart(2, '0')}`);
    for (const id of ids) this.model.define(id, honest(id));
    this.sessionsRun += n;
    const endpoint = this.endpoint as ServerEndpoint;
    const worker = this.workers.get(side) as Worker;
    const serverCpu0 = this.serverCpuMs();
    const r = await worker.run(no, { ids, workRoot: path.join(this.root, 'work', tag), url: endpoint.url, password: endpoint.password });
    const serverCpuMs = this.serverCpuMs() - serverCpu0;
    if (r.error) throw new Error(`${side} batch ${tag} (${n} sessions) failed: ${r.error}`);
    const t0 = r.t0 as number;
    const sessions = (r.sessions ?? []).map((s): SessionTiming => {
      const first = this.firstToolRequest.get(s.sessionId);
      const final = this.finalStepRequest.get(s.sessionId);
      const last = this.lastByte.get(s.sessionId);
      if (first === undefined || final === undefined || last === undefined || !Number.isFinite(s.finishedAt) || !Number.isFinite(s.endedAt)) {
        throw new Error(
          `${s.id}: missing timestamps (first request ${first}, final step ${final}, last byte ${last}, finished ${s.finishedAt}, ended ${s.endedAt})`,
        );
      }
      // The last response to end must be the final step's (not, say, a late title request).
      if (last < final || last > s.finishedAt + 20)
        throw new Error(`${s.id}: the last response byte (${last}) is not the final step's (${final}..${s.finishedAt})`);
      return {
        id: s.id,
        startToModelMs: first - t0,
        startToPromptSentMs: s.promptSentAt - t0,
        lastByteToFinishedMs: s.finishedAt - last,
        lastByteToEndMs: s.endedAt - last,
      };
    });
    return {
      side,
      n,
      wallMs: r.wallMs as number,
      clientCpuMs: r.cpuMs as number,
      serverCpuMs,
      rssBeforeMb: r.rssBeforeMb as number,
      peakRssMb: r.peakRssMb as number,
      sessions,
    };
  }

  /**
   * Between batches (never timed): disposes every opencode instance, so each batch meets a server in
   * the same state. opencode keeps one instance per directory it has seen; without this the server
   * slows down and grows batch after batch, and the side that runs later pays for it.
   */
  async reset(): Promise<void> {
    const endpoint = this.endpoint as ServerEndpoint;
    const client = createOpencodeClient({ baseUrl: endpoint.url, headers: authHeaders(endpoint) });
    await client.global.dispose().catch((err: unknown) => this.log(`global.dispose failed: ${(err as Error).message}`));
  }

  /** Stops the workers, the server and the model; removes the temp folder. Safe to call twice. */
  async close(): Promise<void> {
    await Promise.all([...this.workers.values()].map((w) => w.stop().catch(() => undefined)));
    await this.server?.stop().catch(() => undefined);
    await this.model.close().catch(() => undefined);
    rmSync(this.root, { recursive: true, force: true });
  }

  /** Last-resort cleanup on a signal: kill everything now. */
  killNow(): void {
    for (const w of this.workers.values()) w.proc.kill('SIGKILL');
    this.server?.kill();
    rmSync(this.root, { recursive: true, force: true });
  }
}
