// Lint as Nango lints: its integration rules under the plugin's published name at Nango's severities,
// typescript-eslint loaded, disable comments honoured (Nango's, typescript-eslint's, core rules',
// prettier's), an unused directive no finding, each message labelled with its real rule. Runs the real
// eslint of this repository's node_modules on scripts written into a scratch folder inside the repo.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lintFinding, lintFindings, NANGO_LINT_RULES, NANGO_PLUGIN, sharedLintFindings } from '../../src/core/verify/lint';

const base = path.join(__dirname, '..', '..', '.test-runs', `verify-rule-lint-${process.pid}`);
const rel = (name: string) => `google-calendar/actions/${name}.ts`;

const HONEST = `import { createAction } from 'nango';
import type { ProxyConfiguration } from 'nango';
import * as z from 'zod';

// eslint-disable-next-line @typescript-eslint/no-unused-vars
const legacyFields = ['summary'];

export default createAction({
    description: 'Create an event',
    input: z.object({ summary: z.string() }),
    output: z.object({ id: z.string() }),
    exec: async (nango, input) => {
        const config: ProxyConfiguration = {
            // https://developers.google.com/calendar/api/v3/reference/events/insert
            endpoint: '/calendar/v3/calendars/primary/events',
            data: { summary: input.summary },
            retries: 3
        };
        let attempts = 0;
        // eslint-disable-next-line @nangohq/custom-integrations-linting/no-while-true
        while (true) {
            const colors = await nango.get({ endpoint: '/calendar/v3/colors', retries: 3 });
            attempts++;
            if (colors.data || attempts > 2) break;
        }
        // eslint-disable-next-line no-var, prettier/prettier
        var unusedOld = attempts;
        // eslint-disable-next-line @typescript-eslint/no-explicit-any
        const res = await nango.post<{ id: string }>(config);
        return { id: res.data.id };
    }
});
`;

beforeAll(() => {
  mkdirSync(path.join(base, 'google-calendar', 'actions'), { recursive: true });
  const write = (name: string, text: string) => writeFileSync(path.join(base, rel(name)), text);
  write('honest', HONEST);
  write('console', HONEST.replace('        let attempts = 0;', "        let attempts = 0;\n        console.log('creating');"));
  // the honest loop polls (the same request again): not paging, so the judge keeps it as a note
  write('poll', HONEST.replace('        // eslint-disable-next-line @nangohq/custom-integrations-linting/no-while-true\n', ''));
  // a loop that pages (the page number moves), which nango.paginate does: Nango's warning stands
  write(
    'loop',
    HONEST.replace('        // eslint-disable-next-line @nangohq/custom-integrations-linting/no-while-true\n', '').replace(
      "await nango.get({ endpoint: '/calendar/v3/colors', retries: 3 });",
      "await nango.get({ endpoint: '/calendar/v3/colors', params: { page: String(attempts) }, retries: 3 });",
    ),
  );
  write('broken', HONEST.replace('exec: async (nango, input) => {', 'exec: async (nango, input) => {{'));
});
afterAll(() => rmSync(base, { recursive: true, force: true }));

const opts = { timeoutMs: 120_000 };

describe('lint as Nango lints', () => {
  it("an honest script with Nango's, typescript-eslint's, core and prettier disable comments: no finding, unused ones included", async () => {
    const r = await lintFindings(base, [rel('honest')], opts);
    expect(r).toEqual({ ran: true, findings: [] });
  }, 60_000);

  it("a Nango rule broken is labelled with its rule, at Nango's severity; a warn rule is a warning", async () => {
    const [log, loop] = await Promise.all([lintFindings(base, [rel('console')], opts), lintFindings(base, [rel('loop')], opts)]);
    expect(log.findings).toEqual([
      {
        check: 'lint',
        rule: 'lint.no-console-log',
        severity: 'error',
        message: `Use await nango.log instead of console.log (${NANGO_PLUGIN}/no-console-log)`,
        location: { file: rel('console'), line: 20, column: 9 },
      },
    ]);
    expect(loop.findings.map((f) => [f.rule, f.severity, f.location?.line])).toEqual([['lint.no-while-true', 'warning', 20]]);
    expect(loop.findings[0]?.message).toMatch(/nango\.paginate/);
  }, 60_000);

  it('a loop that does not page (it polls the same request) is judged a note, labelled with its rule and saying why', async () => {
    const poll = await lintFindings(base, [rel('poll')], opts);
    expect(poll.findings.map((f) => [f.rule, f.severity, f.location?.line])).toEqual([['lint.no-while-true', 'info', 20]]);
    expect(poll.findings[0]?.message).toMatch(/accepted: the loop does not page/);
  }, 60_000);

  it('a script that does not parse is a parse error', async () => {
    const r = await lintFindings(base, [rel('broken')], opts);
    expect(r.findings.map((f) => [f.rule, f.severity])).toEqual([['lint.parse-error', 'error']]);
  }, 60_000);
});

describe('ESLint messages as findings', () => {
  it("Nango's severities, as its .eslintrc sets them", () => {
    expect(NANGO_PLUGIN).toBe('@nangohq/custom-integrations-linting');
    expect(
      Object.entries(NANGO_LINT_RULES)
        .filter(([, s]) => s === 'warn')
        .map(([r]) => r)
        .sort(),
    ).toEqual(['no-try-catch-unless-explicitly-allowed', 'no-value-modification', 'no-while-true']);
  });

  it('rules keep their real names; only a fatal message is a parse error; a directive problem is not', () => {
    const at = { line: 3, column: 1 };
    expect(lintFinding('a.ts', { rule: `${NANGO_PLUGIN}/proxy-call-retries`, severity: 2, message: 'm', ...at }).rule).toBe('lint.proxy-call-retries');
    expect(lintFinding('a.ts', { rule: '@typescript-eslint/no-unused-vars', severity: 2, message: 'm', ...at })).toMatchObject({
      rule: 'lint.@typescript-eslint/no-unused-vars',
      message: 'm (@typescript-eslint/no-unused-vars)',
    });
    expect(lintFinding('a.ts', { rule: null, fatal: true, severity: 2, message: "Parsing error: '}' expected.", ...at })).toMatchObject({
      rule: 'lint.parse-error',
      severity: 'error',
    });
    expect(
      lintFinding('a.ts', { rule: null, severity: 1, message: "Unused eslint-disable directive (no problems were reported from 'no-var').", ...at }),
    ).toMatchObject({ rule: 'lint.directive', severity: 'warning' });
  });

  it('Verify all lints many folders in one ESLint process with the same results as one by one; a folder whose file is missing did not run', async () => {
    const folders = ['honest', 'console', 'loop', 'poll', 'broken'].map((name) => {
      const folder = path.join(base, 'many', name);
      mkdirSync(path.join(folder, 'google-calendar', 'actions'), { recursive: true });
      writeFileSync(path.join(folder, rel(name)), readFileSync(path.join(base, rel(name)), 'utf8'));
      return { folder, files: [rel(name)] };
    });
    const missing = { folder: path.join(base, 'many', 'missing'), files: [rel('missing')] };
    mkdirSync(missing.folder, { recursive: true });
    const together = await sharedLintFindings([...folders, missing], opts);
    for (const job of folders) expect(together.get(job.folder), job.folder).toEqual(await lintFindings(job.folder, job.files, opts));
    expect(together.get(missing.folder)).toMatchObject({ ran: false, findings: [{ rule: 'lint.did-not-run', severity: 'error' }] });
    expect(together.get(missing.folder)?.detail).toMatch(/eslint failed: .*missing/i);
  }, 120_000);
});
