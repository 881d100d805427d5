// run_tests' generator. `nango generate:tests` type-checks the whole folder, builds it, reads the
// scripts' definitions and writes one test per recorded script from its templates: ~6.5 CPU-s, two
// thirds of it loading the CLI and the type check (`npm run bench -- test-step`). The type check is the
// one the recorder's dry run has just made of the same files, when the agent has changed nothing since
// (compileInputsDigest): then the harness generates with Nango's own pieces from the installed CLI —
// its bundler (prebuild.ts), its definitions parser, its test writers and templates — without the type
// check: the same files, ~2.3 CPU-s. Whenever the files differ from those last type-checked, or this
// CLI lacks a piece (NANGO_PIECES_MISSING), or the quick path fails, `nango generate:tests` runs as
// before and its report is what the agent gets. Verify does not rely on any of this: it compiles and
// compares the tests itself.
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { testsDirOf } from '../guard/protectedPaths';
import { GENERATED_CONFIGS } from './replay/config';
import { BUILD_ENTRY_POINTS, NANGO_PIECES_MISSING, nangoDistWith } from './prebuild';

/**
 * Runs inside the sandbox, in the interaction folder (`node --input-type=module -e NANGO_GENERATE -- <nango dist URL>/`):
 * what `nango generate:tests --auto-confirm` does after its type check, with the CLI's own functions —
 * check the folder is a zero-yaml project, build every entry point, read the definitions (this imports the built script: its top-level code runs,
 * as in the CLI), write .nango/nango.json, vite.config.ts and vitest.setup.ts from the templates, and a
 * test for each script that has a recorded fixture, where the CLI looks for one.
 */
export const NANGO_GENERATE = `
const dist = process.argv.slice(1).filter((a, i) => !(i === 0 && a === '--'))[0];
let c, d, t, m, v, ejs;
try {
  c = await import(dist + 'zeroYaml/compile.js');
  d = await import(dist + 'zeroYaml/definitions.js');
  t = await import(dist + 'services/test.service.js');
  m = await import(dist + 'services/model.service.js');
  v = (await import(dist + 'services/verification.service.js')).default;
  const { createRequire } = await import('node:module');
  ejs = createRequire(dist + 'services/test.service.js')('ejs');
} catch (e) {
  console.error('the generator could not load Nango\\'s modules: ' + (e && e.message));
  process.exit(${NANGO_PIECES_MISSING});
}
const fns = [c.readIndexContent, c.getEntryPoints, c.compileFunction, d.parseIntegrationDefinitions, t.generateSyncTest, t.generateActionTest, m.generateNangoJson, m.generateFunctionsJson, v && v.ensureZeroYaml, ejs && ejs.render];
if (fns.some((f) => typeof f !== 'function')) {
  console.error('the installed Nango CLI lacks a function the generator uses');
  process.exit(${NANGO_PIECES_MISSING});
}
const fs = await import('node:fs/promises');
const path = await import('node:path');
const { fileURLToPath } = await import('node:url');
const templates = fileURLToPath(dist + 'templates/');
let viteConfig, vitestSetup;
try {
  viteConfig = await fs.readFile(path.join(templates, 'vite.config.ejs'), 'utf8');
  vitestSetup = ejs.render(await fs.readFile(path.join(templates, 'vitest.setup.ejs'), 'utf8'));
  await fs.access(path.join(templates, 'sync-test-template.ejs'));
  await fs.access(path.join(templates, 'action-test-template.ejs'));
} catch (e) {
  console.error('the installed Nango CLI has not the templates the generator uses: ' + (e && e.message));
  process.exit(${NANGO_PIECES_MISSING});
}
// a zero-yaml Nango folder, as the CLI checks first (it says what is wrong)
if (!(await v.ensureZeroYaml({ fullPath: process.cwd(), debug: false }))) process.exit(1);
${BUILD_ENTRY_POINTS}
const defs = await d.parseIntegrationDefinitions({ fullPath: root, debug: false });
if (defs.isErr()) {
  console.error('✗ Failed to build definitions: ' + String((defs.error && defs.error.message) || defs.error));
  process.exit(1);
}
m.generateNangoJson({ parsed: defs.value, fullPath: root, debug: false });
m.generateFunctionsJson({ functions: defs.value.functions, fullPath: root, debug: false });
await fs.writeFile(path.join(root, 'vite.config.ts'), viteConfig);
await fs.writeFile(path.join(root, 'vitest.setup.ts'), vitestSetup);
const exists = (p) => fs.access(p).then(() => true, () => false);
const mocked = async (integration, name) => {
  for (const p of [integration + '/tests/' + name + '.test.json', integration + '/tests/' + integration + '-' + name + '.test.json', integration + '/mocks/' + name]) {
    if (await exists(path.resolve(root, p))) return true;
  }
  return false;
};
const written = [];
for (const integration of defs.value.integrations) {
  const id = integration.providerConfigKey;
  for (const s of integration.syncs) {
    if (await mocked(id, s.name)) written.push(await t.generateSyncTest({ integration: id, syncName: s.name, modelName: s.output, writePath: root, debug: false }));
  }
  for (const a of integration.actions) {
    if (await mocked(id, a.name)) written.push(await t.generateActionTest({ integration: id, actionName: a.name, output: a.output, writePath: root, debug: false }));
  }
}
console.log(written.length ? 'Generated ' + written.length + ' test file(s):\\n' + written.map((f) => '  ' + path.relative(root, f)).join('\\n') : 'No test files were generated. Make sure you have mocks in place.');
`;

/** The installed CLI's `dist/` URL (with a trailing slash), or undefined when it has not the modules the generator loads. */
export function nangoDistOf(bin: string): string | undefined {
  return nangoDistWith(bin, [
    'zeroYaml/compile.js',
    'zeroYaml/definitions.js',
    'services/test.service.js',
    'services/model.service.js',
    'services/verification.service.js',
  ]);
}

/**
 * What the builds, the generator, the recorder and the tools write, which the type check does not read:
 * left out of the digest by name and kind (a .ts file in build/ or .nango/ counts: a script could import it).
 */
function outsideDigest(rel: string, integrationId: string): boolean {
  if (/^build\/.*\.(c?js|map)$/.test(rel) || /^\.nango\/[^/]+\.(json|key)$/.test(rel)) return true;
  if (/^node_modules\/\.(vite|vitest|cache)(\/|$)/.test(rel)) return true;
  if (Object.keys(GENERATED_CONFIGS).includes(rel)) return true;
  const tests = `${testsDirOf(integrationId)}/`;
  return rel.startsWith(tests) && !rel.slice(tests.length).includes('/') && /\.test\.(ts|json)$/.test(rel);
}

/** More files than an interaction folder holds: no digest (the generator then type-checks). */
const MAX_FILES = 5000;

/**
 * A digest of every file in the folder a type check of its scripts could read (names and contents), or
 * undefined when any of it cannot be read or the folder holds a link — then nothing is vouched for and the
 * CLI type-checks. Left out (outsideDigest): the built .cjs, Nango's .json state, tool caches, and what the
 * recorder and the generator write (the fixtures and generated tests in the integration's tests folder,
 * vite.config.ts and vitest.setup.ts). A script that imports one of those gets no type check from run_tests
 * after changing it; Verify's compile, which trusts nothing here, still reports it.
 */
export async function compileInputsDigest(folder: string, integrationId: string): Promise<string | undefined> {
  const hash = createHash('sha256');
  let files = 0;
  const walk = async (rel: string): Promise<boolean> => {
    const dir = rel ? path.join(folder, ...rel.split('/')) : folder;
    let entries;
    try {
      entries = await fs.readdir(dir, { withFileTypes: true });
    } catch {
      return false;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (outsideDigest(r, integrationId)) continue;
      if (++files > MAX_FILES) return false;
      const abs = path.join(dir, e.name);
      try {
        // what a link leads to can change with the link unchanged: a folder with one is never vouched for
        if (e.isSymbolicLink()) return false;
        if (e.isDirectory()) {
          if (!(await walk(r))) return false;
        } else if (e.isFile())
          hash.update(`file\0${r}\0`).update(
            createHash('sha256')
              .update(await fs.readFile(abs))
              .digest('hex'),
          );
        else hash.update(`other\0${r}\0`);
      } catch {
        return false;
      }
    }
    return true;
  };
  return (await walk('')) ? hash.digest('hex') : undefined;
}
