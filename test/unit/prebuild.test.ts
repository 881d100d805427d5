// The recorder's prebuild (src/core/toolchain/prebuild.ts): Nango's own bundler from the installed CLI,
// and a clear way out to `nango compile` when that CLI does not have it. (The build itself, byte for byte
// what the CLI writes, is compared in test/integration/run-tests-generate.test.ts, whose generator builds
// with the same step; the recorder's use of it in the `cli` cases of recording.test.ts and
// toolchain-confined.test.ts.)
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { compileModuleOf, NANGO_PREBUILD } from '../../src/core/toolchain/prebuild';

const REPO = path.join(__dirname, '..', '..');
const dir = mkdtempSync(path.join(tmpdir(), 'ib-prebuild-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function prebuild(moduleUrl: string, cwd: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    execFile('node', ['--input-type=module', '-e', NANGO_PREBUILD, '--', moduleUrl], { cwd }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? null) : 0, output: stdout + stderr }),
    );
  });
}

describe('the prebuild', () => {
  it("finds the installed CLI's compile module, and nothing for a `nango` that is not the package", () => {
    expect(compileModuleOf(path.join(REPO, 'node_modules', '.bin', 'nango'))).toMatch(/^file:\/\/.*\/nango\/dist\/zeroYaml\/compile\.js$/);
    const stray = path.join(dir, 'bin', 'nango');
    mkdirSync(path.dirname(stray), { recursive: true });
    writeFileSync(stray, '#!/bin/sh\n');
    expect(compileModuleOf(stray)).toBeUndefined();
  });

  it('says so with its own exit code when the module cannot be loaded (the recorder then runs `nango compile`)', async () => {
    const r = await prebuild(pathToFileURL(path.join(dir, 'no-such', 'compile.js')).href, dir);
    expect(r.code).toBe(90);
    expect(r.output).toMatch(/the prebuild could not load Nango's compiler/);
  });

  it('and when the module has no compileFunction', async () => {
    const fake = path.join(dir, 'fake-compile.mjs');
    writeFileSync(fake, 'export const nothing = 1;\n');
    const r = await prebuild(pathToFileURL(fake).href, dir);
    expect(r.code).toBe(90);
    expect(r.output).toMatch(/has no compileFunction/);
  });

  it('a folder without index.ts is a failure of its own (exit 1), not "unavailable"', async () => {
    const url = compileModuleOf(path.join(REPO, 'node_modules', '.bin', 'nango')) as string;
    const empty = path.join(dir, 'empty');
    mkdirSync(empty, { recursive: true });
    const r = await prebuild(url, empty);
    expect(r.code).toBe(1);
    expect(r.output).toMatch(/Could not read index\.ts/);
  });
});
