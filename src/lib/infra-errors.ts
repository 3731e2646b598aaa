import { GraphQLError } from 'graphql';

/**
 * Recognises failures of the infrastructure (PostgreSQL or Redis down,
 * unreachable, restarting, or saturated) as opposed to bugs. Clients get
 * them as SERVICE_UNAVAILABLE (HTTP 503 with Retry-After): retrying later
 * is the right reaction, and nothing internal is shown.
 *
 * Only errors raised by our own drivers are inspected here (codes, class
 * names and the fixed messages of pg, Prisma and ioredis), never text a
 * client can shape.
 */

/** Seconds a client should wait before retrying (Retry-After, `extensions.retryAfterSeconds`). */
export const RETRY_AFTER_SECONDS = 5;

export const SERVICE_UNAVAILABLE_MESSAGE = 'The service is temporarily unavailable. Retry later.';

// Prisma: P1001 can't reach the server, P1002 timed out, P1008 operation
// timed out, P1017 server closed the connection, P2024 connection pool
// timeout, P2028 transaction API error (e.g. could not start in time),
// P2037 too many connections.
const PRISMA_CODES = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024', 'P2028', 'P2037']);

// Node socket errors.
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

// PostgreSQL SQLSTATEs: class 08 (connection exception), 53300 too many
// connections, 57P01-57P03 server shutting down / cannot connect now.
const PG_STATES = new Set(['53300', '57P01', '57P02', '57P03']);

// Driver adapter error kinds (@prisma/driver-adapter-utils).
const ADAPTER_KINDS = new Set(['DatabaseNotReachable', 'ConnectionClosed', 'SocketTimeout', 'TooManyConnections', 'TlsConnectionError']);

// Fixed messages of pg's Pool/Client and of ioredis (not client input).
const DRIVER_MESSAGES = [
  'Connection terminated', // pg: "Connection terminated unexpectedly" / "... due to connection timeout"
  'timeout exceeded when trying to connect', // pg.Pool connectionTimeoutMillis
  'Client has encountered a connection error and is not queryable',
  'Cannot use a pool after calling end on the pool',
  'Command timed out', // ioredis commandTimeout
  "Stream isn't writeable", // ioredis with enableOfflineQueue: false
  'Connection is closed', // ioredis
  'Reached the max retries per request limit', // ioredis MaxRetriesPerRequestError
  'Unable to start a transaction in the given time', // Prisma P2028 (message form)
  'Transaction already closed', // Prisma: the transaction outlived its timeout while the database stalled
];

function own(error: object, key: string): unknown {
  return (error as Record<string, unknown>)[key];
}

function isInfraLeaf(error: object): boolean {
  const code = own(error, 'code');
  if (typeof code === 'string') {
    if (PRISMA_CODES.has(code) || SOCKET_CODES.has(code) || PG_STATES.has(code) || code.startsWith('08')) return true;
  }
  const kind = own(error, 'kind');
  if (typeof kind === 'string' && ADAPTER_KINDS.has(kind)) return true;
  const name = own(error, 'name') ?? error.constructor?.name;
  if (name === 'PrismaClientInitializationError' || name === 'MaxRetriesPerRequestError') return true;
  const message = own(error, 'message');
  return typeof message === 'string' && DRIVER_MESSAGES.some((m) => message.startsWith(m) || message.includes(`: ${m}`));
}

/** True when `error` (or anything it wraps) is an infrastructure failure. */
export function isInfrastructureError(error: unknown): boolean {
  const seen = new Set<object>();
  const queue: unknown[] = [error];
  while (queue.length > 0 && seen.size < 16) {
    const current = queue.shift();
    if (typeof current !== 'object' || current === null || seen.has(current)) continue;
    seen.add(current);
    // Our own GraphQL errors are never reclassified; GraphQL-located
    // wrappers of a resolver's error are looked through.
    const code = (current as GraphQLError).extensions?.code;
    if (current instanceof GraphQLError && code !== undefined && code !== 'INTERNAL_SERVER_ERROR') {
      if (code === 'SERVICE_UNAVAILABLE') return true;
      if (!(current as GraphQLError).originalError) return false;
    }
    if (!(current instanceof GraphQLError) && isInfraLeaf(current)) return true;
    for (const key of ['originalError', 'cause', 'meta']) {
      const inner = own(current, key);
      if (inner) queue.push(inner);
    }
    const driverError = own(current, 'driverAdapterError');
    if (driverError) queue.push(driverError);
    const errors = own(current, 'errors');
    if (Array.isArray(errors)) queue.push(...errors.slice(0, 4)); // AggregateError (e.g. ECONNREFUSED on ::1 and 127.0.0.1)
  }
  return false;
}

/** The GraphQL error a client sees for an infrastructure failure. */
export function serviceUnavailable(): GraphQLError {
  return new GraphQLError(SERVICE_UNAVAILABLE_MESSAGE, {
    extensions: {
      code: 'SERVICE_UNAVAILABLE',
      retryAfterSeconds: RETRY_AFTER_SECONDS,
      http: { status: 503, headers: new Map([['retry-after', String(RETRY_AFTER_SECONDS)]]) },
    },
  });
}
