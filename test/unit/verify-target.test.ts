// One rule for what Verify checks of a run, for every front end: the interaction's own folder under the
// work root (a record cannot point elsewhere) and the spec's kind, else the kind its script says.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { verifyTargetOf } from '../../src/core/app/verifyTarget';
import { newRunRecord } from '../../src/core/runs/record';

let root: string;
beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), 'ib-vtarget-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const run = (folder: string) =>
  newRunRecord({
    key: 'api/list-things',
    integrationId: 'api',
    interactionId: 'list-things',
    specFile: '/s.json',
    folder,
    demo: false,
    now: '2026-12-02T10:00:00.000Z',
  });

describe('verifyTargetOf', () => {
  it("checks the interaction's own folder, whatever the record says", () => {
    const t = verifyTargetOf(root, run('/somewhere/else'), 'action');
    expect(t.folder).toBe(path.join(root, 'api', 'list-things'));
  });

  it("takes the spec's kind; without one, the script in the folder says it", () => {
    expect(verifyTargetOf(root, run(''), 'sync').kind).toBe('sync');
    expect(verifyTargetOf(root, run('')).kind).toBe('action');
    mkdirSync(path.join(root, 'api', 'list-things', 'api', 'syncs'), { recursive: true });
    writeFileSync(path.join(root, 'api', 'list-things', 'api', 'syncs', 'list-things.ts'), '');
    expect(verifyTargetOf(root, run('')).kind).toBe('sync');
  });
});
