import type { RedisClient } from './redis.ts';
import type { Logger } from '../lib/logger.ts';
import { createDatabase, sqlStatsStorage, type Database, type DatabaseLimits, type Db } from './prisma.ts';

/**
 * Read replicas (DATABASE_REPLICA_URLS): query operations read from a
 * streaming replica in rotation; mutations, transactions and the outbox stay
 * on the primary. Read-your-writes by LSN: after a viewer's mutation the
 * primary's WAL position is remembered for that viewer (in-process, and in
 * Redis when configured so every instance honours it); that viewer's reads
 * go to the primary until a replica has replayed past it.
 */

interface ReplicaOptions {
  urls: string[];
  /** A replica further behind than this is out of rotation (DATABASE_REPLICA_MAX_LAG_MS). */
  maxLagMs: number;
  /** How often each replica's health and replay position are checked (DATABASE_REPLICA_CHECK_INTERVAL_MS). */
  checkIntervalMs: number;
}

export interface ReplicaStatus {
  /** `replica1`, `replica2`, … in DATABASE_REPLICA_URLS order (no hosts or credentials). */
  name: string;
  inRotation: boolean;
  /** Replay lag at the last check (0 when it has replayed everything received); null when unreachable. */
  lagMs: number | null;
}

export interface ReadRouter {
  /** The client a query operation of this viewer reads from. */
  readDb(viewerId: string | null): Promise<Db>;
  /** Called after a viewer's mutation: its reads stay on the primary until a replica replays this commit. */
  wrote(viewerId: string): Promise<void>;
  status(): ReplicaStatus[];
  close(): Promise<void>;
}

interface Replica {
  name: string;
  database: Database;
  inRotation: boolean;
  lagMs: number | null;
  replayLsn: bigint;
}

/** `16/B374D848` → a number comparable with `<`. */
function parseLsn(text: string): bigint {
  const [high, low] = text.split('/');
  return (BigInt(`0x${high}`) << 32n) | BigInt(`0x${low}`);
}

/** Replay position and lag; a server that is not in recovery (a promoted replica) reports its own WAL end. */
const HEALTH_SQL = `SELECT
  COALESCE(pg_last_wal_replay_lsn(), pg_current_wal_lsn())::text AS lsn,
  CASE WHEN NOT pg_is_in_recovery() OR pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
       ELSE EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()) * 1000 END::float8 AS lag_ms`;

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('replica health check timed out')), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function checkReplica(replica: Replica, options: ReplicaOptions, logger: Logger): Promise<void> {
  const was = replica.inRotation;
  try {
    const { rows } = await withTimeout(
      replica.database.pool.query<{ lsn: string; lag_ms: number | null }>(HEALTH_SQL),
      Math.max(options.checkIntervalMs, 1_000),
    );
    const lag = rows[0]!.lag_ms;
    replica.replayLsn = parseLsn(rows[0]!.lsn);
    replica.lagMs = lag === null ? null : Math.max(0, Math.round(lag));
    // Nothing replayed yet while WAL waits (lag unknown): not in rotation.
    replica.inRotation = replica.lagMs !== null && replica.lagMs <= options.maxLagMs;
  } catch (error) {
    replica.inRotation = false;
    replica.lagMs = null;
    if (was) logger.warn('read replica out of rotation', { replica: replica.name, error: String(error) });
    return;
  }
  if (was !== replica.inRotation) {
    const message = replica.inRotation ? 'read replica in rotation' : 'read replica out of rotation (lagging)';
    logger.warn(message, { replica: replica.name, lagMs: replica.lagMs });
  }
}

/** The WAL positions viewers wrote up to, kept while a replica could still be behind them. */
function writeMarks(redis: RedisClient | null, keyPrefix: string, ttlMs: number, logger: Logger) {
  const local = new Map<string, { lsn: bigint; expires: number }>();
  const key = (viewerId: string) => `${keyPrefix}replica:wrote:${viewerId}`;
  return {
    async set(viewerId: string, lsn: bigint): Promise<void> {
      local.delete(viewerId); // re-inserted last: the map stays in expiry order
      local.set(viewerId, { lsn, expires: Date.now() + ttlMs });
      for (const [id, mark] of local) {
        if (mark.expires > Date.now()) break;
        local.delete(id);
      }
      await redis?.set(key(viewerId), lsn.toString(), 'PX', ttlMs).catch((error) => {
        logger.warn('read-your-writes mark not shared (Redis)', { error: String(error) });
      });
    },
    /** The viewer's last write position; 'unknown' when Redis cannot say (then read from the primary). */
    async get(viewerId: string): Promise<bigint | null | 'unknown'> {
      const mark = local.get(viewerId);
      if (mark && mark.expires > Date.now()) return mark.lsn;
      if (!redis) return null;
      try {
        const shared = await redis.get(key(viewerId));
        return shared === null ? null : BigInt(shared);
      } catch {
        return 'unknown';
      }
    },
  };
}

/** Past any replay position: the viewer reads from the primary until the mark expires. */
const UNKNOWN_POSITION = 1n << 64n;

/** The primary's WAL end now, i.e. after the mutation's commit; unknown if the primary does not answer. */
async function currentWalLsn(primary: Database, logger: Logger): Promise<bigint> {
  try {
    // Not the operation's statement: outside its SQL count.
    const { rows } = await sqlStatsStorage.exit(() => primary.pool.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn'));
    return parseLsn(rows[0]!.lsn);
  } catch (error) {
    logger.warn('commit position unknown: reads stay on the primary', { error: String(error) });
    return UNKNOWN_POSITION;
  }
}

interface RouterDeps {
  primary: Database;
  options: ReplicaOptions;
  poolSize: number;
  limits: DatabaseLimits;
  redis: RedisClient | null;
  keyPrefix: string;
  logger: Logger;
}

/** Opens the replica pools, checks them at once and then every `checkIntervalMs`. */
export async function createReadRouter(d: RouterDeps): Promise<ReadRouter> {
  const replicas: Replica[] = d.options.urls.map((url, i) => ({
    name: `replica${i + 1}`,
    database: createDatabase(url, d.poolSize, d.logger, d.limits),
    inRotation: false,
    lagMs: null,
    replayLsn: 0n,
  }));
  for (const replica of replicas) {
    // A pooled connection dropped by the server (a restart, an outage): out at
    // once rather than at the next check, which brings it back when healthy.
    replica.database.pool.on('error', () => {
      if (replica.inRotation) d.logger.warn('read replica out of rotation (connection lost)', { replica: replica.name });
      replica.inRotation = false;
    });
  }
  const checkAll = () => Promise.all(replicas.map((r) => checkReplica(r, d.options, d.logger)));
  await checkAll();
  let checking: Promise<unknown> | null = null;
  const timer = setInterval(() => {
    checking ??= checkAll().finally(() => (checking = null));
  }, d.options.checkIntervalMs);
  timer.unref();
  // A mark outlives any replica still in rotation: one further behind is out.
  const marks = writeMarks(d.redis, d.keyPrefix, d.options.maxLagMs + 2 * d.options.checkIntervalMs + 1_000, d.logger);
  let next = 0;
  return {
    async readDb(viewerId) {
      const healthy = replicas.filter((r) => r.inRotation);
      if (healthy.length === 0) return d.primary.prisma;
      const wrote = viewerId ? await marks.get(viewerId) : null;
      if (wrote === 'unknown') return d.primary.prisma;
      const caughtUp = wrote === null ? healthy : healthy.filter((r) => r.replayLsn >= wrote);
      if (caughtUp.length === 0) return d.primary.prisma;
      next = (next + 1) % caughtUp.length;
      return caughtUp[next]!.database.prisma;
    },
    async wrote(viewerId) {
      await marks.set(viewerId, await currentWalLsn(d.primary, d.logger));
    },
    status: () => replicas.map((r) => ({ name: r.name, inRotation: r.inRotation, lagMs: r.lagMs })),
    async close() {
      clearInterval(timer);
      await checking;
      await Promise.all(replicas.map((r) => r.database.close()));
    },
  };
}
