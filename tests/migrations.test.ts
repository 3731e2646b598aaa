import { createHash, randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { diffSchemas } from '../scripts/schema-engine.ts';
import { MIGRATIONS_DIR, migrate } from '../src/db/migrate.ts';
import { createLogger } from '../src/lib/logger.ts';
import { withDatabase } from './helpers/global-setup.ts';

const SCHEMA_PATH = path.resolve(import.meta.dirname, '../prisma/schema.prisma');
// Written by hand on purpose: Prisma cannot express an expression index.
const HAND_WRITTEN = new Set(['Post_search_idx']);
const logger = createLogger('silent');

/** A fresh, empty database on the test server (dropped by the global teardown). */
async function emptyDatabase(admin: pg.Client): Promise<string> {
  const name = `${inject('templateDatabase')}_mig_${randomBytes(4).toString('hex')}`;
  await admin.query(`CREATE DATABASE "${name}" TEMPLATE template0`);
  return withDatabase(inject('pgAdminUrl'), name);
}

async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** A copy of `source` (which nobody may be connected to), dropped by the global teardown. */
async function cloneDatabase(admin: pg.Client, source: string): Promise<string> {
  const name = `${inject('templateDatabase')}_mig_${randomBytes(4).toString('hex')}`;
  await admin.query(`CREATE DATABASE "${name}" TEMPLATE "${new URL(source).pathname.slice(1)}"`);
  return withDatabase(inject('pgAdminUrl'), name);
}

// Foreign keys with no index led by their first column. Without one, deleting
// or re-keying a referenced row (ON DELETE CASCADE / SET NULL, or just the
// existence check) scans the whole referencing table, once per row deleted.
// Partial and not-yet-valid indexes don't count: they can't serve that lookup.
const UNINDEXED_FOREIGN_KEYS = `
  SELECT cl.relname AS "table", co.conname AS "constraint", a.attname AS "column"
  FROM pg_constraint co
  JOIN pg_class cl ON cl.oid = co.conrelid
  JOIN pg_namespace n ON n.oid = cl.relnamespace
  JOIN pg_attribute a ON a.attrelid = co.conrelid AND a.attnum = co.conkey[1]
  WHERE co.contype = 'f' AND n.nspname = 'public'
    AND NOT EXISTS (
      SELECT 1 FROM pg_index i
      WHERE i.indrelid = co.conrelid AND i.indkey[0] = co.conkey[1] AND i.indpred IS NULL AND i.indisvalid
    )
  ORDER BY 1, 2`;

async function unindexedForeignKeys(url: string): Promise<{ table: string; constraint: string; column: string }[]> {
  return withClient(url, async (c) => (await c.query(UNINDEXED_FOREIGN_KEYS)).rows);
}

/** Everything about the public schema that Prisma's model decides. */
async function catalog(url: string) {
  return withClient(url, async (c) => {
    const q = async (sql: string) => (await c.query(sql)).rows;
    return {
      tables: await q(`SELECT table_name FROM information_schema.tables
        WHERE table_schema = 'public' AND table_name <> '_prisma_migrations' ORDER BY 1`),
      // Column order is left out: ALTER TABLE appends, a fresh CREATE follows
      // the model, and neither Prisma nor queries depend on it.
      columns: await q(`SELECT table_name, column_name, data_type, udt_name, is_nullable, column_default,
          character_maximum_length, numeric_precision, datetime_precision
        FROM information_schema.columns
        WHERE table_schema = 'public' AND table_name <> '_prisma_migrations' ORDER BY 1, 2`),
      indexes: (
        await q(`SELECT tablename, indexname, indexdef FROM pg_indexes
        WHERE schemaname = 'public' AND tablename <> '_prisma_migrations' ORDER BY 1, 2`)
      ).filter((r) => !HAND_WRITTEN.has(r.indexname)),
      constraints: await q(`SELECT cl.relname AS table_name, co.conname, co.contype, pg_get_constraintdef(co.oid) AS definition
        FROM pg_constraint co JOIN pg_class cl ON cl.oid = co.conrelid JOIN pg_namespace n ON n.oid = cl.relnamespace
        WHERE n.nspname = 'public' AND cl.relname <> '_prisma_migrations' ORDER BY 1, 2`),
      enums: await q(`SELECT t.typname, array_agg(e.enumlabel ORDER BY e.enumsortorder) AS labels
        FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid JOIN pg_namespace n ON n.oid = t.typnamespace
        WHERE n.nspname = 'public' GROUP BY 1 ORDER BY 1`),
    };
  });
}

describe('migrations', () => {
  let admin: pg.Client;
  let migrated: string;
  let schema: string;
  beforeAll(async () => {
    admin = new pg.Client({ connectionString: inject('pgAdminUrl') });
    await admin.connect();
    migrated = await emptyDatabase(admin);
    await migrate(migrated, logger);
    schema = await readFile(SCHEMA_PATH, 'utf8');
  });
  afterAll(() => admin.end());

  /** The database Prisma would create from `datamodel` on an empty server. */
  async function fromDatamodel(datamodel: string): Promise<string> {
    const sql = await diffSchemas(null, { path: 'schema.prisma', content: datamodel }, inject('pgAdminUrl'));
    expect(sql).toContain('CREATE TABLE');
    const url = await emptyDatabase(admin);
    await withClient(url, (c) => c.query(sql));
    return url;
  }

  it('produce exactly the database schema.prisma describes', { timeout: 120_000 }, async () => {
    const expected = await catalog(await fromDatamodel(schema));
    const actual = await catalog(migrated);
    expect(actual.tables.length).toBeGreaterThan(0);
    expect(actual.enums.length).toBeGreaterThan(0);
    expect(actual.tables).toEqual(expected.tables);
    expect(actual.enums).toEqual(expected.enums);
    expect(actual.columns).toEqual(expected.columns);
    expect(actual.indexes).toEqual(expected.indexes);
    expect(actual.constraints).toEqual(expected.constraints);
  });

  it('notice when schema.prisma changes without a migration', { timeout: 120_000 }, async () => {
    // The comparison above must be sensitive to drift: model an unmigrated edit.
    const edited = schema
      .replace(/(model Post \{\n)/, '$1  pinned Boolean @default(false)\n')
      .replace('@@index([authorId])', '@@index([authorId, createdAt])');
    expect(edited).not.toBe(schema);
    const drifted = await catalog(await fromDatamodel(edited));
    const actual = await catalog(migrated);
    expect(actual.columns).not.toEqual(drifted.columns);
    expect(actual.indexes).not.toEqual(drifted.indexes);
  });

  it('give every foreign key an index led by its first column', async () => {
    const offenders = await unindexedForeignKeys(migrated);
    const listed = offenders.map((o) => `${o.table}.${o.column} (${o.constraint})`).join(', ');
    expect(offenders, `foreign keys without an index led by their column: ${listed}`).toEqual([]);
  });

  it('notice a foreign key whose index is dropped', async () => {
    // The check above must be able to fail: drop one index in a copy.
    const copy = await cloneDatabase(admin, migrated);
    expect(await unindexedForeignKeys(copy)).toEqual([]);
    await withClient(copy, (c) => c.query('DROP INDEX "Notification_commentId_idx"'));
    expect(await unindexedForeignKeys(copy)).toEqual([
      { table: 'Notification', constraint: 'Notification_commentId_fkey', column: 'commentId' },
    ]);
  });

  it('keep the hand-written search index', async () => {
    const rows = await withClient(
      migrated,
      async (c) => (await c.query(`SELECT indexdef FROM pg_indexes WHERE indexname = 'Post_search_idx'`)).rows,
    );
    expect(rows).toHaveLength(1);
    expect(rows[0].indexdef).toMatch(/USING gin \(to_tsvector\('english'::regconfig/);
  });

  it('are recorded in _prisma_migrations with sha256 checksums, and re-running applies nothing', async () => {
    const dirs = (await readdir(MIGRATIONS_DIR, { withFileTypes: true }))
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .sort();
    expect(dirs.length).toBeGreaterThanOrEqual(2);
    const expected = await Promise.all(
      dirs.map(async (name) => ({
        migration_name: name,
        checksum: createHash('sha256')
          .update(await readFile(path.join(MIGRATIONS_DIR, name, 'migration.sql')))
          .digest('hex'),
      })),
    );
    const read = () =>
      withClient(
        migrated,
        async (c) =>
          (
            await c.query(`SELECT id, migration_name, checksum, finished_at, rolled_back_at, applied_steps_count, logs
          FROM "_prisma_migrations" ORDER BY migration_name`)
          ).rows,
      );
    const rows = await read();
    expect(rows.map((r) => ({ migration_name: r.migration_name, checksum: r.checksum }))).toEqual(expected);
    for (const row of rows) {
      expect(row.checksum).toMatch(/^[0-9a-f]{64}$/);
      expect(row.finished_at).toBeInstanceOf(Date);
      expect(row.rolled_back_at).toBeNull();
      expect(row.applied_steps_count).toBe(1);
    }

    // Re-running leaves both the bookkeeping and the schema as they were.
    const schemaBefore = await catalog(migrated);
    expect(await migrate(migrated, logger)).toEqual([]);
    expect(await migrate(migrated, logger)).toEqual([]);
    expect(await read()).toEqual(rows);
    expect(await catalog(migrated)).toEqual(schemaBefore);
  });

  it('apply every migration on an empty database and report their names', async () => {
    const url = await emptyDatabase(admin);
    const applied = await migrate(url, logger);
    const dirs = (await readdir(MIGRATIONS_DIR, { withFileTypes: true }))
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .sort();
    expect(applied).toEqual(dirs);
  });
});
