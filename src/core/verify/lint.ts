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

/** Runs in a child Node with the project's modules; prints JSON results, or `MISSING <module>`. */
const RUNNER = `
const { createRequire } = require('module');
const path = require('path');
const [folder, from, pluginName, rulesJson, ...files] = process.argv.slice(1).filter((a) => a !== '--');
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
  console.log('RESULTS ' + JSON.stringify(results.filter((r) => r.messages.length).map((r) => ({ file: path.relative(folder, r.filePath), messages: r.messages.map((m) => ({ rule: m.ruleId, fatal: !!m.fatal, severity: m.severity, line: m.line, column: m.column, message: m.message })) }))));
})().catch((e) => { console.log('ERROR ' + (e && e.message)); process.exit(2); });
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
}

export async function lintFindings(folder: string, files: readonly string[], opts: ToolRunOptions): Promise<LintOutcome> {
  const eslintBin = findBin(toolchainDirOf(folder), 'eslint', opts.bins);
  if (!eslintBin) {
    return {
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
  }
  const run = await runNodeScript(RUNNER, [folder, eslintBin, NANGO_PLUGIN, JSON.stringify(NANGO_LINT_RULES), ...files], folder, opts);
  const missing = /^MISSING (.+)$/m.exec(run.output);
  if (missing) {
    return {
      ran: false,
      detail: `${missing[1]} is not installed in the project`,
      findings: [
        { check: 'lint', rule: 'toolchain.missing', severity: 'error', message: `\`${missing[1]}\` was not found: add it to the project's devDependencies` },
      ],
    };
  }
  const results = /^RESULTS (.+)$/m.exec(run.output);
  if (!results) {
    return {
      ran: false,
      detail: 'eslint did not run',
      findings: [
        {
          check: 'lint',
          rule: 'lint.did-not-run',
          severity: 'error',
          message: run.timedOut ? 'eslint did not finish in time' : 'eslint did not run',
          quote: tail(run.output, 6),
        },
      ],
    };
  }
  let parsed: { file: string; messages: LintMessage[] }[];
  try {
    parsed = JSON.parse(results[1] as string) as typeof parsed;
  } catch {
    // A result that cannot be read is not a clean result.
    return {
      ran: false,
      detail: "eslint's results could not be read",
      findings: [{ check: 'lint', rule: 'lint.did-not-run', severity: 'error', message: "eslint's results could not be read", quote: tail(run.output, 3) }],
    };
  }
  const findings = parsed.flatMap((r) => r.messages.map((m) => lintFinding(r.file, m)));
  const read = (rel: string): string | undefined => {
    try {
      return readFileSync(path.join(folder, ...rel.split('/')), 'utf8');
    } catch {
      return undefined;
    }
  };
  return { ran: true, findings: judgeLintFindings(loadTypeScript(folder), read, findings) };
}
