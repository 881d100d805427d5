// Interaction folders are named by ids: an id that reaches a path must be one safe segment, whatever
// the spec said about it (an entry with errors is still listed, and a run record could be edited).
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { assertSafeSegment, interactionFolder } from '../../src/core/workspace/paths';
import { scriptRelativePath } from '../../src/core/workspace/scaffold';

const ROOT = path.join(path.sep, 'ws', '.integration-builder', 'work');

describe('interactionFolder', () => {
  it('is <workRoot>/<integration>/<interaction>, underscores and all', () => {
    expect(interactionFolder(ROOT, 'connectsecure', 'compliance_master')).toBe(path.join(ROOT, 'connectsecure', 'compliance_master'));
    expect(interactionFolder(ROOT, 'google-calendar', 'create-event')).toBe(path.join(ROOT, 'google-calendar', 'create-event'));
  });

  it.each([
    ['..', 'is a relative folder name'],
    ['.', 'is a relative folder name'],
    ['', 'is empty'],
    ['../neighbour', 'holds a path character'],
    ['a/b', 'holds a path character'],
    ['a\\b', 'holds a path character'],
    ['c:x', 'holds a path character'],
    ['nul\0byte', 'holds a path character'],
    ['x'.repeat(65), 'is longer than 64 characters'],
  ])('refuses the interaction id %j: it %s', (id, why) => {
    expect(() => interactionFolder(ROOT, 'hubspot', id)).toThrow(
      `interaction id ${JSON.stringify(id)} ${why}, so it cannot name a folder or file; fix it in the spec`,
    );
    expect(() => scriptRelativePath({ integrationId: 'hubspot', id, kind: 'action' })).toThrow(why);
  });

  it('refuses an integration id that would leave the work root', () => {
    expect(() => interactionFolder(ROOT, '../..', 'x')).toThrow('integration id "../.." holds a path character');
    expect(() => scriptRelativePath({ integrationId: '..', id: 'x', kind: 'sync' })).toThrow('integration id ".." is a relative folder name');
  });

  it('takes the longest id the spec takes', () => {
    expect(() => assertSafeSegment('a'.repeat(64), 'interaction id')).not.toThrow();
  });
});
