import { Redis } from 'ioredis';
import type { Logger } from '../lib/logger.ts';

/** A Redis connection that logs its lifecycle; nothing connects before `connect()`. */
export function createRedis(url: string, name: string, logger: Logger): Redis {
  const redis = new Redis(url, {
    lazyConnect: true,
    connectionName: name,
    maxRetriesPerRequest: null,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
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
