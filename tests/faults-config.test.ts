import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.ts';
import { describeStartupError, endpointOf, StartupError } from '../src/lib/startup-errors.ts';

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

describe('start-up failure lines', () => {
  it('are one line whatever was thrown, with no stack', () => {
    expect(describeStartupError(undefined)).toBe('unknown error (undefined)');
    expect(describeStartupError(null)).toBe('unknown error (null)');
    expect(describeStartupError('plain text')).toBe('plain text');
    expect(describeStartupError({ code: 'ECONNREFUSED' })).toBe('ECONNREFUSED');
    expect(describeStartupError(new Error('first line\n    at somewhere (file.ts:1:1)'))).toBe('first line');
    expect(describeStartupError(new StartupError('PORT: taken'))).toBe('PORT: taken');
  });

  it('name host:port of a URL, never its user or password', () => {
    expect(endpointOf('postgresql://agora:s3cret@db.example:6543/agora', 5432)).toBe('db.example:6543');
    expect(endpointOf('redis://:s3cret@cache.example', 6379)).toBe('cache.example:6379');
    expect(endpointOf('postgresql:///agora?host=/var/run/postgresql', 5432)).toBe('/var/run/postgresql:5432');
    expect(endpointOf('not a url with s3cret', 5432)).toBe('an unparsable address');
  });
});
