import { Cluster, Redis } from 'ioredis';
import pg from 'pg';
import { endpointOf, reasonOf, StartupError } from '../lib/startup-errors.ts';
import type { RedisClient, RedisTarget } from './redis.ts';

/**
 * Before anything is migrated or seeded, the configured PostgreSQL and Redis
 * must answer, each within `timeoutMs` (a black-holed host fails instead of
 * hanging the start). A failure names the setting and its host:port, never
 * the password in the URL. Both are checked at once; every failure is named.
 */
export async function checkServices(
  urls: { databaseUrl: string | null; databaseDirectUrl: string | null; redis: RedisTarget | null },
  timeoutMs: number,
): Promise<void> {
  const checks = [
    urls.databaseUrl ? checkPostgres('DATABASE_URL', urls.databaseUrl, timeoutMs) : null,
    urls.databaseDirectUrl ? checkPostgres('DATABASE_DIRECT_URL', urls.databaseDirectUrl, timeoutMs) : null,
    urls.redis ? checkRedis(urls.redis, timeoutMs) : null,
  ];
  const failures = (await Promise.allSettled(checks)).flatMap((result) =>
    result.status === 'rejected' ? [(result.reason as Error).message] : [],
  );
  if (failures.length > 0) throw new StartupError(failures.join('; '));
}

async function checkPostgres(setting: string, url: string, timeoutMs: number): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs });
  // A connection lost after the check is not this check's concern.
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('SELECT 1');
  } catch (error) {
    throw unreachable(setting, endpointOf(url, 5432), error, timeoutMs);
  } finally {
    await client.end().catch(() => {});
  }
}

/** The setting a Redis target comes from, and where it points (never a password). */
function redisSetting(target: RedisTarget): [setting: string, endpoint: string] {
  if (target.kind === 'url') return ['REDIS_URL', endpointOf(target.url, 6379)];
  const list = (nodes: { host: string; port: number }[]) => nodes.map((n) => `${n.host}:${n.port}`).join(',');
  if (target.kind === 'cluster') return ['REDIS_CLUSTER_NODES', list(target.nodes)];
  return ['REDIS_SENTINELS', `${list(target.sentinels)} (master "${target.name}")`];
}

/** A connection that tries once: the real connections retry later. */
function probe(target: RedisTarget, timeoutMs: number): RedisClient {
  const options = { lazyConnect: true, connectTimeout: timeoutMs, commandTimeout: timeoutMs, maxRetriesPerRequest: 0 };
  if (target.kind === 'cluster') {
    return new Cluster(target.nodes, {
      lazyConnect: true,
      enableOfflineQueue: false,
      clusterRetryStrategy: () => null,
      redisOptions: options,
    });
  }
  const once = { ...options, retryStrategy: () => null, enableOfflineQueue: false };
  if (target.kind === 'url') return new Redis(target.url, once);
  return new Redis({ ...once, sentinels: target.sentinels, name: target.name, sentinelRetryStrategy: () => null });
}

async function checkRedis(target: RedisTarget, timeoutMs: number): Promise<void> {
  const redis = probe(target, timeoutMs);
  let lastError: unknown;
  redis.on('error', (error) => (lastError = error));
  let timer: NodeJS.Timeout | undefined;
  // connectTimeout and commandTimeout bound each step; this bounds the whole.
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })), timeoutMs);
  });
  try {
    await Promise.race([redis.connect().then(() => redis.ping()), timeout]);
  } catch (error) {
    const timedOut = (error as { code?: unknown }).code === 'ETIMEDOUT';
    throw unreachable(...redisSetting(target), timedOut ? error : (lastError ?? error), timeoutMs);
  } finally {
    clearTimeout(timer);
    redis.disconnect();
  }
}

function unreachable(setting: string, endpoint: string, error: unknown, timeoutMs: number): StartupError {
  const reason = reasonOf(error);
  const timedOut = reason === 'ETIMEDOUT' || /timeout|timed out/i.test(reason);
  return new StartupError(`${setting}: cannot connect to ${endpoint} (${timedOut ? `no answer within ${timeoutMs} ms` : reason})`);
}
