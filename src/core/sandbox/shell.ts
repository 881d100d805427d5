// The shell opencode runs every agent command with (its `shell` setting): `<this> -c <command>`, in the
// command's working directory, with the server's environment plus what our plugin's `shell.env` hook
// added for that session. The hook asks the harness, which answers for the run it knows by session id
// and folder: IB_SANDBOX=bwrap with the run's policy file, IB_SANDBOX=unsandboxed (the user accepted
// that for the workspace), or IB_SANDBOX=refuse with a reason. Anything else is refused: a command the
// harness cannot place in a run does not run. The script is plain sh so a command pays for one exec of
// bwrap and no interpreter start-up.
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';

export const SANDBOX_SHELL_NAME = 'ib-agent-shell';

export const SANDBOX_SHELL_SCRIPT = `#!/bin/sh
# Integration Builder: every shell command of an agent runs through here (opencode's shell setting).
if [ "$#" -ne 2 ] || [ "$1" != "-c" ]; then
  echo "integration-builder sandbox: expected -c <command>; refused" >&2
  exit 126
fi
case "\${IB_SANDBOX:-}" in
  bwrap)
    if [ ! -r "\${IB_SANDBOX_ARGS:-}" ] || [ ! -x "\${IB_BWRAP:-}" ]; then
      echo "integration-builder sandbox: this run's sandbox policy is missing; refused" >&2
      exit 126
    fi
    # bwrap starts with an empty environment: its own process (pid 1 inside) keeps the environment it
    # was started with, readable as /proc/1/environ from inside.
    exec /usr/bin/env -i "$IB_BWRAP" --args 3 --chdir "$PWD" /bin/bash --noprofile --norc -c "$2" 3<"$IB_SANDBOX_ARGS"
    ;;
  unsandboxed)
    # No namespaces here (the user accepted that for this workspace); the environment is still cleared.
    exec /usr/bin/env -i PATH="\${IB_SANDBOX_PATH:-/usr/bin:/bin}" HOME="\${IB_SANDBOX_HOME:-/tmp}" LANG=C.UTF-8 TERM=dumb NANGO_CLI_UPGRADE_MODE=ignore NANGO_CLI_TELEMETRY=false NANGO_CLI_DEPENDENCY_UPDATE=false INTEGRATION_BUILDER_SANDBOX=unsandboxed /bin/bash --noprofile --norc -c "$2"
    ;;
  *)
    echo "integration-builder sandbox: \${IB_SANDBOX_REASON:-this command belongs to no run the harness knows}; refused" >&2
    exit 126
    ;;
esac
`;

/** Writes the shell into `dir` (executable) and returns its path; rewritten only when it changed. */
export function installSandboxShell(dir: string): string {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, SANDBOX_SHELL_NAME);
  let current: string | undefined;
  try {
    current = readFileSync(file, 'utf8');
  } catch {
    current = undefined;
  }
  if (current !== SANDBOX_SHELL_SCRIPT) writeFileSync(file, SANDBOX_SHELL_SCRIPT, { mode: 0o755 });
  chmodSync(file, 0o755);
  return file;
}
