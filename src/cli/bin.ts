// The `integration-builder` command (dist/cli.js).
import * as path from 'node:path';
import { main } from './main';

/**
 * Ends the process once everything written to stdout and stderr has left it. `process.exit()` right after
 * a write to a pipe drops what the pipe has not taken yet (`status --json | jq` was cut at 64 KB); an empty
 * write's callback runs after every earlier write of that stream has been handed over.
 */
function exitAfterDrain(code: number): void {
  process.exitCode = code;
  let pending = 2;
  for (const stream of [process.stdout, process.stderr]) {
    let settled = false;
    const done = () => {
      if (settled) return;
      settled = true;
      if (--pending === 0) process.exit(code);
    };
    // A reader that went away (`| head`) is not an error of ours: stop waiting for it.
    stream.once('error', done);
    if (stream.destroyed || !stream.writable) done();
    else stream.write('', () => done());
  }
}

// Writes to a closed pipe fail with EPIPE: the output is not wanted any more, which is no crash.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
  });
}

main(process.argv.slice(2), {
  out: (s) => process.stdout.write(s.endsWith('\n') ? s : `${s}\n`),
  err: (s) => process.stderr.write(s.endsWith('\n') ? s : `${s}\n`),
  errRaw: (s) => process.stderr.write(s),
  isTTY: !!process.stderr.isTTY,
  env: process.env,
  cwd: process.cwd(),
  packageRoot: path.resolve(__dirname, '..'),
}).then(
  (code) => exitAfterDrain(code),
  (err: unknown) => {
    process.stderr.write(`integration-builder: ${(err as Error).stack ?? String(err)}\n`);
    exitAfterDrain(1);
  },
);
