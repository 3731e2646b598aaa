import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { HostPort, RedisTarget } from './db/redis.ts';

export interface AppConfig {
  nodeEnv: 'development' | 'production' | 'test';
  host: string;
  port: number;
  /** Null means: run embedded PostgreSQL under `dataDir`. */
  databaseUrl: string | null;
  /**
   * The PostgreSQL itself when DATABASE_URL points at a transaction-pooling
   * PgBouncer: migrations and the outbox dispatcher hold session-level
   * advisory locks, which need one server connection throughout.
   */
  databaseDirectUrl: string | null;
  dbPoolSize: number;
  /** Streaming replicas query operations read from (README, "Read replicas"). */
  replicas: { urls: string[]; maxLagMs: number; checkIntervalMs: number };
  dataDir: string;
  embeddedPgPort: number;
  /** 'auto': seed demo data on the first start of the embedded database only. */
  seed: 'auto' | 'always' | 'never';
  redisUrl: string | null;
  /** The Redis to share state through (REDIS_URL, REDIS_CLUSTER_NODES or REDIS_SENTINELS); null = one instance, in process. */
  redis: RedisTarget | null;
  jwt: JwtConfig;
  session: { refreshTokenTtlSeconds: number; refreshOverlapSeconds: number };
  /** External OpenID Connect provider whose access tokens are accepted (resource-server mode). */
  oidc: { issuer: string; audience: string; jwksUrl: string } | null;
  /** See README, "Security model": per account+address (strict), per address, per account (high). */
  loginThrottle: {
    maxFailuresPerLogin: number;
    maxFailuresPerIp: number;
    windowSeconds: number;
    maxFailuresPerAccount: number;
    redisTimeoutMs: number;
  };
  /** Prefix of every Redis key and channel (REDIS_KEY_PREFIX): instances of one deployment share it, others don't collide. */
  redisKeyPrefix: string;
  /** RESPONSE_CACHE_TTL_SECONDS: how long a shared query response lives; 0 turns the cache off. */
  responseCacheTtlSeconds: number;
  /** Adds `extensions.sqlStatements` to responses (tests and benchmarks). */
  exposeSqlStats: boolean;
  /** Executions of a document before graphql-jit compiles it (src/server/compiled-executor.ts). */
  jitCompileAfter: number;
  logLevel: 'debug' | 'info' | 'warn' | 'error' | 'silent';
  realtime: RealtimeConfig;
  operationLimits: OperationLimitsConfig;
  faults: FaultConfig;
  /** What the server exposes beyond GraphQL itself: CORS, security headers, /metrics (README, "Security model"). */
  exposure: ExposureConfig;
  budgets: BudgetConfig;
}

export interface ExposureConfig {
  /** Exact browser origins allowed by CORS and the WebSocket Origin check (CORS_ORIGINS). */
  corsOrigins: string[];
  /** Any http://localhost / 127.0.0.1 / [::1] origin is allowed (the default outside production when CORS_ORIGINS is unset). */
  corsAllowLoopback: boolean;
  /** How long browsers may cache a preflight answer (CORS_MAX_AGE_SECONDS). */
  corsMaxAgeSeconds: number;
  /** TRUST_PROXY=1: X-Forwarded-Proto from the proxy in front is believed (for HSTS). */
  trustProxy: boolean;
  /** Strict-Transport-Security max-age on requests that arrived over TLS; 0 sends none (HSTS_MAX_AGE_SECONDS). */
  hstsMaxAgeSeconds: number;
  /** /metrics is served (METRICS_ENABLED; on outside production, or whenever METRICS_TOKEN is set). */
  metricsEnabled: boolean;
  /** When set, /metrics needs `Authorization: Bearer <token>` (METRICS_TOKEN). */
  metricsToken: string | null;
  /** The GraphQL IDE page at the GraphQL URL, its assets and /schema.graphql (IDE_ENABLED; on outside production). */
  ideEnabled: boolean;
}

/** Behaviour under infrastructure faults and at shutdown (see README, "Faults and shutdown"). */
interface FaultConfig {
  /** SIGTERM/SIGINT: time to drain requests, sockets and the outbox before connections are forced closed (SHUTDOWN_GRACE_MS). */
  shutdownGraceMs: number;
  /** A Redis command unanswered this long fails, and the feature gives its degraded answer (REDIS_COMMAND_TIMEOUT_MS). */
  redisCommandTimeoutMs: number;
  /** Longest wait for a pooled PostgreSQL connection before SERVICE_UNAVAILABLE (DB_ACQUIRE_TIMEOUT_MS). */
  dbAcquireTimeoutMs: number;
  /** Longest a transaction waits to start (queued for a connection) before SERVICE_UNAVAILABLE (DB_TX_MAX_WAIT_MS). */
  dbTxMaxWaitMs: number;
  /** Longest a transaction may run before it is rolled back (DB_TX_TIMEOUT_MS). */
  dbTxTimeoutMs: number;
}

/**
 * Static limits every operation must pass before it runs, on HTTP and
 * WebSocket alike (README, "Security model" > "Operation limits").
 */
export interface OperationLimitsConfig {
  /** Largest query document in bytes, checked before parsing (GRAPHQL_MAX_BYTES). */
  maxBytes: number;
  /** Parsing stops after this many tokens (GRAPHQL_MAX_TOKENS, graphql-js `maxTokens`). */
  maxTokens: number;
  /** Nested fields per operation; fragments add no depth of their own (GRAPHQL_MAX_DEPTH). */
  maxDepth: number;
  /** Aliased fields per operation (GRAPHQL_MAX_ALIASES). */
  maxAliases: number;
  /** Top-level fields per operation (GRAPHQL_MAX_ROOT_FIELDS). */
  maxRootFields: number;
  /** Directives per operation (GRAPHQL_MAX_DIRECTIVES). */
  maxDirectives: number;
  /** Schema introspection (`__schema`, `__type`) allowed (GRAPHQL_INTROSPECTION; off in production by default). */
  introspection: boolean;
  /** "Did you mean …" hints naming schema members in error messages (GRAPHQL_SUGGESTIONS; follows introspection by default). */
  suggestions: boolean;
}

/**
 * Static cost limit, point budgets and WebSocket bounds (README, "Security
 * model", "Cost and budgets"). A budget of 0 points turns that budget off.
 */
export interface BudgetConfig {
  /** Operations whose static cost exceeds this are refused before execution (MAX_OPERATION_COST). */
  maxOperationCost: number;
  /** Points each viewer (or anonymous client address) may spend per window (RATE_LIMIT_POINTS; 0 = off). */
  points: number;
  windowSeconds: number;
  /** sendMessage/createPost/createComment calls per viewer per window (RATE_LIMIT_WRITES; 0 = off). */
  writes: number;
  writesWindowSeconds: number;
  /** signUp calls per client address per window (RATE_LIMIT_SIGNUPS; 0 = off). */
  signUps: number;
  signUpsWindowSeconds: number;
  /** A Redis budget check slower than this falls back to local counting (RATE_LIMIT_REDIS_TIMEOUT_MS). */
  redisTimeoutMs: number;
  /** Subscribe messages per second on one socket (WS_MAX_OPERATIONS_PER_SECOND; 0 = off). */
  wsOperationsPerSecond: number;
  /** Anonymous sockets per client address on this instance (0 = off). */
  wsMaxAnonymousSocketsPerAddress: number;
  /** Anonymous sockets on this instance (0 = off). */
  wsMaxAnonymousSockets: number;
}

/** Real-time tuning; every value has an environment variable (see README, "Real-time"). */
export interface RealtimeConfig {
  /** OUTBOX_DISPATCH=off stops this instance publishing outbox events (tests, maintenance). */
  outboxDispatch: boolean;
  /** How often pending outbox events are polled for (OUTBOX_POLL_MS). */
  outboxPollMs: number;
  /** Published events are kept this long for resuming subscriptions (OUTBOX_RETENTION_HOURS). */
  outboxRetentionHours: number;
  presenceHeartbeatMs: number;
  /** An instance that has not beaten for this long no longer keeps users online. */
  presenceTtlMs: number;
  wsMaxSocketsPerUser: number;
  wsMaxSubscriptionsPerSocket: number;
  /** Largest client message accepted (ws maxPayload); bigger ones close with 1009. */
  wsMaxPayloadBytes: number;
  /** Socket send buffer (bufferedAmount) above which a slow socket is closed with 4293. */
  wsMaxBufferedBytes: number;
  /** Events queued per subscription before a slow consumer is closed with 4292. */
  subscriptionQueueLimit: number;
}

export type JwtConfig = {
  issuer: string;
  audience: string;
  accessTokenTtlSeconds: number;
} & ({ algorithm: 'HS256'; secret: string } | { algorithm: 'RS256' | 'ES256'; privateKey: string; publicKey: string });

export class ConfigError extends Error {}

type Env = Record<string, string | undefined>;

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const value = env[name];
  if (value === undefined || value === '') return fallback;
  if (!(allowed as readonly string[]).includes(value)) {
    throw new ConfigError(`${name} must be one of ${allowed.join(', ')} (got "${value}")`);
  }
  return value as T;
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const value = env[name];
  if (value === undefined || value === '') return fallback;
  const parsed = Number(value);
  if (!/^\d+$/.test(value) || parsed < min || parsed > max) {
    throw new ConfigError(`${name} must be an integer from ${min} to ${max} (got "${value}")`);
  }
  return parsed;
}

function url(env: Env, name: string, protocols: string[]): string | null {
  const value = env[name];
  if (value === undefined || value === '') return null;
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    throw new ConfigError(`${name} must be a URL like ${protocols[0]}//host:port/... (got an unparsable value)`);
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new ConfigError(`${name} must use ${protocols.join(' or ')} (got "${parsed.protocol}")`);
  }
  return value;
}

/** A comma-separated list of URLs, each checked as `url()` does. */
function urlList(env: Env, name: string, protocols: string[]): string[] {
  const entries = (env[name] ?? '').split(',').map((entry) => entry.trim());
  if (entries.length === 1 && entries[0] === '') return [];
  return entries.map((entry, i) => {
    if (entry === '') throw new ConfigError(`${name} has an empty entry (number ${i + 1})`);
    return url({ [name]: entry }, name, protocols)!;
  });
}

/** A comma-separated list of `host:port` entries. */
function hostPortList(env: Env, name: string): HostPort[] {
  const entries = (env[name] ?? '').split(',').map((entry) => entry.trim());
  if (entries.length === 1 && entries[0] === '') return [];
  return entries.map((entry, i) => {
    const colon = entry.lastIndexOf(':');
    const host = entry.slice(0, colon);
    const port = Number(entry.slice(colon + 1));
    if (colon <= 0 || !Number.isInteger(port) || port < 1 || port > 65535) {
      throw new ConfigError(`${name} entry number ${i + 1} must be host:port (got "${entry}")`);
    }
    return { host, port };
  });
}

/** At most one of REDIS_URL, REDIS_CLUSTER_NODES, REDIS_SENTINELS (+ REDIS_SENTINEL_NAME). */
function redisTarget(env: Env): RedisTarget | null {
  const redisUrl = url(env, 'REDIS_URL', ['redis:', 'rediss:']);
  const nodes = hostPortList(env, 'REDIS_CLUSTER_NODES');
  const sentinels = hostPortList(env, 'REDIS_SENTINELS');
  const name = env.REDIS_SENTINEL_NAME || null;
  const set = [redisUrl && 'REDIS_URL', nodes.length > 0 && 'REDIS_CLUSTER_NODES', sentinels.length > 0 && 'REDIS_SENTINELS'].filter(
    Boolean,
  );
  if (set.length > 1) throw new ConfigError(`${set[1]} cannot be combined with ${set[0]}: set only one Redis mode`);
  if (name && sentinels.length === 0) throw new ConfigError('REDIS_SENTINEL_NAME is set but REDIS_SENTINELS is not');
  if (sentinels.length > 0) {
    if (!name) throw new ConfigError('REDIS_SENTINEL_NAME is required when REDIS_SENTINELS is set');
    return { kind: 'sentinel', sentinels, name };
  }
  if (nodes.length > 0) return { kind: 'cluster', nodes };
  return redisUrl ? { kind: 'url', url: redisUrl } : null;
}

/**
 * Development keeps a random secret under the data dir so tokens survive
 * restarts; production must be given one.
 */
function jwtSecret(env: Env, nodeEnv: string, dataDir: string): string {
  const value = env.JWT_SECRET;
  if (value !== undefined && value !== '') {
    if (value.length < 32) throw new ConfigError('JWT_SECRET must be at least 32 characters');
    return value;
  }
  if (nodeEnv === 'production') throw new ConfigError('JWT_SECRET is required when NODE_ENV=production');
  if (nodeEnv === 'test') return randomBytes(32).toString('hex');
  const file = path.join(dataDir, 'jwt-secret');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(32).toString('hex');
  writeFileSync(file, secret, { mode: 0o600 });
  return secret;
}

function pemFile(env: Env, name: string): string {
  const file = env[name];
  if (!file) throw new ConfigError(`${name} is required when JWT_ALGORITHM is RS256 or ES256`);
  try {
    const pem = readFileSync(file, 'utf8');
    if (!pem.includes('-----BEGIN')) throw new Error('not PEM');
    return pem;
  } catch {
    throw new ConfigError(`${name} must name a readable PEM file (got "${file}")`);
  }
}

function jwtConfig(env: Env, nodeEnv: string, dataDir: string): JwtConfig {
  const base = {
    issuer: env.JWT_ISSUER || 'agora',
    audience: env.JWT_AUDIENCE || 'agora-api',
    accessTokenTtlSeconds: integer(env, 'ACCESS_TOKEN_TTL_SECONDS', 900, 1, 86_400),
  };
  const algorithm = oneOf(env, 'JWT_ALGORITHM', ['HS256', 'RS256', 'ES256'], 'HS256');
  if (algorithm === 'HS256') return { ...base, algorithm, secret: jwtSecret(env, nodeEnv, dataDir) };
  return { ...base, algorithm, privateKey: pemFile(env, 'JWT_PRIVATE_KEY_FILE'), publicKey: pemFile(env, 'JWT_PUBLIC_KEY_FILE') };
}

function oidcConfig(env: Env): AppConfig['oidc'] {
  const names = ['OIDC_ISSUER', 'OIDC_AUDIENCE', 'OIDC_JWKS_URL'] as const;
  const given = names.filter((n) => env[n]);
  if (given.length === 0) return null;
  if (given.length !== names.length) {
    throw new ConfigError(`${names.find((n) => !env[n])} is required when any of ${names.join(', ')} is set`);
  }
  return { issuer: env.OIDC_ISSUER!, audience: env.OIDC_AUDIENCE!, jwksUrl: url(env, 'OIDC_JWKS_URL', ['https:', 'http:'])! };
}

/** Reads and validates configuration; throws ConfigError naming the bad variable. */
export function loadConfig(env: Env = process.env): AppConfig {
  const nodeEnv = oneOf(env, 'NODE_ENV', ['development', 'production', 'test'], 'development');
  const dataDir = path.resolve(env.DATA_DIR || '.data');
  return {
    nodeEnv,
    host: env.HOST || '127.0.0.1',
    port: integer(env, 'PORT', 4000, 0, 65535),
    databaseUrl: url(env, 'DATABASE_URL', ['postgres:', 'postgresql:']),
    databaseDirectUrl: url(env, 'DATABASE_DIRECT_URL', ['postgres:', 'postgresql:']),
    dbPoolSize: integer(env, 'DB_POOL_SIZE', 10, 1, 500),
    replicas: {
      urls: urlList(env, 'DATABASE_REPLICA_URLS', ['postgres:', 'postgresql:']),
      maxLagMs: integer(env, 'DATABASE_REPLICA_MAX_LAG_MS', 5_000, 0, 3_600_000),
      checkIntervalMs: integer(env, 'DATABASE_REPLICA_CHECK_INTERVAL_MS', 1_000, 50, 600_000),
    },
    dataDir,
    embeddedPgPort: integer(env, 'EMBEDDED_PG_PORT', 54329, 1, 65535),
    seed: oneOf(env, 'SEED', ['auto', 'always', 'never'], 'auto'),
    redisUrl: url(env, 'REDIS_URL', ['redis:', 'rediss:']),
    redis: redisTarget(env),
    jwt: jwtConfig(env, nodeEnv, dataDir),
    session: {
      refreshTokenTtlSeconds: integer(env, 'REFRESH_TOKEN_TTL_SECONDS', 30 * 86_400, 60, 365 * 86_400),
      refreshOverlapSeconds: integer(env, 'REFRESH_OVERLAP_SECONDS', 10, 0, 300),
    },
    oidc: oidcConfig(env),
    loginThrottle: {
      maxFailuresPerLogin: integer(env, 'LOGIN_MAX_FAILURES', 5, 1, 1000),
      maxFailuresPerIp: integer(env, 'LOGIN_MAX_FAILURES_PER_IP', 50, 1, 100_000),
      windowSeconds: integer(env, 'LOGIN_LOCKOUT_SECONDS', 900, 1, 86_400),
      maxFailuresPerAccount: integer(env, 'LOGIN_MAX_FAILURES_PER_ACCOUNT', 100, 1, 1_000_000),
      redisTimeoutMs: integer(env, 'LOGIN_THROTTLE_REDIS_TIMEOUT_MS', 500, 10, 60_000),
    },
    redisKeyPrefix: env.REDIS_KEY_PREFIX || 'agora:',
    // Tests opt in; elsewhere 30 s bounds what a write no mutation names (README, "Response cache") can leave behind.
    responseCacheTtlSeconds: integer(env, 'RESPONSE_CACHE_TTL_SECONDS', nodeEnv === 'test' ? 0 : 30, 0, 86_400),
    exposeSqlStats: oneOf(env, 'SQL_STATS', ['0', '1'], '0') === '1',
    // Tests compile on first use, so every operation they send runs compiled.
    jitCompileAfter: integer(env, 'GRAPHQL_JIT_COMPILE_AFTER', nodeEnv === 'test' ? 1 : 2, 1, 1_000_000),
    logLevel: oneOf(env, 'LOG_LEVEL', ['debug', 'info', 'warn', 'error', 'silent'], nodeEnv === 'test' ? 'warn' : 'info'),
    realtime: realtimeConfig(env),
    faults: faultConfig(env),
    exposure: exposureConfig(env, nodeEnv),
    operationLimits: operationLimitsConfig(env, nodeEnv),
    budgets: budgetConfig(env),
  };
}

/** One browser origin as the Origin header carries it: scheme://host[:port], nothing more. */
function corsOrigin(entry: string): string {
  let parsed: URL | undefined;
  try {
    parsed = new URL(entry);
  } catch {
    parsed = undefined;
  }
  if (entry === '*') {
    throw new ConfigError(
      'CORS_ORIGINS cannot be "*": credentials are allowed, so list each origin exactly (e.g. https://app.example.com)',
    );
  }
  if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') || parsed.origin !== entry) {
    const hint = parsed && parsed.origin !== 'null' ? ` (did you mean "${parsed.origin}"?)` : '';
    throw new ConfigError(
      `CORS_ORIGINS entries must be origins like https://app.example.com, without path or trailing slash (got "${entry}")${hint}`,
    );
  }
  return entry;
}

function exposureConfig(env: Env, nodeEnv: string): ExposureConfig {
  const list = env.CORS_ORIGINS?.trim();
  const corsOrigins = list ? list.split(',').map((entry) => corsOrigin(entry.trim())) : [];
  const metricsToken = env.METRICS_TOKEN || null;
  if (metricsToken !== null && metricsToken.length < 16) throw new ConfigError('METRICS_TOKEN must be at least 16 characters');
  const metricsDefault = metricsToken !== null || nodeEnv !== 'production' ? '1' : '0';
  return {
    corsOrigins,
    corsAllowLoopback: !list && nodeEnv !== 'production',
    corsMaxAgeSeconds: integer(env, 'CORS_MAX_AGE_SECONDS', 600, 0, 86_400),
    trustProxy: oneOf(env, 'TRUST_PROXY', ['0', '1'], '0') === '1',
    hstsMaxAgeSeconds: integer(env, 'HSTS_MAX_AGE_SECONDS', 15_552_000, 0, 63_072_000),
    metricsEnabled: oneOf(env, 'METRICS_ENABLED', ['0', '1'], metricsDefault) === '1',
    metricsToken,
    ideEnabled: oneOf(env, 'IDE_ENABLED', ['0', '1'], nodeEnv === 'production' ? '0' : '1') === '1',
  };
}

function operationLimitsConfig(env: Env, nodeEnv: string): OperationLimitsConfig {
  const introspection = oneOf(env, 'GRAPHQL_INTROSPECTION', ['on', 'off'], nodeEnv === 'production' ? 'off' : 'on') === 'on';
  return {
    maxBytes: integer(env, 'GRAPHQL_MAX_BYTES', 32_768, 256, 2_097_152),
    maxTokens: integer(env, 'GRAPHQL_MAX_TOKENS', 5_000, 100, 1_000_000),
    maxDepth: integer(env, 'GRAPHQL_MAX_DEPTH', 10, 2, 1_000),
    maxAliases: integer(env, 'GRAPHQL_MAX_ALIASES', 15, 0, 10_000),
    maxRootFields: integer(env, 'GRAPHQL_MAX_ROOT_FIELDS', 20, 1, 10_000),
    maxDirectives: integer(env, 'GRAPHQL_MAX_DIRECTIVES', 20, 0, 10_000),
    introspection,
    suggestions: oneOf(env, 'GRAPHQL_SUGGESTIONS', ['on', 'off'], introspection ? 'on' : 'off') === 'on',
  };
}

function realtimeConfig(env: Env): RealtimeConfig {
  return {
    outboxDispatch: oneOf(env, 'OUTBOX_DISPATCH', ['on', 'off'], 'on') === 'on',
    outboxPollMs: integer(env, 'OUTBOX_POLL_MS', 1_000, 50, 60_000),
    outboxRetentionHours: integer(env, 'OUTBOX_RETENTION_HOURS', 168, 1, 87_600),
    presenceHeartbeatMs: integer(env, 'PRESENCE_HEARTBEAT_MS', 5_000, 100, 60_000),
    presenceTtlMs: integer(env, 'PRESENCE_TTL_MS', 15_000, 300, 600_000),
    wsMaxSocketsPerUser: integer(env, 'WS_MAX_SOCKETS_PER_USER', 16, 1, 10_000),
    wsMaxSubscriptionsPerSocket: integer(env, 'WS_MAX_SUBSCRIPTIONS_PER_SOCKET', 64, 1, 10_000),
    wsMaxPayloadBytes: integer(env, 'WS_MAX_PAYLOAD_BYTES', 65_536, 1_024, 104_857_600),
    wsMaxBufferedBytes: integer(env, 'WS_MAX_BUFFERED_BYTES', 4_194_304, 1_024, 1_073_741_824),
    subscriptionQueueLimit: integer(env, 'SUBSCRIPTION_QUEUE_LIMIT', 1_000, 1, 1_000_000),
  };
}

function faultConfig(env: Env): FaultConfig {
  return {
    shutdownGraceMs: integer(env, 'SHUTDOWN_GRACE_MS', 10_000, 0, 600_000),
    redisCommandTimeoutMs: integer(env, 'REDIS_COMMAND_TIMEOUT_MS', 1_000, 50, 60_000),
    dbAcquireTimeoutMs: integer(env, 'DB_ACQUIRE_TIMEOUT_MS', 10_000, 100, 600_000),
    dbTxMaxWaitMs: integer(env, 'DB_TX_MAX_WAIT_MS', 10_000, 100, 600_000),
    dbTxTimeoutMs: integer(env, 'DB_TX_TIMEOUT_MS', 15_000, 100, 600_000),
  };
}

function budgetConfig(env: Env): BudgetConfig {
  return {
    maxOperationCost: integer(env, 'MAX_OPERATION_COST', 5_000, 1, 100_000_000),
    points: integer(env, 'RATE_LIMIT_POINTS', 100_000, 0, 1_000_000_000),
    windowSeconds: integer(env, 'RATE_LIMIT_WINDOW_SECONDS', 60, 1, 86_400),
    writes: integer(env, 'RATE_LIMIT_WRITES', 600, 0, 1_000_000),
    writesWindowSeconds: integer(env, 'RATE_LIMIT_WRITES_WINDOW_SECONDS', 60, 1, 86_400),
    signUps: integer(env, 'RATE_LIMIT_SIGNUPS', 1_000, 0, 1_000_000),
    signUpsWindowSeconds: integer(env, 'RATE_LIMIT_SIGNUPS_WINDOW_SECONDS', 3_600, 1, 86_400),
    redisTimeoutMs: integer(env, 'RATE_LIMIT_REDIS_TIMEOUT_MS', 500, 10, 60_000),
    wsOperationsPerSecond: integer(env, 'WS_MAX_OPERATIONS_PER_SECOND', 100, 0, 1_000_000),
    wsMaxAnonymousSocketsPerAddress: integer(env, 'WS_MAX_ANONYMOUS_SOCKETS_PER_ADDRESS', 64, 0, 1_000_000),
    wsMaxAnonymousSockets: integer(env, 'WS_MAX_ANONYMOUS_SOCKETS', 10_000, 0, 10_000_000),
  };
}
