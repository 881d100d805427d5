// The CLI's io for tests that call main() in-process: what it prints is collected in the caller's arrays
// (read through `state` on every call, so a test may replace them between commands), no TTY, no
// environment, the repository as the package root.
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';

const REPO = path.resolve(__dirname, '../..');

export function capturedIo(state: () => { readonly cwd: string; readonly out: string[]; readonly err: string[] }) {
  return () => {
    const { cwd, out, err } = state();
    return {
      out: (s: string) => out.push(s),
      err: (s: string) => err.push(s),
      errRaw: (s: string) => err.push(s),
      isTTY: false,
      env: {},
      cwd,
      packageRoot: REPO,
    };
  };
}

/** Writes a file, making its folders. */
export function put(file: string, content: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, content);
}
