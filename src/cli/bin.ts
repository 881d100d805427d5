// The `integration-builder` command (dist/cli.js).
import * as path from 'node:path';
import { main } from './main';

main(process.argv.slice(2), {
  out: (s) => process.stdout.write(s.endsWith('\n') ? s : `${s}\n`),
  err: (s) => process.stderr.write(s.endsWith('\n') ? s : `${s}\n`),
  errRaw: (s) => process.stderr.write(s),
  isTTY: !!process.stderr.isTTY,
  env: process.env,
  cwd: process.cwd(),
  packageRoot: path.resolve(__dirname, '..'),
}).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`integration-builder: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
