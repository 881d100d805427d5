// merge on real files, without agents: shards' work roots made as the harness makes them (scaffold,
// fixture, baseline, seal, record, transcript, report), merged, checked, and refused when anything the
// merge relies on does not hold. Three real shards from the CLI: test/integration/shard-merge.test.ts.
import { promises as fsp, existsSync, readdirSync, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main';
import { baselineDirFor, createBaseline, MANIFEST_FILE } from '../../src/core/guard/manifest';
import { checkSeal, INTEGRITY_KEY_FILE, sealBaseline } from '../../src/core/guard/seal';
import { newRunRecord, type RunRecord } from '../../src/core/runs/record';
import { RunStore } from '../../src/core/runs/store';
import { MergeRefused, mergeWorkRoots, namesPath, rebasePaths } from '../../src/core/shard/merge';
import { writeShardNote } from '../../src/core/shard/shard';
import { reportFileFor } from '../../src/core/verify';
import { scaffoldInteraction, scriptRelativePath } from '../../src/core/workspace/scaffold';
import { targetsFor } from '../support/specs';
import { capturedIo } from '../support/cliIo';

const REPO = path.resolve(__dirname, '../..');
const FIXTURE_TEXT = JSON.stringify({ input: { summary: 'Standup' }, output: { id: 'evt_1' } }, null, 2) + '\n';

let root: string;
beforeEach(async () => {
  root = await fsp.mkdtemp(path.join(os.tmpdir(), 'ib-merge-'));
});
afterEach(async () => {
  await fsp.rm(root, { recursive: true, force: true });
});

const fixtureOf = (key: string) => {
  const [integration, interaction] = key.split('/') as [string, string];
  return `${integration}/tests/${interaction}.test.json`;
};

/** A shard's work root with one finished, sealed run per key, as the harness leaves it. */
async function makeShard(dir: string, keys: readonly string[], opts: { status?: RunRecord['status']; unsealed?: string[] } = {}): Promise<string> {
  const workRoot = path.join(root, dir);
  const runs = new RunStore(workRoot);
  for (const key of keys) {
    const [integration, interaction] = key.split('/') as [string, string];
    const [target] = targetsFor(integration, [interaction]);
    const folder = path.join(workRoot, integration, interaction);
    await scaffoldInteraction(folder, target!.interaction);
    const scriptRel = scriptRelativePath(target!.interaction);
    await fsp.writeFile(path.join(folder, ...scriptRel.split('/')), `// ${key}\n`);
    await fsp.writeFile(path.join(folder, ...fixtureOf(key).split('/')), FIXTURE_TEXT);
    const run = newRunRecord({
      key,
      integrationId: integration,
      interactionId: interaction,
      specFile: '/spec/interactions.json',
      folder,
      demo: true,
      now: '2026-01-01T00:00:00.000Z',
    });
    run.status = opts.status ?? 'verified';
    if (!opts.unsealed?.includes(key)) {
      const baselineDir = baselineDirFor(runs.fileOf(key));
      await createBaseline(folder, baselineDir, { integrationId: integration, scriptRel });
      run.baselineSeal = await sealBaseline(runs.dir, key, run.attempt, baselineDir);
    }
    await runs.appendTranscript(key, 1, [
      { type: 'tool', tool: 'write', input: { filePath: path.join(folder, scriptRel) }, note: `cd ${folder} && ls ${workRoot}/other` },
    ]);
    await fsp.writeFile(reportFileFor(runs.fileOf(key)), JSON.stringify({ version: 1, key, folder, attempt: 1, verdict: 'verified', checks: [] }) + '\n');
    await runs.save(run);
  }
  await runs.flush();
  // The shard's own runtime state, never merged.
  await fsp.mkdir(path.join(runs.dir, '.sandbox'), { recursive: true });
  await fsp.mkdir(path.join(runs.dir, '.demo-opencode'), { recursive: true });
  return workRoot;
}

async function refusal(p: Promise<unknown>): Promise<MergeRefused> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(MergeRefused);
  return err as MergeRefused;
}

/** Nothing was written: no target, no temporary folder beside it. */
function expectNothingWritten(target: string): void {
  expect(existsSync(target)).toBe(false);
  if (existsSync(path.dirname(target))) expect(readdirSync(path.dirname(target)).filter((n) => n.includes('merging'))).toEqual([]);
}

describe('rebasePaths', () => {
  it('replaces the work root as a whole path or a prefix of one, never inside a longer name', () => {
    const from = '/ci/shard-out';
    const to = '/here/merged';
    expect(rebasePaths('{"filePath":"/ci/shard-out/a/b/x.ts"}', from, to)).toBe('{"filePath":"/here/merged/a/b/x.ts"}');
    expect(rebasePaths('cd /ci/shard-out && ls /ci/shard-out/a', from, to)).toBe('cd /here/merged && ls /here/merged/a');
    expect(rebasePaths('"/ci/shard-out"', from, to)).toBe('"/here/merged"');
    expect(rebasePaths('/ci/shard-out\\n', from, to)).toBe('/here/merged\\n');
    for (const same of ['/ci/shard-out2/a', '/ci/shard-out.bak/a', '/x/ci/shard-out/a', 'a/ci/shard-out', '/ci/shard-outer'])
      expect(rebasePaths(same, from, to), same).toBe(same);
    expect(rebasePaths('/ci/shard-out/a', from, from)).toBe('/ci/shard-out/a');
    expect(namesPath('see /here/merged/a', '/here/merged')).toBe(true);
    expect(namesPath('see /here/merged-2/a', '/here/merged')).toBe(false);
    expect(namesPath('see /here/merged/a', '/here', '/here/merged')).toBe(false);
  });
});

describe('mergeWorkRoots', () => {
  it('merges shards into one work root the run store reads, seals anew and rebases paths', async () => {
    const a = await makeShard('shard-1', ['google-calendar/create-event', 'slack/send-message']);
    const b = await makeShard('shard-2', ['google-calendar/update-event']);
    await writeShardNote(a, { index: 1, count: 2 }, ['google-calendar/create-event', 'slack/send-message']);
    await writeShardNote(b, { index: 2, count: 2 }, ['google-calendar/update-event']);
    const target = path.join(root, 'merged');
    const result = await mergeWorkRoots({ shards: [a, b], target });
    expect(result.runs.map((r) => [r.key, r.sealed, r.from])).toEqual([
      ['google-calendar/create-event', true, a],
      ['google-calendar/update-event', true, b],
      ['slack/send-message', true, a],
    ]);
    expect(result.shards.map((s) => [s.shard, s.ranAt, s.rebased])).toEqual([
      ['1/2', a, true],
      ['2/2', b, true],
    ]);
    expect(result.notes).toEqual([]);

    const store = new RunStore(target);
    const { records, problems } = await store.loadAllChecked();
    expect(problems).toEqual([]);
    expect(records.map((r) => r.key)).toEqual(['google-calendar/create-event', 'google-calendar/update-event', 'slack/send-message']);
    for (const r of records) {
      const folder = path.join(target, r.integrationId, r.interactionId);
      expect(r.folder).toBe(folder);
      // The merged root's own key holds the new seal; the shard's key is not copied.
      expect(await checkSeal(store.dir, r.key, r.attempt, baselineDirFor(store.fileOf(r.key)), r.baselineSeal)).toEqual({ ok: true });
      expect(readFileSync(path.join(folder, ...fixtureOf(r.key).split('/')), 'utf8')).toBe(FIXTURE_TEXT);
      const transcript = readFileSync(store.transcriptOf(r.key, 1), 'utf8');
      expect(transcript).toContain(`"filePath":"${folder}/`);
      expect(transcript).toContain(`cd ${folder} && ls ${target}/other`);
      expect(transcript).not.toMatch(/shard-[12]/);
      expect(JSON.parse(readFileSync(reportFileFor(store.fileOf(r.key)), 'utf8')).folder).toBe(folder);
    }
    expect(readFileSync(path.join(store.dir, INTEGRITY_KEY_FILE), 'utf8')).not.toBe(readFileSync(path.join(a, '.runs', INTEGRITY_KEY_FILE), 'utf8'));
    expect(readdirSync(store.dir).sort()).toEqual(['.integrity-key', 'google-calendar', 'merge.json', 'slack']);
    expect(existsSync(path.join(target, '.ignore'))).toBe(true);
    const note = JSON.parse(readFileSync(path.join(store.dir, 'merge.json'), 'utf8')) as { shards: { dir: string; shard: string }[] };
    expect(note.shards.map((s) => [s.dir, s.shard])).toEqual([
      [a, '1/2'],
      [b, '2/2'],
    ]);
    // The shards are read, never changed.
    expect((await new RunStore(a).loadAllChecked()).problems).toEqual([]);
  });

  it('into an empty folder too; a shard of N missing and an unsealed run are said, not refused', async () => {
    const a = await makeShard('shard-1', ['hubspot/create-contact'], { unsealed: ['hubspot/create-contact'] });
    await writeShardNote(a, { index: 1, count: 3 }, ['hubspot/create-contact', 'hubspot/sync-deals']);
    const target = path.join(root, 'merged');
    await fsp.mkdir(target);
    const result = await mergeWorkRoots({ shards: [a], target });
    expect(result.runs.map((r) => [r.key, r.sealed])).toEqual([['hubspot/create-contact', false]]);
    expect(result.notes.join('\n')).toMatch(/no baseline in its shard/);
    expect(result.notes.join('\n')).toMatch(/shard\(s\) 2\/3, 3\/3 not given/);
    expect(result.notes.join('\n')).toMatch(/has no run record of hubspot\/sync-deals/);
    const [record] = (await new RunStore(target).loadAllChecked()).records;
    expect(record?.baselineSeal).toBeUndefined();
  });

  it('refuses a fixture that does not match its baseline hash, naming the file; nothing is written', async () => {
    const a = await makeShard('shard-1', ['google-calendar/create-event']);
    const b = await makeShard('shard-2', ['slack/send-message']);
    const fixture = path.join(b, 'slack', 'send-message', ...fixtureOf('slack/send-message').split('/'));
    await fsp.writeFile(fixture, FIXTURE_TEXT.replace('Standup', 'Standip'));
    const target = path.join(root, 'out', 'merged');
    const err = await refusal(mergeWorkRoots({ shards: [a, b], target }));
    expect(err.problems).toHaveLength(1);
    expect(err.problems[0]?.file).toBe(fixture);
    expect(err.problems[0]?.message).toMatch(/slack\/send-message: does not match its baseline hash \(sha256 [0-9a-f]{12}… → [0-9a-f]{12}…, same size\)/);
    expectNothingWritten(target);
    expect(existsSync(path.join(root, 'out'))).toBe(false);
  });

  it('refuses missing, added and hard-linked protected files, and a baseline copy or manifest rewritten', async () => {
    const keys = ['a/missing', 'a/added', 'a/linked', 'a/copy', 'a/manifest'];
    const s = await makeShard('shard-1', keys);
    const folder = (k: string) => path.join(s, 'a', k);
    await fsp.rm(path.join(folder('missing'), 'a/tests/missing.test.json'));
    await fsp.writeFile(path.join(folder('added'), 'a/tests/extra.json'), '{}');
    await fsp.link(path.join(folder('linked'), 'a/tests/linked.test.json'), path.join(root, 'outside-link'));
    await fsp.writeFile(path.join(s, '.runs/a/copy.baseline/files/a/tests/copy.test.json'), 'changed');
    const manifest = path.join(s, '.runs/a/manifest.baseline', MANIFEST_FILE);
    await fsp.writeFile(manifest, readFileSync(manifest, 'utf8').replace('"version": 1', '"version":1'));
    const target = path.join(root, 'merged');
    const err = await refusal(mergeWorkRoots({ shards: [s], target }));
    const text = err.problems.map((p) => `${path.relative(s, p.file)}: ${p.message}`).join('\n');
    expect(text).toMatch(/^a\/missing\/a\/tests\/missing\.test\.json: a\/missing: is in the baseline and missing/m);
    expect(text).toMatch(/^a\/added\/a\/tests\/extra\.json: a\/added: is a protected file the baseline does not list/m);
    expect(text).toMatch(/^a\/linked\/a\/tests\/linked\.test\.json: a\/linked: does not match its baseline hash \(hard-linked elsewhere/m);
    expect(text).toMatch(
      /^\.runs\/a\/copy\.baseline\/files\/a\/tests\/copy\.test\.json: a\/copy: the baseline's copy of a\/tests\/copy\.test\.json does not match its manifest hash/m,
    );
    expect(text).toMatch(/^\.runs\/a\/manifest\.json: a\/manifest: the baseline's seal does not hold in its shard \(fixtures\.baseline-tampered\)/m);
    expect(err.problems).toHaveLength(5);
    expectNothingWritten(target);
  });

  it('refuses an interaction held by two shards, a run not finished, a record that cannot be read', async () => {
    const a = await makeShard('shard-1', ['google-calendar/create-event']);
    const b = await makeShard('shard-2', ['google-calendar/create-event']);
    const c = await makeShard('shard-3', ['slack/send-message'], { status: 'running' });
    const d = await makeShard('shard-4', ['hubspot/create-contact']);
    await fsp.writeFile(path.join(d, '.runs/hubspot/create-contact.json'), '{"version": 1, "key": "hubspot/crea');
    const target = path.join(root, 'merged');
    const err = await refusal(mergeWorkRoots({ shards: [a, b, c, d], target }));
    const text = err.problems.map((p) => `${p.file}: ${p.message}`).join('\n');
    expect(text).toContain(`${path.join(b, '.runs/google-calendar/create-event.json')}: google-calendar/create-event is in two shards (also ${a})`);
    expect(text).toContain(`${path.join(c, '.runs/slack/send-message.json')}: slack/send-message is still running in this shard`);
    expect(text).toContain(`${path.join(d, '.runs/hubspot/create-contact.json')}: the run record cannot be used: the record is not valid JSON`);
    expectNothingWritten(target);
  });

  it('refuses a target that is not empty, a folder that is no work root, a shard given twice, two shards claiming one K/N', async () => {
    const a = await makeShard('shard-1', ['google-calendar/create-event']);
    const b = await makeShard('shard-2', ['slack/send-message']);
    await writeShardNote(a, { index: 1, count: 2 }, ['google-calendar/create-event']);
    await writeShardNote(b, { index: 1, count: 2 }, ['slack/send-message']);
    const full = path.join(root, 'full');
    await fsp.mkdir(full);
    await fsp.writeFile(path.join(full, 'x'), '');
    const bare = path.join(root, 'bare');
    await fsp.mkdir(bare);
    const err = await refusal(mergeWorkRoots({ shards: [a, `${a}/`, b, bare, path.join(root, 'absent')], target: full }));
    const text = err.problems.map((p) => `${p.file}: ${p.message}`).join('\n');
    expect(text).toContain(`${full}: the merged work root exists and is not empty`);
    expect(text).toContain(`${a}: is given twice (also as ${a})`);
    expect(text).toContain(`${bare}: holds no .runs/ folder, so it is not a work root`);
    expect(text).toContain(`${path.join(root, 'absent')}: is not a folder`);
    expect(text).toContain(`${path.join(b, '.runs/shard.json')}: is shard 1/2, and so is ${a}`);
    expect(readdirSync(full)).toEqual(['x']);
  });

  it('refuses a shard whose files already name the merged work root (a rebase would change what they mean)', async () => {
    const a = await makeShard('shard-1', ['google-calendar/create-event']);
    const target = path.join(root, 'merged');
    await new RunStore(a).appendTranscript('google-calendar/create-event', 1, [
      { type: 'tool', tool: 'bash', input: { command: `cat ${target}/slack/send-message/index.ts` } },
    ]);
    const err = await refusal(mergeWorkRoots({ shards: [a], target }));
    expect(err.problems.map((p) => p.message).join('\n')).toMatch(/already names the merged work root/);
    expectNothingWritten(target);
  });
});

describe('integration-builder merge', () => {
  let out: string[];
  let err: string[];
  const io = capturedIo(() => ({ cwd: root, out, err }));
  beforeEach(async () => {
    out = [];
    err = [];
    await fsp.copyFile(path.join(REPO, 'examples/product-integrations/interactions.json'), path.join(root, 'interactions.json'));
  });

  it('exit 2 with each problem at its file and nothing written; exit 0 when merged, and status reads the merged root', async () => {
    await makeShard('shard-1', ['google-calendar/create-event']);
    const b = await makeShard('shard-2', ['slack/send-message']);
    const fixture = path.join(b, 'slack/send-message/slack/tests/send-message.test.json');
    await fsp.appendFile(fixture, ' ');
    expect(await main(['merge', 'shard-1', 'shard-2', '--work-root', 'merged'], io())).toBe(2);
    expect(err.join('\n')).toContain(`${fixture}: slack/send-message: does not match its baseline hash`);
    expect(err.join('\n')).toMatch(/the merge was refused \(1 problem\(s\)\); nothing was written/);
    expect(existsSync(path.join(root, 'merged'))).toBe(false);

    await fsp.writeFile(fixture, FIXTURE_TEXT);
    out = [];
    err = [];
    expect(await main(['merge', 'shard-1', 'shard-2', '--work-root', 'merged'], io()), err.join('\n')).toBe(0);
    expect(out.join('\n')).toMatch(/merged 2 interaction\(s\) from 2 shard\(s\)/);
    expect(out.join('\n')).toMatch(/google-calendar\/create-event\s+verified\s+#1 {2}sealed {2}from shard-1/);
    expect(err.join('\n')).toMatch(/note: 18 interaction\(s\) of the spec are in no shard/);
    out = [];
    await main(['status', '--json', '--work-root', 'merged'], io());
    const rows = JSON.parse(out.join('')) as { key: string; status: string }[];
    expect(rows.filter((r) => r.status !== 'not-started').map((r) => [r.key, r.status])).toEqual([
      ['google-calendar/create-event', 'verified'],
      ['slack/send-message', 'verified'],
    ]);
  });
});
