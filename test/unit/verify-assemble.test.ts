// Verify's assemble check without a compiler: what keeps an interaction from being shipped is a located
// finding of the check (the real compile of the laid-out copy is in test/integration/assemble.test.ts).
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { assembleFindings, unitOnlyFindings } from '../../src/core/verify/assemble';
import type { VerifyTarget } from '../../src/core/verify/types';

let root: string;
const SCRIPT = 'hubspot/actions/create-contact.ts';

function put(file: string, content: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, content);
}

function target(script: string): VerifyTarget {
  const folder = path.join(root, 'work', 'hubspot', 'create-contact');
  put(path.join(folder, 'index.ts'), "import './hubspot/actions/create-contact.js';\n");
  put(path.join(folder, SCRIPT), script);
  return { key: 'hubspot/create-contact', integrationId: 'hubspot', interactionId: 'create-contact', kind: 'action', folder };
}

const TOOL = { timeoutMs: 10_000 };

beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), 'ib-verify-assemble-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('the assemble check', () => {
  it('an import from outside the folder is an error at its line; nothing is compiled and no copy is left', async () => {
    put(path.join(root, 'node_modules/.bin/nango'), '#!/bin/sh\nexit 1\n');
    put(path.join(root, 'node_modules/zod/package.json'), '{}');
    const t = target("import { createAction } from 'nango';\nimport { auth } from '../../../update-contact/hubspot/auth.js';\n");
    const scratch = path.join(root, 'work', '.runs', '.verify');
    const r = await assembleFindings(t, scratch, TOOL);
    expect(r.ran).toBe(true);
    expect(r.findings).toEqual([
      {
        check: 'assemble',
        rule: 'assemble.import-outside-folder',
        severity: 'error',
        message: `Assemble could not ship this interaction: ${SCRIPT}:2 imports ../../../update-contact/hubspot/auth.js, which is outside the interaction folder: Assemble ships only the folder's own files, so the project would not have it`,
        location: { file: SCRIPT, line: 2 },
      },
    ]);
    expect(readdirSync(scratch)).toEqual([]);
  });

  it('without the Nango CLI above the folder the check could not run: toolchain.missing, as compile says', async () => {
    const t = target("import { createAction } from 'nango';\n");
    const r = await assembleFindings(t, path.join(root, 'scratch'), TOOL);
    expect(r.ran).toBe(false);
    expect(r.findings.map((f) => [f.check, f.rule, f.severity])).toEqual([['assemble', 'toolchain.missing', 'error']]);
    expect(r.detail).toContain('the Nango CLI is not installed');
    expect(existsSync(path.join(root, 'scratch')) ? readdirSync(path.join(root, 'scratch')) : []).toEqual([]);
  });

  it('after a failed folder compile only what that compile cannot see is reported (a missing import is its finding)', async () => {
    const t = target("import { a } from '../helpers/missing.js';\nimport { b } from '../../../neighbour/x.js';\n");
    expect((await unitOnlyFindings(t, SCRIPT)).map((f) => [f.rule, f.location?.line])).toEqual([['assemble.import-outside-folder', 2]]);
  });
});
