// Loaded mode for the editor tests: agents load the machine by design, so the extension-host and
// end-to-end tests must pass with every core busy. IB_LOAD=<n> starts n busy-loop processes (IB_LOAD=cores:
// one per core) for as long as the test run lasts; they end with it (setpriv --pdeathsig where there is
// one, and an explicit kill on exit). Unset or 0: no load.
'use strict';
const { spawn } = require('child_process');
const fs = require('fs');
const os = require('os');

function startLoad(log = () => undefined) {
  const want = process.env.IB_LOAD;
  if (!want || want === '0') return () => undefined;
  const n = want === 'cores' ? os.cpus().length : Math.max(0, Math.floor(Number(want)) || 0);
  const setpriv = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => fs.existsSync(p));
  const busy = 'for (;;) { Math.sqrt(Math.random()); }';
  const procs = [];
  for (let i = 0; i < n; i++) {
    const [cmd, args] = setpriv ? [setpriv, ['--pdeathsig', 'KILL', '--', process.execPath, '-e', busy]] : [process.execPath, ['-e', busy]];
    procs.push(spawn(cmd, args, { stdio: 'ignore' }));
  }
  log(`loaded mode: ${n} busy-loop process${n === 1 ? '' : 'es'} on ${os.cpus().length} cores`);
  const stop = () => {
    for (const p of procs) {
      try {
        p.kill('SIGKILL');
      } catch {
        // already gone
      }
    }
  };
  process.once('exit', stop);
  return stop;
}

module.exports = { startLoad };
