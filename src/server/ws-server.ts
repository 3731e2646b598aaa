import type { IncomingMessage, Server } from 'node:http';
import { execute, type ExecutionArgs, type ExecutionResult, type GraphQLError, type GraphQLFormattedError, type GraphQLSchema } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer, type WebSocket } from 'ws';
import type { BudgetConfig, RealtimeConfig } from '../config.ts';
import { createContext, type GraphQLContext } from './context.ts';
import { createDocumentCache } from './document-cache.ts';
import { formatError } from './error-shaping.ts';
import type { OperationRules } from './operation-rules.ts';
import { prepareWsOperation } from './ws-operation.ts';
import { withRequestId, type Logger } from '../lib/logger.ts';
import type { AppDeps, RequestInfo, Viewer } from '../modules/scope.ts';
import { CLOSE_CODES } from './close-codes.ts';
import { CREDENTIALS_REVOKED, recheckViewer, revokes, type CredentialsRevoked } from '../modules/sessions/revocations.ts';
import { createSharedSubscribe } from './shared-subscribe.ts';
import type { Budgets } from './budgets.ts';
import { createSocketBounds, type SocketBoundsState } from './socket-bounds.ts';

type SocketState = {
  viewer?: Viewer | null;
  /** The credential the viewer came from, resolved again for every operation. */
  authorization?: unknown;
  /** When the current access token expires (null: anonymous). */
  expiresAt?: Date | null;
  expiryTimer?: NodeJS.Timeout;
  /** Counted in per-user socket limits and presence. */
  registered?: boolean;
  bufferTimer?: NodeJS.Timeout;
} & SocketBoundsState;

// graphql-ws waits for each send to flush before the next result of the same
// subscription, so a stalled socket shows up as bytes stuck in its buffer
// (checked here and before every result) or as a growing subscription queue (4292).
const BUFFER_CHECK_MS = 1_000;

// setTimeout's limit; longer expiries are re-armed when they fire.
const MAX_TIMER_MS = 2 ** 31 - 1;

/** The credential's viewer; null for no credentials, undefined for bad ones. */
async function viewerOf(deps: AppDeps, authorization: unknown): Promise<Viewer | null | undefined> {
  try {
    return await deps.credentials.resolve(authorization);
  } catch {
    return undefined;
  }
}

function requestInfo(request: IncomingMessage): RequestInfo {
  return { ip: request.socket.remoteAddress ?? null, userAgent: String(request.headers['user-agent'] ?? '') };
}

/**
 * graphql-ws on the HTTP server's port and path, with the socket lifecycle:
 * - the viewer comes from connection_init's `authorization`; bad ones close with 4403;
 * - the socket closes with 4401 when the access token expires, unless the
 *   client re-authenticated in band first: a graphql-ws `ping` whose payload
 *   is `{ authorization: "Bearer <new token>" }` for the same user (a bad
 *   token or another user's closes with 4403); subscriptions keep running,
 *   and the pong's payload is `{ reauthenticated: true, expiresAt }`;
 * - limits: sockets per user (4290), subscriptions per socket (4291), client
 *   message size (1009), send buffer (4293); subscriptions close their socket
 *   with 4292 when their event queue overflows; anonymous sockets per address
 *   (4295) and per instance (1013), subscribe messages per second (4294), and
 *   the same cost limit and point budgets as HTTP (src/server/socket-bounds.ts);
 * - presence: a user is online on this instance while one of their sockets is open.
 */
export function attachWsServer(options: {
  httpServer: Server;
  path: string;
  schema: GraphQLSchema;
  deps: AppDeps;
  config: RealtimeConfig;
  logger: Logger;
  formatResult: (result: ExecutionResult, args?: ExecutionArgs) => ExecutionResult;
  operationRules: OperationRules;
  /** False refuses the upgrade with 403 before the handshake (the CORS origin allow-list). */
  verifyOrigin?: (request: IncomingMessage) => boolean;
  /** Told of each operation's outcome: its first result, or the errors that refused it. */
  observe?: { operation(args: ExecutionArgs, result: unknown): void; refused(errors: readonly GraphQLError[]): void };
  budgets: Budgets;
  budgetConfig: BudgetConfig;
}): { dispose(deadline?: number): Promise<void>; stats(): { sockets: number; subscriptions: number } } {
  const { deps, config, logger } = options;
  const wsServer = new WebSocketServer({
    server: options.httpServer,
    path: options.path,
    maxPayload: config.wsMaxPayloadBytes,
    // Cross-site WebSocket hijacking: a page from another site may not open a socket.
    verifyClient: (info, done) => done(options.verifyOrigin?.(info.req) ?? true, 403, 'Origin not allowed'),
  });
  // Every open graphql-ws connection, for the metrics' socket and subscription counts.
  const connections = new Set<{ subscriptions: Record<string, unknown> }>();
  // Subscriptions share one execution per viewer and role: a role change must
  // not let one socket see what its new role may not.
  const sharedSubscribe = createSharedSubscribe((context) => {
    const viewer = (context as GraphQLContext).viewer;
    return viewer ? `${viewer.id}:${viewer.role}` : '';
  });
  // Log lines written while an operation runs carry its request id.
  const inScope = <T>(args: ExecutionArgs, run: () => T): T => withRequestId((args.contextValue as GraphQLContext).requestId, run);
  const socketsPerUser = new Map<string, number>();
  // Open authenticated sockets, so revoked credentials close theirs at once.
  const authenticated = new Map<WebSocket, SocketState>();
  const documents = createDocumentCache(options.operationRules);
  // Anonymous socket caps, per-socket operation rate, cost and point budgets.
  const bounds = createSocketBounds(options.schema, options.budgets, options.budgetConfig);
  // Queries and mutations executing now: shutdown lets them answer before
  // closing their sockets.
  const executing = new Set<Promise<unknown>>();

  const close = (socket: WebSocket, code: number, reason: string) => {
    if (socket.readyState === socket.OPEN || socket.readyState === socket.CONNECTING) socket.close(code, reason);
  };

  function armExpiry(socket: WebSocket, state: SocketState): void {
    clearTimeout(state.expiryTimer);
    if (!state.expiresAt) return;
    const delay = state.expiresAt.getTime() - Date.now();
    state.expiryTimer = setTimeout(() => {
      if (state.expiresAt && state.expiresAt.getTime() > Date.now()) armExpiry(socket, state);
      else close(socket, CLOSE_CODES.TOKEN_EXPIRED, 'Access token expired');
    }, Math.min(Math.max(delay, 0), MAX_TIMER_MS));
    state.expiryTimer.unref();
  }

  const cleanup = useServer<Record<string, unknown> | undefined, SocketState & { request: IncomingMessage }>(
    {
      schema: options.schema,
      onConnect: async (ctx) => {
        const { socket } = ctx.extra;
        connections.add(ctx);
        const viewer = await viewerOf(deps, ctx.connectionParams?.authorization);
        if (viewer === undefined) return false; // graphql-ws closes with 4403 Forbidden
        ctx.extra.viewer = viewer;
        ctx.extra.authorization = ctx.connectionParams?.authorization;
        ctx.extra.expiresAt = viewer?.expiresAt ?? null;
        const refused = viewer ? null : bounds.admitAnonymous(ctx.extra, requestInfo(ctx.extra.request).ip);
        if (refused) {
          close(socket, refused.code, refused.reason);
          return false;
        }
        if (viewer) {
          const open = socketsPerUser.get(viewer.id) ?? 0;
          if (open >= config.wsMaxSocketsPerUser) {
            close(socket, CLOSE_CODES.TOO_MANY_SOCKETS, 'Too many open sockets for this user');
            return false;
          }
          socketsPerUser.set(viewer.id, open + 1);
          ctx.extra.registered = true;
          authenticated.set(socket, ctx.extra);
          void deps.realtime.presence.connect(viewer.id).catch((e) => logger.warn('presence connect failed', { error: String(e) }));
        }
        armExpiry(socket, ctx.extra);
        ctx.extra.bufferTimer = setInterval(() => {
          if (socket.bufferedAmount > config.wsMaxBufferedBytes) {
            close(socket, CLOSE_CODES.SEND_BUFFER_OVERFLOW, 'Slow consumer: send buffer overflowed');
          }
        }, BUFFER_CHECK_MS);
        ctx.extra.bufferTimer.unref();
        return true;
      },
      onPing: async (ctx, payload) => {
        const authorization = (payload as Record<string, unknown> | undefined)?.authorization;
        if (authorization === undefined) return;
        const { socket } = ctx.extra;
        const viewer = await viewerOf(deps, authorization);
        if (!viewer || !ctx.extra.viewer || viewer.id !== ctx.extra.viewer.id) {
          close(socket, CLOSE_CODES.FORBIDDEN, 'Re-authentication failed');
          return;
        }
        // The new credential's session and role apply from now on.
        ctx.extra.viewer = viewer;
        ctx.extra.authorization = authorization;
        ctx.extra.expiresAt = viewer.expiresAt;
        armExpiry(socket, ctx.extra);
        // graphql-ws echoes the ping payload in its pong: answer with the
        // outcome instead of sending the token back.
        const echo = payload as Record<string, unknown>;
        delete echo.authorization;
        echo.reauthenticated = true;
        echo.expiresAt = viewer.expiresAt?.toISOString() ?? null;
      },
      onSubscribe: async (ctx, id, payload) => {
        // graphql-ws has already reserved this operation's id in ctx.subscriptions.
        if (Object.keys(ctx.subscriptions).length > config.wsMaxSubscriptionsPerSocket) {
          close(ctx.extra.socket, CLOSE_CODES.TOO_MANY_SUBSCRIPTIONS, 'Too many subscriptions on this socket');
          return;
        }
        const throttled = await bounds.throttle(ctx.extra, (code, reason) => close(ctx.extra.socket, code, reason));
        if (throttled) return throttled;
        // A revoked credential: the operation gets UNAUTHENTICATED, then the socket closes (4403).
        const refused = await recheckViewer(deps, ctx.extra, () => setImmediate(() => close(ctx.extra.socket, CLOSE_CODES.FORBIDDEN, 'Credentials revoked')));
        if (refused) return refused;
        // Same parse/validation/variable errors (and codes) as on HTTP.
        const prepared = prepareWsOperation(options.schema, payload, documents);
        if (Array.isArray(prepared)) return prepared;
        // Same cost limit and budgets as HTTP (400/429 there, errors here).
        const overBudget = await bounds.spend(ctx.extra, id, prepared, { viewerId: ctx.extra.viewer?.id ?? null, address: requestInfo(ctx.extra.request).ip });
        return overBudget ?? prepared;
      },
      // Operations still executing at shutdown are tracked so their answers go out before the 1001 close.
      execute: (args) =>
        inScope(args, () => {
          const result = Promise.resolve(execute(args));
          const tracked = result.catch(() => {});
          executing.add(tracked);
          void tracked.finally(() => executing.delete(tracked));
          return result;
        }),
      subscribe: (args) => inScope(args, () => sharedSubscribe(args)),
      onOperation: (_ctx, _id, _payload, args, result) => void options.observe?.operation(args, result),
      onError: (_ctx, _id, _payload, errors) => {
        options.observe?.refused(errors);
        return errors.map((error) => formatError(error.toJSON() as GraphQLFormattedError, error));
      },
      context: (ctx, id) => {
        const context = createContext(deps, ctx.extra.viewer ?? null, requestInfo(ctx.extra.request));
        context.connection = { close: (code, reason) => close(ctx.extra.socket, code, reason) };
        context.budget = bounds.takeBudget(ctx.extra, id);
        return context;
      },
      onNext: (ctx, _id, _payload, args, result) => {
        if (ctx.extra.socket.bufferedAmount > config.wsMaxBufferedBytes) {
          close(ctx.extra.socket, CLOSE_CODES.SEND_BUFFER_OVERFLOW, 'Slow consumer: send buffer overflowed');
        }
        return bounds.withCost(options.formatResult(result as ExecutionResult, args), (args.contextValue as GraphQLContext | undefined)?.budget);
      },
      onClose: (ctx) => {
        bounds.release(ctx.extra);
        connections.delete(ctx);
        authenticated.delete(ctx.extra.socket);
        clearTimeout(ctx.extra.expiryTimer);
        clearInterval(ctx.extra.bufferTimer);
        const userId = ctx.extra.viewer?.id;
        if (ctx.extra.registered && userId) {
          ctx.extra.registered = false;
          const open = (socketsPerUser.get(userId) ?? 1) - 1;
          if (open > 0) socketsPerUser.set(userId, open);
          else socketsPerUser.delete(userId);
          void deps.realtime.presence.disconnect(userId).catch((e) => logger.warn('presence disconnect failed', { error: String(e) }));
        }
      },
    },
    wsServer,
  );
  logSocketErrors(wsServer, logger);

  const revocations = deps.bus.subscribe<CredentialsRevoked>(CREDENTIALS_REVOKED);
  void (async () => {
    for await (const event of revocations) {
      if (typeof event === 'symbol') continue; // a resync: nothing to replay
      for (const [socket, state] of authenticated) {
        if (state.viewer && revokes(event, state.viewer)) close(socket, CLOSE_CODES.FORBIDDEN, 'Credentials revoked');
      }
    }
  })().catch((error) => logger.warn('revocation listener stopped', { error: String(error) }));

  return {
    stats() {
      let subscriptions = 0;
      for (const connection of connections) {
        // graphql-ws keeps a running subscription's iterator here (null while a query executes).
        for (const id in connection.subscriptions) if (connection.subscriptions[id]) subscriptions += 1;
      }
      return { sockets: wsServer.clients.size, subscriptions };
    },
    async dispose(deadline = Infinity) {
      // Answers of operations still executing are sent before the 1001 close
      // (graphql-ws sends a result right after execute settles, before the next task).
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise((resolve) => (timer = setTimeout(resolve, Math.max(0, Math.min(deadline - Date.now(), MAX_TIMER_MS)))));
      await Promise.race([Promise.all([...executing]), late]);
      clearTimeout(timer);
      await new Promise((resolve) => setImmediate(resolve));
      await revocations.return?.();
      for (const client of wsServer.clients) close(client, CLOSE_CODES.GOING_AWAY, 'Server shutting down');
      await cleanup.dispose();
      await new Promise<void>((resolve) => wsServer.close(() => resolve()));
    },
  };
}

/**
 * graphql-ws prints every socket 'error' with console.error, past the
 * logger and LOG_LEVEL. On a server socket ws emits 'error' only for a
 * client's protocol violation (e.g. a message over maxPayload), and has
 * already closed that socket with the matching code (1009): a client's
 * mistake, logged through the logger like other refusals. Registered after
 * useServer, so it replaces the listener graphql-ws has just added.
 */
function logSocketErrors(wsServer: WebSocketServer, logger: Logger): void {
  wsServer.on('connection', (socket) => {
    socket.removeAllListeners('error');
    socket.on('error', (error: Error & { code?: string }) => {
      logger.warn('websocket protocol error', { error: error.message, code: error.code });
      if (socket.readyState === socket.OPEN) socket.close(1011, 'Internal server error');
    });
  });
}
