import { createServer, type IncomingMessage, type Server } from 'node:http';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { CredentialResolver } from './auth/credentials.ts';
import { OidcVerifier } from './auth/oidc.ts';
import { TokenService } from './auth/tokens.ts';
import type { AppConfig } from './config.ts';
import type { GraphQLContext } from './server/context.ts';
import { ensureDatabase, startEmbeddedPostgres, type EmbeddedDatabase } from './db/embedded.ts';
import { migrate } from './db/migrate.ts';
import { checkServices } from './db/preflight.ts';
import { createDatabase, type Database } from './db/prisma.ts';
import { createReadRouter, type ReadRouter } from './db/replicas.ts';
import { seedDemoData } from './db/seed.ts';
import { createOperationRules } from './server/operation-rules.ts';
import { buildSchema, schemaSource } from './graphql/schema.ts';
import { createRequestInfo } from './server/request-info.ts';
import { createOriginPolicy } from './server/cors.ts';
import { createGraphQLHandler } from './server/http-handler.ts';
import { createIdeRoutes } from './server/ide.ts';
import { serveHttp } from './server/http-routes.ts';
import { checkListenable, listen } from './server/listen.ts';
import { trackRequests, type RequestTracker } from './server/request-tracker.ts';
import { readiness } from './server/readiness.ts';
import { createLogger, type Logger } from './lib/logger.ts';
import { createMetrics, type Metrics } from './server/metrics.ts';
import { startRealtime, type RealtimeRuntime } from './events/runtime.ts';
import { attachWsServer, type WsServer } from './server/ws-server.ts';
import { createMemoryLoginThrottle, createRedisLoginThrottle } from './auth/login-throttle.ts';
import { Budgets } from './server/budgets.ts';
import { createOperationPipeline, type OperationPipeline } from './server/operation-pipeline.ts';
import { createResponseCache } from './server/response-cache.ts';
import { createInProcessStore, createRedisStore } from './server/response-cache-store.ts';
import type { AppDeps } from './modules/scope.ts';
import { postIdsOfComments } from './modules/posts/comment-service.ts';

const GRAPHQL_PATH = '/graphql';

/** How long DATABASE_URL and REDIS_URL get to answer at start-up (README, "If it doesn't start"). */
const SERVICE_CHECK_TIMEOUT_MS = 10_000;

export interface App {
  /** Resolves when the server accepts connections. */
  start(): Promise<void>;
  /** Stops accepting, drains in-flight work and closes every connection (forced after `graceMs`, default SHUTDOWN_GRACE_MS). */
  stop(graceMs?: number): Promise<void>;
  /** Base URL, e.g. http://127.0.0.1:4000 (after start). */
  readonly url: string;
  /** Set after start: whether demo data was seeded, and the database used. */
  readonly info: { seeded: boolean; databaseUrl: string | null; embedded: boolean };
  /**
   * Readiness signal (after start): resolves once `subscribers` subscriptions
   * of a bus topic are in force, so what is published next reaches them
   * (see EventBus.whenSubscribed). Lets tests and probes wait for a
   * subscription instead of guessing a delay.
   */
  whenSubscribed(topic: string, subscribers?: number): Promise<void>;
}

/** What start() brings up, in order; stop() takes it down in reverse. */
interface Running {
  embedded?: EmbeddedDatabase;
  database?: Database;
  /** Read replicas, when DATABASE_REPLICA_URLS is set. */
  reads?: ReadRouter;
  realtime?: RealtimeRuntime;
  httpServer?: Server;
  requests?: RequestTracker;
  ws?: WsServer;
  apollo?: ApolloServer<GraphQLContext>;
}

/** Wires the whole server from a validated config; nothing connects before start(). */
export function buildApp(config: AppConfig, logger: Logger = createLogger(config.logLevel)): App {
  let running: Running = {};
  let url = '';
  const info = { seeded: false, databaseUrl: null as string | null, embedded: false };

  async function start(): Promise<void> {
    // Nothing is started, migrated or seeded when PORT is taken or a
    // configured server does not answer.
    await checkListenable(config.port, config.host);
    await checkServices(config, SERVICE_CHECK_TIMEOUT_MS);
    const database = await startDatabase(config, logger, running, info);
    const realtime = (running.realtime = await startRealtime(config, database.sessionPool, logger));
    const reads = (running.reads = await startReadReplicas(config, logger, database, realtime));
    const deps = createAppDeps(config, logger, database, realtime);
    const metrics = createMetrics(
      { pool: database.pool, statements: database.statements, redis: realtime.redis, replicas: reads?.status },
      logger,
    );
    const pipeline = createApiPipeline(config, logger, deps, realtime, metrics, reads);
    running.apollo = await startApollo(pipeline);
    running.httpServer = createServer();
    running.requests = trackRequests(running.httpServer);
    running.ws = attachTransports(config, logger, {
      deps,
      database,
      realtime,
      reads,
      metrics,
      pipeline,
      apollo: running.apollo,
      httpServer: running.httpServer,
    });
    await realtime.start();
    url = await listen(running.httpServer, config.port, config.host);
  }

  async function stop(graceMs = config.faults.shutdownGraceMs): Promise<void> {
    const stopping = running;
    running = {};
    await shutdown(stopping, Date.now() + graceMs, logger);
  }

  return {
    start,
    stop,
    get url() {
      return url;
    },
    info,
    whenSubscribed(topic, subscribers) {
      if (!running.realtime) return Promise.reject(new Error('whenSubscribed: the app is not started'));
      return running.realtime.bus.whenSubscribed(topic, subscribers);
    },
  };
}

/** Database step: the configured or embedded PostgreSQL, migrated, seeded when asked. */
async function startDatabase(config: AppConfig, logger: Logger, running: Running, info: App['info']): Promise<Database> {
  let databaseUrl = config.databaseUrl;
  if (!databaseUrl) {
    running.embedded = await startEmbeddedPostgres(config.dataDir, config.embeddedPgPort, logger);
    info.embedded = true;
    databaseUrl = await ensureDatabase(running.embedded.adminUrl, 'agora');
  }
  info.databaseUrl = databaseUrl;
  // Migrations hold a session-level advisory lock: past a PgBouncer, on the server itself.
  const directUrl = config.databaseUrl ? config.databaseDirectUrl : null;
  await migrate(directUrl ?? databaseUrl, logger);
  const limits = {
    acquireTimeoutMs: config.faults.dbAcquireTimeoutMs,
    txMaxWaitMs: config.faults.dbTxMaxWaitMs,
    txTimeoutMs: config.faults.dbTxTimeoutMs,
  };
  const database = (running.database = createDatabase(databaseUrl, config.dbPoolSize, logger, limits, directUrl));
  const wantsSeed = config.seed === 'always' || (config.seed === 'auto' && info.embedded);
  if (wantsSeed && (await database.prisma.user.count()) === 0) {
    await seedDemoData(database.prisma, logger);
    (info as { seeded: boolean }).seeded = true;
  }
  return database;
}

/** Read-replica step: pools on DATABASE_REPLICA_URLS and their health checks (none when unset). */
async function startReadReplicas(
  config: AppConfig,
  logger: Logger,
  primary: Database,
  realtime: RealtimeRuntime,
): Promise<ReadRouter | undefined> {
  if (config.replicas.urls.length === 0) return undefined;
  return createReadRouter({
    primary,
    options: config.replicas,
    poolSize: config.dbPoolSize,
    limits: {
      acquireTimeoutMs: config.faults.dbAcquireTimeoutMs,
      txMaxWaitMs: config.faults.dbTxMaxWaitMs,
      txTimeoutMs: config.faults.dbTxTimeoutMs,
    },
    redis: realtime.redis,
    keyPrefix: config.redisKeyPrefix,
    logger,
  });
}

/** What services and resolvers get from the infrastructure. */
function createAppDeps(config: AppConfig, logger: Logger, database: Database, realtime: RealtimeRuntime): AppDeps {
  // Login failures are counted in Redis when there is one, so every
  // instance sees the same count.
  const loginThrottle = realtime.redis
    ? createRedisLoginThrottle(realtime.redis, config.redisKeyPrefix, config.loginThrottle)
    : createMemoryLoginThrottle(config.loginThrottle);
  const tokens = new TokenService(config.jwt);
  return {
    db: database.prisma,
    tokens,
    credentials: new CredentialResolver(database.prisma, tokens, config.oidc ? new OidcVerifier(config.oidc) : null, logger),
    loginThrottle,
    bus: realtime.bus,
    logger,
    sessionPolicy: config.session,
    realtime: realtime.deps,
  };
}

/** API step: the schema and the one operation pipeline both transports use. */
function createApiPipeline(
  config: AppConfig,
  logger: Logger,
  deps: AppDeps,
  realtime: RealtimeRuntime,
  metrics: Metrics,
  reads: ReadRouter | undefined,
): OperationPipeline {
  const schema = buildSchema();
  return createOperationPipeline({
    schema,
    deps,
    // Query operations read from a replica in rotation (src/db/replicas.ts).
    reads: reads ?? null,
    // One rule set for HTTP and WebSocket (README, "Operation limits").
    rules: createOperationRules(config.operationLimits),
    // Point budgets shared through Redis when there is one (src/server/budgets.ts).
    budgets: new Budgets(config.budgets, realtime.redis, config.redisKeyPrefix, logger),
    maxOperationCost: config.budgets.maxOperationCost,
    logger,
    metrics,
    exposeSqlStats: config.exposeSqlStats,
    jitCompileAfter: config.jitCompileAfter,
    responseCache: createResponseCache(schema, responseStore(config, realtime, logger), {
      ttlSeconds: config.responseCacheTtlSeconds,
      maxEntryBytes: 256 * 1024,
      postIdsOfComments: (ids) => postIdsOfComments(deps.db, ids),
    }),
  });
}

/** Shared through Redis when there is one (every instance drops what a write invalidates), else in this process. */
function responseStore(config: AppConfig, realtime: RealtimeRuntime, logger: Logger) {
  if (realtime.redis) return createRedisStore(realtime.redis, config.redisKeyPrefix, logger);
  return createInProcessStore({ maxEntries: 10_000, maxBytes: 64 * 1024 * 1024 });
}

/** Apollo Server for HTTP, with the pipeline's rules and its plugin. */
async function startApollo(pipeline: OperationPipeline): Promise<ApolloServer<GraphQLContext>> {
  const { rules } = pipeline;
  const apollo = new ApolloServer<GraphQLContext>({
    // Apollo parses and validates; operations run compiled (src/server/compiled-executor.ts).
    gateway: pipeline.apolloGateway(),
    formatError: pipeline.formatError,
    includeStacktraceInErrorResponses: false,
    parseOptions: rules.parseOptions,
    validationRules: [...rules.validationRules],
    validationOptions: rules.validationOptions,
    // Apollo's own switch stays on: introspection is refused (or not) by the
    // shared rule list above, the same rule as on WebSocket.
    introspection: true,
    // main.ts owns SIGINT/SIGTERM and drains in order; Apollo's own
    // handlers would re-raise the signal after stopping.
    stopOnTerminationSignals: false,
    plugins: [
      // Agora sets no cache hints; the default cache-control plugin would
      // still wrap every field resolver to compute them.
      ApolloServerPluginCacheControlDisabled(),
      // Apollo's landing page loads from its CDN: Agora serves its own IDE
      // (src/server/ide.ts, IDE_ENABLED) from the installed package instead.
      ApolloServerPluginLandingPageDisabled(),
      pipeline.apolloPlugin(),
    ],
  });
  await apollo.start();
  return apollo;
}

/** HTTP/WS step: GraphQL over HTTP (Apollo) and WebSocket (graphql-ws) on one server, plus /health, /ready, /metrics. */
function attachTransports(
  config: AppConfig,
  logger: Logger,
  parts: {
    deps: AppDeps;
    database: Database;
    realtime: RealtimeRuntime;
    reads: ReadRouter | undefined;
    metrics: Metrics;
    pipeline: OperationPipeline;
    apollo: ApolloServer<GraphQLContext>;
    httpServer: Server;
  },
): WsServer {
  const { deps, pipeline, metrics, httpServer } = parts;
  const origins = createOriginPolicy(config.exposure);
  const requestInfo = createRequestInfo(config.exposure.trustProxy);
  const ws = attachWsServer({
    httpServer,
    path: GRAPHQL_PATH,
    deps,
    config: config.realtime,
    budgetConfig: config.budgets,
    logger,
    pipeline,
    verifyOrigin: (request) => origins.check(request) !== 'denied',
    requestInfo,
  });
  metrics.sources.ws = () => ws.stats();
  const handleGraphQL = createGraphQLHandler(
    parts.apollo,
    async (req: IncomingMessage, sqlStats, requestId) =>
      pipeline.createContext(await deps.credentials.resolve(req.headers.authorization), requestInfo(req), sqlStats, requestId),
    logger,
    pipeline.rules,
  );
  const checkReadiness = readiness({
    pool: parts.database.pool,
    redis: parts.realtime.redis,
    replicas: parts.reads?.status,
    timeoutMs: config.faults.redisCommandTimeoutMs,
    logger,
  });
  const ide = config.exposure.ideEnabled ? createIdeRoutes({ graphqlPath: GRAPHQL_PATH, sdl: schemaSource() }) : null;
  serveHttp(httpServer, {
    graphqlPath: GRAPHQL_PATH,
    handleGraphQL,
    origins,
    metrics,
    checkReadiness,
    exposure: config.exposure,
    ide,
    logger,
  });
  return ws;
}

/**
 * Shutdown step, in order: stop accepting, finish in-flight requests (bodies
 * still uploading included), close sockets with 1001, flush the outbox, then
 * close Redis, the pool and embedded PostgreSQL. Past the deadline, open
 * connections are forced closed and the rest still runs.
 */
async function shutdown(running: Running, deadline: number, logger: Logger): Promise<void> {
  const step = (msg: string, data?: Record<string, unknown>) => logger.info(`shutdown: ${msg}`, data);
  const { requests, httpServer } = running;
  if (requests && httpServer) {
    const inFlight = requests.inFlight;
    const draining = requests.drain(deadline); // closes the listener synchronously
    step('stopped accepting connections', { inFlight });
    if (await draining) step('in-flight requests finished', { requests: inFlight });
    else {
      logger.warn('shutdown: grace period over, closing remaining requests', { remaining: requests.inFlight });
      httpServer.closeAllConnections();
    }
  }
  if (running.ws) {
    await running.ws.dispose(deadline);
    step('sockets closed');
  }
  await running.apollo?.stop();
  await running.realtime?.stop({ deadline, onStep: step });
  await running.reads?.close();
  if (running.database) {
    await running.database.close();
    step('database pool closed');
  }
  if (running.embedded) {
    await running.embedded.stop();
    step('embedded PostgreSQL stopped');
  }
}
