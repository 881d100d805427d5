import { promises as fsp } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readViolations, ViolationLog, violationLogFor, type Violation, type ViolationLimitReached } from '../../src/core/guard/violations';

let dir: string;
beforeEach(async () => {
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'ib-violations-'));
});
afterEach(async () => {
  await fsp.rm(dir, { recursive: true, force: true });
});

const violation = (n: number, extra: Partial<Violation> = {}): Violation => ({
  time: `2025-01-02T03:04:0${n}.000Z`,
  folder: '/work/google-calendar/create-event',
  key: 'google-calendar/create-event',
  file: `google-calendar/tests/create-event.test.json`,
  kind: 'changed',
  restored: true,
  detail: `attempt ${n}`,
  activity: `bash: sed -i s/a/${n}/ google-calendar/tests/create-event.test.json`,
  ...extra,
});

describe('ViolationLog', () => {
  it('sits next to the run record', () => {
    expect(violationLogFor('/w/.runs/google-calendar/create-event.json')).toBe('/w/.runs/google-calendar/create-event.violations.jsonl');
  });

  it('appends one JSON line per violation, creating the folder', async () => {
    const file = path.join(dir, '.runs', 'google-calendar', 'create-event.violations.jsonl');
    const log = new ViolationLog(file, 0);
    await log.append(violation(1));
    await Promise.all([
      log.append(violation(2, { kind: 'added', file: 'google-calendar/tests/x.json' })),
      log.append(violation(3, { kind: 'deleted', restored: false })),
    ]);
    const lines = (await fsp.readFile(file, 'utf8')).trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines.map((l) => (JSON.parse(l) as Violation).detail)).toEqual(['attempt 1', 'attempt 2', 'attempt 3']);
    expect(await log.read()).toEqual([
      violation(1),
      violation(2, { kind: 'added', file: 'google-calendar/tests/x.json' }),
      violation(3, { kind: 'deleted', restored: false }),
    ]);
    expect(log.count).toBe(3);
    expect(log.limitHit).toBe(false);
  });

  it('fires once, synchronously, when the count reaches the limit', async () => {
    const log = new ViolationLog(path.join(dir, 'v.jsonl'), 2);
    const reached: ViolationLimitReached[] = [];
    log.onLimitReached((e) => reached.push(e));
    void log.append(violation(1));
    expect(reached).toEqual([]);
    void log.append(violation(2));
    // Before the write finished: the caller can stop the session at once.
    expect(reached).toEqual([{ file: log.file, count: 2, limit: 2, last: violation(2) }]);
    await log.append(violation(3));
    expect(reached).toHaveLength(1);
    expect(log.limitHit).toBe(true);
    expect(await readViolations(log.file)).toHaveLength(3);
  });

  it('continues an existing log after a reload, counting what is there (a torn last line is skipped)', async () => {
    const file = path.join(dir, 'v.jsonl');
    await fsp.writeFile(file, [violation(1), violation(2)].map((v) => JSON.stringify(v)).join('\n') + '\n{"time": "2025-');
    const log = await ViolationLog.open(file, 3);
    expect(log.count).toBe(2);
    const reached: ViolationLimitReached[] = [];
    log.onLimitReached((e) => reached.push(e));
    await log.append(violation(3));
    expect(reached.map((e) => e.count)).toEqual([3]);
  });

  it('reads a missing log as empty, and never fires with no limit', async () => {
    expect(await readViolations(path.join(dir, 'none.jsonl'))).toEqual([]);
    const log = await ViolationLog.open(path.join(dir, 'none.jsonl'), 0);
    let fired = false;
    log.onLimitReached(() => (fired = true));
    for (let i = 1; i <= 5; i++) await log.append(violation(i));
    expect(fired).toBe(false);
    expect(log.count).toBe(5);
  });
});
