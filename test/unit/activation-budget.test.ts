// The activation bundle stays small: dist/extension.js only registers commands, views and providers
// with thin proxies and loads the implementation (dist/extension-main.js) on first use. Whatever the
// activation entry imports at run time lands in this bundle and is paid for on every window start, so
// a heavy import sneaking into src/extension/extension.ts or lazyProxies.ts fails here. Checks the
// built file: run `npm run build` (or `npm run package`) first, else the tests are skipped.
import { existsSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { expect, it } from 'vitest';

const REPO = path.resolve(__dirname, '../..');
const BUNDLE = path.join(REPO, 'dist/extension.js');
const MAIN = path.join(REPO, 'dist/extension-main.js');

/**
 * The budget. The activation bundle is ~4 KiB minified (`npm run package`, the benchmark) and ~7 KiB
 * unminified (`npm run build`); the implementation is megabytes. 40 KiB leaves room for more commands
 * and proxies, not for any of the implementation.
 */
const BUDGET_BYTES = 40 * 1024;

const NOT_BUILT = 'dist/extension.js is not built: run `npm run build` to check the activation bundle';

it('dist/extension.js, the activation bundle, stays within its size budget', ({ skip }) => {
  if (!existsSync(BUNDLE)) skip(NOT_BUILT);
  const size = statSync(BUNDLE).size;
  expect(
    size,
    `dist/extension.js is ${(size / 1024).toFixed(1)} KiB, over its ${BUDGET_BYTES / 1024} KiB budget: ` +
      'the activation entry (src/extension/extension.ts, lazyProxies.ts) must import the implementation with `import type` only',
  ).toBeLessThanOrEqual(BUDGET_BYTES);
});

it('dist/extension.js loads the implementation from its own file, dist/extension-main.js', ({ skip }) => {
  if (!existsSync(BUNDLE)) skip(NOT_BUILT);
  const code = readFileSync(BUNDLE, 'utf8');
  const required = new Set([...code.matchAll(/\brequire\(\s*["']([^"']+)["']\s*\)/g)].map((m) => m[1]));
  expect(required.has('./extension-main.js'), 'dist/extension.js requires ./extension-main.js').toBe(true);
  expect(existsSync(MAIN), 'dist/extension-main.js is built next to it').toBe(true);
});
