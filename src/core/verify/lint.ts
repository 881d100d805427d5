// Lint: eslint with Nango's integration rules (@nangohq/eslint-plugin-custom-integrations-linting),
// loaded from the project's node_modules (found from the folder upwards). The plugin still speaks
// ESLint 8's rule API, so it runs through @eslint/compat's fixup on ESLint 9's flat config.
import { findBin, runNodeScript, tail, type ToolRunOptions } from './toolchainRun';
import type { Finding } from './types';

export const NANGO_LINT_RULES: Record<string, 'error' | 'warn'> = {
  'no-console-log': 'error',
  'no-object-casting': 'error',
  'proxy-call-retries': 'error',
  'include-docs-for-endpoints': 'error',
  'query-params-in-params-object': 'error',
  'enforce-proxy-configuration-type': 'error',
  'no-value-modification': 'warn',
  'no-while-true': 'warn',
  'no-try-catch-unless-explicitly-allowed': 'warn',
};

/** Runs in a child Node with the project's modules; prints JSON results, or `MISSING <module>`. */
const RUNNER = `
const { createRequire } = require('module');
const path = require('path');
const [folder, from, rulesJson, ...files] = process.argv.slice(1).filter((a) => a !== '--');
const req = createRequire(from);
const need = (m) => { try { return req(m); } catch (e) { console.log('MISSING ' + m); process.exit(3); } };
const { ESLint } = need('eslint');
const parser = need('@typescript-eslint/parser');
const { fixupPluginRules } = need('@eslint/compat');
const nango = fixupPluginRules(need('@nangohq/eslint-plugin-custom-integrations-linting'));
const rules = Object.fromEntries(Object.entries(JSON.parse(rulesJson)).map(([k, v]) => ['nango/' + k, v]));
(async () => {
  const eslint = new ESLint({ cwd: folder, overrideConfigFile: true, overrideConfig: [{ files: ['**/*.ts'], languageOptions: { parser, ecmaVersion: 2022, sourceType: 'module' }, plugins: { nango }, rules }] });
  const results = await eslint.lintFiles(files);
  console.log('RESULTS ' + JSON.stringify(results.map((r) => ({ file: path.relative(folder, r.filePath), messages: r.messages.map((m) => ({ rule: m.ruleId, severity: m.severity, line: m.line, column: m.column, message: m.message })) }))));
})().catch((e) => { console.log('ERROR ' + (e && e.message)); process.exit(2); });
`;

export interface LintOutcome {
  readonly ran: boolean;
  readonly findings: Finding[];
  readonly detail?: string;
}

export async function lintFindings(folder: string, files: readonly string[], opts: ToolRunOptions): Promise<LintOutcome> {
  const eslintBin = findBin(folder, 'eslint', opts.bins);
  if (!eslintBin) {
    return { ran: false, detail: 'eslint is not installed in the project', findings: [{ check: 'lint', rule: 'toolchain.missing', severity: 'error', message: '`eslint` was not found: add eslint, @typescript-eslint/parser, @eslint/compat and @nangohq/eslint-plugin-custom-integrations-linting to the devDependencies' }] };
  }
  const run = await runNodeScript(RUNNER, [folder, eslintBin, JSON.stringify(NANGO_LINT_RULES), ...files], folder, opts);
  const missing = /^MISSING (.+)$/m.exec(run.output);
  if (missing) {
    return { ran: false, detail: `${missing[1]} is not installed in the project`, findings: [{ check: 'lint', rule: 'toolchain.missing', severity: 'error', message: `\`${missing[1]}\` was not found: add it to the project's devDependencies` }] };
  }
  const results = /^RESULTS (.+)$/m.exec(run.output);
  if (!results) {
    return { ran: false, detail: 'eslint did not run', findings: [{ check: 'lint', rule: 'lint.did-not-run', severity: 'error', message: run.timedOut ? 'eslint did not finish in time' : 'eslint did not run', quote: tail(run.output, 6) }] };
  }
  const parsed = JSON.parse(results[1] as string) as { file: string; messages: { rule: string | null; severity: number; line: number; column: number; message: string }[] }[];
  const findings: Finding[] = [];
  for (const r of parsed) {
    for (const m of r.messages) {
      findings.push({
        check: 'lint',
        rule: m.rule ? `lint.${m.rule.replace(/^nango\//, '')}` : 'lint.parse-error',
        severity: m.severity === 2 ? 'error' : 'warning',
        message: m.message,
        location: { file: r.file.split('\\').join('/'), line: m.line, column: m.column },
      });
    }
  }
  return { ran: true, findings };
}
