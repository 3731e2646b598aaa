import { defineConfig } from 'vitest/config';

export default defineConfig({
  // Node resolves `graphql` to its CommonJS entry (the package has no
  // "exports"); Vite would pick its "module" build for our sources only, and
  // graphql-js refuses a schema from the other copy. Resolve as Node does.
  resolve: { alias: [{ find: /^graphql$/, replacement: 'graphql/index.js' }] },
  test: {
    include: ['tests/**/*.test.ts'],
    // One PostgreSQL for the run (TEST_DATABASE_URL or embedded); each test
    // file clones its own fresh database from a migrated template.
    globalSetup: ['tests/helpers/global-setup.ts'],
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 120_000,
    teardownTimeout: 60_000,
  },
});
