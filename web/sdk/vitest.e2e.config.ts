import { defineConfig } from 'vitest/config';

// End-to-end: builds and starts the real engine (Go), a small Node "host app", and drives
// Debian's headless Chromium through playwright-core. Run with `npm run e2e`.
export default defineConfig({
  test: {
    include: ['test/e2e/**/*.e2e.test.ts'],
    environment: 'node',
    globalSetup: ['test/e2e/global-setup.ts'],
    testTimeout: 90_000,
    hookTimeout: 240_000,
    fileParallelism: false,
  },
});
