import type { IncomingMessage } from 'node:http';
import { getOperationAST, type ExecutionArgs, type ExecutionResult, type GraphQLError } from 'graphql';
import type { ServerOptions } from 'graphql-ws';
import type { Extra } from 'graphql-ws/use/ws';
import type { WebSocket } from 'ws';
import type { RealtimeConfig } from '../config.ts';
import { sqlStatsStorage, type SqlStats } from '../db/prisma.ts';
import { withRequestId } from '../lib/logger.ts';
import type { AppDeps, RequestInfo } from '../modules/scope.ts';
import { recheckViewer } from '../modules/sessions/revocations.ts';
import { CLOSE_CODES } from './close-codes.ts';
import type { GraphQLContext } from './context.ts';
import type { OperationPipeline, OperationRequest } from './operation-pipeline.ts';
import { createSharedSubscribe } from './shared-subscribe.ts';
import { createVisibilityKey } from './visibility-class.ts';
import type { SocketBounds } from './socket-bounds.ts';
import { closeSocket, type createSocketLifecycle, type SocketState } from './ws-sockets.ts';

type Connection = {
  subscriptions: Record<string, unknown>;
  connectionParams?: Readonly<Record<string, unknown>>;
  extra: SocketState & Extra;
};
type WsOptions = ServerOptions<Record<string, unknown> | undefined, SocketState & Extra>;

export interface WsGraphQLDeps {
  deps: AppDeps;
  config: RealtimeConfig;
  pipeline: OperationPipeline;
  lifecycle: ReturnType<typeof createSocketLifecycle>;
  bounds: SocketBounds;
  /** Who sent the upgrade (src/server/request-info.ts). */
  requestInfo: (request: IncomingMessage) => RequestInfo;
  /** Every open graphql-ws connection (for the metrics' counts). */
  connections: Set<Connection>;
  /** Queries and mutations executing now: shutdown lets them answer before closing their sockets. */
  executing: Set<Promise<unknown>>;
}

/**
 * graphql-ws's hooks: the socket lifecycle on connect/ping/close, and every
 * operation through the shared pipeline (src/server/operation-pipeline.ts),
 * as HTTP's go through it by Apollo Server's plugin hooks.
 */
export function wsGraphQLOptions(w: WsGraphQLDeps): WsOptions {
  const { pipeline, lifecycle, bounds } = w;
  // Subscribers share an event's execution and its serialized result per
  // viewer, or per visibility class when the selection allows it.
  const visibilityKey = createVisibilityKey(pipeline.schema);
  const sharedSubscribe = createSharedSubscribe({
    shareKey: (args) => visibilityKey(args.document, (args.contextValue as GraphQLContext).viewer),
    finish: (result, context) => pipeline.finishResult(result, context as GraphQLContext),
    senderOf: (context) => (context as GraphQLContext).connection,
    execute: pipeline.execute,
  });
  return {
    schema: pipeline.schema,
    onConnect: (ctx) => connect(w, ctx),
    onPing: (ctx, payload) => lifecycle.reauthenticate(ctx.extra, payload as Record<string, unknown> | undefined),
    onSubscribe: (ctx, id, payload) => subscribe(w, ctx, id, payload),
    execute: (args) => track(w.executing, pipeline.executeCounted(args)),
    subscribe: (args) => withRequestId((args.contextValue as GraphQLContext).requestId, () => sharedSubscribe(args)),
    onOperation: (_ctx, _id, _payload, args, result) => {
      pipeline.metrics.operation('ws', operationNameOf(args), (result as ExecutionResult).errors);
    },
    onError: (_ctx, _id, _payload, errors) => {
      pipeline.report(errors, undefined, 'ws');
      pipeline.metrics.operation('ws', undefined, errors);
      pipeline.metrics.errors('ws', errors);
      return pipeline.formatErrors(errors);
    },
    context: (ctx, id) => {
      const sqlStats = ctx.extra.sqlStats?.get(id);
      ctx.extra.sqlStats?.delete(id);
      const context = pipeline.createContext(ctx.extra.viewer ?? null, w.requestInfo(ctx.extra.request), sqlStats);
      const prefix = nextPrefix(id);
      context.connection = {
        close: (code, reason) => closeSocket(ctx.extra.socket, code, reason),
        sendNext: (payloadJson) => {
          lifecycle.checkBuffer(ctx.extra); // as onNext does
          return sendText(ctx.extra.socket, `${prefix}${payloadJson}}`);
        },
      };
      context.budget = bounds.takeBudget(ctx.extra, id);
      return context;
    },
    onNext: (ctx, _id, _payload, args, result) => {
      lifecycle.checkBuffer(ctx.extra);
      return pipeline.finishResult(result as ExecutionResult, args.contextValue as GraphQLContext | undefined);
    },
    onClose: (ctx) => {
      bounds.release(ctx.extra);
      w.connections.delete(ctx as Connection);
      lifecycle.closed(ctx.extra);
    },
  };
}

/** The start of a graphql-ws `next` message, as graphql-ws would stringify it. */
function nextPrefix(id: string): string {
  return `{"id":${JSON.stringify(id)},"type":"next","payload":`;
}

/**
 * Writes a message as graphql-ws's ws adapter does (nothing once the socket
 * is closing), and like it makes the sender wait while the message is not
 * yet handed to the kernel: a slow consumer's events then queue up in its
 * bounded bus queue. A message the kernel took at once needs no wait (if
 * the socket fails later, ws destroys it and graphql-ws ends its subscriptions).
 */
function sendText(socket: WebSocket, data: string): Promise<void> | undefined {
  if (socket.readyState !== socket.OPEN) return undefined;
  let written: { error?: Error } | undefined;
  let settle: ((error?: Error) => void) | undefined;
  socket.send(data, (error) => (settle ? settle(error) : (written = { error })));
  if (written?.error) return Promise.reject(written.error);
  if (written || socket.bufferedAmount === 0) return undefined;
  return new Promise((resolve, reject) => (settle = (error) => (error ? reject(error) : resolve())));
}

function track(executing: Set<Promise<unknown>>, result: Promise<ExecutionResult>): Promise<ExecutionResult> {
  const tracked = result.catch(() => {});
  executing.add(tracked);
  void tracked.finally(() => executing.delete(tracked));
  return result;
}

async function connect(w: WsGraphQLDeps, ctx: Connection): Promise<boolean> {
  const { extra } = ctx;
  w.connections.add(ctx);
  const viewer = await w.lifecycle.authenticate(extra, authorizationParam(ctx.connectionParams));
  if (viewer === undefined) return false; // graphql-ws closes with 4403 Forbidden
  const refused = viewer ? null : w.bounds.admitAnonymous(extra, w.requestInfo(extra.request).ip);
  if (refused) {
    closeSocket(extra.socket, refused.code, refused.reason);
    return false;
  }
  return w.lifecycle.open(extra);
}

/**
 * connection_init's credential. `authorization`, or the key in any letter
 * case: GraphiQL-style IDEs copy their headers editor into connectionParams
 * as typed (`Authorization`), and HTTP header names are case-insensitive too.
 */
function authorizationParam(params: Connection['connectionParams']): unknown {
  if (!params) return undefined;
  if ('authorization' in params) return params.authorization;
  const key = Object.keys(params).find((name) => name.toLowerCase() === 'authorization');
  return key === undefined ? undefined : params[key];
}

/** A subscribe message: socket bounds, the credential rechecked, then the pipeline's prepare and admit. */
async function subscribe(
  w: WsGraphQLDeps,
  ctx: Connection,
  id: string,
  payload: OperationRequest,
): Promise<ExecutionArgs | readonly GraphQLError[] | undefined> {
  const { extra } = ctx;
  // graphql-ws has already reserved this operation's id in ctx.subscriptions.
  if (Object.keys(ctx.subscriptions).length > w.config.wsMaxSubscriptionsPerSocket) {
    closeSocket(extra.socket, CLOSE_CODES.TOO_MANY_SUBSCRIPTIONS, 'Too many subscriptions on this socket');
    return;
  }
  const throttled = await w.bounds.throttle(extra, (code, reason) => closeSocket(extra.socket, code, reason));
  if (throttled) return throttled;
  // A revoked credential: the operation gets UNAUTHENTICATED, then the socket closes (4403).
  // Counted as the operation's statements, as HTTP counts its credential lookup.
  const sqlStats: SqlStats = { statements: 0 };
  const revoked = await sqlStatsStorage.run(sqlStats, () =>
    recheckViewer(w.deps, extra, () => setImmediate(() => closeSocket(extra.socket, CLOSE_CODES.FORBIDDEN, 'Credentials revoked'))),
  );
  if (revoked) return revoked;
  const prepared = w.pipeline.prepare(payload);
  if (Array.isArray(prepared)) return prepared;
  const admitted = await w.pipeline.admit(prepared, { viewerId: extra.viewer?.id ?? null, address: w.requestInfo(extra.request).ip });
  if ('error' in admitted) return [admitted.error];
  // A subscription pays once, here; its events don't repeat the figures
  // (they would add bytes to every event of every subscriber).
  if (admitted.budget && prepared.operation?.operation !== 'subscription') w.bounds.keepBudget(extra, id, admitted.budget);
  (extra.sqlStats ??= new Map()).set(id, sqlStats);
  return {
    schema: prepared.schema,
    document: prepared.document,
    operationName: prepared.operationName,
    variableValues: prepared.variables,
  };
}

function operationNameOf(args: ExecutionArgs): string | null | undefined {
  return getOperationAST(args.document, args.operationName)?.name?.value ?? null;
}
