import type { IncomingMessage } from 'node:http';
import type { WebSocket } from 'ws';
import type { RealtimeConfig } from '../config.ts';
import type { SqlStats } from '../db/prisma.ts';
import type { Logger } from '../lib/logger.ts';
import type { AppDeps, Viewer } from '../modules/scope.ts';
import { CREDENTIALS_REVOKED, revokes, type CredentialsRevoked } from '../modules/sessions/revocations.ts';
import { CLOSE_CODES } from './close-codes.ts';
import type { SocketBoundsState } from './socket-bounds.ts';

/** What each socket keeps (graphql-ws `ctx.extra`). */
export type SocketState = {
  socket: WebSocket;
  request: IncomingMessage;
  viewer?: Viewer | null;
  /** The credential the viewer came from, resolved again for every operation. */
  authorization?: unknown;
  /** When the current access token expires (null: anonymous). */
  expiresAt?: Date | null;
  expiryTimer?: NodeJS.Timeout;
  /** Counted in per-user socket limits and presence. */
  registered?: boolean;
  bufferTimer?: NodeJS.Timeout;
  /** SQL statements counted for subscribe message `id` before its context exists (the credential recheck), handed to that context. */
  sqlStats?: Map<string, SqlStats>;
} & SocketBoundsState;

// graphql-ws waits for each send to flush before the next result of the same
// subscription, so a stalled socket shows up as bytes stuck in its buffer
// (checked here and before every result) or as a growing subscription queue (4292).
const BUFFER_CHECK_MS = 1_000;

// setTimeout's limit; longer expiries are re-armed when they fire.
export const MAX_TIMER_MS = 2 ** 31 - 1;

export function closeSocket(socket: WebSocket, code: number, reason: string): void {
  if (socket.readyState === socket.OPEN || socket.readyState === socket.CONNECTING) socket.close(code, reason);
}

/** The credential's viewer; null for no credentials, undefined for bad ones. */
async function viewerOf(deps: AppDeps, authorization: unknown): Promise<Viewer | null | undefined> {
  try {
    return await deps.credentials.resolve(authorization);
  } catch {
    return undefined;
  }
}

/**
 * The socket lifecycle, apart from GraphQL: authentication from
 * connection_init, sockets per user (4290), token expiry (4401), in-band
 * re-authentication by ping, revocation (4403), the send-buffer watch (4293)
 * and presence.
 */
export function createSocketLifecycle(deps: AppDeps, config: RealtimeConfig, logger: Logger) {
  const l: Lifecycle = { deps, config, logger, socketsPerUser: new Map(), authenticated: new Map() };
  return {
    /** connection_init: the viewer (undefined: bad credentials, graphql-ws closes with 4403). */
    authenticate: (state: SocketState, authorization: unknown) => authenticate(l, state, authorization),
    /** Starts the timers of an accepted socket (and registers its user); false if refused. */
    open: (state: SocketState) => open(l, state),
    reauthenticate: (state: SocketState, payload: Record<string, unknown> | undefined) => reauthenticate(l, state, payload),
    checkBuffer: (state: SocketState) => checkBuffer(l, state),
    closed: (state: SocketState) => closed(l, state),
    listenForRevocations: () => listenForRevocations(l),
  };
}

type Lifecycle = {
  deps: AppDeps;
  config: RealtimeConfig;
  logger: Logger;
  socketsPerUser: Map<string, number>;
  /** Open authenticated sockets, so revoked credentials close theirs at once. */
  authenticated: Map<WebSocket, SocketState>;
};

function armExpiry(state: SocketState): void {
  clearTimeout(state.expiryTimer);
  if (!state.expiresAt) return;
  const delay = state.expiresAt.getTime() - Date.now();
  state.expiryTimer = setTimeout(
    () => {
      if (state.expiresAt && state.expiresAt.getTime() > Date.now()) armExpiry(state);
      else closeSocket(state.socket, CLOSE_CODES.TOKEN_EXPIRED, 'Access token expired');
    },
    Math.min(Math.max(delay, 0), MAX_TIMER_MS),
  );
  state.expiryTimer.unref();
}

/** Counts the user's socket and marks them online; false when they have too many. */
function register(l: Lifecycle, state: SocketState, viewer: Viewer): boolean {
  const open = l.socketsPerUser.get(viewer.id) ?? 0;
  if (open >= l.config.wsMaxSocketsPerUser) {
    closeSocket(state.socket, CLOSE_CODES.TOO_MANY_SOCKETS, 'Too many open sockets for this user');
    return false;
  }
  l.socketsPerUser.set(viewer.id, open + 1);
  state.registered = true;
  l.authenticated.set(state.socket, state);
  void l.deps.realtime.presence.connect(viewer.id).catch((e) => l.logger.warn('presence connect failed', { error: String(e) }));
  return true;
}

/** A slow consumer: too many bytes waiting in the send buffer closes the socket. */
function checkBuffer(l: Lifecycle, state: SocketState): void {
  if (state.socket.bufferedAmount > l.config.wsMaxBufferedBytes) {
    closeSocket(state.socket, CLOSE_CODES.SEND_BUFFER_OVERFLOW, 'Slow consumer: send buffer overflowed');
  }
}

async function authenticate(l: Lifecycle, state: SocketState, authorization: unknown): Promise<Viewer | null | undefined> {
  const viewer = await viewerOf(l.deps, authorization);
  if (viewer === undefined) return undefined;
  state.viewer = viewer;
  state.authorization = authorization;
  state.expiresAt = viewer?.expiresAt ?? null;
  return viewer;
}

function open(l: Lifecycle, state: SocketState): boolean {
  if (state.viewer && !register(l, state, state.viewer)) return false;
  armExpiry(state);
  state.bufferTimer = setInterval(() => checkBuffer(l, state), BUFFER_CHECK_MS);
  state.bufferTimer.unref();
  return true;
}

/**
 * A graphql-ws `ping` whose payload is `{ authorization: "Bearer <new token>" }`
 * for the same user re-authenticates in band (another user's or a bad token
 * closes with 4403); the pong's payload is `{ reauthenticated: true, expiresAt }`.
 */
async function reauthenticate(l: Lifecycle, state: SocketState, payload: Record<string, unknown> | undefined): Promise<void> {
  const authorization = payload?.authorization;
  if (payload === undefined || authorization === undefined) return;
  const viewer = await viewerOf(l.deps, authorization);
  if (!viewer || !state.viewer || viewer.id !== state.viewer.id) {
    closeSocket(state.socket, CLOSE_CODES.FORBIDDEN, 'Re-authentication failed');
    return;
  }
  // The new credential's session and role apply from now on.
  state.viewer = viewer;
  state.authorization = authorization;
  state.expiresAt = viewer.expiresAt;
  armExpiry(state);
  // graphql-ws echoes the ping payload in its pong: answer with the
  // outcome instead of sending the token back.
  delete payload.authorization;
  payload.reauthenticated = true;
  payload.expiresAt = viewer.expiresAt?.toISOString() ?? null;
}

function closed(l: Lifecycle, state: SocketState): void {
  l.authenticated.delete(state.socket);
  clearTimeout(state.expiryTimer);
  clearInterval(state.bufferTimer);
  const userId = state.viewer?.id;
  if (!state.registered || !userId) return;
  state.registered = false;
  const open = (l.socketsPerUser.get(userId) ?? 1) - 1;
  if (open > 0) l.socketsPerUser.set(userId, open);
  else l.socketsPerUser.delete(userId);
  void l.deps.realtime.presence.disconnect(userId).catch((e) => l.logger.warn('presence disconnect failed', { error: String(e) }));
}

/** Revoked credentials close their open sockets at once (4403); returns the stop function. */
function listenForRevocations(l: Lifecycle): () => Promise<unknown> {
  const revocations = l.deps.bus.subscribe<CredentialsRevoked>(CREDENTIALS_REVOKED);
  void (async () => {
    for await (const event of revocations) {
      if (typeof event === 'symbol') continue; // a resync: nothing to replay
      for (const [socket, state] of l.authenticated) {
        if (state.viewer && revokes(event, state.viewer)) closeSocket(socket, CLOSE_CODES.FORBIDDEN, 'Credentials revoked');
      }
    }
  })().catch((error) => l.logger.warn('revocation listener stopped', { error: String(error) }));
  return async () => revocations.return?.();
}
