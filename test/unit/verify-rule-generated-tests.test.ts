// A generated test formatted by prettier is still the test `nango generate:tests` writes; a test edited
// away is not, and the finding's quote shows the real difference (never two trimmed lines that look the
// same). The generated text is nango's own template, filled as generate:tests fills it.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { compareCode } from '../../src/core/toolchain/sameCode';
import { generatedTestDifference } from '../../src/core/verify/tests';

const template = readFileSync(path.join(__dirname, '..', '..', 'node_modules', 'nango', 'dist', 'templates', 'action-test-template.ejs'), 'utf8');
/** What generate:tests writes for google-calendar/create-event. */
const GENERATED = template
  .replace(/<%= actionName %>/g, 'create-event')
  .replace(/<%= integration %>/g, 'google-calendar')
  .replace(/<%= output %>/g, 'ActionOutput_google_calendar_createevent');

/** The same test as prettier leaves it with Nango's .prettierrc (4 spaces, single quotes, no trailing commas). */
const PRETTIER = `import { vi, expect, it, describe } from 'vitest';

import createAction from '../actions/create-event.js';

describe('google-calendar create-event tests', () => {
    const nangoMock = new global.vitest.NangoActionMock({
        dirname: __dirname,
        name: 'create-event',
        Model: 'ActionOutput_google_calendar_createevent'
    });

    it('should output the action output that is expected', async () => {
        const input = await nangoMock.getInput();
        const response = await createAction.exec(nangoMock, input);
        const output = await nangoMock.getOutput();

        expect(response).toEqual(output);
    });
});
`;

describe('generated tests, formatting aside', () => {
  it('the template as generate:tests fills it is what this test starts from', () => {
    expect(GENERATED).toContain('name: "create-event"');
    expect(GENERATED).not.toBe(PRETTIER);
  });

  it('prettier-formatted (quotes, indentation, trailing commas, semicolons, parentheses, quoted keys) is the same test', () => {
    expect(generatedTestDifference(ts, PRETTIER, GENERATED)).toBeUndefined();
    const more = PRETTIER.replace("name: 'create-event',", "'name': 'create-event',")
      .replace("Model: 'ActionOutput_google_calendar_createevent'", "Model: ('ActionOutput_google_calendar_createevent'),")
      .replace('expect(response).toEqual(output);', 'expect(response).toEqual(output);;');
    expect(compareCode(ts, more, GENERATED)).toEqual({ same: true });
  });

  it('a test skipped: found at its line, the quote shows it.skip against it', () => {
    // test data, not a skipped test of ours: the generated test is given an `it.skip(` that Verify must catch
    const edited = PRETTIER.replace("    it('should output", "    it.skip('should output");
    expect(generatedTestDifference(ts, edited, GENERATED)).toEqual({
      line: 12,
      quote:
        "it.skip('should output the action output that is expected', async () => {  ← generated: it('should output the action output that is expected', async () => {",
    });
  });

  it('an assertion weakened further down a line that reads the same: the code itself is shown', () => {
    const edited = PRETTIER.replace('expect(response).toEqual(output);', 'expect(response).toBeDefined();');
    const d = generatedTestDifference(ts, edited, GENERATED);
    expect(d?.line).toBe(17);
    expect(d?.quote).toBe('expect(response).toBeDefined();  ← generated: expect(response).toEqual(output);');
  });

  it('a difference only in a string’s spaces is shown as literals, not as two lines that look the same', () => {
    const edited = PRETTIER.replace("describe('google-calendar create-event tests'", "describe('google-calendar  create-event tests'");
    const d = generatedTestDifference(ts, edited, PRETTIER);
    expect(d).toEqual({ line: 5, quote: `"'google-calendar  create-event tests'"  ← generated: "'google-calendar create-event tests'"` });
  });

  it('without a compiler to read them, only identical text passes, and the quote still shows the difference', () => {
    expect(generatedTestDifference(undefined, GENERATED, GENERATED)).toBeUndefined();
    // (the first line that differs as text: the mock's options, indented and quoted otherwise)
    expect(generatedTestDifference(undefined, PRETTIER, GENERATED)?.line).toBe(6);
    const d = generatedTestDifference(undefined, 'const a = 1;\t\n', 'const a = 1; \n');
    expect(d).toEqual({ line: 1, quote: '"const a = 1;\\t"  ← generated: "const a = 1; "' });
  });
});
