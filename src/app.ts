import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import { getOperationAST, type ExecutionArgs, type ExecutionResult, type GraphQLFormattedError } from 'graphql';
import { CredentialResolver } from './auth/credentials.ts';
import { OidcVerifier } from './auth/oidc.ts';
import { TokenService } from './auth/tokens.ts';
import type { AppConfig } from './config.ts';
import { createContext, type GraphQLContext } from './server/context.ts';
import { ensureDatabase, startEmbeddedPostgres, type EmbeddedDatabase } from './db/embedded.ts';
import { migrate } from './db/migrate.ts';
import { createDatabase, type Database } from './db/prisma.ts';
import { seedDemoData } from './db/seed.ts';
import { createErrorFormatter, isUnexpected } from './server/error-shaping.ts';
import { apolloOperationRules, createOperationRules } from './server/operation-rules.ts';
import { buildSchema } from './graphql/schema.ts';
import { createOriginPolicy, handleCors } from './server/cors.ts';
import { createGraphQLHandler } from './server/http-handler.ts';
import { applySecurityHeaders } from './server/security-headers.ts';
import { trackRequests, type RequestTracker } from './server/request-tracker.ts';
import { readiness } from './server/readiness.ts';
import { isInfrastructureError, RETRY_AFTER_SECONDS, SERVICE_UNAVAILABLE_MESSAGE } from './lib/infra-errors.ts';
import { createLogger, withRequestId, type Logger } from './lib/logger.ts';
import { createMetrics, serveMetrics, type Metrics } from './server/metrics.ts';
import { startRealtime, type RealtimeRuntime } from './events/runtime.ts';
import { attachWsServer } from './server/ws-server.ts';
import { createMemoryLoginThrottle, createRedisLoginThrottle } from './auth/login-throttle.ts';
import { budgetPlugin } from './server/budget-plugin.ts';
import { Budgets } from './server/budgets.ts';
import type { AppDeps, RequestInfo } from './modules/scope.ts';

export const GRAPHQL_PATH = '/graphql';

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

/** Wires the whole server from a validated config; nothing connects before start(). */
export function buildApp(config: AppConfig, logger: Logger = createLogger(config.logLevel)): App {
  let httpServer: Server | undefined;
  let database: Database | undefined;
  let embedded: EmbeddedDatabase | undefined;
  let apollo: ApolloServer<GraphQLContext> | undefined;
  let stopWs: ((deadline?: number) => Promise<void>) | undefined;
  let deps: AppDeps | undefined;
  let realtime: RealtimeRuntime | undefined;
  let requests: RequestTracker | undefined;
  let url = '';
  const info = { seeded: false, databaseUrl: null as string | null, embedded: false };

  async function resolveDatabaseUrl(): Promise<string> {
    if (config.databaseUrl) return config.databaseUrl;
    embedded = await startEmbeddedPostgres(config.dataDir, config.embeddedPgPort, logger);
    info.embedded = true;
    return ensureDatabase(embedded.adminUrl, 'agora');
  }

  async function start(): Promise<void> {
    const databaseUrl = await resolveDatabaseUrl();
    info.databaseUrl = databaseUrl;
    await migrate(databaseUrl, logger);
    database = createDatabase(databaseUrl, config.dbPoolSize, logger, {
      acquireTimeoutMs: config.faults.dbAcquireTimeoutMs,
      txMaxWaitMs: config.faults.dbTxMaxWaitMs,
      txTimeoutMs: config.faults.dbTxTimeoutMs,
    });
    const wantsSeed = config.seed === 'always' || (config.seed === 'auto' && info.embedded);
    if (wantsSeed && (await database.prisma.user.count()) === 0) {
      await seedDemoData(database.prisma, logger);
      info.seeded = true;
    }

    realtime = await startRealtime(config, database.pool, logger);
    // Login failures are counted in Redis when there is one, so every
    // instance sees the same count.
    const loginThrottle = realtime.redis
      ? createRedisLoginThrottle(realtime.redis, config.redisKeyPrefix, config.loginThrottle)
      : createMemoryLoginThrottle(config.loginThrottle);
    const tokens = new TokenService(config.jwt);
    deps = {
      db: database.prisma,
      tokens,
      credentials: new CredentialResolver(database.prisma, tokens, config.oidc ? new OidcVerifier(config.oidc) : null, logger),
      loginThrottle,
      bus: realtime.bus,
      logger,
      sessionPolicy: config.session,
      realtime: realtime.deps,
    };
    const appDeps = deps;
    const schema = buildSchema();
    // One rule set for HTTP and WebSocket (README, "Operation limits").
    const operationRules = createOperationRules(config.operationLimits);
    const formatError = createErrorFormatter(operationRules);
    // Point budgets shared through Redis when there is one (src/server/budgets.ts).
    const budgets = new Budgets(config.budgets, realtime.redis, config.redisKeyPrefix, logger);
    httpServer = createServer();
    requests = trackRequests(httpServer);
    const origins = createOriginPolicy(config.exposure);
    const metrics = createMetrics({ pool: database.pool, redis: realtime.redis }, logger);

    // WebSocket: graphql-ws on the same port and path (src/server/ws-server.ts).
    const ws = attachWsServer({
      httpServer,
      path: GRAPHQL_PATH,
      schema,
      deps: appDeps,
      config: config.realtime,
      logger,
      formatResult: (result, args) => formatResult(result, logger, metrics, formatError, args),
      budgets,
      budgetConfig: config.budgets,
      verifyOrigin: (request) => origins.check(request) !== 'denied',
      observe: {
        operation: (args, result) => metrics.operation('ws', operationNameOf(args), (result as ExecutionResult).errors),
        refused: (errors) => {
          metrics.operation('ws', undefined, errors);
          metrics.errors('ws', errors);
        },
      },
      operationRules,
    });
    metrics.sources.ws = () => ws.stats();
    stopWs = (deadline?: number) => ws.dispose(deadline);

    apollo = new ApolloServer<GraphQLContext>({
      schema,
      formatError,
      includeStacktraceInErrorResponses: false,
      parseOptions: operationRules.parseOptions,
      validationRules: [...operationRules.validationRules],
      validationOptions: operationRules.validationOptions,
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
        // Production serves no IDE page (and nothing from a CDN).
        config.nodeEnv === 'production' ? ApolloServerPluginLandingPageDisabled() : ApolloServerPluginLandingPageLocalDefault({ embed: true }),
        apolloOperationRules(operationRules),
        budgetPlugin(budgets, config.budgets.maxOperationCost, operationRules),
        {
          async requestDidStart() {
            return {
              async didEncounterErrors({ errors, contextValue }) {
                if (errors.some(isInfrastructureError)) {
                  const cause = errors.find(isInfrastructureError);
                  logger.warn('service unavailable', { requestId: contextValue?.requestId, error: String(cause?.originalError ?? cause) });
                }
                for (const error of errors) {
                  if (isUnexpected(error)) {
                    logger.error('unexpected error', { requestId: contextValue?.requestId, error: String(error.originalError?.stack ?? error) });
                  }
                }
              },
              async willSendResponse({ response, contextValue, operationName, operation }) {
                if (response.body.kind === 'single') {
                  metrics.operation('http', operation ? operationName : undefined, response.body.singleResult.errors);
                  metrics.errors('http', response.body.singleResult.errors);
                }
                if (!contextValue) return;
                response.http.headers.set('x-request-id', contextValue.requestId);
                // PostgreSQL or Redis failed: 503 + Retry-After, so clients and proxies retry.
                const errors = response.body.kind === 'single' ? response.body.singleResult.errors : undefined;
                if (errors?.some((e) => e.extensions?.code === 'SERVICE_UNAVAILABLE')) {
                  response.http.status = 503;
                  response.http.headers.set('retry-after', String(RETRY_AFTER_SECONDS));
                }
                if (config.exposeSqlStats && response.body.kind === 'single') {
                  response.body.singleResult.extensions = {
                    ...response.body.singleResult.extensions,
                    sqlStatements: contextValue.sqlStats.statements,
                  };
                }
              },
            };
          },
        },
      ],
    });
    await apollo.start();

    const handleGraphQL = createGraphQLHandler(apollo, async (req: IncomingMessage, sqlStats, requestId) =>
      createContext(appDeps, await appDeps.credentials.resolve(req.headers.authorization), requestInfo(req), sqlStats, requestId),
      logger,
      operationRules,
    );

    httpServer.on('request', (req, res) => {
      // Every response, answered by GraphQL or not, has an id (also in its log lines) and the security headers.
      const requestId = randomUUID();
      res.setHeader('x-request-id', requestId);
      applySecurityHeaders(req, res, config.exposure);
      withRequestId(requestId, () => route(req, res));
    });

    function route(req: IncomingMessage, res: import('node:http').ServerResponse): void {
      let target: URL;
      try {
        target = new URL(req.url ?? '/', 'http://localhost');
      } catch {
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: 'Malformed request target' }));
        return;
      }
      const { pathname, search } = target;
      metrics.observeResponse(pathname === GRAPHQL_PATH || pathname === '/health' || pathname === '/ready' || pathname === '/metrics' ? pathname : 'other', res);
      if (pathname === GRAPHQL_PATH) {
        if (handleCors(req, res, origins)) return;
        handleGraphQL(req, res, search).catch((error) => {
          const requestId = String(res.getHeader('x-request-id') ?? '');
          if (isInfrastructureError(error)) {
            logger.warn('service unavailable', { requestId, error: String(error) });
            if (!res.headersSent) res.writeHead(503, { 'content-type': 'application/json', 'retry-after': String(RETRY_AFTER_SECONDS) });
            res.end(JSON.stringify({ errors: [{ message: SERVICE_UNAVAILABLE_MESSAGE, extensions: { code: 'SERVICE_UNAVAILABLE', retryAfterSeconds: RETRY_AFTER_SECONDS } }] }));
            return;
          }
          logger.error('request failed', { requestId, error: String(error) });
          if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ errors: [{ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] }));
        });
      } else if (pathname === '/health') {
        // Liveness: the process answers. Dependencies are /ready's business.
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ status: 'ok' }));
      } else if (pathname === '/ready') {
        void ready(res);
      } else if (pathname === '/metrics') {
        serveMetrics(req, res, metrics, config.exposure).catch((error) => {
          logger.error('metrics failed', { error: String(error) });
          if (!res.headersSent) res.writeHead(500);
          res.end();
        });
      } else {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: `Not found. GraphQL is served at ${GRAPHQL_PATH}` }));
      }
    }

    const checkReadiness = readiness({ pool: database.pool, redis: realtime.redis, timeoutMs: config.faults.redisCommandTimeoutMs, logger });
    async function ready(res: import('node:http').ServerResponse): Promise<void> {
      const report = await checkReadiness();
      res.writeHead(report.status === 'ok' ? 200 : 503, { 'content-type': 'application/json', ...(report.status === 'ok' ? {} : { 'retry-after': String(RETRY_AFTER_SECONDS) }) });
      res.end(JSON.stringify(report));
    }

    await realtime.start();
    await new Promise<void>((resolve, reject) => {
      httpServer!.once('error', reject);
      httpServer!.listen(config.port, config.host, () => resolve());
    });
    const { port } = httpServer.address() as AddressInfo;
    const host = config.host.includes(':') ? `[${config.host}]` : config.host === '0.0.0.0' ? '127.0.0.1' : config.host;
    url = `http://${host}:${port}`;
  }

  /**
   * Drains in order: stop accepting, finish in-flight requests (bodies still
   * uploading included), close sockets with 1001, flush the outbox, then
   * close Redis, the pool and embedded PostgreSQL. Past `graceMs`, open
   * connections are forced closed and the rest still runs.
   */
  async function stop(graceMs = config.faults.shutdownGraceMs): Promise<void> {
    const deadline = Date.now() + graceMs;
    const step = (msg: string, data?: Record<string, unknown>) => logger.info(`shutdown: ${msg}`, data);
    if (requests && httpServer) {
      const inFlight = requests.inFlight;
      const draining = requests.drain(deadline); // closes the listener synchronously
      step('stopped accepting connections', { inFlight });
      const drained = await draining;
      if (drained) step('in-flight requests finished', { requests: inFlight });
      else {
        logger.warn('shutdown: grace period over, closing remaining requests', { remaining: requests.inFlight });
        httpServer.closeAllConnections();
      }
    }
    await stopWs?.(deadline);
    if (stopWs) step('sockets closed');
    await apollo?.stop();
    if (realtime) {
      await realtime.stop({ deadline, onStep: step });
    }
    if (database) {
      await database.close();
      step('database pool closed');
    }
    if (embedded) {
      await embedded.stop();
      step('embedded PostgreSQL stopped');
    }
    stopWs = undefined;
    apollo = undefined;
    realtime = undefined;
    database = undefined;
    embedded = undefined;
    requests = undefined;
  }

  return {
    start,
    stop,
    get url() {
      return url;
    },
    info,
    whenSubscribed(topic, subscribers) {
      if (!realtime) return Promise.reject(new Error('whenSubscribed: the app is not started'));
      return realtime.bus.whenSubscribed(topic, subscribers);
    },
  };
}

function requestInfo(req: IncomingMessage): RequestInfo {
  return { ip: req.socket.remoteAddress ?? null, userAgent: String(req.headers['user-agent'] ?? '') };
}

/** WebSocket results get the same error shaping (and logging, with the operation's request id) as HTTP ones. */
function formatResult(
  result: ExecutionResult,
  logger: Logger,
  metrics: Metrics,
  formatError: ReturnType<typeof createErrorFormatter>,
  args?: ExecutionArgs,
): ExecutionResult {
  if (!result.errors?.length) return result;
  const requestId = (args?.contextValue as GraphQLContext | undefined)?.requestId;
  const errors = result.errors.map((error) => {
    if (isUnexpected(error)) logger.error('unexpected error', { requestId, error: String(error.originalError?.stack ?? error) });
    else if (isInfrastructureError(error)) logger.warn('service unavailable', { transport: 'ws', requestId, error: String(error.originalError ?? error) });
    return formatError(error.toJSON() as GraphQLFormattedError, error);
  });
  metrics.errors('ws', errors);
  return { ...result, errors } as unknown as ExecutionResult;
}

function operationNameOf(args: ExecutionArgs): string | null | undefined {
  return getOperationAST(args.document, args.operationName)?.name?.value ?? null;
}
