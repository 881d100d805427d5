#!/usr/bin/env node
// Benchmark runner: `npm run bench -- <name>` runs bench/<name>.mjs and writes
// bench/results/<name>.json as {"name", "figures": {...}, "machine", "at"}.
// `npm run bench` with no name lists the benchmarks. Results are not committed.
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const available = readdirSync(here)
  .filter((f) => f.endsWith('.mjs') && f !== 'run.mjs')
  .map((f) => f.slice(0, -4))
  .sort();
const name = process.argv[2];
if (!name || !available.includes(name)) {
  console.error(name ? `unknown benchmark "${name}"` : 'usage: npm run bench -- <name>');
  console.error(`benchmarks: ${available.join(', ')}`);
  process.exit(2);
}
const mod = await import(pathToFileURL(join(here, `${name}.mjs`)).href);
const figures = await mod.run({ log: (line) => console.log(`[bench:${name}] ${line}`) });
const machine = `${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, node ${process.version}`;
const result = { name, figures, machine, at: new Date().toISOString() };
mkdirSync(join(here, 'results'), { recursive: true });
const out = join(here, 'results', `${name}.json`);
writeFileSync(out, JSON.stringify(result, null, 2) + '\n');
console.log(JSON.stringify(result, null, 2));
console.log(`[bench:${name}] wrote ${out}`);
