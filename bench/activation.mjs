// activation: how long the extension takes to load and activate (figure `activate_ms`).
// Each sample is a fresh Node process that requires the production bundle (dist/extension.js)
// with a stub `vscode` module and calls activate(): module evaluation + activate() itself, which
// is what the editor waits for. The spec scan it starts runs in the background and is not counted.
import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const SAMPLES = 30;

const quantile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
};
const round = (x) => Math.round(x * 100) / 100;

export async function run({ log }) {
  execFileSync(process.execPath, [join(root, 'esbuild.mjs'), '--production'], { stdio: 'inherit' });
  const bundle = join(root, 'dist/extension.js');
  const samples = [];
  for (let i = 0; i < SAMPLES; i++) {
    const out = execFileSync(process.execPath, [join(root, 'bench/support/activate-once.cjs'), bundle], { encoding: 'utf8' });
    samples.push(JSON.parse(out));
  }
  const pick = (k) => samples.map((s) => s[k]);
  const figures = {
    activate_ms: round(quantile(pick('activate_ms'), 0.5)),
    activate_ms_p95: round(quantile(pick('activate_ms'), 0.95)),
    require_ms: round(quantile(pick('require_ms'), 0.5)),
    activate_call_ms: round(quantile(pick('activate_call_ms'), 0.5)),
    bundle_kb: Math.round(statSync(bundle).size / 1024),
    samples: SAMPLES,
  };
  log(`median ${figures.activate_ms} ms (load ${figures.require_ms} ms + activate() ${figures.activate_call_ms} ms), bundle ${figures.bundle_kb} KiB`);
  return figures;
}
