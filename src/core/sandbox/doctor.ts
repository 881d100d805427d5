// "Does the sandbox work here?" — the agent shell run for real on a throw-away interaction folder, with
// the checks that matter: the folder is writable, the fixtures are not, a neighbour and the run records
// are invisible (also through a link), the environment holds no secret, nothing outlives a command and
// there is no network. The CLI's `doctor` and the editor's "Check Agent Sandbox" print these.
import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { listenLoopback, closeServer } from '../util/httpServer';
import { AgentSandbox, detectSandbox, sandboxPolicyFor, type SandboxSupport } from './index';

export interface DoctorCheck {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

export interface DoctorResult {
  readonly support: SandboxSupport;
  readonly checks: readonly DoctorCheck[];
  readonly ok: boolean;
}

const SECRET = 'ib-doctor-secret-value';

export async function sandboxDoctor(opts: { bwrap?: string } = {}): Promise<DoctorResult> {
  const support = await detectSandbox({ bwrap: opts.bwrap });
  if (!support.available) return { support, checks: [{ name: 'bubblewrap', ok: false, detail: support.reason ?? 'not available' }], ok: false };
  const root = mkdtempSync(path.join(tmpdir(), 'ib-doctor-'));
  const checks: DoctorCheck[] = [{ name: 'bubblewrap', ok: true, detail: `${support.bwrap} makes the namespaces a command needs` }];
  const server = http.createServer((_req, res) => res.end('reached'));
  try {
    const work = path.join(root, 'work');
    const folder = path.join(work, 'api', 'one');
    const neighbour = path.join(work, 'api', 'two');
    for (const f of [folder, neighbour]) mkdirSync(path.join(f, 'api', 'tests'), { recursive: true });
    writeFileSync(path.join(folder, 'api', 'tests', 'one.test.json'), '{"recorded":true}\n');
    writeFileSync(path.join(neighbour, 'secret.txt'), `${SECRET}\n`);
    mkdirSync(path.join(work, '.runs', 'api'), { recursive: true });
    writeFileSync(path.join(work, '.runs', 'api', 'one.json'), `{"token":"${SECRET}"}\n`);
    const sandbox = new AgentSandbox({ mode: 'bwrap', bwrap: support.bwrap, shellDir: path.join(root, 'shell') });
    const lease = await sandbox.prepare({ folder, integrationId: 'api' }, sandboxPolicyFor(path.join(work, '.runs', 'api', 'one.json')));
    const sh = (command: string) =>
      new Promise<string>((resolve) => {
        execFile(
          sandbox.shell,
          ['-c', command],
          { cwd: folder, env: { ...process.env, IB_HARNESS_TOKEN: SECRET, NANGO_SECRET_KEY: SECRET, ...lease.shellEnv() }, timeout: 20_000 },
          (err, stdout, stderr) => resolve(`${stdout}${stderr}${err && !stdout && !stderr ? err.message : ''}`),
        );
      });
    const check = (name: string, ok: boolean, detail: string) => checks.push({ name, ok, detail });

    const wrote = await sh('echo ok > mine.txt && cat mine.txt');
    check(
      'folder writable',
      wrote.trim() === 'ok',
      wrote.trim() === 'ok' ? 'a command writes in its own folder' : `writing in the folder failed: ${wrote.trim()}`,
    );
    await sh(`echo '{}' > api/tests/one.test.json; sed -i s/true/false/ api/tests/one.test.json`);
    const fixture = readFileSync(path.join(folder, 'api', 'tests', 'one.test.json'), 'utf8');
    check(
      'fixtures read-only',
      fixture.includes('"recorded":true'),
      fixture.includes('"recorded":true') ? 'a write into <integration>/tests/ fails (read-only file system)' : 'a command changed a fixture',
    );
    const seen = await sh(
      `cat ../two/secret.txt ../../.runs/api/one.json 2>&1; ln -s ${JSON.stringify(work)} out 2>/dev/null; cat out/.runs/api/one.json out/api/two/secret.txt 2>&1`,
    );
    check(
      'neighbours and run records invisible',
      !seen.includes(SECRET),
      seen.includes(SECRET) ? 'a command read another folder or a run record' : 'other folders and .runs/ do not exist inside, also through a link',
    );
    const env = await sh('env; cat /proc/*/environ 2>/dev/null');
    check(
      'environment cleared',
      !env.includes(SECRET),
      env.includes(SECRET) ? 'a secret of the harness is visible to a command' : 'no harness token, Nango key or server password inside',
    );
    const marker = `9${process.pid}`;
    await sh(`setsid sleep 31${marker} >/dev/null 2>&1 & nohup sleep 32${marker} >/dev/null 2>&1 & echo started`);
    await new Promise((r) => setTimeout(r, 200));
    const left = execFileSync('ps', ['-eo', 'args']).toString().includes(marker);
    check(
      'no process outlives a command',
      !left,
      left ? 'a background process survived its command' : 'background, setsid and nohup processes end with the command',
    );
    const url = await listenLoopback(server);
    const net = await sh(
      `node -e "fetch('${url}').then(r=>r.text()).then(t=>console.log(t),e=>console.log('refused: '+(e.cause?.code??e.message)))" 2>&1 || echo 'refused: no node'`,
    );
    check('no network', !net.includes('reached'), net.includes('reached') ? 'a command reached a server on 127.0.0.1' : 'not even 127.0.0.1 is reachable');
  } catch (err) {
    checks.push({ name: 'sandbox run', ok: false, detail: (err as Error).message });
  } finally {
    await closeServer(server).catch(() => undefined);
    rmSync(root, { recursive: true, force: true });
  }
  return { support, checks, ok: checks.every((c) => c.ok) };
}

/** The checks as lines for a terminal or an output channel. */
export function renderDoctor(result: DoctorResult): string {
  const lines = result.checks.map((c) => `${c.ok ? '✓' : '✗'} ${c.name}: ${c.detail}`);
  lines.push(
    result.ok
      ? 'The agent sandbox works on this machine.'
      : 'The agent sandbox does NOT work here: agents can run only in the unsandboxed mode you accept for a workspace.',
  );
  return lines.join('\n');
}
