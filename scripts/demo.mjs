#!/usr/bin/env node
// Integration Builder demo: the packaged extension in a real VS Code (code-server) on 127.0.0.1,
// opened on a fresh copy of the example workspace. Offline.
//
//   npm run demo                    (= node scripts/demo.mjs)
//   node scripts/demo.mjs --port 8080      (or PORT=8080; default: a free port)
//   node scripts/demo.mjs --no-build       reuse dist/ and out/integration-builder.vsix as they are
//   node scripts/demo.mjs --unpacked       skip vsce: copy the built extension folder into the extensions dir
//
// Steps: scripts/vscode-tools.sh (once), `node esbuild.mjs`, `vsce package` -> out/integration-builder.vsix,
// fresh run dir .test-runs/demo-<time>-<rand>/ (workspace/, extensions/, user-data/, code-server.log),
// `code-server --install-extension`, start code-server, print the URL, wait. Ctrl-C stops everything.
// If packaging fails the error is shown and the demo falls back to an unpacked copy of the extension.
// Env: IB_DEMO_ENV='{"KEY":"value"}' extra env for code-server (reaches the extension host);
//      IB_WORKSPACE_SRC workspace to copy; IB_KEEP_RUNS demo dirs to keep (default 5).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const cs = require('../test/support/code-server.cjs');

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const RUNS = path.join(REPO, '.test-runs');
const VSIX = path.join(REPO, 'out', 'integration-builder.vsix');
const t0 = Date.now();
const log = (msg) => console.log(`[demo] ${msg}`);
const rel = (p) => path.relative(process.cwd(), p) || '.';

function usage(code) {
  console.log('usage: node scripts/demo.mjs [--port N] [--no-build] [--unpacked]\n  env: PORT, IB_DEMO_ENV (JSON object), IB_WORKSPACE_SRC, IB_TOOLS_DIR');
  process.exit(code);
}

function parseArgs(argv) {
  const opts = { port: process.env.PORT ? Number(process.env.PORT) : 0, build: true, unpacked: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--port') opts.port = Number(argv[++i]);
    else if (a.startsWith('--port=')) opts.port = Number(a.slice(7));
    else if (a === '--no-build') opts.build = false;
    else if (a === '--unpacked') opts.unpacked = true;
    else if (a === '-h' || a === '--help') usage(0);
    else {
      console.error(`[demo] unknown argument: ${a}`);
      usage(2);
    }
  }
  if (!Number.isInteger(opts.port) || opts.port < 0 || opts.port > 65535) throw new Error('--port / PORT must be a port number');
  return opts;
}

function demoEnv() {
  const raw = process.env.IB_DEMO_ENV;
  if (!raw) return {};
  let v;
  try {
    v = JSON.parse(raw);
  } catch (e) {
    throw new Error(`IB_DEMO_ENV is not valid JSON: ${e.message}`);
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error('IB_DEMO_ENV must be a JSON object of env vars');
  return Object.fromEntries(Object.entries(v).map(([k, val]) => [k, String(val)]));
}

function run(cmd, args, what, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: REPO, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 300000, ...opts });
  return { ok: r.status === 0, output: `${r.stdout || ''}${r.stderr || ''}`.trim(), status: r.status ?? r.signal ?? r.error?.message, what };
}

function build() {
  if (!fs.existsSync(path.join(REPO, 'esbuild.mjs'))) throw new Error('esbuild.mjs not found in the repo: nothing to build');
  const r = run(process.execPath, ['esbuild.mjs'], 'build');
  if (!r.ok) throw new Error(`node esbuild.mjs failed (exit ${r.status}):\n${r.output}`);
  log(`built (${r.output.split('\n').pop()})`);
}

/** vsce package -> VSIX. Returns null (after explaining why) if packaging fails. */
function packageVsix() {
  fs.mkdirSync(path.dirname(VSIX), { recursive: true });
  fs.rmSync(VSIX, { force: true });
  const args = ['package', '--no-dependencies', '--no-rewrite-relative-links', '-o', VSIX];
  const manifest = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8'));
  // vsce asks y/N questions on a terminal for these; answer them up front so it never waits on stdin
  if (!fs.readdirSync(REPO).some((f) => /^licen[cs]e/i.test(f))) args.push('--skip-license');
  if (!manifest.repository) args.push('--allow-missing-repository');
  const local = path.join(REPO, 'node_modules', '.bin', 'vsce');
  const r = fs.existsSync(local) ? run(local, args, 'vsce') : run('npx', ['--no-install', 'vsce', ...args], 'vsce');
  if (r.ok && fs.existsSync(VSIX)) {
    log(`packaged ${rel(VSIX)} (${Math.round(fs.statSync(VSIX).size / 1024)} KB)`);
    return VSIX;
  }
  log(`WARNING: vsce package failed (exit ${r.status}); its output:`);
  console.log(
    r.output
      .split('\n')
      .map((l) => `    ${l}`)
      .join('\n'),
  );
  return null;
}

/**
 * Fallback when there is no .vsix: an unpacked copy of the extension in the extensions dir, the way an
 * installed extension sits there (<publisher>.<name>-<version>/). code-server picks it up on start.
 */
function copyUnpacked(runDir) {
  const m = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8'));
  const dest = path.join(runDir, 'extensions', `${m.publisher}.${m.name}-${m.version}`);
  fs.mkdirSync(dest, { recursive: true });
  const skip = new Set(['node_modules', '.git', '.test-runs', 'out', 'src', 'test', 'scratch', 'examples', 'bench']);
  for (const e of fs.readdirSync(REPO)) {
    if (skip.has(e) || e.startsWith('.')) continue;
    fs.cpSync(path.join(REPO, e), path.join(dest, e), { recursive: true });
  }
  return dest; // like `vsce package --no-dependencies`: runtime dependencies are bundled into dist/ by esbuild
}

let server = null;
let stopping = false;
async function stop(reason, code = 0) {
  if (stopping) return;
  stopping = true;
  log(`${reason}: stopping code-server`);
  if (server) await server.stop();
  log('stopped');
  process.exit(code);
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const extraEnv = demoEnv();
  if (opts.port && !(await cs.portIsFree(opts.port))) throw new Error(`port ${opts.port} on 127.0.0.1 is already in use`);

  // The user opens the URL in a browser of their own: no chromium needed here.
  cs.ensureTools({ browser: false });
  let vsix = null;
  if (opts.build) build();
  if (opts.unpacked) {
    log('--unpacked: no .vsix');
  } else if (opts.build) {
    vsix = packageVsix();
  } else if (fs.existsSync(VSIX)) {
    vsix = VSIX;
    log(`--no-build: using ${rel(VSIX)} as it is`);
  }

  cs.pruneRuns(RUNS, 'demo-', Math.max(1, Number(process.env.IB_KEEP_RUNS) || 5) - 1);
  const runDir = cs.newRunDir(RUNS, 'demo-');
  const { src, dir: workspace } = cs.prepareWorkspace(REPO, path.join(runDir, 'workspace'));
  log(`workspace ${src ? rel(src) : '(empty interactions.json)'} -> ${rel(workspace)}`);
  if (vsix) {
    const out = cs.installVsix(runDir, vsix);
    log(
      `installed: ${
        out
          .split('\n')
          .filter((l) => /installed/i.test(l))
          .pop() || out
      }`,
    );
  } else {
    const dest = copyUnpacked(runDir);
    log(
      `${opts.unpacked ? 'running' : 'WARNING: running'} an UNPACKED copy of the extension (${rel(dest)})${opts.unpacked ? '' : '; fix packaging for a real .vsix demo'}`,
    );
  }

  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGHUP', () => stop('SIGHUP'));
  server = await cs.startCodeServer({
    run: runDir,
    folder: workspace,
    port: opts.port || undefined,
    smokeTestDriver: false,
    env: { IB_DEMO: '1', ...extraEnv },
    // The demo model (scripted, offline) and the demo Nango stand-in: no account, no key.
    settings: { 'integrationBuilder.demoModel': true, 'integrationBuilder.opencode.path': path.join(REPO, 'node_modules/opencode-ai/bin/opencode.exe') },
  });
  if (Object.keys(extraEnv).length) log(`IB_DEMO_ENV: ${Object.keys(extraEnv).join(', ')}`);
  log(
    `code-server ${server.authority} up in ${(server.startupMs / 1000).toFixed(1)}s (pid ${server.pid}); logs: ${rel(server.logFile)}, ${rel(path.join(runDir, 'user-data', 'logs'))}`,
  );
  log(`ready after ${((Date.now() - t0) / 1000).toFixed(1)}s; Ctrl-C stops it`);
  console.log(`Integration Builder demo: open ${server.url}`);
  const info = await server.exited;
  if (!stopping) {
    log(`code-server exited on its own (${JSON.stringify(info)}); see ${rel(server.logFile)}`);
    await stop('code-server exit', 1);
  }
}

main().catch(async (err) => {
  console.error(`[demo] ERROR: ${err && err.message ? err.message : err}`);
  if (server) await server.stop();
  process.exit(1);
});
