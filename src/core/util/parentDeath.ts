// Children that must not outlive the harness. A CLI killed with SIGKILL (or an editor that crashes) runs
// no clean-up of its own: without this, `opencode serve` and a toolchain process it started kept running
// for minutes as orphans, retrying the model. util-linux's `setpriv --pdeathsig KILL` asks the kernel to
// send SIGKILL to the child the moment its parent dies (the setting survives the exec into the real
// program). What this does not cover: grandchildren the child started itself, unless they too die with
// their parent — the agent's commands and the toolchain runs on agent code do (bubblewrap's
// --die-with-parent and its PID namespace).
import { existsSync } from 'node:fs';

const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => existsSync(p));

/** `cmd args` so that the process is killed when this one dies (unchanged where setpriv is missing or not Linux). */
export function dieWithParent(cmd: string, args: readonly string[]): { cmd: string; args: string[] } {
  if (process.platform !== 'linux' || !SETPRIV) return { cmd, args: [...args] };
  return { cmd: SETPRIV, args: ['--pdeathsig', 'KILL', '--', cmd, ...args] };
}
