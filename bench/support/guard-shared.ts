// Messages between bench/guard-restore.mjs and its guard process (bench/support/guard-worker.ts).

export interface GuardBenchFolder {
  readonly folder: string;
  readonly key: string;
  readonly baselineDir: string;
  /** Recorded fixtures, relative to the folder (2, 8 and 32 KiB). */
  readonly fixtures: readonly string[];
  /** The agent's own script, relative. */
  readonly script: string;
}

export type GuardBenchRequest =
  | { type: 'setup'; root: string; folders: number }
  | { type: 'mark' }
  | { type: 'times' }
  /** Watch `dir` with a bare fs.watch and note when each event arrives: the floor any watcher has. */
  | { type: 'bare'; dir: string }
  | { type: 'stop' };

export type GuardBenchReply =
  | { type: 'started' }
  | {
      type: 'ready';
      folders: GuardBenchFolder[];
      /** Wall time and CPU of watching every folder (watches live, each folder checked). */
      watchMs: number;
      watchCpuMs: number;
      rssBeforeMb: number;
      rssAfterMb: number;
      inotifyWatches: number;
    }
  | { type: 'mark'; cpuMs: number; rssMb: number; peakRssMb: number; violations: number; errors: string[] }
  /** When each violation was reported (epoch ms, sub-ms: performance.timeOrigin + performance.now()). */
  | { type: 'times'; violationAt: number[]; bareEventAt: number[] }
  | { type: 'watching' }
  | { type: 'stopped' }
  | { type: 'failed'; message: string };
