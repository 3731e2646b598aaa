import type { RedisClient } from '../db/redis.ts';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import type pg from 'pg';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ExposureConfig } from '../config.ts';
import type { ReplicaStatus } from '../db/replicas.ts';
import type { Logger } from '../lib/logger.ts';
import type { CompiledExecutorEvents } from './compiled-executor.ts';

/** What the server reports about itself; read lazily at scrape time where it can be. */
export interface MetricSources {
  pool: pg.Pool;
  /** SQL statements sent since start (src/db/prisma.ts). */
  statements: () => number;
  redis: RedisClient | null;
  /** Open sockets and running subscriptions (set once the WebSocket server exists). */
  ws?: () => { sockets: number; subscriptions: number };
  /** Operations graphql-jit has compiled and keeps (src/server/compiled-executor.ts). */
  compiledQueries?: () => number;
  /** Read replicas' rotation and lag, as of their last health check (src/db/replicas.ts). */
  replicas?: () => ReplicaStatus[];
}

type Transport = 'http' | 'ws';

export interface Metrics {
  readonly registry: Registry;
  /** One GraphQL operation's outcome (an HTTP request, or a WebSocket subscribe message): "ok" or its first error's code. */
  operation(transport: Transport, operationName: string | null | undefined, errors: readonly ErrorLike[] | undefined): void;
  /** Errors sent to a client, by code (every response and subscription event). */
  errors(transport: Transport, errors: readonly ErrorLike[] | undefined): void;
  /** Counts the response by route and status, and times it, once it is sent. */
  observeResponse(route: string, res: ServerResponse): void;
  /** The compiled executor's compilations and graphql-js fallbacks. */
  executor: CompiledExecutorEvents;
  sources: MetricSources;
}

type ErrorLike = { extensions?: { code?: unknown } | Record<string, unknown> };

// Label values clients can influence are bounded: operation names are
// GraphQL names of a client's choosing, so after this many distinct ones the
// rest are counted as "other" instead of growing the registry without end.
const MAX_OPERATION_LABELS = 200;
const MAX_LABEL_LENGTH = 64;
// A scrape never waits long on a database that is down.
const OUTBOX_QUERY_TIMEOUT_MS = 2_000;

function codeOf(error: ErrorLike): string {
  const code = error.extensions?.code;
  return typeof code === 'string' ? code.slice(0, MAX_LABEL_LENGTH) : 'INTERNAL_SERVER_ERROR';
}

/** Oldest unpublished outbox event's age and the number waiting, in one query shared by both gauges. */
function outboxReader(pool: pg.Pool, logger: Logger) {
  let pending: Promise<{ backlog: number; lagSeconds: number }> | null = null;
  const query = async () => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('outbox metrics query timed out')), OUTBOX_QUERY_TIMEOUT_MS);
      timer.unref();
    });
    try {
      const { rows } = await Promise.race([
        pool.query<{ backlog: number; lag: number | null }>(
          `SELECT count(*)::int AS backlog, EXTRACT(EPOCH FROM (now() - min("createdAt")))::float8 AS lag
             FROM "Event" WHERE "publishedAt" IS NULL`,
        ),
        timeout,
      ]);
      return { backlog: rows[0]!.backlog, lagSeconds: Math.max(0, rows[0]!.lag ?? 0) };
    } catch (error) {
      logger.warn('outbox metrics unavailable', { error: String(error) });
      return { backlog: Number.NaN, lagSeconds: Number.NaN };
    } finally {
      clearTimeout(timer);
    }
  };
  return () => (pending ??= query().finally(() => (pending = null)));
}

export function createMetrics(sources: MetricSources, logger: Logger): Metrics {
  // One registry per server instance (tests run several in one process).
  const registry = new Registry();
  collectDefaultMetrics({ register: registry }); // process, heap, GC, event-loop lag

  const operations = new Counter({
    name: 'agora_graphql_operations_total',
    help: 'GraphQL operations by transport, operation name and outcome ("ok" or the first error code)',
    labelNames: ['transport', 'operation', 'outcome'] as const,
    registers: [registry],
  });
  const errorsByCode = new Counter({
    name: 'agora_graphql_errors_total',
    help: 'GraphQL errors sent to clients, by transport and code',
    labelNames: ['transport', 'code'] as const,
    registers: [registry],
  });
  const responses = new Counter({
    name: 'agora_http_responses_total',
    help: 'HTTP responses by route and status',
    labelNames: ['route', 'status'] as const,
    registers: [registry],
  });
  const durations = new Histogram({
    name: 'agora_http_request_duration_seconds',
    help: 'HTTP request duration until the response is sent, by route',
    labelNames: ['route'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  registerConnectionGauges(registry, sources);
  registerOutboxAndRedisGauges(registry, sources, logger);
  if (sources.replicas) registerReplicaGauges(registry, sources.replicas);
  const executor = registerExecutorMetrics(registry, sources);
  const operationLabel = operationLabeler();
  const countErrors = (transport: Transport, errors: readonly ErrorLike[] | undefined) => {
    for (const error of errors ?? []) errorsByCode.inc({ transport, code: codeOf(error) });
  };

  return {
    registry,
    sources,
    operation(transport, operationName, errors) {
      const outcome = errors?.length ? codeOf(errors[0]!) : 'ok';
      operations.inc({ transport, operation: operationLabel(operationName), outcome });
    },
    errors: countErrors,
    executor,
    observeResponse(route, res) {
      const stopTimer = durations.startTimer({ route });
      res.once('finish', () => {
        responses.inc({ route, status: String(res.statusCode) });
        stopTimer();
      });
    },
  };
}

/** Each read replica: in rotation or not, and its replay lag (-1 when unreachable). */
function registerReplicaGauges(registry: Registry, replicas: () => ReplicaStatus[]): void {
  new Gauge({
    name: 'agora_db_replica_in_rotation',
    help: 'Read replica in rotation (1) or out (0: down or lagging past DATABASE_REPLICA_MAX_LAG_MS)',
    labelNames: ['replica'] as const,
    registers: [registry],
    collect() {
      for (const r of replicas()) this.set({ replica: r.name }, r.inRotation ? 1 : 0);
    },
  });
  new Gauge({
    name: 'agora_db_replica_lag_seconds',
    help: 'Read replica replay lag at its last health check (-1: unreachable)',
    labelNames: ['replica'] as const,
    registers: [registry],
    collect() {
      for (const r of replicas()) this.set({ replica: r.name }, r.lagMs === null ? -1 : r.lagMs / 1000);
    },
  });
}

/** Sockets, subscriptions and the PostgreSQL pool, read when scraped. */
function registerConnectionGauges(registry: Registry, sources: MetricSources): void {
  new Gauge({
    name: 'agora_ws_connections',
    help: 'Open WebSocket connections',
    registers: [registry],
    collect() {
      this.set(sources.ws?.().sockets ?? 0);
    },
  });
  new Gauge({
    name: 'agora_ws_subscriptions',
    help: 'Running GraphQL subscriptions over WebSocket',
    registers: [registry],
    collect() {
      this.set(sources.ws?.().subscriptions ?? 0);
    },
  });
  // Counted on the wire, whatever issued them: subscription events too, which no operation's count covers.
  new Counter({
    name: 'agora_db_statements_total',
    help: 'SQL statements sent to PostgreSQL',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(sources.statements());
    },
  });
  // Read before the outbox gauges: their query would otherwise show up as a waiting or busy connection.
  new Gauge({
    name: 'agora_db_pool_connections',
    help: 'PostgreSQL pool connections by state',
    labelNames: ['state'] as const,
    registers: [registry],
    collect() {
      const { totalCount, idleCount } = sources.pool;
      this.set({ state: 'in_use' }, totalCount - idleCount);
      this.set({ state: 'idle' }, idleCount);
    },
  });
  new Gauge({
    name: 'agora_db_pool_waiting',
    help: 'Queries waiting for a PostgreSQL pool connection',
    registers: [registry],
    collect() {
      this.set(sources.pool.waitingCount);
    },
  });
}

/** The outbox backlog and lag (one query per scrape) and Redis readiness. */
function registerOutboxAndRedisGauges(registry: Registry, sources: MetricSources, logger: Logger): void {
  const outbox = outboxReader(sources.pool, logger);
  new Gauge({
    name: 'agora_outbox_backlog',
    help: 'Outbox events committed but not yet published',
    registers: [registry],
    async collect() {
      this.set((await outbox()).backlog);
    },
  });
  new Gauge({
    name: 'agora_outbox_lag_seconds',
    help: 'Age of the oldest unpublished outbox event (0 when none waits)',
    registers: [registry],
    async collect() {
      this.set((await outbox()).lagSeconds);
    },
  });
  if (sources.redis) {
    const redis = sources.redis;
    new Gauge({
      name: 'agora_redis_connected',
      help: 'Whether the Redis command connection is ready (1) or not (0)',
      registers: [registry],
      collect() {
        this.set(redis.status === 'ready' ? 1 : 0);
      },
    });
  }
}

/** graphql-jit compilations, graphql-js fallbacks, and the compiled operations kept. */
function registerExecutorMetrics(registry: Registry, sources: MetricSources): CompiledExecutorEvents {
  const compiled = new Counter({
    name: 'agora_executor_compilations_total',
    help: 'Operations compiled by graphql-jit (once per document and operation name while cached)',
    registers: [registry],
  });
  const fallbacks = new Counter({
    name: 'agora_executor_fallbacks_total',
    help: 'Executions run by graphql-js instead: "no_operation" (the document names none to run) or "unsupported" (graphql-jit could not compile it)',
    labelNames: ['reason'] as const,
    registers: [registry],
  });
  new Gauge({
    name: 'agora_executor_compiled_queries',
    help: 'Compiled operations kept in the executor cache',
    registers: [registry],
    collect() {
      this.set(sources.compiledQueries?.() ?? 0);
    },
  });
  return { compiled: () => compiled.inc(), fellBack: (reason) => fallbacks.inc({ reason }) };
}

/** Operation names as labels: bounded in length and in number (the rest are "other"). */
function operationLabeler(): (name: string | null | undefined) => string {
  const operationNames = new Set<string>();
  return (name: string | null | undefined): string => {
    if (name === undefined) return 'unknown'; // never resolved (parse or validation failed)
    if (name === null || name === '') return 'anonymous';
    const label = name.slice(0, MAX_LABEL_LENGTH);
    if (operationNames.has(label)) return label;
    if (operationNames.size >= MAX_OPERATION_LABELS) return 'other';
    operationNames.add(label);
    return label;
  };
}

function bearerMatches(header: string | undefined, token: string): boolean {
  if (!header?.startsWith('Bearer ')) return false;
  const given = Buffer.from(header.slice('Bearer '.length));
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/**
 * GET /metrics. Off in production unless METRICS_ENABLED=1 or METRICS_TOKEN
 * is set (then answered 404 like any unknown path); with METRICS_TOKEN the
 * scraper must send it as a bearer token.
 */
export async function serveMetrics(
  req: IncomingMessage,
  res: ServerResponse,
  metrics: Metrics,
  config: Pick<ExposureConfig, 'metricsEnabled' | 'metricsToken'>,
): Promise<void> {
  if (!config.metricsEnabled) {
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: 'Not found' }));
    return;
  }
  if (config.metricsToken && !bearerMatches(req.headers.authorization, config.metricsToken)) {
    res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Bearer realm="metrics"' });
    res.end(JSON.stringify({ error: 'Metrics need the configured bearer token' }));
    return;
  }
  const body = await metrics.registry.metrics();
  res.writeHead(200, { 'content-type': metrics.registry.contentType });
  res.end(body);
}
