// The unit of an interaction: its script and every file of its folder the script imports, followed
// through helpers, with `.js` specifiers naming `.ts` sources as in Nango's node16 projects. Small
// hand-written snippets in the shapes Nango's own templates use (../models.js, ../helpers/…, mappers).
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { interactionUnit, isProjectFile } from '../../src/core/assemble/unit';

let root: string;
let folder: string;
const SCRIPT = 'hubspot/syncs/contacts.ts';

function put(rel: string, content: string, base = folder): void {
  const file = path.join(base, ...rel.split('/'));
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, content);
}

beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), 'ib-unit-'));
  folder = path.join(root, 'work', 'hubspot', 'contacts');
  mkdirSync(folder, { recursive: true });
  put('index.ts', `import './${SCRIPT.replace(/\.ts$/, '.js')}';\n`);
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('interactionUnit', () => {
  it('takes the script and what it imports, transitively, in every form an import takes', async () => {
    put(
      SCRIPT,
      [
        "import { createSync } from 'nango';",
        "import * as z from 'zod';",
        "import type { HubspotContact } from '../types.js';",
        'import {',
        '    Contact,',
        '    ContactCheckpoint',
        "} from '../models.js';",
        "import { toContact } from '../mappers/to-contact.js';",
        "export { paginate } from '../helpers/paginate.js';",
        "const lazy = () => import('../helpers/lazy.js');",
        'export default createSync({} as never);',
        '',
      ].join('\n'),
    );
    put('hubspot/types.ts', 'export interface HubspotContact { id: string }\n');
    put('hubspot/models.ts', "import * as z from 'zod';\nimport { Shared } from './helpers/shared';\nexport const Contact = z.object({ id: z.string() });\n");
    put('hubspot/mappers/to-contact.ts', "import type { HubspotContact } from '../types.js';\nimport { clean } from '../helpers/index.js';\n");
    put('hubspot/helpers/paginate.ts', 'export const paginate = 1;\n');
    put('hubspot/helpers/lazy.ts', 'export const lazy = 1;\n');
    put('hubspot/helpers/shared.ts', 'export const Shared = 1;\n');
    put('hubspot/helpers/index.ts', "export { clean } from './clean.js';\n");
    put('hubspot/helpers/clean.ts', 'export const clean = 1;\n');
    // In the folder but imported by nothing: not part of the unit.
    put('hubspot/helpers/unused.ts', 'export const unused = 1;\n');
    put('notes.md', 'scratch\n');

    const unit = await interactionUnit(folder, SCRIPT);
    expect(unit.problems).toEqual([]);
    expect(unit.files.map((f) => f.rel)).toEqual([
      SCRIPT,
      'hubspot/helpers/clean.ts',
      'hubspot/helpers/index.ts',
      'hubspot/helpers/lazy.ts',
      'hubspot/helpers/paginate.ts',
      'hubspot/helpers/shared.ts',
      'hubspot/mappers/to-contact.ts',
      'hubspot/models.ts',
      'hubspot/types.ts',
    ]);
    expect(unit.files.find((f) => f.rel === 'hubspot/models.ts')?.content).toContain('export const Contact');
  });

  it('a script that imports nothing of its own is a unit of one file', async () => {
    put(SCRIPT, "import { createSync } from 'nango';\nimport * as z from 'zod';\nimport crypto from 'node:crypto';\n");
    const unit = await interactionUnit(folder, SCRIPT);
    expect(unit).toEqual({ scriptRel: SCRIPT, files: [{ rel: SCRIPT, content: expect.stringContaining('node:crypto') }], problems: [] });
  });

  it('an import cycle between helpers is followed once', async () => {
    put(SCRIPT, "import { a } from '../helpers/a.js';\n");
    put('hubspot/helpers/a.ts', "import { b } from './b.js';\nexport const a = 1;\n");
    put('hubspot/helpers/b.ts', "import { a } from './a.js';\nimport '../syncs/contacts.js';\nexport const b = 1;\n");
    const unit = await interactionUnit(folder, SCRIPT);
    expect(unit.problems).toEqual([]);
    expect(unit.files.map((f) => f.rel)).toEqual([SCRIPT, 'hubspot/helpers/a.ts', 'hubspot/helpers/b.ts']);
  });

  it('an import that names no file is a problem at its file and line, with where it looked', async () => {
    put(SCRIPT, "import { createSync } from 'nango';\n\nimport { Contact } from '../models.js';\n");
    const unit = await interactionUnit(folder, SCRIPT);
    expect(unit.files.map((f) => f.rel)).toEqual([SCRIPT]);
    expect(unit.problems).toEqual([
      {
        kind: 'import-missing',
        file: SCRIPT,
        line: 3,
        column: 25,
        specifier: '../models.js',
        message: `${SCRIPT}:3 imports ../models.js, but the folder has no such file (looked for hubspot/models.ts, hubspot/models.tsx, hubspot/models.d.ts, hubspot/models.js)`,
      },
    ]);
  });

  it('an import that climbs out of the folder is a problem, even when the file is there (a neighbour)', async () => {
    put('hubspot/create-contact/hubspot/helpers/auth.ts', 'export const auth = 1;\n', path.join(root, 'work'));
    put(SCRIPT, "import { auth } from '../../../create-contact/hubspot/helpers/auth.js';\nimport x from '/etc/hosts';\n");
    const unit = await interactionUnit(folder, SCRIPT);
    expect(unit.problems.map((p) => [p.kind, p.line, p.specifier])).toEqual([
      ['import-outside', 1, '../../../create-contact/hubspot/helpers/auth.js'],
      ['import-outside', 2, '/etc/hosts'],
    ]);
    expect(unit.problems[0]!.message).toBe(
      `${SCRIPT}:1 imports ../../../create-contact/hubspot/helpers/auth.js, which is outside the interaction folder: Assemble ships only the folder's own files, so the project would not have it`,
    );
  });

  it("a file in the folder that links to one outside is not the interaction's own", async () => {
    put('elsewhere/secret.ts', 'export const secret = 1;\n', root);
    mkdirSync(path.join(folder, 'hubspot/helpers'), { recursive: true });
    symlinkSync(path.join(root, 'elsewhere/secret.ts'), path.join(folder, 'hubspot/helpers/secret.ts'));
    put(SCRIPT, "import { secret } from '../helpers/secret.js';\n");
    const unit = await interactionUnit(folder, SCRIPT);
    expect(unit.problems.map((p) => [p.kind, p.file, p.line])).toEqual([['link-outside', SCRIPT, 1]]);
    expect(unit.files.map((f) => f.rel)).toEqual([SCRIPT]);
  });

  it("importing the project's own files (index.ts, package.json) is a problem: Assemble merges or keeps those", async () => {
    put(SCRIPT, "import '../../index.js';\nimport pkg from '../../package.json';\n");
    put('package.json', '{}\n');
    const unit = await interactionUnit(folder, SCRIPT);
    expect(unit.problems.map((p) => [p.kind, p.line, p.message])).toEqual([
      [
        'import-reserved',
        1,
        `${SCRIPT}:1 imports ../../index.js (index.ts), a file of the project that Assemble merges or keeps as it is; move what it needs into a file of its own`,
      ],
      [
        'import-reserved',
        2,
        `${SCRIPT}:2 imports ../../package.json (package.json), a file of the project that Assemble merges or keeps as it is; move what it needs into a file of its own`,
      ],
    ]);
    expect(unit.files.map((f) => f.rel)).toEqual([SCRIPT]);
    expect(['index.ts', 'package.json', 'tsconfig.json', '.nango/nango.json'].every(isProjectFile)).toBe(true);
    expect(isProjectFile('hubspot/index.ts')).toBe(false);
  });

  it('a missing script or folder is a problem, not an exception', async () => {
    expect((await interactionUnit(folder, SCRIPT)).problems).toEqual([
      { kind: 'script-missing', file: SCRIPT, message: `its script ${SCRIPT} is missing in ${folder}` },
    ]);
    expect((await interactionUnit(path.join(root, 'gone'), SCRIPT)).problems[0]).toMatchObject({
      kind: 'script-missing',
      message: `the interaction folder ${path.join(root, 'gone')} does not exist`,
    });
  });
});
