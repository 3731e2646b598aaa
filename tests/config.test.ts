import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const SECRET = 's'.repeat(32);

function refusal(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
}

describe('configuration', () => {
  it.each([
    [{ PORT: 'abc' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ PORT: '-1' }, 'PORT'],
    [{ PORT: '80.5' }, 'PORT'],
    [{ DATABASE_URL: 'mysql://root@localhost:3306/agora' }, 'DATABASE_URL'],
    [{ DATABASE_URL: 'not a url' }, 'DATABASE_URL'],
    [{ REDIS_URL: 'http://localhost:6379' }, 'REDIS_URL'],
    [{ NODE_ENV: 'staging' }, 'NODE_ENV'],
    [{ DB_POOL_SIZE: '0' }, 'DB_POOL_SIZE'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ JWT_SECRET: 'too-short' }, 'JWT_SECRET'],
    [{ GRAPHQL_JIT_COMPILE_AFTER: '0' }, 'GRAPHQL_JIT_COMPILE_AFTER'],
    [{ DATABASE_REPLICA_URLS: 'postgresql://r1/agora,mysql://r2/agora' }, 'DATABASE_REPLICA_URLS'],
    [{ DATABASE_REPLICA_URLS: 'postgresql://r1/agora,,postgresql://r2/agora' }, 'DATABASE_REPLICA_URLS'],
    [{ DATABASE_REPLICA_URLS: 'not a url' }, 'DATABASE_REPLICA_URLS'],
    [{ DATABASE_REPLICA_MAX_LAG_MS: 'soon' }, 'DATABASE_REPLICA_MAX_LAG_MS'],
    [{ DATABASE_REPLICA_CHECK_INTERVAL_MS: '10' }, 'DATABASE_REPLICA_CHECK_INTERVAL_MS'],
    [{ REDIS_CLUSTER_NODES: 'r1:7000,r2' }, 'REDIS_CLUSTER_NODES'],
    [{ REDIS_CLUSTER_NODES: 'r1:7000,,r2:7000' }, 'REDIS_CLUSTER_NODES'],
    [{ REDIS_CLUSTER_NODES: 'r1:70000' }, 'REDIS_CLUSTER_NODES'],
    [{ REDIS_URL: 'redis://r:6379', REDIS_CLUSTER_NODES: 'r1:7000' }, 'REDIS_CLUSTER_NODES'],
    [{ REDIS_URL: 'redis://r:6379', REDIS_SENTINELS: 's1:26379', REDIS_SENTINEL_NAME: 'm' }, 'REDIS_SENTINELS'],
    [{ REDIS_SENTINELS: 's1:26379' }, 'REDIS_SENTINEL_NAME'],
    [{ REDIS_SENTINEL_NAME: 'mymaster' }, 'REDIS_SENTINELS'],
    [{ REDIS_SENTINELS: ':26379', REDIS_SENTINEL_NAME: 'm' }, 'REDIS_SENTINELS'],
  ])('refuses %j with a message naming %s', (env, name) => {
    expect(refusal({ NODE_ENV: 'test', JWT_SECRET: SECRET, ...env }).message).toContain(name);
  });

  it('refuses NODE_ENV=production without JWT_SECRET', () => {
    const error = refusal({ NODE_ENV: 'production', DATABASE_URL: 'postgresql://db/agora' });
    expect(error.message).toContain('JWT_SECRET');
    expect(refusal({ NODE_ENV: 'production', JWT_SECRET: '' }).message).toContain('JWT_SECRET');
  });

  it('accepts a valid production configuration', () => {
    const config = loadConfig({
      NODE_ENV: 'production',
      PORT: '8080',
      DATABASE_URL: 'postgres://u:p@db:5432/agora',
      JWT_SECRET: SECRET,
      REDIS_URL: 'redis://cache:6379',
    });
    expect(config).toMatchObject({
      nodeEnv: 'production',
      port: 8080,
      databaseUrl: 'postgres://u:p@db:5432/agora',
      redisUrl: 'redis://cache:6379',
      jitCompileAfter: 2,
    });
    expect(config.jwt).toMatchObject({ algorithm: 'HS256', secret: SECRET });
    expect(config.replicas).toEqual({ urls: [], maxLagMs: 5_000, checkIntervalMs: 1_000 });
  });

  it('reads the Redis mode: a URL, cluster seed nodes, or Sentinels and a master name', () => {
    const base = { NODE_ENV: 'test', JWT_SECRET: SECRET };
    expect(loadConfig(base).redis).toBeNull();
    expect(loadConfig({ ...base, REDIS_URL: 'redis://cache:6379' }).redis).toEqual({ kind: 'url', url: 'redis://cache:6379' });
    expect(loadConfig({ ...base, REDIS_CLUSTER_NODES: 'r1:7000, 10.0.0.2:7001' }).redis).toEqual({
      kind: 'cluster',
      nodes: [
        { host: 'r1', port: 7000 },
        { host: '10.0.0.2', port: 7001 },
      ],
    });
    expect(loadConfig({ ...base, REDIS_SENTINELS: 's1:26379,s2:26380', REDIS_SENTINEL_NAME: 'agora' }).redis).toEqual({
      kind: 'sentinel',
      sentinels: [
        { host: 's1', port: 26379 },
        { host: 's2', port: 26380 },
      ],
      name: 'agora',
    });
  });

  it('reads DATABASE_REPLICA_URLS as a comma-separated list (spaces around entries allowed)', () => {
    const config = loadConfig({
      NODE_ENV: 'test',
      JWT_SECRET: SECRET,
      DATABASE_REPLICA_URLS: 'postgresql://u:p@r1:5432/agora, postgres://u:p@r2/agora',
      DATABASE_REPLICA_MAX_LAG_MS: '250',
    });
    expect(config.replicas).toEqual({
      urls: ['postgresql://u:p@r1:5432/agora', 'postgres://u:p@r2/agora'],
      maxLagMs: 250,
      checkIntervalMs: 1_000,
    });
  });

  it('exits non-zero with one line naming PORT when started with PORT=abc', async () => {
    const env: Record<string, string | undefined> = { ...process.env, NODE_ENV: 'test', PORT: 'abc', LOG_LEVEL: 'silent' };
    delete env.DATABASE_URL;
    const child = spawn('npx', ['tsx', 'src/main.ts'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    // npm may warn about the machine's own npm config; that is not Agora's output.
    const lines = output.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('npm warn'));
    expect(code).not.toBe(0);
    expect(code).not.toBeNull();
    expect(lines, output).toHaveLength(1);
    expect(lines[0]).toContain('PORT');
    expect(lines[0]).toContain('abc');
    expect(output).not.toMatch(/\n\s+at /); // no stack trace
  }, 60_000);
});
