// Lint: eslint as Nango lints its integrations (NangoHQ/integration-templates' .eslintrc): Nango's
// integration rules (@nangohq/eslint-plugin-custom-integrations-linting) under the plugin's published
// name `@nangohq/custom-integrations-linting`, at Nango's own severities, with typescript-eslint loaded
// so the disable comments Nango's scripts carry (`// eslint-disable-next-line
// @typescript-eslint/no-unused-vars`, `…/custom-integrations-linting/no-while-true`) are valid and
// honoured. Everything is loaded from the project's node_modules (found from the folder upwards). The
// plugin still speaks ESLint 8's rule API, so it runs through @eslint/compat's fixup on ESLint 9.
//
// Not taken over from that .eslintrc: `eslint:recommended`, `plugin:@typescript-eslint/recommended` and
// prettier. They are the templates repository's house style, not Nango's rules for an integration: an
// honest script would fail on formatting or an unused import while it compiles, passes its recorded
// test and follows every Nango rule. (Casts and `any` are judged by the code rule code.as-any.) The
// prettier plugin's one rule is known, so its disable comments are valid too, but never run.
// ESLint 8, which Nango runs, does not report unused disable directives; neither do we: a directive that
// silences nothing is no problem of the script.
// Nango's two advisory rules (no-while-true, no-try-catch-unless-explicitly-allowed) are then read against
// the statement they flag (rules/lintJudge.ts): what Nango's guidance accepts becomes a note.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { judgeLintFindings } from './rules/lintJudge';
import { loadTypeScript } from '../toolchain/typescript';
import { findBin, runNodeScript, tail, toolchainDirOf, type ToolRunOptions } from '../toolchain/tools';
import { leadsOut } from '../sandbox/fileAccess';
import type { Finding } from './types';

/** The plugin's name as Nango's configuration registers it (its package name, minus `eslint-plugin-`). */
export const NANGO_PLUGIN = '@nangohq/custom-integrations-linting';

/** Nango's integration rules at Nango's severities (integration-templates' .eslintrc). */
export const NANGO_LINT_RULES: Record<string, 'error' | 'warn'> = {
  'no-console-log': 'error',
  'no-object-casting': 'error',
  'no-value-modification': 'warn',
  'no-while-true': 'warn',
  'proxy-call-retries': 'error',
  'enforce-proxy-configuration-type': 'error',
  'no-try-catch-unless-explicitly-allowed': 'warn',
  'query-params-in-params-object': 'error',
  'include-docs-for-endpoints': 'error',
};

/**
 * Runs in a child Node with the project's modules: one ESLint per job (an interaction folder and its
 * files), all in one process — Verify all lints every folder with one start of ESLint and its plugins.
 * Prints `RESULTS <job> <json>` per job, or `MISSING <module>` / `ERROR <job> <message>`. ESLint only
 * parses the files (no configuration of the folder's is read), so nothing of the agent's runs here.
 */
const RUNNER = `
const { createRequire } = require('module');
const path = require('path');
const [from, pluginName, rulesJson, jobsJson] = process.argv.slice(1).filter((a) => a !== '--');
const req = createRequire(from);
const tryReq = (m) => { try { return req(m); } catch { return undefined; } };
const need = (m, alt) => { const v = tryReq(m) ?? (alt ? alt() : undefined); if (!v) { console.log('MISSING ' + m); process.exit(3); } return v; };
const { ESLint } = need('eslint');
const parser = need('@typescript-eslint/parser', () => tryReq('typescript-eslint')?.parser);
const tseslint = need('@typescript-eslint/eslint-plugin', () => tryReq('typescript-eslint')?.plugin);
const { fixupPluginRules } = need('@eslint/compat');
const nango = fixupPluginRules(need('@nangohq/eslint-plugin-custom-integrations-linting'));
const rules = Object.fromEntries(Object.entries(JSON.parse(rulesJson)).map(([k, v]) => [pluginName + '/' + k, v]));
(async () => {
  const jobs = JSON.parse(jobsJson);
  for (let i = 0; i < jobs.length; i++) {
    const { folder, files } = jobs[i];
    try {
      const eslint = new ESLint({
        cwd: folder,
        overrideConfigFile: true,
        overrideConfig: [{
          files: ['**/*.ts'],
          languageOptions: { parser, ecmaVersion: 2022, sourceType: 'module' },
          linterOptions: { reportUnusedDisableDirectives: 'off' },
          // prettier's rule is registered and left off: its disable comments stay valid, formatting is not judged.
          plugins: { [pluginName]: nango, '@typescript-eslint': tseslint, prettier: { rules: { prettier: { meta: { schema: false }, create: () => ({}) } } } },
          rules,
        }],
      });
      const results = await eslint.lintFiles(files);
      // Only files with messages: the output of a large batch stays small enough to be read whole.
      console.log('RESULTS ' + i + ' ' + JSON.stringify(results.filter((r) => r.messages.length).map((r) => ({ file: path.relative(folder, r.filePath), messages: r.messages.map((m) => ({ rule: m.ruleId, fatal: !!m.fatal, severity: m.severity, line: m.line, column: m.column, message: m.message })) }))));
    } catch (e) {
      console.log('ERROR ' + i + ' ' + String(e && e.message).split('\\n')[0]);
    }
  }
})().catch((e) => { console.log('ERROR * ' + (e && e.message)); process.exit(2); });
`;

/** One message of ESLint's, as the runner prints it. */
export interface LintMessage {
  readonly rule: string | null;
  readonly fatal?: boolean;
  readonly severity: number;
  readonly line: number;
  readonly column: number;
  readonly message: string;
}

/**
 * A finding for one ESLint message. Nango's own rules keep their short ids (`lint.proxy-call-retries`);
 * any other rule is named in full (`lint.@typescript-eslint/no-unused-vars`, `lint.no-var`), and the
 * message says which rule it is, as written in a disable comment. Only a message ESLint marks fatal is a
 * parse error; one without a rule that is not fatal (a problem with a directive) is `lint.directive`.
 */
export function lintFinding(file: string, m: LintMessage): Finding {
  const prefix = `${NANGO_PLUGIN}/`;
  const rule = m.rule
    ? m.rule.startsWith(prefix)
      ? `lint.${m.rule.slice(prefix.length)}`
      : `lint.${m.rule}`
    : m.fatal
      ? 'lint.parse-error'
      : 'lint.directive';
  return {
    check: 'lint',
    rule,
    severity: m.fatal || m.severity === 2 ? 'error' : 'warning',
    message: m.rule ? `${m.message} (${m.rule})` : m.message,
    location: { file: file.split('\\').join('/'), line: m.line, column: m.column },
  };
}

export interface LintOutcome {
  readonly ran: boolean;
  readonly findings: Finding[];
  readonly detail?: string;
  /** Not linted because a link leads out of the folder: the confinement check's finding, when it runs, says so. */
  readonly linkOut?: true;
}

export async function lintFindings(folder: string, files: readonly string[], opts: ToolRunOptions): Promise<LintOutcome> {
  const out = await sharedLintFindings([{ folder, files }], opts);
  return out.get(folder) as LintOutcome;
}

/** Folders linted by one ESLint process. */
const LINT_BATCH = 16;

const missingEslint: LintOutcome = {
  ran: false,
  detail: 'eslint is not installed in the project',
  findings: [
    {
      check: 'lint',
      rule: 'toolchain.missing',
      severity: 'error',
      message:
        '`eslint` was not found: add eslint, typescript-eslint, @eslint/compat and @nangohq/eslint-plugin-custom-integrations-linting to the devDependencies',
    },
  ],
};

const didNotRun = (message: string, quote?: string): LintOutcome => ({
  ran: false,
  detail: message,
  findings: [{ check: 'lint', rule: 'lint.did-not-run', severity: 'error', message, ...(quote ? { quote } : {}) }],
});

const NOT_THROUGH_LINKS =
  'not linted: a link in the folder leads out of it, or the folder could not be fully checked for one (see the confinement check), and the harness runs no unconfined tool over what a link reaches';

/**
 * Lint of many interaction folders in one ESLint process per toolchain (Verify all): ESLint and its
 * plugins start once instead of once per folder. Keyed by folder; a folder whose result cannot be read
 * is `lint.did-not-run`, never clean.
 */
export async function sharedLintFindings(
  jobs: readonly { folder: string; files: readonly string[] }[],
  opts: ToolRunOptions,
): Promise<Map<string, LintOutcome>> {
  const out = new Map<string, LintOutcome>();
  const byBin = new Map<string, { folder: string; files: readonly string[] }[]>();
  for (const job of jobs) {
    const bin = findBin(toolchainDirOf(job.folder), 'eslint', opts.bins);
    // ESLint runs unconfined: it reads no folder a link leads out of (the confinement check names the link)
    if (leadsOut(job.folder)) out.set(job.folder, { ...didNotRun(NOT_THROUGH_LINKS), linkOut: true });
    else if (!bin) out.set(job.folder, missingEslint);
    else byBin.set(bin, [...(byBin.get(bin) ?? []), job]);
  }
  // in batches: a batch's results are read from its output, which stays well under what is kept of it
  const batches = [...byBin].flatMap(([bin, all]) =>
    Array.from({ length: Math.ceil(all.length / LINT_BATCH) }, (_, b) => [bin, all.slice(b * LINT_BATCH, (b + 1) * LINT_BATCH)] as const),
  );
  for (const [eslintBin, group] of batches) {
    const run = await runNodeScript(
      RUNNER,
      [eslintBin, NANGO_PLUGIN, JSON.stringify(NANGO_LINT_RULES), JSON.stringify(group)],
      toolchainDirOf(group[0]!.folder),
      opts,
    );
    const missing = /^MISSING (.+)$/m.exec(run.output);
    const results = new Map<number, string>();
    const errors = new Map<number, string>();
    for (const m of run.output.matchAll(/^RESULTS (\d+) (.+)$/gm)) results.set(Number(m[1]), m[2] as string);
    for (const m of run.output.matchAll(/^ERROR (\d+) (.*)$/gm)) errors.set(Number(m[1]), m[2] as string);
    group.forEach((job, i) => {
      if (missing) {
        out.set(job.folder, {
          ran: false,
          detail: `${missing[1]} is not installed in the project`,
          findings: [
            {
              check: 'lint',
              rule: 'toolchain.missing',
              severity: 'error',
              message: `\`${missing[1]}\` was not found: add it to the project's devDependencies`,
            },
          ],
        });
        return;
      }
      const text = results.get(i);
      if (text === undefined) {
        const why = errors.get(i);
        out.set(
          job.folder,
          didNotRun(run.timedOut ? 'eslint did not finish in time' : why ? `eslint failed: ${why}` : 'eslint did not run', tail(run.output, 6)),
        );
        return;
      }
      let parsed: { file: string; messages: LintMessage[] }[];
      try {
        parsed = JSON.parse(text) as typeof parsed;
      } catch {
        // A result that cannot be read is not a clean result.
        out.set(job.folder, didNotRun("eslint's results could not be read", tail(run.output, 3)));
        return;
      }
      const findings = parsed.flatMap((r) => r.messages.map((m) => lintFinding(r.file, m)));
      const read = (rel: string): string | undefined => {
        try {
          return readFileSync(path.join(job.folder, ...rel.split('/')), 'utf8');
        } catch {
          return undefined;
        }
      };
      out.set(job.folder, { ran: true, findings: judgeLintFindings(loadTypeScript(job.folder), read, findings) });
    });
  }
  return out;
}
