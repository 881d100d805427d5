// The agent sandbox with the real bubblewrap: what a command in it can see, write, keep and reach.
// (Runs the agent shell as opencode does: `<shell> -c <command>` in the command's folder, with the
// variables the harness hands the plugin's shell.env hook.)
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, linkSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentSandbox, detectSandbox, sandboxPolicyFor, type SandboxLease } from '../../src/core/sandbox';
import { checkToolAccess, patchTargets, resolveReal } from '../../src/core/sandbox/fileAccess';
import { listenLoopback } from '../../src/core/util/httpServer';
import { runProcess } from '../../src/core/toolchain/nango';

let root: string;
let folder: string;
let neighbour: string;
let lease: SandboxLease;
let sandbox: AgentSandbox;
const SECRET = 'secret-token-4711';
const FIXTURE = 'google-calendar/tests/create-event.test.json';

function sh(command: string, opts: { cwd?: string; env?: Record<string, string> } = {}): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(
      sandbox.shell,
      ['-c', command],
      {
        cwd: opts.cwd ?? folder,
        env: { ...process.env, IB_HARNESS_TOKEN: SECRET, NANGO_SECRET_KEY: SECRET, ...(opts.env ?? lease.shellEnv()) },
        timeout: 20_000,
      },
      (err, stdout, stderr) => {
        resolve({ code: err ? ((err as unknown as { code?: number }).code ?? 1) : 0, out: `${stdout}${stderr}` });
      },
    );
  });
}

const support = await detectSandbox();

beforeAll(async () => {
  root = mkdtempSync(path.join(tmpdir(), 'ib-sandbox-'));
  // a workspace: its node_modules, the work root with two interaction folders and the run records
  mkdirSync(path.join(root, 'node_modules', 'left-pad'), { recursive: true });
  writeFileSync(path.join(root, 'node_modules', 'left-pad', 'index.js'), 'module.exports = 1;\n');
  const work = path.join(root, '.integration-builder', 'work');
  folder = path.join(work, 'google-calendar', 'create-event');
  neighbour = path.join(work, 'google-calendar', 'list-events');
  for (const f of [folder, neighbour]) {
    mkdirSync(path.join(f, 'google-calendar', 'tests'), { recursive: true });
    mkdirSync(path.join(f, 'google-calendar', 'actions'), { recursive: true });
    writeFileSync(path.join(f, 'google-calendar', 'tests', 'create-event.test.json'), '{"output":{"id":"evt_1"}}\n');
    for (const name of ['index.ts', 'package.json', 'tsconfig.json']) writeFileSync(path.join(f, name), name === 'index.ts' ? '// index.ts\n' : '{}\n');
  }
  writeFileSync(path.join(neighbour, 'google-calendar', 'actions', 'list-events.ts'), 'export const neighbourData = 1;\n');
  mkdirSync(path.join(work, '.runs', 'google-calendar'), { recursive: true });
  writeFileSync(path.join(work, '.runs', 'google-calendar', 'create-event.json'), `{"secret":"${SECRET}"}\n`);
  sandbox = new AgentSandbox({ mode: 'bwrap', bwrap: support.bwrap, shellDir: path.join(root, 'shell') });
  lease = await sandbox.prepare(
    { folder, integrationId: 'google-calendar', scriptRel: 'google-calendar/actions/create-event.ts' },
    sandboxPolicyFor(path.join(work, '.runs', 'google-calendar', 'create-event.json')),
  );
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

// Needs bubblewrap (.ci/run installs it); skipped only where detectSandbox finds none — the integration
// tests that need the sandbox (toolchain-confined, sandbox-attacks) fail there, saying why.
describe.runIf(support.available)('the shell sandbox (bubblewrap)', () => {
  it('runs a command in the folder, with node and the shared node_modules read-only', async () => {
    const r = await sh(`pwd && node -e "console.log(require('left-pad'))" && echo hi > mine.txt && cat mine.txt && touch ${root}/node_modules/x`);
    expect(r.out).toContain(folder);
    expect(r.out).toMatch(/^1$/m);
    expect(r.out).toMatch(/^hi$/m);
    expect(r.out).toMatch(/Read-only file system/);
    expect(readFileSync(path.join(folder, 'mine.txt'), 'utf8')).toBe('hi\n');
  });

  it.each([
    ['sed -i', `sed -i s/evt_1/evt_2/ ${FIXTURE}`],
    ['a redirect after cd', `cd google-calendar/tests && echo '{}' > create-event.test.json`],
    ['python3', `python3 -c "open('${FIXTURE}','w').write('{}')"`],
    ['node', `node -e "require('fs').writeFileSync('${FIXTURE}','{}')"`],
    ['perl', `perl -i -pe s/evt_1/evt_2/ ${FIXTURE}`],
    ['dd', `echo '{}' | dd of=${FIXTURE}`],
    ['truncate', `truncate -s 0 ${FIXTURE}`],
    ['cp --remove-destination', `echo '{}' > x.json && cp --remove-destination x.json ${FIXTURE}`],
    ['rm -rf of the folder', 'rm -rf google-calendar/tests'],
    ['mv of the folder', 'mv google-calendar/tests old'],
    ['a new fixture', `echo '{}' > google-calendar/tests/new.test.json`],
    ['the scaffold index.ts', `echo 'export {}' > index.ts`],
    ['package.json replaced by a rename', `echo '{}' > p.json && mv p.json package.json`],
  ])('%s cannot change what only the harness writes', async (_name, command) => {
    const before = readFileSync(path.join(folder, FIXTURE), 'utf8');
    await sh(command);
    expect(readFileSync(path.join(folder, FIXTURE), 'utf8')).toBe(before);
    expect(readFileSync(path.join(folder, 'index.ts'), 'utf8')).toBe('// index.ts\n');
    expect(readFileSync(path.join(folder, 'package.json'), 'utf8')).toBe('{}\n');
    expect(existsSync(path.join(folder, 'google-calendar/tests/new.test.json'))).toBe(false);
  });

  it('sees neither the run records nor a neighbour, however the path is spelled', async () => {
    const runs = path.join(folder, '../../.runs/google-calendar/create-event.json');
    for (const command of [
      `cat ${runs}`,
      `cat ../list-events/google-calendar/actions/list-events.ts`,
      `cd "$(dirname "$PWD")/list-events" && grep -r neighbourData .`,
      `cat /proc/self/root${neighbour}/google-calendar/actions/list-events.ts`,
      `ln -s "$(echo ${Buffer.from(path.dirname(path.dirname(folder))).toString('base64')} | base64 -d)" cache && cat cache/.runs/google-calendar/create-event.json`,
      `ln ${runs} hard 2>&1; cat hard`,
    ]) {
      const r = await sh(command);
      expect(r.out, command).not.toContain(SECRET);
      expect(r.out, command).not.toContain('neighbourData');
    }
    rmSync(path.join(folder, 'cache'), { force: true });
  });

  it('clears the environment: no token, key or password, not even in /proc', async () => {
    const r = await sh('env; cat /proc/*/environ 2>/dev/null | tr "\\0" "\\n"; ls /proc');
    expect(r.out).not.toContain(SECRET);
    expect(r.out).not.toMatch(/IB_HARNESS|NANGO_SECRET|OPENCODE_SERVER_PASSWORD|IB_SANDBOX_ARGS/);
    expect(r.out).toMatch(/INTEGRATION_BUILDER_SANDBOX=bwrap/);
  });

  it('ends every process the command started: background, setsid, nohup, disown', async () => {
    const marker = `${process.pid}${Date.now() % 1000}`;
    await sh(`sleep 301${marker} & setsid sleep 302${marker} & nohup sleep 303${marker} >/dev/null 2>&1 & sleep 304${marker} & disown; echo started`);
    await new Promise((r) => setTimeout(r, 300));
    const ps = execFileSync('ps', ['-eo', 'args']).toString();
    expect(ps).not.toContain(marker);
  });

  it('has no network, not even to the harness on 127.0.0.1', async () => {
    const server = http.createServer((_req, res) => res.end('reached'));
    const url = await listenLoopback(server);
    try {
      const r = await sh(
        `node -e "fetch('${url}').then(r => r.text()).then(t => console.log(t), e => console.log('no network: ' + (e.cause?.code ?? e.message)))"`,
      );
      expect(r.out).toMatch(/no network/);
      expect(r.out).not.toContain('reached');
    } finally {
      server.close();
    }
  });

  it('confines the harness’s own runs of agent code (the tests import its script): no secret, no write outside, nothing left running', async () => {
    const marker = `7${process.pid}`;
    const code = [
      `require('child_process').spawn('sleep', ['41${marker}'], { detached: true, stdio: 'ignore' }).unref();`,
      `require('fs').writeFileSync('env.txt', JSON.stringify(process.env));`,
      `try { require('fs').writeFileSync(${JSON.stringify(path.join(folder, FIXTURE))}, '{}'); } catch (e) { console.log(e.code); }`,
      `try { require('fs').readFileSync(${JSON.stringify(path.join(path.dirname(path.dirname(folder)), '.runs/google-calendar/create-event.json'))}); } catch (e) { console.log(e.code); }`,
    ].join('\n');
    const r = await runProcess('node', ['-e', code], {
      cwd: folder,
      env: { NANGO_SECRET_KEY_DEV: SECRET, IB_HARNESS_TOKEN: SECRET, CI: '1' },
      timeoutMs: 20_000,
      confine: { folder, integrationId: 'google-calendar' },
    });
    expect(r.output).toMatch(/EROFS/);
    expect(r.output).toMatch(/ENOENT/);
    const env = readFileSync(path.join(folder, 'env.txt'), 'utf8');
    expect(env).not.toContain(SECRET);
    expect(env).toContain('"CI":"1"');
    await new Promise((res) => setTimeout(res, 200));
    expect(execFileSync('ps', ['-eo', 'args']).toString()).not.toContain(marker);
    rmSync(path.join(folder, 'env.txt'));
  });

  it("confines the recorder (nango dryrun runs the script): no network but the key proxy's Unix socket, the fixtures folder writable, its token only", async () => {
    const server = http.createServer((_req, res) => res.end('api answered'));
    const url = await listenLoopback(server);
    const socketDir = mkdtempSync(path.join(tmpdir(), 'ib-recorder-test-'));
    const sock = path.join(socketDir, 'nango.sock');
    const proxy = http.createServer((_req, res) => res.end('proxy answered'));
    await new Promise<void>((resolve) => proxy.listen(sock, () => resolve()));
    try {
      const code = [
        `const http = require('http');`,
        `fetch(${JSON.stringify(url)}).then((r) => r.text()).then((t) => console.log(t), (e) => console.log('no network ' + e.message))`,
        `http.get({ socketPath: ${JSON.stringify(sock)}, path: '/connection/c' }, (res) => { let b = ''; res.on('data', (c) => (b += c)); res.on('end', () => console.log(b)); }).on('error', (e) => console.log('no proxy ' + e.message));`,
        `require('fs').writeFileSync('google-calendar/tests/recorded.json', '{}');`,
        `console.log('key ' + process.env.NANGO_SECRET_KEY_DEV + ' token ' + process.env.IB_HARNESS_TOKEN);`,
        `try { require('fs').readFileSync(${JSON.stringify(path.join(path.dirname(path.dirname(folder)), '.runs/google-calendar/create-event.json'))}); } catch (e) { console.log(e.code); }`,
      ].join('\n');
      const r = await runProcess('node', ['-e', code], {
        cwd: folder,
        env: { NANGO_SECRET_KEY_DEV: 'ib-recorder-token', IB_HARNESS_TOKEN: SECRET },
        timeoutMs: 20_000,
        confine: { folder, integrationId: 'google-calendar', writableTests: true, keepSecrets: ['NANGO_SECRET_KEY_DEV'], socketDirs: [socketDir] },
      });
      expect(r.output).toContain('proxy answered');
      expect(r.output).toMatch(/no network/);
      expect(r.output).not.toContain('api answered');
      expect(r.output).toContain('key ib-recorder-token token undefined');
      expect(r.output).toMatch(/ENOENT/);
      expect(existsSync(path.join(folder, 'google-calendar/tests/recorded.json'))).toBe(true);
    } finally {
      server.close();
      proxy.close();
      rmSync(socketDir, { recursive: true, force: true });
      rmSync(path.join(folder, 'google-calendar/tests/recorded.json'), { force: true });
    }
  });

  it('confines the test generator (it imports the script): a new generated test can be written, the recorded fixtures cannot', async () => {
    const fixture = path.join(folder, FIXTURE);
    const before = readFileSync(fixture, 'utf8');
    const code = [
      `const fs = require('fs');`,
      `fs.writeFileSync('google-calendar/tests/create-event.test.ts', '// generated');`,
      `for (const f of [${JSON.stringify(FIXTURE)}, 'google-calendar/tests/new.test.json'])`,
      `  try { fs.appendFileSync(f, ' '); console.log('wrote ' + f); } catch (e) { console.log(e.code + ' ' + f); }`,
      `try { fs.unlinkSync(${JSON.stringify(FIXTURE)}); console.log('removed'); } catch (e) { console.log(e.code + ' unlink'); }`,
    ].join('\n');
    const r = await runProcess('node', ['-e', code], {
      cwd: folder,
      env: { NANGO_SECRET_KEY_DEV: 'the-recorder-key' },
      timeoutMs: 20_000,
      confine: { folder, integrationId: 'google-calendar', writableGeneratedTests: true },
    });
    try {
      expect(r.output).toMatch(new RegExp(`EROFS ${FIXTURE}`));
      expect(r.output).not.toContain('removed');
      expect(readFileSync(fixture, 'utf8')).toBe(before);
      expect(readFileSync(path.join(folder, 'google-calendar/tests/create-event.test.ts'), 'utf8')).toBe('// generated');
    } finally {
      rmSync(path.join(folder, 'google-calendar/tests/create-event.test.ts'), { force: true });
      rmSync(path.join(folder, 'google-calendar/tests/new.test.json'), { force: true });
    }
  });

  it('refuses a command that no run placed (no policy from the harness)', async () => {
    const r = await sh('echo ran', { env: {} });
    expect(r.code).toBe(126);
    expect(r.out).toMatch(/refused/);
    expect(r.out).not.toMatch(/^ran$/m);
    const refused = await sh('echo ran', { env: { IB_SANDBOX: 'refuse', IB_SANDBOX_REASON: 'this session is not the run in this folder' } });
    expect(refused.out).toMatch(/this session is not the run in this folder; refused/);
  });
});

describe('the unsandboxed mode (no sandbox here, and the user accepted that)', () => {
  it('still clears the environment and finds node and the shared node_modules', async () => {
    const unsandboxed = new AgentSandbox({ mode: 'unsandboxed', shellDir: path.join(root, 'shell-u') });
    const l = await unsandboxed.prepare({ folder, integrationId: 'google-calendar' }, path.join(root, 'u.sandbox'));
    expect(l.mode).toBe('unsandboxed');
    const r = await new Promise<string>((resolve) =>
      execFile(
        unsandboxed.shell,
        ['-c', `env; node -e "console.log(require.resolve('left-pad'))"`],
        { cwd: folder, env: { ...process.env, IB_HARNESS_TOKEN: SECRET, NANGO_SECRET_KEY: SECRET, ...l.shellEnv() } },
        (_e, out, err) => resolve(`${out}${err}`),
      ),
    );
    expect(r).not.toContain(SECRET);
    expect(r).toMatch(/INTEGRATION_BUILDER_SANDBOX=unsandboxed/);
    // the Nango CLI's own network calls and package.json rewrites stay off, as in the sandbox
    expect(r).toMatch(/NANGO_CLI_UPGRADE_MODE=ignore/);
    expect(r).toMatch(/NANGO_CLI_DEPENDENCY_UPDATE=false/);
    expect(r).toMatch(/NANGO_CLI_TELEMETRY=false/);
    expect(r).toContain(path.join(root, 'node_modules', 'left-pad'));
  });
});

describe('file tools are checked on real paths', () => {
  const scope = () => ({ folder, integrationId: 'google-calendar', scriptRel: 'google-calendar/actions/create-event.ts' });

  it('lets the agent read, search and write its own files', () => {
    expect(checkToolAccess('read', { filePath: FIXTURE }, scope())).toEqual({ ok: true });
    expect(checkToolAccess('write', { filePath: 'google-calendar/actions/create-event.ts', content: 'x' }, scope())).toEqual({ ok: true });
    expect(checkToolAccess('grep', { pattern: '../..', path: '.' }, scope())).toEqual({ ok: true });
    expect(checkToolAccess('glob', { pattern: '**/*.ts' }, scope())).toEqual({ ok: true });
    expect(checkToolAccess('bash', { command: 'cat ../x', workdir: 'google-calendar' }, scope())).toEqual({ ok: true });
    expect(checkToolAccess('record_fixture', { input: '{}' }, scope())).toEqual({ ok: true });
  });

  it.each([
    ['read', { filePath: '../list-events/google-calendar/actions/list-events.ts' }, /outside the interaction folder/],
    ['read', { filePath: '/etc/passwd' }, /outside/],
    ['write', { filePath: FIXTURE, content: '{}' }, /written by the harness only/],
    ['edit', { filePath: 'index.ts', oldString: 'a', newString: 'b' }, /harness only/],
    ['apply_patch', { patchText: `*** Begin Patch\n*** Update File: ${FIXTURE}\n@@\n-a\n+b\n*** End Patch` }, /harness only/],
    ['apply_patch', { patchText: '*** Begin Patch\n*** Add File: ../../x.ts\n+a\n*** End Patch' }, /outside/],
    ['glob', { pattern: '../../**/*.json' }, /reaches outside/],
    ['glob', { pattern: '*.ts', path: '..' }, /outside/],
    ['grep', { pattern: 'x', include: '/root/**' }, /reaches outside/],
    ['list', { path: '/' }, /outside/],
    ['bash', { command: 'ls', workdir: '/tmp' }, /outside/],
  ])('%s %j is refused', (tool, args, reason) => {
    const d = checkToolAccess(tool, args as Record<string, unknown>, scope());
    expect(d.ok).toBe(false);
    expect(d.ok ? '' : d.reason).toMatch(reason);
  });

  it('follows links: a read, write or search through a link that leaves the folder is refused', () => {
    symlinkSync(path.dirname(folder), path.join(folder, 'cache'));
    symlinkSync(path.join(folder, FIXTURE), path.join(folder, 'alias.json'));
    try {
      expect(checkToolAccess('read', { filePath: 'cache/list-events/google-calendar/actions/list-events.ts' }, scope()).ok).toBe(false);
      expect(checkToolAccess('write', { filePath: 'cache/x.ts', content: '' }, scope()).ok).toBe(false);
      expect(checkToolAccess('write', { filePath: 'alias.json', content: '{}' }, scope())).toMatchObject({
        ok: false,
        reason: expect.stringMatching(/harness only/),
      });
      expect(checkToolAccess('grep', { pattern: 'neighbourData' }, scope())).toMatchObject({
        ok: false,
        reason: expect.stringMatching(/cache is a link out of the interaction folder/),
      });
      expect(checkToolAccess('glob', { pattern: '**/*.ts', path: '.' }, scope()).ok).toBe(false);
    } finally {
      rmSync(path.join(folder, 'cache'));
      rmSync(path.join(folder, 'alias.json'));
    }
  });

  it('a hard link to a file outside is not a path outside, but the sandbox never lets one be made', () => {
    // (Hard links cannot be told apart by path; the shell sandbox cannot see outside files to link them.)
    const outside = path.join(root, 'outside.txt');
    writeFileSync(outside, 'x');
    try {
      linkSync(outside, path.join(folder, 'h.txt'));
    } catch {
      return;
    }
    rmSync(path.join(folder, 'h.txt'));
  });

  it('resolves paths that do not exist yet through their deepest existing ancestor, and dangling links to their target', () => {
    symlinkSync('/nonexistent-ib/target', path.join(folder, 'dangling'));
    try {
      expect(resolveReal(path.join(folder, 'dangling'))).toBe('/nonexistent-ib/target');
      expect(checkToolAccess('write', { filePath: 'dangling', content: '' }, scope()).ok).toBe(false);
      expect(resolveReal(path.join(folder, 'new/dir/file.ts'))).toBe(path.join(resolveReal(folder), 'new/dir/file.ts'));
    } finally {
      rmSync(path.join(folder, 'dangling'));
    }
  });

  it('reads the targets of a patch', () => {
    expect(patchTargets('*** Begin Patch\n*** Add File: a.ts\n+x\n*** Update File: b.ts\n*** Move to: c.ts\n*** Delete File: d.ts\n*** End Patch')).toEqual([
      'a.ts',
      'b.ts',
      'c.ts',
      'd.ts',
    ]);
  });
});
