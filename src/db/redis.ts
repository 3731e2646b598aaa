import { Redis } from 'ioredis';
import type { Logger } from '../lib/logger.ts';

/** Default command timeout of Redis connections that answer requests (REDIS_COMMAND_TIMEOUT_MS). */
export const DEFAULT_REDIS_COMMAND_TIMEOUT_MS = 1_000;

/**
 * A Redis connection that logs its lifecycle; nothing connects before `connect()`.
 *
 * `failFast` (every connection that answers a request): while Redis is
 * unreachable a command fails at once (no offline queue) instead of waiting
 * for the reconnect, and a command Redis does not answer fails after
 * `commandTimeoutMs`; callers then give their degraded answer. The pub/sub
 * subscriber connection is not fail-fast: its SUBSCRIBEs wait for the
 * reconnect, and durable subscriptions replay what they missed from the outbox.
 */
export function createRedis(
  url: string,
  name: string,
  logger: Logger,
  failFast: { commandTimeoutMs: number } | null = { commandTimeoutMs: DEFAULT_REDIS_COMMAND_TIMEOUT_MS },
): Redis {
  const redis = new Redis(url, {
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
  });
  redis.on('error', (error) => logger.warn('redis error', { connection: name, error: error.message }));
  redis.on('reconnecting', () => logger.warn('redis reconnecting', { connection: name }));
  redis.on('ready', () => logger.debug('redis ready', { connection: name }));
  return redis;
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
export async function closeRedis(redis: Redis, timeoutMs = DEFAULT_REDIS_COMMAND_TIMEOUT_MS): Promise<void> {
  if (redis.status === 'ready') {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([redis.quit().catch(() => {}), new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
    clearTimeout(timer);
  }
  redis.disconnect();
}
