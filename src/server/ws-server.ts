import type { IncomingMessage, Server } from 'node:http';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import type { BudgetConfig, RealtimeConfig } from '../config.ts';
import type { Logger } from '../lib/logger.ts';
import type { AppDeps, RequestInfo } from '../modules/scope.ts';
import { CLOSE_CODES } from './close-codes.ts';
import type { OperationPipeline } from './operation-pipeline.ts';
import { createSocketBounds } from './socket-bounds.ts';
import { wsGraphQLOptions, type WsGraphQLDeps } from './ws-graphql.ts';
import { closeSocket, createSocketLifecycle, MAX_TIMER_MS } from './ws-sockets.ts';

export interface WsServer {
  dispose(deadline?: number): Promise<void>;
  stats(): { sockets: number; subscriptions: number };
}

/**
 * graphql-ws on the HTTP server's port and path, composed of:
 * - the socket lifecycle (src/server/ws-sockets.ts): the viewer from
 *   connection_init's `authorization` (bad ones close with 4403), expiry
 *   (4401) unless re-authenticated in band by ping, revocation (4403), sockets
 *   per user (4290), send buffer (4293), presence;
 * - the bounds (src/server/socket-bounds.ts): anonymous sockets per address
 *   (4295) and per instance (1013), subscribe messages per second (4294);
 * - graphql-ws's hooks (src/server/ws-graphql.ts), which run every operation
 *   through the same pipeline as HTTP: rules, cost and budgets, context,
 *   error shaping, logging, metrics, extensions.
 * Also: client message size (1009), subscriptions per socket (4291), and
 * subscriptions whose event queue overflows close their socket (4292).
 */
export function attachWsServer(options: {
  httpServer: Server;
  path: string;
  deps: AppDeps;
  config: RealtimeConfig;
  budgetConfig: BudgetConfig;
  logger: Logger;
  pipeline: OperationPipeline;
  requestInfo: (request: IncomingMessage) => RequestInfo;
  /** False refuses the upgrade with 403 before the handshake (the CORS origin allow-list). */
  verifyOrigin?: (request: IncomingMessage) => boolean;
}): WsServer {
  const { deps, config, logger } = options;
  const wsServer = new WebSocketServer({
    server: options.httpServer,
    path: options.path,
    maxPayload: config.wsMaxPayloadBytes,
    // Cross-site WebSocket hijacking: a page from another site may not open a socket.
    verifyClient: (info, done) => done(options.verifyOrigin?.(info.req) ?? true, 403, 'Origin not allowed'),
  });
  const lifecycle = createSocketLifecycle(deps, config, logger);
  const wiring: WsGraphQLDeps = {
    deps,
    config,
    pipeline: options.pipeline,
    lifecycle,
    bounds: createSocketBounds(options.budgetConfig),
    requestInfo: options.requestInfo,
    connections: new Set(),
    executing: new Set(),
  };
  const cleanup = useServer(wsGraphQLOptions(wiring), wsServer);
  logSocketErrors(wsServer, logger);
  const stopRevocations = lifecycle.listenForRevocations();

  return {
    stats: () => ({ sockets: wsServer.clients.size, subscriptions: countSubscriptions(wiring.connections) }),
    async dispose(deadline = Infinity) {
      await settle(wiring.executing, deadline);
      await stopRevocations();
      for (const client of wsServer.clients) closeSocket(client, CLOSE_CODES.GOING_AWAY, 'Server shutting down');
      await cleanup.dispose();
      await new Promise<void>((resolve) => wsServer.close(() => resolve()));
    },
  };
}

function countSubscriptions(connections: WsGraphQLDeps['connections']): number {
  let subscriptions = 0;
  for (const connection of connections) {
    // graphql-ws keeps a running subscription's iterator here (null while a query executes).
    for (const id in connection.subscriptions) if (connection.subscriptions[id]) subscriptions += 1;
  }
  return subscriptions;
}

/**
 * Answers of operations still executing are sent before the 1001 close
 * (graphql-ws sends a result right after execute settles, before the next task).
 */
async function settle(executing: Set<Promise<unknown>>, deadline: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise((resolve) => (timer = setTimeout(resolve, Math.max(0, Math.min(deadline - Date.now(), MAX_TIMER_MS)))));
  await Promise.race([Promise.all([...executing]), late]);
  clearTimeout(timer);
  await new Promise((resolve) => setImmediate(resolve));
}

/**
 * graphql-ws prints every socket 'error' with console.error, past the
 * logger and LOG_LEVEL. On a server socket ws emits 'error' only for a
 * client's protocol violation (e.g. a message over maxPayload), and has
 * already closed that socket with the matching code (1009): a client's
 * mistake, logged through the logger like other refusals. Registered after
 * useServer, so it replaces the listener graphql-ws has just added.
 *
 * On the WebSocketServer itself ws only re-emits the HTTP server's errors
 * (e.g. EADDRINUSE from listen), which the app reports as its start-up
 * failure; graphql-ws would print them a second time, with a stack.
 */
function logSocketErrors(wsServer: WebSocketServer, logger: Logger): void {
  wsServer.removeAllListeners('error');
  wsServer.on('error', (error: Error & { code?: string }) => logger.debug('http server error', { error: error.message, code: error.code }));
  wsServer.on('connection', (socket) => {
    socket.removeAllListeners('error');
    socket.on('error', (error: Error & { code?: string }) => {
      logger.warn('websocket protocol error', { error: error.message, code: error.code });
      if (socket.readyState === socket.OPEN) socket.close(1011, 'Internal server error');
    });
  });
}
