// The process tree of this process, from /proc: CPU (utime + stime) and memory, for bench/scale.mjs.
//
// The total is exact for everything that was waited for: this process's own CPU plus its `cutime` and
// `cstime`, which the kernel adds up for every child it reaped, and each child for its own reaped
// children, all the way down (opencode's sandboxed shells, the Nango CLI's compilers, vitest's workers).
// The sampler walks the live tree once a second to say where the CPU goes (by kind of process) and to
// catch what the total would miss: a process still running when the count is taken, or one orphaned
// away from the tree before it ended (its CPU then goes to init, not to us).
import { readdirSync, readFileSync } from 'node:fs';

/** USER_HZ: the unit of utime/stime in /proc/<pid>/stat. */
const CLOCK_TICKS = 100;

interface Stat {
  readonly pid: number;
  readonly ppid: number;
  /** Own CPU, seconds. */
  readonly cpuS: number;
  /** CPU of its reaped children, seconds. */
  readonly childrenCpuS: number;
  /** Start time (field 22), to tell a reused pid from the process that had it. */
  readonly start: string;
}

function readStat(pid: number | 'self'): Stat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined; // gone meanwhile
  }
  // `pid (comm) state ppid …`: comm may hold spaces and parentheses; the fields follow the last ')'.
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const f = (i: number) => Number(rest[i - 3]); // field i of proc(5), 1-based (3 = state)
  return {
    pid: Number(text.slice(0, text.indexOf(' '))),
    ppid: f(4),
    cpuS: (f(14) + f(15)) / CLOCK_TICKS,
    childrenCpuS: (f(16) + f(17)) / CLOCK_TICKS,
    start: rest[19] ?? '',
  };
}

/** This process's CPU and its reaped children's, seconds. */
export function selfCpu(): { ownS: number; childrenS: number } {
  const s = readStat('self');
  if (!s) throw new Error('/proc/self/stat cannot be read: the scale bench needs Linux');
  return { ownS: s.cpuS, childrenS: s.childrenCpuS };
}

/** A /proc/<pid>/status field in MiB (VmRSS, VmHWM). */
export function statusMb(pid: number, field: 'VmRSS' | 'VmHWM'): number | undefined {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** The children of a process's main thread (where node and the shells spawn from). */
function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(' ').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** What a process is, for the breakdown: the program and, for node, the tool it runs. */
function kindOf(pid: number): string {
  let argv: string[];
  try {
    argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return 'gone';
  }
  const exe = (argv[0] ?? '').split('/').pop() ?? '';
  if (exe.startsWith('opencode')) return 'opencode';
  if (exe === 'bwrap') return 'bwrap';
  if (exe === 'node' || exe.startsWith('node')) {
    const args = argv.slice(1).join(' ');
    // the replay of the generated tests (src/core/toolchain/replay/run.ts): vitest through its Node API
    if (args.includes('"vitestNode"')) return 'node: vitest replay';
    for (const tool of ['nango', 'vitest', 'tsc', 'eslint', 'esbuild']) {
      if (!args.includes(`/${tool}`) && !args.includes(`${tool}/`)) continue;
      // The Nango CLI by command: compile, dryrun (the recorder), generate:tests; the recorder's prebuild
      // (src/core/toolchain/prebuild.ts) loads the CLI's compile module only; run_tests' generator
      // (src/core/toolchain/generate.ts) is given the CLI's dist/ folder.
      if (tool === 'nango' && args.includes('/nango/dist/zeroYaml/compile.js')) return 'node: nango prebuild';
      if (tool === 'nango' && args.endsWith('/nango/dist/')) return 'node: nango generator';
      const command = tool === 'nango' ? argv.slice(2).find((a) => /^[a-z][\w:-]*$/.test(a)) : undefined;
      return command ? `node: nango ${command}` : `node: ${tool}`;
    }
    return 'node: other';
  }
  return exe || 'unknown';
}

interface Tracked {
  readonly start: string;
  /** What it runs (read again while it is still the setpriv that execs the real program). */
  kind: string;
  /** Own CPU at the last reading, seconds. */
  cpuS: number;
  /** Its reaped children's CPU at the last reading, seconds. */
  childrenCpuS: number;
  /** Its parent when it was first seen, if that was one of ours. */
  readonly parent: Tracked | undefined;
  /** Left our tree while alive (its parent ended first): nothing of ours will reap it. */
  orphan: boolean;
  /**
   * Runs under a bubblewrap sandbox (below a `bwrap` of our tree): bwrap's outer process does not wait
   * for its inner one (it learns the exit status through a pipe), so nothing under it reaches our cutime.
   */
  confined: boolean;
  alive: boolean;
}

/**
 * Samples the live descendants of this process: own CPU per process (its last reading), by kind, with
 * a full walk of /proc every second and a reading of each process our cutime will not hold every
 * 50 ms (its last reading before it ends is what counts). Those are the processes under a bubblewrap
 * sandbox (the agents' shell commands, the recorder, the tests: confined) and any that leaves the tree
 * alive (orphaned: reparented away from us, followed still with what runs under it). `unreaped()` is
 * what the reaped total misses: their CPU, as last read.
 */
export class TreeSampler {
  private readonly tracked = new Map<number, Tracked>();
  private timers: NodeJS.Timeout[] = [];
  samples = 0;

  start(walkMs = 1000, fastMs = 50): void {
    this.sample();
    this.timers = [setInterval(() => this.sample(), walkMs), setInterval(() => this.fast(), fastMs)];
    for (const t of this.timers) t.unref();
  }

  stop(): void {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    this.sample();
  }

  /** Every process now: pid → stat, and each one's children. */
  private snapshot(): { stats: Map<number, Stat>; children: Map<number, number[]> } {
    const stats = new Map<number, Stat>();
    const children = new Map<number, number[]>();
    for (const name of readdirSync('/proc')) {
      if (!/^\d+$/.test(name)) continue;
      const s = readStat(Number(name));
      if (!s) continue;
      stats.set(s.pid, s);
      const list = children.get(s.ppid);
      if (list) list.push(s.pid);
      else children.set(s.ppid, [s.pid]);
    }
    return { stats, children };
  }

  /** The processes under `roots` (not the roots), each with whether a bwrap lies between it and its root. */
  private walk(roots: readonly number[], children: Map<number, number[]>): Map<number, boolean> {
    const out = new Map<number, boolean>();
    const stack: [number, boolean][] = roots.flatMap((r) => (children.get(r) ?? []).map((c) => [c, false] as [number, boolean]));
    while (stack.length) {
      const [pid, confined] = stack.pop() as [number, boolean];
      if (out.has(pid)) continue;
      out.set(pid, confined);
      const below = confined || (this.tracked.get(pid)?.kind ?? kindOf(pid)).startsWith('bwrap');
      for (const c of children.get(pid) ?? []) stack.push([c, below]);
    }
    return out;
  }

  /** Descendants of this process now (pids). */
  descendants(): number[] {
    return [...this.walk([process.pid], this.snapshot().children).keys()];
  }

  private end(pid: number, t: Tracked): void {
    t.alive = false;
    this.tracked.delete(pid);
    this.ended.push(t);
  }

  private sample(): void {
    this.samples++;
    const { stats, children } = this.snapshot();
    const ours = this.walk([process.pid], children);
    for (const [pid, t] of this.tracked) {
      const s = stats.get(pid);
      if (!s || s.start !== t.start) this.end(pid, t);
      else if (!ours.has(pid)) t.orphan = true;
    }
    const orphanRoots = [...this.tracked].filter(([, t]) => t.orphan).map(([pid]) => pid);
    const underOrphans = this.walk(orphanRoots, children);
    for (const [pid, confined] of [...ours, ...underOrphans]) {
      const s = stats.get(pid);
      if (!s) continue;
      const t = this.tracked.get(pid);
      if (t) {
        t.cpuS = Math.max(t.cpuS, s.cpuS);
        t.childrenCpuS = Math.max(t.childrenCpuS, s.childrenCpuS);
        // launchers that exec the real program: `setpriv`, and `env` of a `#!/usr/bin/env node` script (the recorder's CLI)
        if (t.kind === 'setpriv' || t.kind === 'env') t.kind = kindOf(pid);
        t.confined ||= confined;
      } else
        this.tracked.set(pid, {
          start: s.start,
          kind: kindOf(pid),
          cpuS: s.cpuS,
          childrenCpuS: s.childrenCpuS,
          parent: this.tracked.get(s.ppid),
          orphan: !ours.has(pid),
          confined,
          alive: true,
        });
    }
  }

  /**
   * A fresh reading of every process whose CPU our cutime will not hold, and of their new children
   * (and a bwrap's, whose children are such processes), so even short ones are seen.
   */
  private fast(): void {
    // Entries added during the loop are visited by it too: a new child's children are looked for at once.
    for (const [pid, t] of this.tracked) {
      const watched = t.orphan || t.confined;
      if (!watched && t.kind !== 'bwrap') continue;
      const s = readStat(pid);
      if (!s || s.start !== t.start) {
        this.end(pid, t);
        continue;
      }
      t.cpuS = Math.max(t.cpuS, s.cpuS);
      t.childrenCpuS = Math.max(t.childrenCpuS, s.childrenCpuS);
      for (const child of childrenOf(pid)) {
        if (this.tracked.has(child)) continue;
        const c = readStat(child);
        if (!c) continue;
        this.tracked.set(child, {
          start: c.start,
          kind: kindOf(child),
          cpuS: c.cpuS,
          childrenCpuS: c.childrenCpuS,
          parent: t,
          orphan: t.orphan,
          confined: t.confined || t.kind === 'bwrap',
          alive: true,
        });
      }
    }
  }

  private readonly ended: Tracked[] = [];

  private all(): Tracked[] {
    return [...this.tracked.values(), ...this.ended];
  }

  /** Own CPU seen per kind of process, seconds, and how many processes of each kind were seen. */
  byKind(): Record<string, { cpuS: number; processes: number }> {
    const out: Record<string, { cpuS: number; processes: number }> = {};
    for (const p of this.all()) {
      const k = (out[p.kind] ??= { cpuS: 0, processes: 0 });
      k.cpuS += p.cpuS;
      k.processes++;
    }
    return out;
  }

  /**
   * CPU our cutime will not hold, seconds: what ran under a sandbox, what was orphaned away from the
   * tree (and what ran under it), and what of the tree still runs now — each such subtree counted from
   * its top process: its own CPU plus the larger of its reaped children's (as last read) and its
   * children's own such totals (children too short to be seen are in the first, children not yet
   * reaped at the last reading in the second). A lower bound: the last ≤50 ms of each is not read.
   */
  unreaped(): { cpuS: number; byKind: Record<string, number>; confined: number; orphans: number; running: number } {
    const all = this.all();
    const children = new Map<Tracked, Tracked[]>();
    for (const p of all) if (p.parent) children.set(p.parent, [...(children.get(p.parent) ?? []), p]);
    const byKind: Record<string, number> = {};
    const total = (p: Tracked): number => {
      const kids = children.get(p) ?? [];
      const own = p.cpuS;
      const below = Math.max(
        p.childrenCpuS,
        kids.reduce((sum, c) => sum + total(c), 0),
      );
      return own + below;
    };
    const counted = (p: Tracked | undefined): boolean => !!p && (p.confined || p.orphan || p.alive);
    let cpuS = 0;
    let confined = 0;
    let orphans = 0;
    let running = 0;
    for (const p of all) {
      if (!counted(p)) continue;
      if (p.confined) confined++;
      else if (p.orphan) orphans++;
      else running++;
      if (counted(p.parent)) continue; // inside a subtree counted from its top
      const cpu = total(p);
      cpuS += cpu;
      byKind[p.kind] = (byKind[p.kind] ?? 0) + cpu;
    }
    return { cpuS, byKind, confined, orphans, running };
  }
}
