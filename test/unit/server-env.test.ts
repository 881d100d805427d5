// What the opencode server is started with, and what never reaches a transcript on disk.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { providerCredentials, serverEnvironment } from '../../src/core/agent/server';
import { newRunRecord } from '../../src/core/runs/record';
import { RunStore } from '../../src/core/runs/store';

describe('the opencode server’s environment', () => {
  const env = {
    PATH: '/usr/bin',
    HOME: '/home/u',
    LANG: 'C.UTF-8',
    XDG_DATA_HOME: '/x',
    ANTHROPIC_API_KEY: 'sk-ant-123456789',
    OPENAI_BASE_URL: 'https://proxy.example',
    AWS_PROFILE: 'dev',
    MY_PROVIDER_API_KEY: 'k-123456789',
    OPENCODE_DISABLE_AUTOUPDATE: '1',
    NANGO_SECRET_KEY: 'nango-secret-123',
    NANGO_SECRET_KEY_DEV: 'nango-secret-456',
    IB_HARNESS_TOKEN: 'tok-123456789',
    OPENCODE_SERVER_PASSWORD: 'pw-123456789',
    DATABASE_URL: 'postgres://u:p@db/x',
    GITHUB_TOKEN: 'ghp_123456789',
    SSH_AUTH_SOCK: '/tmp/ssh',
  };

  it('keeps the system’s variables, opencode’s switches and model providers’ credentials, nothing else', () => {
    expect(Object.keys(serverEnvironment(env)).sort()).toEqual([
      'ANTHROPIC_API_KEY',
      'AWS_PROFILE',
      'GITHUB_TOKEN',
      'HOME',
      'LANG',
      'MY_PROVIDER_API_KEY',
      'OPENAI_BASE_URL',
      'OPENCODE_DISABLE_AUTOUPDATE',
      'PATH',
      'XDG_DATA_HOME',
    ]);
  });

  it('names the credentials among them (to redact)', () => {
    expect(Object.keys(providerCredentials(env)).sort()).toEqual(['ANTHROPIC_API_KEY', 'GITHUB_TOKEN', 'MY_PROVIDER_API_KEY']);
  });
});

describe('redaction', () => {
  it('a secret an agent printed is [redacted] in its transcript and record', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'ib-redact-'));
    try {
      const store = new RunStore(root);
      store.redact(['nango-secret-123', 'short']);
      await store.appendTranscript('api/one', 1, [{ type: 'tool.finished', output: 'NANGO_SECRET_KEY=nango-secret-123\n' }]);
      const run = newRunRecord({
        key: 'api/one',
        integrationId: 'api',
        interactionId: 'one',
        specFile: 'x',
        folder: '/f',
        demo: false,
        now: new Date().toISOString(),
      });
      run.finalText = 'the key is nango-secret-123';
      await store.save(run);
      await store.flush();
      const text = readFileSync(store.transcriptOf('api/one', 1), 'utf8') + readFileSync(store.fileOf('api/one'), 'utf8');
      expect(text).not.toContain('nango-secret-123');
      expect(text).toContain('NANGO_SECRET_KEY=[redacted]');
      expect(text).toContain('the key is [redacted]');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
