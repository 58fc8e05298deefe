import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Tests import workspace packages from source, so a test run never depends on a stale build;
// tests that spawn child processes use the built dist (npm test builds first).
const src = (p: string) => fileURLToPath(new URL(p, import.meta.url));

export default defineConfig({
  resolve: {
    alias: [
      // Tests run in Node, so they get the Node entry, as the package's `node` export condition gives Node.
      { find: /^@odpkit\/sdk$/, replacement: src('./packages/sdk/src/index.node.ts') },
      { find: /^@odpkit\/sdk\/segments$/, replacement: src('./packages/sdk/src/segments.ts') },
      { find: /^@odpkit\/sdk\/limits$/, replacement: src('./packages/sdk/src/limits.ts') },
      { find: /^@odpkit\/server$/, replacement: src('./packages/server/src/index.ts') },
      // The SQLite writer thread cannot start from .ts source: tests start it from an entry bundled on the fly.
      {
        find: /^\.\/writer-location\.js$/,
        replacement: src('./packages/server/test/helpers/sqlite-writer-location.ts'),
      },
    ],
  },
  test: {
    include: ['packages/*/test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    reporters: ['default', './tools/plain-summary-reporter.ts'],
  },
});
