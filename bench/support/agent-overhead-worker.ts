// A worker of bench/agent-overhead.mjs: one long-lived Node process per side, forked by the parent
// (which holds the scripted model and the opencode server), running batches on request over IPC.
//   harness: Orchestrator + AgentConnection + RunStore + HarnessToolServer, as the extension wires
//            them (the tool server lives here, as in the extension host; the opencode server's
//            harness plugin reaches it). A fresh connection and orchestrator per batch, its event
//            stream opened before the clock starts and closed after.
//   bare:    @opencode-ai/sdk/v2 alone: scaffold, session.create, promptAsync, wait for idle on one
//            `global.event()` stream, opened before the clock starts and closed after.
// Both do the same work per session: the same folder scaffold (scaffoldInteraction: the agent
// writes into it and lists it), the same session title and per-session permission rules, the same
// prompt (buildPrompt), agent and model. What only the harness does is what the ratio measures: its
// queue, run records and transcripts written to disk, event normalisation and routing, the board,
// tool-server registration.
import { promises as fs } from 'node:fs';
import { createOpencodeClient } from '@opencode-ai/sdk/v2';
import { AgentConnection } from '../../src/core/agent/connection';
import { AGENT_NAME, sessionPermissionRules } from '../../src/core/agent/opencodeConfig';
import { buildPrompt } from '../../src/core/agent/prompt';
import { authHeaders, type ServerEndpoint } from '../../src/core/agent/server';
import { HarnessToolServer } from '../../src/core/harness/toolServer';
import { Orchestrator, type RunTarget } from '../../src/core/orchestrator';
import { RunStore } from '../../src/core/runs/store';
import { interactionFolder } from '../../src/core/workspace/paths';
import { scaffoldInteraction } from '../../src/core/workspace/scaffold';
import { targetsFor } from '../../test/support/specs';
import { epochMs, INTEGRATION, MODEL, type BatchRequest, type WorkerMessage, type WorkerResult, type WorkerSession } from './agent-overhead-shared';

const side = process.argv[2] === 'bare' ? 'bare' : 'harness';
const send = (m: WorkerMessage) => process.send?.(m);
const log = (line: string) => send({ type: 'log', line: `${side}: ${line}` });
const assign = (sessionId: string, id: string) => send({ type: 'assign', sessionId, id });
const mb = (bytes: number) => bytes / 2 ** 20;
const [PROVIDER_ID, MODEL_ID] = MODEL.split('/') as [string, string];

// RSS, sampled every 50 ms all the time; each batch reads the peak of its own window.
let windowPeak = 0;
let samples = 0;
setInterval(() => {
  windowPeak = Math.max(windowPeak, process.memoryUsage.rss());
  samples++;
}, 50);

let tools: HarnessToolServer | undefined;

interface Timed {
  t0: number;
  wallMs: number;
  cpuMs: number;
  rssBeforeMb: number;
  peakRssMb: number;
  rssSamples: number;
}

/** Runs `fn` as the timed part of a batch: wall clock, CPU and the RSS window. */
async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; timing: Timed }> {
  const before = process.memoryUsage.rss();
  windowPeak = before;
  samples = 0;
  const cpu = process.cpuUsage();
  const t0 = epochMs();
  const value = await fn();
  const wallMs = epochMs() - t0;
  const used = process.cpuUsage(cpu);
  windowPeak = Math.max(windowPeak, process.memoryUsage.rss());
  return { value, timing: { t0, wallMs, cpuMs: (used.user + used.system) / 1000, rssBeforeMb: mb(before), peakRssMb: mb(windowPeak), rssSamples: samples } };
}

async function harnessBatch(req: BatchRequest, targets: RunTarget[]): Promise<Omit<WorkerResult, 'type' | 'id'>> {
  const connection = new AgentConnection({ mode: { kind: 'remote', urls: [req.url], password: req.password }, log });
  await connection.ensure();
  const orchestrator = new Orchestrator({
    workRoot: req.workRoot,
    connection,
    runs: new RunStore(req.workRoot),
    model: MODEL,
    concurrency: targets.length,
    tools,
    onSessionCreated: (run) => assign(run.sessionId as string, run.interactionId),
    log,
  });
  const finished = new Map<string, number>();
  const ended = new Map<string, number>();
  orchestrator.onAgentEvent(({ key, event }) => {
    if (event.type === 'finished' && !finished.has(key)) finished.set(key, epochMs());
  });
  orchestrator.onRunChanged((run) => {
    if (run.status === 'needs-review' && !ended.has(run.key)) ended.set(run.key, epochMs());
  });
  try {
    const { timing } = await timed(async () => {
      orchestrator.generate(targets);
      await orchestrator.whenIdle();
    });
    const sessions: WorkerSession[] = targets.map(({ interaction }) => {
      const run = orchestrator.get(interaction.key);
      if (run?.status !== 'needs-review' || run.steps !== 3 || run.toolCalls !== 2 || !run.sessionId || !run.promptSentAt) {
        throw new Error(`${interaction.key}: ${run?.status} (${run?.detail}), ${run?.steps} steps, ${run?.toolCalls} tool calls`);
      }
      return {
        id: interaction.id,
        sessionId: run.sessionId,
        promptSentAt: Date.parse(run.promptSentAt),
        finishedAt: finished.get(interaction.key) ?? NaN,
        endedAt: ended.get(interaction.key) ?? NaN,
      };
    });
    return { ...timing, sessions };
  } finally {
    orchestrator.dispose();
    await connection.dispose();
  }
}

type RawEvent = { payload?: { type?: string; properties?: Record<string, unknown> } };

async function bareBatch(req: BatchRequest, targets: RunTarget[]): Promise<Omit<WorkerResult, 'type' | 'id'>> {
  const endpoint: ServerEndpoint = { url: req.url, password: req.password, owned: false };
  const client = createOpencodeClient({ baseUrl: endpoint.url, headers: authHeaders(endpoint) });
  const abort = new AbortController();
  const busy = new Set<string>();
  const idleAt = new Map<string, number>();
  const waiters = new Map<string, () => void>();
  let connected!: () => void;
  const up = new Promise<void>((resolve) => (connected = resolve));
  const sse = await client.global.event({ signal: abort.signal, sseMaxRetryAttempts: 1 } as never);
  const pump = (async () => {
    for await (const ev of (sse as unknown as { stream: AsyncIterable<RawEvent> }).stream) {
      connected();
      const p = ev?.payload;
      const sid = p?.properties?.sessionID;
      if (typeof sid !== 'string') continue;
      const status = (p?.properties?.status as { type?: string } | undefined)?.type;
      if (p?.type === 'session.status' && status === 'busy') busy.add(sid);
      // The first of session.status{idle} / session.idle after busy (the harness's "finished" fires on the same one).
      const idle = (p?.type === 'session.status' && status === 'idle') || p?.type === 'session.idle';
      if (idle && busy.has(sid) && !idleAt.has(sid)) {
        idleAt.set(sid, epochMs());
        waiters.get(sid)?.();
      }
    }
  })().catch(() => undefined);
  await up;
  try {
    const { value: sessions, timing } = await timed(() =>
      Promise.all(
        targets.map(async ({ integration, interaction }): Promise<WorkerSession> => {
          const folder = interactionFolder(req.workRoot, integration.id, interaction.id);
          await scaffoldInteraction(folder, interaction);
          const created = await client.session.create({
            directory: folder,
            title: `${interaction.key} (attempt 1)`,
            permission: sessionPermissionRules(integration.id, interaction.id),
          } as never);
          const sessionId = (created as { data?: { id?: string } }).data?.id;
          if (!sessionId) throw new Error(`${interaction.key}: no session: ${JSON.stringify((created as { error?: unknown }).error)}`);
          assign(sessionId, interaction.id);
          const done = new Promise<void>((resolve) => (idleAt.has(sessionId) ? resolve() : waiters.set(sessionId, resolve)));
          const res = await client.session.promptAsync({
            sessionID: sessionId,
            directory: folder,
            agent: AGENT_NAME,
            model: { providerID: PROVIDER_ID, modelID: MODEL_ID },
            parts: [{ type: 'text', text: buildPrompt({ interaction, folder }) }],
          });
          const status = (res as { response?: Response }).response?.status ?? 0;
          if (status >= 400) throw new Error(`${interaction.key}: prompt refused (HTTP ${status})`);
          const promptSentAt = epochMs();
          await done;
          const at = idleAt.get(sessionId) as number;
          return { id: interaction.id, sessionId, promptSentAt, finishedAt: at, endedAt: at };
        }),
      ),
    );
    return { ...timing, sessions };
  } finally {
    abort.abort();
    await pump;
  }
}

async function checkBuilt(workRoot: string, targets: RunTarget[]): Promise<void> {
  for (const { interaction } of targets) {
    const file = `${interactionFolder(workRoot, INTEGRATION, interaction.id)}/${INTEGRATION}/actions/${interaction.id}.ts`;
    const text = await fs.readFile(file, 'utf8').catch(() => '');
    if (!text.includes(`built by ${interaction.id}`)) throw new Error(`${interaction.key}: the agent did not write ${file}`);
  }
}

async function main(): Promise<void> {
  if (side === 'harness') {
    tools = new HarnessToolServer();
    send({ type: 'ready', env: { ...(await tools.start()) } });
  } else {
    send({ type: 'ready' });
  }
  process.on('message', (msg: { type?: string; [k: string]: unknown }) => {
    if (msg.type === 'exit') {
      void (async () => {
        await tools?.close();
        process.exit(0);
      })();
      return;
    }
    if (msg.type !== 'batch') return;
    const req = msg as unknown as BatchRequest;
    void (async () => {
      try {
        const targets = targetsFor(INTEGRATION, [...req.ids]);
        const result = side === 'harness' ? await harnessBatch(req, targets) : await bareBatch(req, targets);
        await checkBuilt(req.workRoot, targets);
        send({ type: 'result', id: req.id, ...result });
      } catch (err) {
        send({ type: 'result', id: req.id, error: (err as Error).stack ?? String(err) });
      }
    })();
  });
  // The parent went away: nothing left to do.
  process.on('disconnect', () => process.exit(0));
}

void main();
