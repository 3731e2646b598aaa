import { Redis } from 'ioredis';
import type { Logger } from '../lib/logger.ts';

/** A Redis connection that logs its state changes; connects lazily. */
export function createRedis(url: string, logger: Logger, name: string): Redis {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 3, connectionName: name });
  redis.on('ready', () => logger.info('redis ready', { connection: name }));
  redis.on('error', (error) => logger.warn('redis error', { connection: name, error: error.message }));
  redis.on('reconnecting', () => logger.info('redis reconnecting', { connection: name }));
  return redis;
}
