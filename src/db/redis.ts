import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { Logger } from '../lib/logger.ts';

/** Default command timeout of Redis connections that answer requests (REDIS_COMMAND_TIMEOUT_MS). */
export const DEFAULT_REDIS_COMMAND_TIMEOUT_MS = 1_000;

/** How often a cluster connection re-reads the slot map (CLUSTER SLOTS), to notice a failover. */
const SLOTS_REFRESH_MS = 5_000;

export interface HostPort {
  host: string;
  port: number;
}

/**
 * Where Redis is (exactly one of REDIS_URL, REDIS_CLUSTER_NODES,
 * REDIS_SENTINELS + REDIS_SENTINEL_NAME).
 */
export type RedisTarget =
  | { kind: 'url'; url: string }
  | { kind: 'cluster'; nodes: HostPort[] }
  | { kind: 'sentinel'; sentinels: HostPort[]; name: string };

/** A connection to a single Redis (direct or found through Sentinel) or to a Redis Cluster. */
export type RedisClient = Redis | Cluster;

/**
 * In a cluster, keys that one MULTI, pipeline or script touches together must
 * hash to one slot: `{name}` makes Redis hash only `name`. Elsewhere keys keep
 * their plain names, exactly as before clusters were supported.
 */
export function hashTagged(target: RedisTarget, name: string): string {
  return target.kind === 'cluster' ? `{${name}}` : name;
}

/**
 * A Redis connection that logs its lifecycle; nothing connects before `connect()`.
 *
 * `failFast` (every connection that answers a request): while Redis is
 * unreachable a command fails at once (no offline queue) instead of waiting
 * for the reconnect, and a command Redis does not answer fails after
 * `commandTimeoutMs`; callers then give their degraded answer. The pub/sub
 * subscriber connection is not fail-fast: its SUBSCRIBEs wait for the
 * reconnect, and durable subscriptions replay what they missed from the outbox.
 * A cluster subscriber uses sharded pub/sub: one subscriber connection per
 * master, each carrying only its shard's channels.
 */
export function createRedis(
  target: RedisTarget,
  name: string,
  logger: Logger,
  failFast: { commandTimeoutMs: number } | null = { commandTimeoutMs: DEFAULT_REDIS_COMMAND_TIMEOUT_MS },
): RedisClient {
  const options: RedisOptions = {
    lazyConnect: true,
    connectionName: name,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
    ...(failFast
      ? {
          enableOfflineQueue: false,
          commandTimeout: failFast.commandTimeoutMs,
          maxRetriesPerRequest: 1,
          connectTimeout: Math.max(failFast.commandTimeoutMs, 2_000),
        }
      : { maxRetriesPerRequest: null }),
  };
  const redis = connectTo(target, options, failFast === null);
  redis.on('error', (error) => logger.warn('redis error', { connection: name, error: error.message }));
  redis.on('reconnecting', () => logger.warn('redis reconnecting', { connection: name }));
  redis.on('ready', () => logger.debug('redis ready', { connection: name }));
  return redis;
}

function connectTo(target: RedisTarget, options: RedisOptions, subscriber: boolean): RedisClient {
  if (target.kind === 'url') return new Redis(target.url, options);
  if (target.kind === 'sentinel') return new Redis({ ...options, sentinels: target.sentinels, name: target.name });
  const { retryStrategy, enableOfflineQueue, lazyConnect, ...redisOptions } = options;
  return new Cluster(target.nodes, {
    lazyConnect,
    enableOfflineQueue: enableOfflineQueue ?? true,
    clusterRetryStrategy: retryStrategy,
    // A restarted master is reconnected to, not only rediscovered on MOVED.
    clusterNodeRetryStrategy: retryStrategy,
    // ioredis re-reads the slot map only when a command meets MOVED or a
    // closed connection (periodic refresh is off by default): after a
    // failover, a connection with no traffic to the dead master's slots
    // would keep it in its map, and /ready, which pings every known master,
    // would stay down.
    slotsRefreshInterval: SLOTS_REFRESH_MS,
    shardedSubscribers: subscriber,
    redisOptions,
  });
}

/** CLIENT SETNAME value: `<prefix><role>`, so an operator can tell deployments and roles apart. */
export function connectionName(prefix: string, role: string): string {
  return `${prefix}${role}`.replace(/[^\w:.-]/g, '_');
}

/**
 * Closes a connection without waiting on an absent Redis: QUIT when it is
 * connected (bounded by `timeoutMs`), otherwise drop it (a queued QUIT on a
 * reconnecting connection would wait for Redis to come back).
 */
export async function closeRedis(redis: RedisClient, timeoutMs = DEFAULT_REDIS_COMMAND_TIMEOUT_MS): Promise<void> {
  if (redis.status === 'ready') {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([redis.quit().catch(() => {}), new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
    clearTimeout(timer);
  }
  redis.disconnect();
}
