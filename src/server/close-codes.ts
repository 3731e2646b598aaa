/**
 * WebSocket close codes this server uses besides graphql-ws's own (4400
 * bad message, 4401 unauthorized, 4403 forbidden, 4408 init timeout, 4409
 * duplicate id, 4429 too many inits, 4500 internal). Documented in
 * schema.graphql and the README.
 */
export const CLOSE_CODES = {
  /** The access token expired; reconnect with a fresh one (or re-authenticate in band before expiry). */
  TOKEN_EXPIRED: 4401,
  /** Bad credentials at connection_init or in a re-authentication ping. */
  FORBIDDEN: 4403,
  /** Too many open sockets for this user on this instance. */
  TOO_MANY_SOCKETS: 4290,
  /** Too many concurrent subscriptions on this socket. */
  TOO_MANY_SUBSCRIPTIONS: 4291,
  /** A subscription's event queue overflowed (slow consumer). */
  SUBSCRIPTION_QUEUE_OVERFLOW: 4292,
  /** The socket's send buffer (bufferedAmount) overflowed (slow consumer). */
  SEND_BUFFER_OVERFLOW: 4293,
  /** Subscribe messages on this socket kept coming at over twice WS_MAX_OPERATIONS_PER_SECOND. */
  TOO_MANY_OPERATIONS: 4294,
  /** Too many anonymous sockets from this client address on this instance (WS_MAX_ANONYMOUS_SOCKETS_PER_ADDRESS). */
  TOO_MANY_ANONYMOUS_SOCKETS: 4295,
  /** This instance holds its maximum of anonymous sockets (WS_MAX_ANONYMOUS_SOCKETS): 1013 Try Again Later. */
  ANONYMOUS_CAPACITY: 1013,
  /** ws closes with 1009 when a client message exceeds maxPayload. */
  MESSAGE_TOO_BIG: 1009,
  /** Server shutting down. */
  GOING_AWAY: 1001,
} as const;
