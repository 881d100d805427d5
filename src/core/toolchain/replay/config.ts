// Test configuration the agent wrote. Verify runs the generated tests with its own configuration
// (harnessCode.ts), so nothing here changes what runs; but an agent that writes a vitest/vite config, a
// setup file or a vitest field into package.json was trying to decide what its tests run, and that is a
// finding naming the file. What `nango generate:tests` writes is not: `vite.config.ts` and
// `vitest.setup.ts` as the installed nango's templates have them (formatting aside), and the
// devDependencies / `test` script its dependency injection adds to package.json.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { compareCode } from '../sameCode';
import type { TS } from '../typescript';
import type { Finding } from '../../runs/report';

/** The two files generate:tests writes at the project root, and the template each comes from. */
export const GENERATED_CONFIGS: Readonly<Record<string, string>> = { 'vite.config.ts': 'vite.config.ejs', 'vitest.setup.ts': 'vitest.setup.ejs' };

/** A vitest/vite config, workspace or projects file, any extension. */
const CONFIG_NAME =
  /^(vite|vitest)(\.[\w-]+)*\.(config|workspace|projects)(\.[\w-]+)*\.([cm]?[jt]sx?|json|jsonc|ya?ml)$|^(vite|vitest)\.(config|workspace|projects)$/i;
/** A test setup file by its usual names (`vitest.setup.*`, `setupTests.ts`, `test-setup.js`, `global-setup.ts`…). */
const SETUP_NAME = /^((vite|vitest)[.-]setup|setup[.-]?(tests?|vitest)|tests?[.-]setup|global[.-]?setup|vitest[.-]global[.-]?setup)(\.[\w-]+)*\.[cm]?[jt]sx?$/i;
/** Folders never searched: dependencies, build output, Nango's state, VCS. */
const SKIP_DIRS = new Set(['node_modules', 'build', 'dist', '.nango', '.git']);

/** What a template renders to, when it has no EJS tags (undefined when it does: not compared). */
export function renderedTemplate(text: string): string | undefined {
  return /<%/.test(text) ? undefined : text;
}

/** Whether the folder's copy is what the template writes (formatting aside when TypeScript is at hand). */
export function sameAsGenerated(ts: TS | undefined, have: string, want: string): boolean {
  if (have === want) return true;
  if (have.replace(/\s+/g, '') === want.replace(/\s+/g, '')) return true;
  return !!ts && compareCode(ts, have, want).same;
}

/** A vitest-related field of a package.json that the scaffold and generate:tests do not write. */
export function packageJsonFindings(text: string, file = 'package.json'): Finding[] {
  let pj: unknown;
  try {
    pj = JSON.parse(text);
  } catch {
    return [];
  }
  if (!pj || typeof pj !== 'object' || Array.isArray(pj)) return [];
  const o = pj as Record<string, unknown>;
  const out: Finding[] = [];
  for (const key of ['vitest', 'vite', 'jest']) {
    if (key in o)
      out.push({
        check: 'tests',
        rule: 'tests.config-edited',
        severity: 'error',
        message: `${file} has a "${key}" field: the test configuration is the harness's, not the folder's`,
        location: { file },
      });
  }
  const scripts = o['scripts'];
  if (scripts && typeof scripts === 'object' && !Array.isArray(scripts)) {
    for (const [name, cmd] of Object.entries(scripts as Record<string, unknown>)) {
      if (typeof cmd !== 'string' || !/\bvitest\b/.test(cmd)) continue;
      // the scaffold's `vitest run` and the `vitest` generate:tests adds when there is no test script
      if (/^\s*vitest(\s+(run|--run))?\s*$/.test(cmd)) continue;
      out.push({
        check: 'tests',
        rule: 'tests.config-edited',
        severity: 'error',
        message: `${file}'s "${name}" script runs vitest with its own options: the tests Verify runs are chosen by the harness`,
        location: { file },
        quote: cmd.slice(0, 200),
      });
    }
  }
  return out;
}

/** The folder's files; a directory that cannot be read goes to `unreadable` (it is not "no config there"). */
async function walk(folder: string, rel: string, depth: number, out: string[], unreadable: string[]): Promise<void> {
  if (depth > 6 || out.length > 2000) return;
  let entries: import('node:fs').Dirent[];
  try {
    entries = await fs.readdir(path.join(folder, ...rel.split('/').filter(Boolean)), { withFileTypes: true });
  } catch (err) {
    unreadable.push(`${rel || '.'} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    return;
  }
  for (const e of entries) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) {
      if (!SKIP_DIRS.has(e.name)) await walk(folder, r, depth + 1, out, unreadable);
    } else if (e.isFile() || e.isSymbolicLink()) out.push(r);
  }
}

/**
 * The test configuration in the folder that the harness did not write. `templatesDir` is the installed
 * nango's `dist/templates` (undefined when unknown: the two generated files are then not compared).
 */
export async function configFindings(folder: string, templatesDir: string | undefined, ts: TS | undefined): Promise<Finding[]> {
  const files: string[] = [];
  const unreadable: string[] = [];
  await walk(folder, '', 0, files, unreadable);
  // Fail closed: a folder the check cannot read may hold a configuration it would have reported.
  const out: Finding[] = unreadable.map((d) => ({
    check: 'tests' as const,
    rule: 'tests.config-unchecked',
    severity: 'error' as const,
    message: `${d} cannot be read, so the test configuration in it could not be checked`,
  }));
  for (const rel of files) {
    const base = path.posix.basename(rel);
    const template = rel === base ? GENERATED_CONFIGS[base] : undefined;
    if (template) {
      if (!templatesDir) continue;
      // Fail closed: a template or a file that cannot be read leaves the comparison undone, and says so.
      const unchecked = (why: string): Finding => ({
        check: 'tests',
        rule: 'tests.config-unchecked',
        severity: 'error',
        message: `${rel} could not be compared with what generate:tests writes: ${why}`,
        location: { file: rel },
      });
      let source: string;
      try {
        source = await fs.readFile(path.join(templatesDir, template), 'utf8');
      } catch (err) {
        out.push(unchecked(`nango's template ${template} cannot be read (${(err as Error).message})`));
        continue;
      }
      const want = renderedTemplate(source);
      if (want === undefined) continue; // a template that needs rendering: nango writes what only nango can say
      let have: string;
      try {
        have = await fs.readFile(path.join(folder, rel), 'utf8');
      } catch (err) {
        out.push(unchecked(`it cannot be read (${(err as Error).message})`));
        continue;
      }
      if (!sameAsGenerated(ts, have, want)) {
        out.push({
          check: 'tests',
          rule: 'tests.config-edited',
          severity: 'error',
          message: `${rel} is not what generate:tests writes: the agent changed the test configuration (Verify runs the tests with its own)`,
          location: { file: rel },
        });
      }
      continue;
    }
    if (CONFIG_NAME.test(base)) {
      out.push({
        check: 'tests',
        rule: 'tests.config-edited',
        severity: 'error',
        message: `${rel} is a vitest/vite configuration the harness does not write (Verify runs the tests with its own)`,
        location: { file: rel },
      });
    } else if (SETUP_NAME.test(base)) {
      out.push({
        check: 'tests',
        rule: 'tests.config-edited',
        severity: 'error',
        message: `${rel} is a test setup file the harness does not write (Verify runs the tests with its own setup)`,
        location: { file: rel },
      });
    } else if (base === 'package.json' && rel === base) {
      out.push(...packageJsonFindings(await fs.readFile(path.join(folder, rel), 'utf8').catch(() => ''), rel));
    }
  }
  return out;
}
