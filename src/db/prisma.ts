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
  /**
   * For session state (advisory locks held across statements): `pool`
   * itself, or one connection to `directUrl` when `pool` goes through a
   * transaction-pooling PgBouncer.
   */
  sessionPool: pg.Pool;
  /** SQL statements sent since start, whoever sent them (agora_db_statements_total). */
  statements(): number;
  close(): Promise<void>;
}

/**
 * Saturation and outage bounds. A request that cannot get a connection or
 * start its transaction within these waits in the pool's queue, then fails
 * with an error classified as SERVICE_UNAVAILABLE (lib/infra-errors.ts).
 */
export interface DatabaseLimits {
  acquireTimeoutMs: number;
  txMaxWaitMs: number;
  txTimeoutMs: number;
}

const DEFAULT_LIMITS: DatabaseLimits = { acquireTimeoutMs: 10_000, txMaxWaitMs: 10_000, txTimeoutMs: 15_000 };

/** Creates the pool and Prisma client; nothing connects until the first query. */
export function createDatabase(
  connectionString: string,
  poolSize: number,
  logger: Logger,
  limits: DatabaseLimits = DEFAULT_LIMITS,
  directUrl: string | null = null,
): Database {
  const pool = new pg.Pool({ connectionString, max: poolSize, connectionTimeoutMillis: limits.acquireTimeoutMs });
  // One is enough: the dispatcher drains one batch at a time.
  const sessionPool = directUrl
    ? new pg.Pool({ connectionString: directUrl, max: 1, connectionTimeoutMillis: limits.acquireTimeoutMs })
    : pool;
  if (sessionPool !== pool) sessionPool.on('error', (error) => logger.debug('postgres direct connection lost', { error: error.message }));
  let closing = false;
  let statements = 0;
  // An idle connection dropped by the server (a restart, an outage): the
  // pool replaces it, and requests report the outage themselves. While
  // shutting down it is expected (embedded PostgreSQL stops on the same
  // signal when Ctrl-C reaches the whole process group).
  pool.on('error', (error) => (closing ? logger.debug : logger.warn)('postgres pool error', { error: error.message }));
  pool.on('connect', (client) => {
    // A connection lost while checked out fails its query (reported by the
    // request); without a listener its 'error' event would end the process.
    client.on('error', (error) => logger.debug('postgres connection lost', { error: error.message }));
    // Count statements where they really happen (the wire), attributed to the
    // GraphQL operation whose async context issued them.
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    (client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
      const stats = sqlStatsStorage.getStore();
      if (stats) stats.statements += 1;
      statements += 1;
      return query(...args);
    };
  });
  // Prisma's default maxWait (2 s) failed transactions queued behind a busy
  // pool; they now wait as long as a plain query would for its connection.
  const prisma = new PrismaClient({
    adapter: new PrismaPg(pool),
    transactionOptions: { maxWait: limits.txMaxWaitMs, timeout: limits.txTimeoutMs },
  });
  return {
    prisma,
    pool,
    sessionPool,
    statements: () => statements,
    async close() {
      closing = true;
      await prisma.$disconnect();
      await pool.end();
      if (sessionPool !== pool) await sessionPool.end();
    },
  };
}
