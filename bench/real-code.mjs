// real-code: Verify on real Nango code. Needs a bare git mirror of NangoHQ/integration-templates holding
// the pinned commit (test/support/realCorpus.ts: /work/.mirror/NangoHQ+integration-templates/repo, or
// IB_TEMPLATES_GIT); nothing of it is committed here.
//
// 1. The corpus (test/support/realCorpus.ts CORPUS, bundled at run time): each interaction laid out as an
//    honest harness run (scaffold, sealed baseline, the template's script and every file it imports, its
//    recorded fixture, the harness's run_tests with the real `nango generate:tests`, a transcript that
//    claims only what run_tests showed) and verified with the real pipeline (verifyInteractions, all
//    checks, concurrency 2, one shared type check). Then verified a second time: the verdicts must not move.
// 2. The scan: every template script (integrations/*/actions|syncs/*.ts) through the code rules and lint.
//
// Figures:
//   corpus_n                  interactions laid out and verified (REAL_CODE_N: only the first N; 0: the scan only;
//                             REAL_CODE_ONLY=<provider>/<name>,…: only these)
//   false_failed              of those, verdict failed and not every flag of it a true finding (see below)
//   false_needs_review        of those, verdict needs review and not every flag of it a true finding
//   true_findings_in_corpus   of those, verdict failed or needs review where every flag is a true finding of the
//                             template itself, read again from its code by judgeFlag (test/support/realCorpus.ts:
//                             the rule and line point at e.g. a `finally` that calls trackDeletesEnd, or a loop
//                             that advances a cursor its request reads without a checkpoint) — never by name
//   verify_s_per_interaction  wall time of Verify all over the corpus / corpus_n
//   scan_scripts              template scripts scanned (REAL_CODE_SCAN_LIMIT: only the first N)
//   scan_flagged_rate         share of them with any finding of the code rules or lint (failed or needs review)
//   scan_flags_unexplained    flags that no true finding could be read for from the code (test/support/realCorpus.ts
//                             judgeFlag): each remaining flag must be a real skipped feature, so this must be 0
//   also: corpus_providers, corpus_verified, layout_s_per_interaction, verify_again_changed (interactions whose
//   second verdict or findings differ from the first; REAL_CODE_REPEAT=0 skips it), scan_failed_rate,
//   scan_needs_review_rate, scan_s.
// The report, bench/results/real-code-report.md, lists every flag that remains — rule, file and line,
// message — so each can be judged a true finding or a false one.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleCjs } from './support/bundle.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

const round = (x, d = 3) => Math.round(x * 10 ** d) / 10 ** d;

/** Runs `fn` over `items`, `n` at a time, in order of the items. */
async function pool(items, n, fn) {
  const out = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i], i);
      }
    }),
  );
  return out;
}

export async function run({ log }) {
  const corpusMod = await bundleCjs('test/support/realCorpus.ts', 'real-corpus');
  const verifyMod = await bundleCjs('src/core/verify/index.ts', 'verify-core');
  const storeMod = await bundleCjs('src/core/runs/store.ts', 'run-store');
  const missing = corpusMod.templatesMissing();
  if (missing) throw new Error(`real-code needs the templates: ${missing}`);
  // Inside the repository, so the folders resolve nango, vitest, tsc and eslint from its node_modules.
  const base = join(root, '.test-runs', `bench-real-code-${process.pid}`);
  const work = join(base, 'work');
  const templates = join(base, 'templates');
  rmSync(base, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const load0 = loadavg()[0];
  const n = Number(process.env.REAL_CODE_N ?? corpusMod.CORPUS.length);
  // REAL_CODE_ONLY=<provider>/<name>,…: only these corpus interactions (to look at a few flags again).
  const only = (process.env.REAL_CODE_ONLY || '').split(',').filter(Boolean);
  const corpus = corpusMod.CORPUS.slice(0, n).filter((e) => !only.length || only.includes(`${e.provider}/${e.name}`));
  try {
    // ---- the corpus
    let t = Date.now();
    const extracted = await corpusMod.extractTemplates(templates, corpusMod.corpusPathFilter(corpus), 'corpus');
    const migrated = await corpusMod.migrateLegacyFixtures(templates, corpus, join(base, 'migrate'));
    log(
      `templates extracted (${extracted.written} files, ${extracted.missing.length} missing in the mirror), ${migrated.size} older recordings migrated in ${((Date.now() - t) / 1000).toFixed(1)} s`,
    );
    const runs = new storeMod.RunStore(work);
    const models = corpusMod.corpusSpec(corpus, join(work, 'interactions.json'));
    t = Date.now();
    const laid = await pool(corpus, 2, async (entry) => {
      const l = await corpusMod.layOutHonestRun(runs, work, templates, entry, models.get(corpusMod.keyOf(entry)), { migrated });
      log(`laid out ${l.target.key} (${(l.layoutMs / 1000).toFixed(1)} s, run_tests ${l.runTests?.ok ? 'passed' : 'FAILED'})`);
      return l;
    });
    const layoutS = (Date.now() - t) / 1000;
    t = Date.now();
    const reports = laid.length
      ? await verifyMod.verifyInteractions(
          laid.map((l) => l.target),
          { runs, concurrency: 2 },
        )
      : [];
    const verifyS = (Date.now() - t) / 1000;
    log(`verified ${reports.length} in ${verifyS.toFixed(1)} s`);
    let again = [];
    if (process.env.REAL_CODE_REPEAT !== '0' && laid.length) {
      again = await verifyMod.verifyInteractions(
        laid.map((l) => l.target),
        { runs, concurrency: 2 },
      );
    }
    // Each corpus verdict that is not verified, its flags judged again from the interaction's code.
    const judged = reports.map((r, i) => (r.verdict === 'verified' ? undefined : corpusMod.judgeReport(r, laid[i].target.folder)));
    const digest = (r) => JSON.stringify(corpusMod.reportDigest(r));
    const changed = again.filter((r, i) => digest(r) !== digest(reports[i]));

    // ---- the scan
    t = Date.now();
    // The scripts, and their recorded fixtures (today's layout, or Nango's older mocks/nango/<method>/proxy/…
    // recordings where a template has only those): the pagination rule takes a recording as evidence, as Verify does.
    const all = await corpusMod.extractTemplates(
      templates,
      (p) =>
        /^integrations\/[^/]+\/(?!mocks\/|tests\/|fixtures\/)[^]*\.ts$/.test(p) ||
        /^integrations\/[^/]+\/tests\/[^/]+\.test\.json$/.test(p) ||
        /^integrations\/[^/]+\/mocks\/nango\/[a-z]+\/proxy\/.+\.json$/.test(p),
      'scripts',
    );
    const scripts = await corpusMod.templateScripts(templates);
    const limit = Number(process.env.REAL_CODE_SCAN_LIMIT || scripts.length);
    const scan = await corpusMod.scanTemplates(templates, { scripts: scripts.slice(0, limit), log });
    const scanS = (Date.now() - t) / 1000;
    if (!scan.lintRan) throw new Error(`lint did not run over the templates: ${scan.lintDetail}`);
    // A note (severity info: Nango's advisory lint on code its guidance accepts) holds no verdict: not a flag.
    const flagged = scan.scripts.filter((s) => s.findings.some((f) => f.severity !== 'info'));
    const failedScripts = flagged.filter((s) => s.findings.some((f) => f.severity === 'error'));
    log(`scanned ${scan.scripts.length} scripts in ${scanS.toFixed(1)} s: ${flagged.length} flagged (${failedScripts.length} with an error)`);

    const figures = {
      corpus_n: reports.length,
      corpus_providers: new Set(corpus.map((e) => e.provider)).size,
      corpus_verified: reports.filter((r) => r.verdict === 'verified').length,
      corpus_failed: reports.filter((r) => r.verdict === 'failed').length,
      corpus_needs_review: reports.filter((r) => r.verdict === 'needs-review').length,
      false_failed: reports.filter((r, i) => r.verdict === 'failed' && !judged[i]?.explained).length,
      false_needs_review: reports.filter((r, i) => r.verdict === 'needs-review' && !judged[i]?.explained).length,
      true_findings_in_corpus: reports.filter((r, i) => r.verdict !== 'verified' && judged[i]?.explained).length,
      verify_s_per_interaction: reports.length ? round(verifyS / reports.length, 2) : null,
      layout_s_per_interaction: reports.length ? round(layoutS / reports.length, 2) : null,
      verify_again_changed: process.env.REAL_CODE_REPEAT === '0' || !laid.length ? null : changed.length,
      scan_scripts: scan.scripts.length,
      scan_flagged_rate: round(flagged.length / scan.scripts.length, 4),
      scan_failed_rate: round(failedScripts.length / scan.scripts.length, 4),
      scan_needs_review_rate: round((flagged.length - failedScripts.length) / scan.scripts.length, 4),
      // flags that judgeFlag (test/support/realCorpus.ts) could not tie to a true finding read from the code
      scan_flags_unexplained: flagged.flatMap((s) => s.findings.filter((f) => f.severity !== 'info' && !f.judgement?.category)).length,
      scan_s: round(scanS, 1),
      scan_mirror_missing_files: all.missing.length,
      load_avg_start: round(load0, 2),
      load_avg_end: round(loadavg()[0], 2),
    };
    writeReport(join(root, 'bench', 'results', 'real-code-report.md'), { corpusMod, figures, laid, reports, judged, again, changed, scan });
    return figures;
  } finally {
    if (process.env.REAL_CODE_KEEP !== '1') rmSync(base, { recursive: true, force: true });
    else log(`kept ${base}`);
  }
}

function writeReport(file, { corpusMod, figures, laid, reports, judged, again, changed, scan }) {
  const md = [];
  const cell = (s) =>
    String(s ?? '')
      .replace(/\|/g, '\\|')
      .replace(/\s+/g, ' ');
  md.push(`# real-code: Verify on NangoHQ/integration-templates @ ${corpusMod.TEMPLATES_COMMIT.slice(0, 9)}`, '');
  md.push(
    `Written by \`npm run bench -- real-code\` at ${new Date().toISOString()}. Every flag below is to be judged: a true finding (the script really skips what the rule asks for) or a false one.`,
    '',
  );
  md.push('## Figures', '', '| figure | value |', '| --- | --- |', ...Object.entries(figures).map(([k, v]) => `| ${k} | ${v} |`), '');
  md.push(
    '## Corpus',
    '',
    '| interaction | kind | fixture | features | files besides the script | run_tests | verdict | findings |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
  );
  for (const [i, l] of laid.entries()) {
    const r = reports[i];
    const n = r.checks.reduce((a, c) => a + c.findings.length, 0);
    md.push(
      `| ${l.target.key} | ${l.entry.kind} | ${l.entry.fixture} | ${l.features.join(', ')} | ${cell(l.unitFiles.join(', ')) || '—'} | ${l.runTests?.ok ? 'passed' : 'FAILED'} | ${r.verdict} | ${n} |`,
    );
  }
  const missingFeatures = laid.filter((l) => l.entry.features.some((f) => !l.features.includes(f)));
  if (missingFeatures.length)
    md.push(
      '',
      `Features listed but not seen in the script: ${missingFeatures.map((l) => `${l.target.key} (${l.entry.features.filter((f) => !l.features.includes(f)).join(', ')})`).join('; ')}`,
    );
  md.push('', '## Corpus flags', '');
  md.push(
    'Each interaction whose verdict is not verified, every flag of it judged again from its code (judgeFlag in test/support/realCorpus.ts: the construct the rule names, at its line, re-read apart from the rule). An interaction whose every flag is a true finding of the template itself counts in `true_findings_in_corpus`; any other counts in `false_failed` / `false_needs_review`. Notes (info) are listed too; they hold no verdict.',
    '',
  );
  const flagged = reports.filter((r) => r.checks.some((c) => c.findings.some((f) => f.severity !== 'info') || c.outcome === 'error'));
  if (!flagged.length) md.push('None: every interaction of the corpus verified with no finding.', '');
  for (const r of flagged) {
    const j = judged[reports.indexOf(r)];
    md.push(
      `### ${r.key} — ${r.verdict}: ${j?.explained ? 'a true finding of the template (true_findings_in_corpus)' : `NOT explained (counted in false_${r.verdict === 'failed' ? 'failed' : 'needs_review'})`}`,
      '',
    );
    for (const c of r.checks.filter((c) => c.outcome === 'error' || (c.outcome === 'skipped' && c.detail)))
      md.push(`- **${c.check}** ${c.outcome}: ${cell(c.detail)}`);
    for (const f of r.checks.flatMap((c) => c.findings)) {
      const x = j?.flags.find((y) => y.finding === f);
      md.push(`- ${cell(corpusMod.describeFinding(f))}${x ? ` — **${x.judgement.category ?? 'UNEXPLAINED'}**: ${cell(x.judgement.evidence)}` : ''}`);
    }
    md.push('');
  }
  if (again.length) {
    md.push(
      '## Verify again',
      '',
      changed.length
        ? `${changed.length} interaction(s) got another verdict or other findings the second time:`
        : 'The second Verify of every corpus interaction gave the same verdict and findings.',
      '',
    );
    for (const r of changed) md.push(`- ${r.key}: ${r.verdict} — ${corpusMod.describeFindings(r).map(cell).join('; ')}`);
    md.push('');
  }
  md.push('## Scan', '');
  const isFlag = (f) => f.severity !== 'info';
  const flaggedScripts = scan.scripts.filter((s) => s.findings.some(isFlag));
  const byRule = new Map();
  for (const s of flaggedScripts)
    for (const rule of new Set(s.findings.filter(isFlag).map((f) => `${f.rule} (${f.severity})`))) byRule.set(rule, (byRule.get(rule) ?? 0) + 1);
  md.push(
    `${flaggedScripts.length} of ${scan.scripts.length} scripts flagged.`,
    '',
    '| rule | scripts |',
    '| --- | --- |',
    ...[...byRule].sort((a, b) => b[1] - a[1]).map(([k, v]) => `| ${k} | ${v} |`),
    '',
  );
  // What each flag says the code does (the judged lint says it after " — "; the code rules in their message).
  const why = (f) =>
    f.rule.startsWith('lint.') && f.message.includes(' — ')
      ? f.message.slice(f.message.lastIndexOf(' — ') + 3)
      : f.rule === 'sdk.pagination-skipped'
        ? /the recorded answer of/.test(f.message)
          ? 'the recorded answer shows the API pages'
          : 'no recording to judge by, no comment'
        : f.rule === 'code.as-any'
          ? /^`catch \(/.test(f.message)
            ? 'a catch variable typed `any` whose value stays in the catch'
            : /counts as a cast/.test(f.message)
              ? `an \`any\` annotation that ${
                  f.message
                    .slice(f.message.indexOf('` ') + 2, f.message.indexOf(' — '))
                    .replace(/ \(.*?\)/, '')
                    .split(':')[0]
                }`
              : 'a cast'
          : f.rule === 'code.explicit-any'
            ? "an `any` annotation on an ordinary value (a callback's or a mapper's parameter, a local): Nango lints it at warn"
            : f.message.replace(/`[^`]*`/g, '…').slice(0, 80);
  const byWhy = new Map();
  for (const s of scan.scripts)
    for (const f of s.findings) byWhy.set(`${f.rule} (${f.severity}): ${why(f)}`, (byWhy.get(`${f.rule} (${f.severity}): ${why(f)}`) ?? 0) + 1);
  md.push(
    'What the code does, finding by finding (read from its syntax tree and its recording; info = a note that holds no verdict):',
    '',
    '| rule: what the code does | findings |',
    '| --- | --- |',
    ...[...byWhy].sort((a, b) => b[1] - a[1]).map(([k, v]) => `| ${cell(k)} | ${v} |`),
    '',
  );
  // Each flag judged again from the code (judgeFlag): the true finding it is, with the evidence read from
  // the script or its recording — or, when no evidence was found, unexplained (to be fixed, never hidden).
  const byCategory = new Map();
  for (const s of flaggedScripts)
    for (const f of s.findings.filter(isFlag)) {
      const k = f.judgement?.category ?? 'UNEXPLAINED';
      byCategory.set(k, (byCategory.get(k) ?? 0) + 1);
    }
  md.push(
    'Every flag, judged again from the code: which true finding it is (a real skipped feature), with its evidence:',
    '',
    '| true finding | flags |',
    '| --- | --- |',
    ...[...byCategory].sort((a, b) => b[1] - a[1]).map(([k, v]) => `| ${k} | ${v} |`),
    '',
  );
  md.push('### Every flag', '');
  for (const s of flaggedScripts) {
    md.push(`- \`${s.file}\``);
    for (const f of s.findings.filter(isFlag))
      md.push(`  - ${cell(corpusMod.describeFinding(f))} — **${f.judgement?.category ?? 'UNEXPLAINED'}**: ${cell(f.judgement?.evidence)}`);
  }
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, md.join('\n') + '\n');
}
