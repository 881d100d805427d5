// activation: how long the extension takes to load and activate (figure `activate_ms`).
// Each sample is a fresh Node process that requires the production bundle (dist/extension.js)
// with a stub `vscode` module and calls activate(): module evaluation + activate() itself, which
// is what the editor waits for. dist/extension.js only registers proxies; the implementation
// (dist/extension-main.js) loads on first use or in the background after activation and is not counted
// in activate_ms. Its cost is reported apart as first_use_ms (load + start, the first FIRST_USE_SAMPLES
// samples): what the first command or view pays once.
import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const SAMPLES = 30;
const FIRST_USE_SAMPLES = 10;

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
    const args = [join(root, 'bench/support/activate-once.cjs'), bundle, ...(i < FIRST_USE_SAMPLES ? ['--first-use'] : [])];
    const out = execFileSync(process.execPath, args, { encoding: 'utf8' });
    samples.push(JSON.parse(out));
  }
  const pick = (k) => samples.map((s) => s[k]).filter((v) => v !== undefined);
  const figures = {
    activate_ms: round(quantile(pick('activate_ms'), 0.5)),
    activate_ms_p95: round(quantile(pick('activate_ms'), 0.95)),
    require_ms: round(quantile(pick('require_ms'), 0.5)),
    activate_call_ms: round(quantile(pick('activate_call_ms'), 0.5)),
    bundle_kb: Math.round(statSync(bundle).size / 1024),
    first_use_ms: round(quantile(pick('first_use_ms'), 0.5)),
    main_bundle_kb: Math.round(statSync(join(root, 'dist/extension-main.js')).size / 1024),
    samples: SAMPLES,
  };
  log(`median ${figures.activate_ms} ms (load ${figures.require_ms} ms + activate() ${figures.activate_call_ms} ms), bundle ${figures.bundle_kb} KiB`);
  log(`first use: implementation loaded and started in ${figures.first_use_ms} ms (median of ${FIRST_USE_SAMPLES}), bundle ${figures.main_bundle_kb} KiB`);
  return figures;
}
