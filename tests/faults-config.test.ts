import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.ts';

describe('fault and shutdown settings', () => {
  it('have defaults and read their environment variables', () => {
    expect(loadConfig({ NODE_ENV: 'test' }).faults).toEqual({
      shutdownGraceMs: 10_000,
      redisCommandTimeoutMs: 1_000,
      dbAcquireTimeoutMs: 10_000,
      dbTxMaxWaitMs: 10_000,
      dbTxTimeoutMs: 15_000,
    });
    const env = {
      NODE_ENV: 'test',
      SHUTDOWN_GRACE_MS: '0',
      REDIS_COMMAND_TIMEOUT_MS: '250',
      DB_ACQUIRE_TIMEOUT_MS: '500',
      DB_TX_MAX_WAIT_MS: '600',
      DB_TX_TIMEOUT_MS: '700',
    } as const;
    expect(loadConfig(env).faults).toEqual({
      shutdownGraceMs: 0,
      redisCommandTimeoutMs: 250,
      dbAcquireTimeoutMs: 500,
      dbTxMaxWaitMs: 600,
      dbTxTimeoutMs: 700,
    });
  });

  it.each([
    ['SHUTDOWN_GRACE_MS', '-1'],
    ['SHUTDOWN_GRACE_MS', '10s'],
    ['REDIS_COMMAND_TIMEOUT_MS', '0'],
    ['DB_ACQUIRE_TIMEOUT_MS', 'soon'],
    ['DB_TX_MAX_WAIT_MS', '99'],
    ['DB_TX_TIMEOUT_MS', '1e9'],
  ])('refuses %s=%s with an error naming the variable', (name, value) => {
    expect(() => loadConfig({ NODE_ENV: 'test', [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ NODE_ENV: 'test', [name]: value })).toThrow(name);
  });
});
