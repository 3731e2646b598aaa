import { defineConfig } from 'vitest/config';

export default defineConfig({
  // graphql 16 ships CJS (main) and ESM (module) builds without an exports
  // map: Node loads the CJS one for Apollo Server, Vite would pick the ESM
  // one for our code, and two graphql instances break `instanceof` checks.
  resolve: { alias: { graphql: 'graphql/index.js' } },
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
