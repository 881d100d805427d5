// The recorder in one process. `nango dryrun` loads the whole CLI, reads the script names from the
// previous build (so the harness had to build first: prebuild.ts, a process of its own), then type-checks
// and builds, then runs the script; and a forwarder process of ours gave it a loopback address for the
// key proxy's Unix socket. NANGO_RECORD does what the CLI's `dryrun` action does for the one script the
// harness names — the zero-yaml check, the package.json check, `compileAllFunctions` (the type check
// and the build, reported as the CLI reports them), then Nango's own `DryRunService` with the options
// the CLI passes for `--save` — in one process that is also the forwarder: no prebuild, no second
// process, no CLI around it (`npm run bench -- record-step` measures it against the two-process way).
// A CLI without these pieces (NANGO_PIECES_MISSING) is recorded the earlier way, with `nango dryrun`.
import { FORWARD_TO_SOCKET } from './keyProxy';
import { NANGO_COMPILE_ERROR, NANGO_PIECES_MISSING, nangoDistWith } from './prebuild';

/** Nango's NangoCliExitCode.DryrunError. */
export const NANGO_DRYRUN_ERROR = 12;

/**
 * Runs inside the sandbox, in the interaction folder:
 * `node --input-type=module -e NANGO_RECORD -- <nango dist URL>/ dryrun <script> <connection> <environment> <integration> <proxy socket> [<input JSON>]`.
 * Listens on the sandbox's own loopback and forwards to the key proxy's socket (the one way out), points
 * the CLI's modules at it, then records as `nango dryrun <script> <connection> --save -e <environment>
 * --integration-id <integration> [--input <json>] --no-interactive --auto-confirm` does.
 */
export const NANGO_RECORD = `
const [dist, , name, connectionId, environment, integrationId, sock, input] = process.argv.slice(1).filter((a, i) => !(i === 0 && a === '--'));
const net = await import('node:net');
${FORWARD_TO_SOCKET}
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
// before the CLI's modules load: they read it once, when they load
process.env.NANGO_HOSTPORT = 'http://127.0.0.1:' + server.address().port;
let v, check, c, d;
try {
  v = (await import(dist + 'services/verification.service.js')).default;
  check = await import(dist + 'zeroYaml/check.js');
  c = await import(dist + 'zeroYaml/compile.js');
  d = await import(dist + 'services/dryrun.service.js');
} catch (e) {
  console.error('the recorder could not load Nango\\'s modules: ' + (e && e.message));
  process.exit(${NANGO_PIECES_MISSING});
}
if (![v && v.ensureZeroYaml, check.checkAndSyncPackageJson, c.compileAllFunctions, d.DryRunService].every((f) => typeof f === 'function')) {
  console.error('the installed Nango CLI lacks a function the recorder uses');
  process.exit(${NANGO_PIECES_MISSING});
}
const fullPath = process.cwd();
if (!(await v.ensureZeroYaml({ fullPath, debug: false }))) process.exit(1);
const checked = await check.checkAndSyncPackageJson({ fullPath, debug: false, dependencyUpdate: false });
if (checked.isErr()) {
  console.log('Failed to check and sync package.json. Exiting');
  process.exit(${NANGO_COMPILE_ERROR});
}
const compiled = await c.compileAllFunctions({ fullPath, debug: false, interactive: false, sourcemap: 'inline' });
if (compiled.isErr()) process.exit(${NANGO_COMPILE_ERROR});
const run = await new d.DryRunService({ fullPath, validation: true }).run({
  autoConfirm: true,
  debug: false,
  interactive: false,
  dependencyUpdate: false,
  sync: name,
  connectionId,
  optionalEnvironment: environment,
  optionalProviderConfigKey: integrationId,
  saveResponses: true,
  ...(input !== undefined ? { input } : {}),
});
server.close();
process.exit(run.isErr() ? ${NANGO_DRYRUN_ERROR} : 0);
`;

/** The installed CLI's `dist/` URL (with a trailing slash), or undefined when it has not the modules the recorder loads. */
export function recorderDistOf(bin: string): string | undefined {
  return nangoDistWith(bin, ['services/verification.service.js', 'zeroYaml/check.js', 'zeroYaml/compile.js', 'services/dryrun.service.js']);
}
