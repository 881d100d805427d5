// The scan for links out of an interaction folder (src/core/sandbox/fileAccess.ts) fails closed on a folder
// it cannot read: such a folder may hold a link out, so the scan is incomplete — a finding in Verify, a
// refusal for the agent's search tools, and no unconfined harness tool reads the folder — never "no link
// there". A folder of mode 000 is readable by root (as CI runs), so as root the scan runs as `nobody`
// (setpriv), on a copy of the module bundled for it.
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { buildSync } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import * as fileAccess from '../../src/core/sandbox/fileAccess';

const base = mkdtempSync(path.join(tmpdir(), 'ib-link-scan-'));
chmodSync(base, 0o755);
afterAll(() => {
  chmodSync(path.join(base, 'folder', 'hidden'), 0o755);
  rmSync(base, { recursive: true, force: true });
});

interface Seen {
  scan: { links: string[]; complete: boolean; unreadable: string[] };
  leadsOut: boolean;
  grep: fileAccess.AccessDecision;
}

/** What the scan sees of `folder`, as a user the folder's mode applies to. */
function scanAsUser(folder: string): Seen {
  const probe = (m: typeof fileAccess): Seen => ({
    scan: m.escapingLinks(folder, folder),
    leadsOut: m.leadsOut(folder),
    grep: m.checkToolAccess('grep', { pattern: 'token' }, { folder, integrationId: 'google-calendar' }),
  });
  if (process.getuid?.() !== 0) return probe(fileAccess);
  const bundle = path.join(base, 'fileAccess.cjs');
  buildSync({
    entryPoints: [path.join(__dirname, '..', '..', 'src', 'core', 'sandbox', 'fileAccess.ts')],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    outfile: bundle,
    logLevel: 'error',
  });
  chmodSync(bundle, 0o644);
  const script = `const m = require(${JSON.stringify(bundle)}); const f = ${JSON.stringify(folder)};
    console.log(JSON.stringify({ scan: m.escapingLinks(f, f), leadsOut: m.leadsOut(f), grep: m.checkToolAccess('grep', { pattern: 'token' }, { folder: f, integrationId: 'google-calendar' }) }));`;
  // util-linux's, as src/core/util/parentDeath.ts finds it
  const setpriv = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => existsSync(p));
  if (!setpriv) throw new Error('as root this test needs setpriv (util-linux) to run the scan as nobody');
  const out = execFileSync(setpriv, ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '-e', script], { encoding: 'utf8' });
  return JSON.parse(out) as Seen;
}

describe('a folder the link scan cannot read', () => {
  it('makes the scan incomplete, the folder one no unconfined tool reads, and a search refused, naming it', () => {
    const folder = path.join(base, 'folder');
    const hidden = path.join(folder, 'hidden');
    mkdirSync(hidden, { recursive: true });
    symlinkSync('/etc', path.join(hidden, 'out'));
    chmodSync(folder, 0o755);
    chmodSync(hidden, 0o000);

    const seen = scanAsUser(folder);
    expect(seen.scan).toEqual({ links: [], complete: false, unreadable: [hidden] });
    expect(seen.leadsOut).toBe(true);
    expect(seen.grep).toEqual({ ok: false, reason: 'hidden cannot be read, so the folder cannot be checked for links that leave the folder' });
  });

  it('while a search of a path that does not exist, or of one file, is no unreadable folder', () => {
    const folder = path.join(base, 'plain');
    mkdirSync(folder, { recursive: true });
    expect(fileAccess.escapingLinks(folder, path.join(folder, 'nothing-here'))).toEqual({ links: [], complete: true, unreadable: [] });
    expect(fileAccess.checkToolAccess('grep', { pattern: 'x', path: 'nothing-here' }, { folder, integrationId: 'google-calendar' })).toEqual({ ok: true });
  });
});
