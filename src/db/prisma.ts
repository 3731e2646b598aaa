import { AsyncLocalStorage } from 'node:async_hooks';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaClient } from './generated/client.ts';
import type { Logger } from '../lib/logger.ts';

export type Db = PrismaClient;

/** Per-operation SQL statement counter, read into `extensions.sqlStatements`. */
export interface SqlStats {
  statements: number;
}
export const sqlStatsStorage = new AsyncLocalStorage<SqlStats>();

export interface Database {
  prisma: Db;
  pool: pg.Pool;
  close(): Promise<void>;
}

/** Creates the pool and Prisma client; nothing connects until the first query. */
export function createDatabase(connectionString: string, poolSize: number, logger: Logger): Database {
  const pool = new pg.Pool({ connectionString, max: poolSize });
  let closing = false;
  // While shutting down, idle connections dropped by the server are expected
  // (embedded PostgreSQL stops on the same signal).
  pool.on('error', (error) => (closing ? logger.debug : logger.error)('postgres pool error', { error: error.message }));
  pool.on('connect', (client) => {
    // Count statements where they really happen (the wire), attributed to the
    // GraphQL operation whose async context issued them.
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    (client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
      const stats = sqlStatsStorage.getStore();
      if (stats) stats.statements += 1;
      return query(...args);
    };
  });
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
  return {
    prisma,
    pool,
    async close() {
      closing = true;
      await prisma.$disconnect();
      await pool.end();
    },
  };
}
