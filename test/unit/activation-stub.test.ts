// The activation benchmark's set-up still works: the built extension activates against the benchmark's
// stand-in `vscode` module (bench/support). Not a timing: the benchmark measures; this keeps it runnable.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { expect, it } from 'vitest';

const REPO = path.resolve(__dirname, '../..');
const BUNDLE = path.join(REPO, 'dist/extension.js');

// Runs once `npm run build` has made the bundle (npm test builds before its unit stage).
it.runIf(existsSync(BUNDLE))('dist/extension.js activates against the benchmark stand-in for vscode', () => {
  const out = execFileSync(process.execPath, [path.join(REPO, 'bench/support/activate-once.cjs'), BUNDLE], { encoding: 'utf8' });
  expect(Object.keys(JSON.parse(out)).sort()).toEqual(['activate_call_ms', 'activate_ms', 'require_ms']);
});
