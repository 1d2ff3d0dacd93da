import { defineConfig } from 'vitest/config';

// Integration tests start real nats-server, ffmpeg and Chromium processes; on a
// 2-core machine more than two files at once only makes them time out.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: ['default', './test/support/summary-reporter.ts'],
  },
});
