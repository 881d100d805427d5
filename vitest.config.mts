import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts', 'test/integration/**/*.test.ts'],
    environment: 'node',
    reporters: ['default'],
    // Integration tests start real opencode servers: give them room; unit tests finish in ms anyway.
    testTimeout: 90_000,
    hookTimeout: 60_000,
    // Two cores: one integration file at a time keeps opencode start-up times sane.
    fileParallelism: false,
  },
});
