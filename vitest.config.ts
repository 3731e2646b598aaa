import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);

export default defineConfig({
  resolve: {
    // Node resolves `graphql` to its CommonJS build (what Apollo Server and
    // graphql-ws load); Vite would pick `index.mjs` for our sources. Two copies
    // break `instanceof GraphQLError`, so every Apollo error got masked in
    // tests only. Use the one copy Node uses in production.
    alias: [{ find: /^graphql$/, replacement: require.resolve('graphql') }],
  },
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
