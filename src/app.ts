import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import type { ExecutionResult, GraphQLFormattedError } from 'graphql';
import { CredentialResolver } from './auth/credentials.ts';
import { OidcVerifier } from './auth/oidc.ts';
import { TokenService } from './auth/tokens.ts';
import type { AppConfig } from './config.ts';
import { createContext, type GraphQLContext } from './context.ts';
import { ensureDatabase, startEmbeddedPostgres, type EmbeddedDatabase } from './db/embedded.ts';
import { migrate } from './db/migrate.ts';
import { createDatabase, type Database } from './db/prisma.ts';
import { seedDemoData } from './db/seed.ts';
import { formatError, isUnexpected } from './graphql/errors.ts';
import { buildSchema } from './graphql/schema.ts';
import { createGraphQLHandler } from './http/graphql-handler.ts';
import { createLogger, type Logger } from './lib/logger.ts';
import { startRealtime, type RealtimeRuntime } from './realtime/runtime.ts';
import { attachWsServer } from './realtime/ws-server.ts';
import { createMemoryCounterStore, createRedisCounterStore } from './security/counter-store.ts';
import { LoginThrottle } from './security/login-throttle.ts';
import type { AppDeps, RequestInfo } from './services/deps.ts';

export const GRAPHQL_PATH = '/graphql';

export interface App {
  /** Resolves when the server accepts connections. */
  start(): Promise<void>;
  /** Stops accepting, drains in-flight work and closes every connection. */
  stop(): Promise<void>;
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
  let stopWs: (() => Promise<void>) | undefined;
  let deps: AppDeps | undefined;
  let realtime: RealtimeRuntime | undefined;
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
    database = createDatabase(databaseUrl, config.dbPoolSize, logger);
    const wantsSeed = config.seed === 'always' || (config.seed === 'auto' && info.embedded);
    if (wantsSeed && (await database.prisma.user.count()) === 0) {
      await seedDemoData(database.prisma, logger);
      info.seeded = true;
    }

    realtime = await startRealtime(config, database.pool, logger);
    // Login failures are counted in Redis when there is one, so every
    // instance sees the same count.
    const counters = realtime.redis ? createRedisCounterStore(realtime.redis, config.redisKeyPrefix) : createMemoryCounterStore();
    const tokens = new TokenService(config.jwt);
    deps = {
      db: database.prisma,
      tokens,
      credentials: new CredentialResolver(database.prisma, tokens, config.oidc ? new OidcVerifier(config.oidc) : null, logger),
      loginThrottle: new LoginThrottle(counters, config.loginThrottle),
      bus: realtime.bus,
      logger,
      sessionPolicy: config.session,
      realtime: realtime.deps,
    };
    const appDeps = deps;
    const schema = buildSchema();
    httpServer = createServer();

    // WebSocket: graphql-ws on the same port and path (src/realtime/ws-server.ts).
    const ws = attachWsServer({
      httpServer,
      path: GRAPHQL_PATH,
      schema,
      deps: appDeps,
      config: config.realtime,
      logger,
      formatResult: (result) => formatResult(result, logger),
    });
    stopWs = () => ws.dispose();

    apollo = new ApolloServer<GraphQLContext>({
      schema,
      formatError,
      includeStacktraceInErrorResponses: false,
      introspection: true,
      plugins: [
        // Agora sets no cache hints; the default cache-control plugin would
        // still wrap every field resolver to compute them.
        ApolloServerPluginCacheControlDisabled(),
        ApolloServerPluginDrainHttpServer({ httpServer }),
        ApolloServerPluginLandingPageLocalDefault({ embed: true }),
        {
          async requestDidStart() {
            return {
              async didEncounterErrors({ errors, contextValue }) {
                for (const error of errors) {
                  if (isUnexpected(error)) {
                    logger.error('unexpected error', { requestId: contextValue?.requestId, error: String(error.originalError?.stack ?? error) });
                  }
                }
              },
              async willSendResponse({ response, contextValue }) {
                if (!contextValue) return;
                response.http.headers.set('x-request-id', contextValue.requestId);
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

    const handleGraphQL = createGraphQLHandler(apollo, async (req: IncomingMessage, sqlStats) =>
      createContext(appDeps, await appDeps.credentials.resolve(req.headers.authorization), requestInfo(req), sqlStats),
    );

    httpServer.on('request', (req, res) => {
      const { pathname, search } = new URL(req.url ?? '/', 'http://localhost');
      if (pathname === GRAPHQL_PATH) {
        handleGraphQL(req, res, search).catch((error) => {
          logger.error('request failed', { error: String(error) });
          if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ errors: [{ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] }));
        });
      } else if (pathname === '/health') {
        void health(res);
      } else {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: `Not found. GraphQL is served at ${GRAPHQL_PATH}` }));
      }
    });

    async function health(res: import('node:http').ServerResponse): Promise<void> {
      try {
        await database!.pool.query('SELECT 1');
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ status: 'ok', database: 'ok' }));
      } catch {
        res.writeHead(503, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ status: 'unavailable', database: 'unreachable' }));
      }
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

  async function stop(): Promise<void> {
    await stopWs?.();
    await apollo?.stop(); // drains the HTTP server too
    if (httpServer?.listening) await new Promise<void>((resolve) => httpServer!.close(() => resolve()));
    await realtime?.stop();
    await database?.close();
    await embedded?.stop();
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

/** WebSocket results get the same error shaping as HTTP ones. */
function formatResult(result: ExecutionResult, logger: Logger): ExecutionResult {
  if (!result.errors?.length) return result;
  const errors = result.errors.map((error) => {
    if (isUnexpected(error)) logger.error('unexpected error', { error: String(error.originalError?.stack ?? error) });
    return formatError(error.toJSON() as GraphQLFormattedError, error);
  });
  return { ...result, errors } as unknown as ExecutionResult;
}
