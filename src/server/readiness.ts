import { Cluster } from 'ioredis';
import type { RedisClient } from '../db/redis.ts';
import type pg from 'pg';
import { readMigrations } from '../db/migrate.ts';
import type { ReplicaStatus } from '../db/replicas.ts';
import type { Logger } from '../lib/logger.ts';

type Check = 'ok' | 'down' | 'pending' | 'unknown' | 'not configured';

export interface ReadinessReport {
  status: 'ok' | 'unavailable';
  /** Each dependency's state; anything but "ok"/"not configured" makes the instance unready. */
  checks: { database: Check; migrations: Check; redis: Check };
  /**
   * Read replicas and whether each is in rotation (DATABASE_REPLICA_URLS). Informational:
   * with every replica out, reads go to the primary, so the instance stays ready.
   */
  replicas?: Record<string, { inRotation: boolean; lagMs: number | null }>;
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error('timed out')), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/**
 * Readiness (GET /ready), separate from liveness (GET /health): the database
 * answers, every migration this build ships is applied, and Redis answers
 * when one is configured. A load balancer takes an unready instance out of
 * rotation; an orchestrator restarts only one that fails liveness.
 */
export function readiness(options: {
  pool: pg.Pool;
  redis: RedisClient | null;
  replicas?: () => ReplicaStatus[];
  timeoutMs: number;
  logger: Logger;
}) {
  const { pool, redis, timeoutMs } = options;
  const shipped = readMigrations().then((all) => all.map((m) => m.name));
  let migrationsApplied = false; // once true, stays true for this process

  async function database(): Promise<{ database: Check; migrations: Check }> {
    try {
      if (migrationsApplied) {
        await withTimeout(pool.query('SELECT 1'), Math.max(timeoutMs, 2_000));
        return { database: 'ok', migrations: 'ok' };
      }
      const names = await shipped;
      const { rows } = await withTimeout(
        pool.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM "_prisma_migrations"
           WHERE migration_name = ANY($1::text[]) AND finished_at IS NOT NULL AND rolled_back_at IS NULL`,
          [names],
        ),
        Math.max(timeoutMs, 2_000),
      );
      migrationsApplied = rows[0]!.n === names.length;
      return { database: 'ok', migrations: migrationsApplied ? 'ok' : 'pending' };
    } catch {
      return { database: 'down', migrations: migrationsApplied ? 'ok' : 'unknown' };
    }
  }

  async function cache(): Promise<Check> {
    if (!redis) return 'not configured';
    try {
      // A cluster is up when every master answers: while one is dead and
      // its replica not yet promoted, the keys and channels of its slots are
      // unreachable. (A PING to the cluster would go to any one node.)
      const nodes = redis instanceof Cluster ? redis.nodes('master') : [redis];
      if (nodes.length === 0) return 'down'; // a cluster connection that lost every node
      await withTimeout(Promise.all(nodes.map((node) => node.ping())), timeoutMs);
      return 'ok';
    } catch {
      return 'down';
    }
  }

  return async function check(): Promise<ReadinessReport> {
    const [db, redisState] = await Promise.all([database(), cache()]);
    const checks = { ...db, redis: redisState };
    const ok = checks.database === 'ok' && checks.migrations === 'ok' && checks.redis !== 'down';
    const report: ReadinessReport = { status: ok ? 'ok' : 'unavailable', checks };
    if (options.replicas) report.replicas = replicaStates(options.replicas());
    return report;
  };
}

function replicaStates(statuses: ReplicaStatus[]): NonNullable<ReadinessReport['replicas']> {
  return Object.fromEntries(statuses.map((r) => [r.name, { inRotation: r.inRotation, lagMs: r.lagMs }]));
}
