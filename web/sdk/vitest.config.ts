import { defineConfig } from 'vitest/config';

// Unit tests: fast, no network, no engine. The browser tests pick happy-dom per file.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/e2e/**', 'node_modules/**'],
    environment: 'node',
    testTimeout: 10_000,
  },
});
