import { describe, expect, it } from 'vitest';
import { loadSpec } from '../../src/core/spec/loader';
import { SpecStore, isSpecFileName } from '../../src/core/spec/store';

const spec = (integration: string, ids: string[]) =>
  JSON.stringify(
    {
      integrations: [
        {
          id: integration,
          connectionId: 'c',
          environment: 'dev',
          docs: 'https://example.com/api',
          context: '',
          interactions: ids.map((id) => ({ id, displayName: id, description: '', prompt: '', comments: '' })),
        },
      ],
    },
    null,
    2,
  );

describe('SpecStore', () => {
  it('recognises spec file names', () => {
    expect(isSpecFileName('/a/b/interactions.json')).toBe(true);
    expect(isSpecFileName('C:\\a\\crm.interactions.json')).toBe(true);
    expect(isSpecFileName('/a/my-interactions.json')).toBe(false);
    expect(isSpecFileName('/a/interactions.jsonc')).toBe(false);
  });

  it('merges files in path order and notifies on change', () => {
    const store = new SpecStore();
    let changes = 0;
    store.onDidChange(() => changes++);
    store.put(loadSpec('/w/b.interactions.json', spec('slack', ['send-message'])));
    store.put(loadSpec('/w/a.interactions.json', spec('hubspot', ['create-contact', 'sync-contacts'])));
    expect(store.integrations().map((i) => i.id)).toEqual(['hubspot', 'slack']);
    expect(store.interactions().map((i) => i.key)).toEqual(['hubspot/create-contact', 'hubspot/sync-contacts', 'slack/send-message']);
    expect(store.find('slack/send-message')?.integration.id).toBe('slack');
    expect(store.find('slack/nope')).toBeUndefined();
    expect(changes).toBe(2);
    expect(store.delete('/w/b.interactions.json')).toBe(true);
    expect(store.delete('/w/b.interactions.json')).toBe(false);
    expect(changes).toBe(3);
  });

  it('finds the interaction under an offset', () => {
    const store = new SpecStore();
    const text = spec('slack', ['send-message', 'sync-users']);
    store.put(loadSpec('/w/interactions.json', text));
    expect(store.interactionAt('/w/interactions.json', text.indexOf('"sync-users"'))?.id).toBe('sync-users');
    expect(store.interactionAt('/w/interactions.json', text.indexOf('"send-message"'))?.id).toBe('send-message');
    expect(store.interactionAt('/w/interactions.json', 0)).toBeUndefined();
    expect(store.interactionAt('/w/other.json', 10)).toBeUndefined();
  });

  it('flags an interaction defined in two files, on the later file', () => {
    const store = new SpecStore();
    store.put(loadSpec('/w/a.interactions.json', spec('slack', ['send-message'])));
    store.put(loadSpec('/w/b.interactions.json', spec('slack', ['send-message', 'sync-users'])));
    const diagnostics = store.diagnostics();
    expect(diagnostics.get('/w/a.interactions.json')).toEqual([]);
    const later = diagnostics.get('/w/b.interactions.json')!;
    expect(later).toHaveLength(1);
    expect(later[0]).toMatchObject({ severity: 'error', code: 'duplicate-id' });
    expect(later[0]!.message).toBe('interaction "slack/send-message" is also defined in /w/a.interactions.json; each interaction needs its own work folder');
    expect(later[0]!.range.start.line).toBe(10); // 0-based line of its "id" value
  });
});
