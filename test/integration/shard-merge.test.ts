// Shards end to end, as the example GitHub Actions workflow (examples/github-actions/) runs them: three
// `generate --demo --all --shard K/3` as separate CLI processes (dist/cli.js, built by `npm run build`),
// each with a work root of its own, the real opencode and the real Nango CLI against the demo stand-in;
// `merge` gathers them into one work root, which status, verify (from disk, hashes re-checked under the
// merged root's seal) and assemble accept. A fixture edited in a shard after its run: merge refuses,
// exit 2, nothing written.
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { parse } from 'jsonc-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO } from '../support/agentStack';
import { cliWorkspace, runCli, type CliResult } from '../support/cli';

/** Three interactions of the example, over two APIs: one per shard, an API split across shards. */
const KEYS = ['google-calendar/create-event', 'google-calendar/sync-events', 'slack/send-message'];

let dir: string;
const cli = (args: string[]) => runCli(dir, args);
const show = (r: CliResult) => `exit ${r.code}\n${r.stdout}\n${r.stderr}`.slice(-6000);

beforeAll(() => {
  dir = cliWorkspace('shard-merge');
  const example = parse(readFileSync(path.join(REPO, 'examples/product-integrations/interactions.json'), 'utf8')) as {
    integrations: { id: string; interactions: { id: string }[] }[];
  };
  const integrations = example.integrations
    .map((i) => ({ ...i, interactions: i.interactions.filter((x) => KEYS.includes(`${i.id}/${x.id}`)) }))
    .filter((i) => i.interactions.length);
  writeFileSync(path.join(dir, 'interactions.json'), JSON.stringify({ integrations }, null, 2) + '\n');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The fixture the demo recorded for an interaction, in a work root. */
function fixtureIn(workRoot: string, key: string): string {
  const [integration, interaction] = key.split('/') as [string, string];
  const tests = path.join(dir, workRoot, integration, interaction, integration, 'tests');
  const json = readdirSync(tests).find((f) => f.endsWith('.json'));
  if (!json) throw new Error(`no fixture in ${tests}`);
  return path.join(tests, json);
}

describe('generate --shard K/N in three processes, merge, then status, verify and assemble', () => {
  const shardOf = new Map<string, number>();

  it('three shards, each a separate process with its own work root, run one interaction each', async () => {
    const results = await Promise.all(
      [1, 2, 3].map((k) => cli(['generate', '--demo', '--all', '--shard', `${k}/3`, '--work-root', `shard-${k}`, '--concurrency', '1', '--json'])),
    );
    const seen: string[] = [];
    results.forEach((r, i) => {
      expect(r.code, show(r)).toBe(0);
      const reports = JSON.parse(r.stdout) as { key: string; verdict: string }[];
      expect(reports.map((x) => x.verdict)).toEqual(['verified']);
      expect(r.stderr).toContain(`shard ${i + 1}/3: 1 of 3 interaction(s): ${reports[0]?.key}`);
      shardOf.set(reports[0]?.key as string, i + 1);
      seen.push(...reports.map((x) => x.key));
      // Each work root holds its own share only.
      expect(
        readdirSync(path.join(dir, `shard-${i + 1}`, '.runs'))
          .filter((n) => !n.startsWith('.'))
          .sort(),
      ).toEqual([...new Set(reports.map((x) => x.key.split('/')[0] as string)), 'shard.json'].sort());
    });
    expect(seen.sort()).toEqual([...KEYS].sort());
  }, 1_200_000);

  it('merge refuses a shard whose fixture was edited after its run: exit 2, the file named, nothing written', async () => {
    const key = 'slack/send-message';
    const shard = `shard-${shardOf.get(key)}`;
    const fixture = fixtureIn(shard, key);
    const original = readFileSync(fixture);
    writeFileSync(fixture, original.toString('utf8').replace(/"/, ' "'));
    try {
      const r = await cli(['merge', 'shard-1', 'shard-2', 'shard-3', '--work-root', 'merged-tampered']);
      expect(r.code, show(r)).toBe(2);
      expect(r.stderr).toContain(`${fixture}: ${key}: does not match its baseline hash`);
      expect(r.stderr).toMatch(/the merge was refused \(1 problem\(s\)\); nothing was written/);
      expect(existsSync(path.join(dir, 'merged-tampered'))).toBe(false);
      expect(readdirSync(dir).filter((n) => n.includes('merging'))).toEqual([]);
    } finally {
      writeFileSync(fixture, original);
    }
  }, 120_000);

  it('merge gathers the three work roots into one, every run sealed anew', async () => {
    const r = await cli(['merge', 'shard-1', 'shard-2', 'shard-3', '--work-root', 'merged']);
    expect(r.code, show(r)).toBe(0);
    expect(r.stdout).toContain(`merged 3 interaction(s) from 3 shard(s) into ${path.join(dir, 'merged')}`);
    for (const key of KEYS) expect(r.stdout).toMatch(new RegExp(`${key}\\s+verified\\s+#1  sealed  from shard ${shardOf.get(key)}/3`));
    expect(r.stderr).not.toMatch(/note:/);
    // Paths in the transcripts now name the merged folders, not the shards'.
    const transcript = readFileSync(path.join(dir, 'merged/.runs/google-calendar/create-event.attempt-1.jsonl'), 'utf8');
    expect(transcript).toContain(path.join(dir, 'merged/google-calendar/create-event'));
    expect(transcript).not.toContain(path.join(dir, 'shard-'));
  }, 120_000);

  it('status reads the merged work root: every interaction verified', async () => {
    const r = await cli(['status', '--json', '--work-root', 'merged']);
    expect(r.code, show(r)).toBe(0);
    expect((JSON.parse(r.stdout) as { key: string; status: string }[]).map((x) => [x.key, x.status]).sort()).toEqual(KEYS.map((k) => [k, 'verified']));
  }, 60_000);

  it('verify --all from disk on the merged work root: every check passes again, the fixtures against the new seal', async () => {
    const r = await cli(['verify', '--all', '--work-root', 'merged', '--json']);
    expect(r.code, show(r)).toBe(0);
    const reports = JSON.parse(r.stdout) as { key: string; verdict: string; checks: { check: string; outcome: string }[] }[];
    expect(reports.map((x) => [x.key, x.verdict]).sort()).toEqual(KEYS.map((k) => [k, 'verified']));
    for (const x of reports) expect(x.checks.find((c) => c.check === 'fixtures')?.outcome, x.key).toBe('passed');
  }, 600_000);

  it('assemble takes the merged runs: an API whose interactions ran in two shards', async () => {
    // The default flow: a person accepts what was verified (Assemble takes verified and accepted interactions).
    for (const key of KEYS) {
      const accepted = await cli(['accept', key, '--work-root', 'merged']);
      expect(accepted.code, show(accepted)).toBe(0);
    }
    const r = await cli(['assemble', 'google-calendar', '--work-root', 'merged']);
    expect(r.code, show(r)).toBe(0);
    expect(r.stdout).toContain('## Compile: ✓ passed');
    expect(readFileSync(path.join(dir, 'nango-integrations/index.ts'), 'utf8')).toBe(
      "import './google-calendar/actions/create-event.js';\nimport './google-calendar/syncs/sync-events.js';\n",
    );
    const slack = await cli(['assemble', 'slack', '--work-root', 'merged']);
    expect(slack.code, show(slack)).toBe(0);
  }, 300_000);

  it('the merged root is checked on its own: a fixture changed there fails verify', async () => {
    const key = 'google-calendar/create-event';
    const fixture = fixtureIn('merged', key);
    writeFileSync(fixture, readFileSync(fixture, 'utf8').replace(/"/, ' "'));
    const r = await cli(['verify', key, '--work-root', 'merged', '--json']);
    expect(r.code, show(r)).toBe(1);
    const [report] = JSON.parse(r.stdout) as { verdict: string; checks: { check: string; findings: { rule: string }[] }[] }[];
    expect(report?.verdict).toBe('failed');
    expect(report?.checks.find((c) => c.check === 'fixtures')?.findings.map((f) => f.rule)).toEqual(['fixtures.changed']);
  }, 300_000);
});
