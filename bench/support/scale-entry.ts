// bench/scale.mjs's body, bundled with esbuild at run time: N interactions through the whole pipeline,
// built exactly as the CLI's `generate --demo` builds it (createAgentStack: our own opencode server in
// the bubblewrap sandbox, the harness tools and plugin, the fixture guard, the Nango toolchain against
// the demo's Nango stand-in, the orchestrator), with the demo model paced like a real one; then Verify
// of all of them, as the CLI does after generate.
import { readFileSync, mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { parse } from 'jsonc-parser';
import { findRipgrep } from '../../src/core/agent/binaries';
import { DEMO_MODEL_ID, demoModelTimeMs, type DemoPace } from '../../src/core/model/demo';
import type { RunTarget } from '../../src/core/orchestrator';
import { detectSandbox } from '../../src/core/sandbox';
import { createAgentStack } from '../../src/core/session/stack';
import { loadSpec } from '../../src/core/spec/loader';
import { isRunnable } from '../../src/core/spec/model';
import { selfCpu, statusMb, TreeSampler } from './scale-proc';

export interface ScaleOptions {
  readonly repo: string;
  readonly workRoot: string;
  readonly harnessPlugin: string;
  readonly n: number;
  readonly concurrency: number;
  readonly pace: DemoPace;
  readonly verifyConcurrency: number;
  readonly log: (line: string) => void;
}

type RawInteraction = Record<string, unknown> & { id: string; displayName?: string };
type RawIntegration = Record<string, unknown> & { id: string; interactions: RawInteraction[] };

/**
 * N distinct interactions from the example spec: its interactions taken round-robin over its APIs (so
 * a small N has every API), the k-th round's copies named `<id>-<k>`, each keeping its kind.
 */
export function scaleTargets(repo: string, n: number): RunTarget[] {
  const file = path.join(repo, 'examples/product-integrations/interactions.json');
  const text = readFileSync(file, 'utf8');
  const example = loadSpec(file, text);
  const raw = parse(text) as { integrations: RawIntegration[] };
  const kinds = new Map(example.integrations.flatMap((i) => i.interactions.map((x) => [x.key, x.kind] as const)));
  const order: [RawIntegration, RawInteraction][] = [];
  const longest = Math.max(...raw.integrations.map((i) => i.interactions.length));
  for (let j = 0; j < longest; j++)
    for (const integ of raw.integrations) if (integ.interactions[j]) order.push([integ, integ.interactions[j] as RawInteraction]);
  const out = new Map<string, RawInteraction[]>(raw.integrations.map((i) => [i.id, []]));
  for (let i = 0; i < n; i++) {
    const [integ, base] = order[i % order.length] as [RawIntegration, RawInteraction];
    const round = Math.floor(i / order.length) + 1;
    const id = round === 1 ? base.id : `${base.id}-${round}`;
    out.get(integ.id)?.push({
      ...base,
      id,
      displayName: round === 1 ? base.displayName : `${base.displayName ?? base.id} ${round}`,
      kind: kinds.get(`${integ.id}/${base.id}`),
    });
  }
  const spec = { integrations: raw.integrations.map((i) => ({ ...i, interactions: out.get(i.id) ?? [] })).filter((i) => i.interactions.length) };
  const loaded = loadSpec(path.join(path.dirname(file), 'scale.interactions.json'), JSON.stringify(spec, null, 2));
  const errors = loaded.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length) throw new Error(`the scale spec does not load: ${JSON.stringify(errors.slice(0, 3))}`);
  const byKey = new Map(
    loaded.integrations.flatMap((integration) => integration.interactions.map((interaction) => [interaction.key, { integration, interaction }] as const)),
  );
  // In the round-robin order, so the queue starts on every API.
  const targets: RunTarget[] = [];
  for (let i = 0; i < n; i++) {
    const [integ, base] = order[i % order.length] as [RawIntegration, RawInteraction];
    const round = Math.floor(i / order.length) + 1;
    const t = byKey.get(`${integ.id}/${round === 1 ? base.id : `${base.id}-${round}`}`);
    if (!t || !isRunnable(t.integration, t.interaction)) throw new Error(`scale interaction ${i} is not runnable`);
    targets.push(t);
  }
  return targets;
}

/** The model's own time for these runs at this concurrency: the queue's makespan were the harness free (FIFO, as the orchestrator takes them). */
export function idealMs(durationsMs: readonly number[], concurrency: number): number {
  const slots = new Array<number>(Math.min(concurrency, durationsMs.length)).fill(0);
  for (const d of durationsMs) {
    let i = 0;
    for (let j = 1; j < slots.length; j++) if ((slots[j] as number) < (slots[i] as number)) i = j;
    slots[i] = (slots[i] as number) + d;
  }
  return Math.max(0, ...slots);
}

export async function runScale(o: ScaleOptions): Promise<Record<string, unknown>> {
  const targets = scaleTargets(o.repo, o.n);
  const modelMs = targets.map((t) => demoModelTimeMs(t.interaction, o.pace));
  const ideal = idealMs(modelMs, o.concurrency);
  o.log(
    `${targets.length} interactions over ${new Set(targets.map((t) => t.integration.id)).size} APIs; the model's own time ${(modelMs.reduce((a, b) => a + b, 0) / targets.length / 1000).toFixed(1)} s per interaction, ideal ${(ideal / 1000).toFixed(1)} s at concurrency ${o.concurrency}`,
  );
  const support = await detectSandbox();
  if (!support.available) throw new Error(`the agent sandbox does not run here (${support.reason}): the scale bench measures the sandboxed pipeline`);
  mkdirSync(o.workRoot, { recursive: true });

  const sampler = new TreeSampler();
  const before = sampler.descendants();
  if (before.length) throw new Error(`processes run under the bench before it starts (${before.join(', ')}): their CPU would be counted`);
  const cpu0 = selfCpu();
  const t0 = performance.now();
  sampler.start();
  let opencodePid: number | undefined;
  let opencodePeakMb = 0;
  let hostPeakMb = 0;
  const memory = setInterval(() => {
    hostPeakMb = Math.max(hostPeakMb, process.memoryUsage.rss() / 2 ** 20);
    if (opencodePid) opencodePeakMb = Math.max(opencodePeakMb, statusMb(opencodePid, 'VmHWM') ?? 0);
  }, 500);
  memory.unref();

  const stack = await createAgentStack({
    workRoot: o.workRoot,
    model: DEMO_MODEL_ID,
    demo: true,
    opencodeBin: path.join(o.repo, 'node_modules/opencode-ai/bin/opencode.exe'),
    ripgrep: findRipgrep(),
    demoDataDir: path.join(o.workRoot, '.runs', '.demo-opencode'),
    skillPaths: [path.join(o.repo, 'skills')],
    harnessPlugin: o.harnessPlugin,
    nango: { host: 'http://127.0.0.1:1' }, // unused: the demo records against its stand-in
    concurrency: o.concurrency,
    maxRetries: 3,
    violationLimit: 3,
    verifyAfterRun: false,
    autoRestartAttempts: 0,
    verifyConcurrency: o.verifyConcurrency,
    log: (line) => {
      if (/failed|saving|error/i.test(line)) o.log(`  ${line}`);
    },
    sandbox: { mode: 'bwrap', bwrap: support.bwrap, shellDir: path.join(o.workRoot, '.runs', '.sandbox') },
  });
  let closed = false;
  try {
    if (!stack.demo) throw new Error('the stack has no demo model');
    stack.demo.setPace(o.pace);
    let deltas = 0;
    stack.connection.onEvent((e) => {
      if (e.type === 'text' || e.type === 'reasoning') deltas++;
    });
    stack.connection.onStateChanged((s) => {
      if (s.state === 'ready') opencodePid = stack.connection.ownedServer?.pid;
    });
    const o2 = stack.orchestrator;
    let done = 0;
    const counted = new Set<string>();
    o2.onRunChanged((r) => {
      if (r.status !== 'running' && r.status !== 'queued' && r.endedAt && !counted.has(r.key)) {
        counted.add(r.key);
        done++;
        if (done % Math.max(1, Math.round(o.n / 10)) === 0 || done === o.n)
          o.log(
            `  ${done}/${o.n} runs ended [${((performance.now() - t0) / 1000).toFixed(0)} s, opencode ${opencodePeakMb.toFixed(0)} MiB peak, host ${hostPeakMb.toFixed(0)} MiB peak]`,
          );
      }
    });
    const keys = o2.generate(targets);
    await o2.whenIdle();
    const generatedAt = performance.now();
    const statuses: Record<string, number> = {};
    for (const t of targets) {
      const s = o2.get(t.interaction.key)?.status ?? 'missing';
      statuses[s] = (statuses[s] ?? 0) + 1;
    }
    o.log(`generate: ${((generatedAt - t0) / 1000).toFixed(1)} s; ${JSON.stringify(statuses)}; verifying`);
    const reports = await o2.verify(keys);
    const verifiedAt = performance.now();
    const verdicts: Record<string, number> = {};
    for (const r of reports) verdicts[r.verdict] = (verdicts[r.verdict] ?? 0) + 1;
    const firstBad = reports.find((r) => r.verdict !== 'verified');
    if (firstBad)
      o.log(
        `  not verified, e.g. ${firstBad.key}: ${JSON.stringify(firstBad.checks.filter((c) => c.outcome !== 'passed').map((c) => ({ check: c.check, outcome: c.outcome, detail: c.detail, findings: c.findings.slice(0, 2).map((f) => f.message) })))}`,
      );
    opencodePeakMb = Math.max(opencodePeakMb, (opencodePid && statusMb(opencodePid, 'VmHWM')) || 0);
    const opencodeEndMb = (opencodePid && statusMb(opencodePid, 'VmRSS')) || NaN;
    hostPeakMb = Math.max(hostPeakMb, process.memoryUsage.rss() / 2 ** 20, process.resourceUsage().maxRSS / 1024);
    const requests = stack.demo.server.requestCount;
    // What the connection still holds per session once every run has ended (issue 15, item 3: all 0, bar a few late events).
    const held = stack.connection.bookkeeping;
    const pendingWrites = stack.runs.pendingWrites;
    await stack.close();
    closed = true;
    clearInterval(memory);
    sampler.stop();
    const cpu1 = selfCpu();
    const unreaped = sampler.unreaped();
    o.log(
      `  sampled, not reaped into our count: ${unreaped.confined} sandboxed, ${unreaped.orphans} orphaned, ${unreaped.running} still running; ${unreaped.cpuS.toFixed(1)} CPU-s ${JSON.stringify(unreaped.byKind)}`,
    );
    const wallMs = verifiedAt - t0;
    const total = cpu1.ownS - cpu0.ownS + (cpu1.childrenS - cpu0.childrenS) + unreaped.cpuS;
    const byKind = sampler.byKind();
    const sampledChildren = Object.values(byKind).reduce((s, k) => s + k.cpuS, 0);
    const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;
    return {
      n: o.n,
      wall_s: round(wallMs / 1000),
      ideal_s: round(ideal / 1000),
      wall_ratio: round(wallMs / ideal, 3),
      cpu_s_per_interaction: round(total / o.n, 2),
      opencode_peak_rss_mb: round(opencodePeakMb, 0),
      host_peak_rss_mb: round(hostPeakMb, 0),
      verified: verdicts.verified ?? 0,
      // extras
      generate_s: round((generatedAt - t0) / 1000),
      verify_s: round((verifiedAt - generatedAt) / 1000),
      concurrency: o.concurrency,
      step_ms: o.pace.stepDelayMs,
      tokens_per_s: o.pace.tokensPerSecond,
      model_s_per_interaction: round(modelMs.reduce((a, b) => a + b, 0) / o.n / 1000),
      cpu_s_total: round(total),
      cpu_s_host: round(cpu1.ownS - cpu0.ownS),
      cpu_s_children: round(cpu1.childrenS - cpu0.childrenS),
      cpu_s_sampled_children_by_kind: Object.fromEntries(Object.entries(byKind).map(([k, v]) => [k, { cpu_s: round(v.cpuS), processes: v.processes }])),
      cpu_s_sampled_children: round(sampledChildren),
      cpu_s_unreaped: round(unreaped.cpuS),
      processes_sandboxed: unreaped.confined,
      processes_orphaned: unreaped.orphans,
      processes_left: unreaped.running,
      opencode_end_rss_mb: round(opencodeEndMb, 0),
      statuses,
      verdicts,
      connection_sessions_held: held.sessions,
      connection_listeners_held: held.listeners,
      normalizer_sessions_held: held.normalized,
      run_store_writes_pending: pendingWrites,
      model_requests: requests,
      stream_delta_events: deltas,
    };
  } finally {
    clearInterval(memory);
    sampler.stop();
    if (!closed) await stack.close().catch(() => undefined);
  }
}
