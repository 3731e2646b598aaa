import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { unwrapResolverError } from '@apollo/server/errors';

// Codes whose messages are safe to show: ours (lib/errors.ts) and the ones
// Apollo Server raises for bad requests.
const CLIENT_CODES = new Set([
  'BAD_REQUEST',
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_USER_INPUT',
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'NOT_FOUND',
  'CONFLICT',
  'INVALID_CREDENTIALS',
  'IDEMPOTENCY_KEY_REUSED',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
]);

/** True for failures we did not plan for: they get masked and logged. */
export function isUnexpected(error: unknown): boolean {
  const original = unwrapResolverError(error);
  if (original instanceof GraphQLError) return !CLIENT_CODES.has(String(original.extensions.code));
  return true;
}

// graphql-js reports bad variables as: Variable "$input" got invalid value 5 at "input.title"; ...
const VARIABLE_PATH = /Variable "\$([^"]+)" got invalid value .*? at "([^"]+)"/;
const VARIABLE_NAME = /Variable "\$([^"]+)"/;

/**
 * Shapes every error for clients: a documented `extensions.code`, the
 * offending field for input errors, and nothing internal (no stack traces,
 * no database messages) for unexpected ones.
 */
export function formatError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  if (isUnexpected(error)) {
    return { message: 'Internal server error', path: formatted.path, extensions: { code: 'INTERNAL_SERVER_ERROR' } };
  }
  const { stacktrace: _omit, ...extensions } = formatted.extensions ?? {};
  if (extensions.code === 'BAD_USER_INPUT' && extensions.field === undefined) {
    const match = VARIABLE_PATH.exec(formatted.message) ?? VARIABLE_NAME.exec(formatted.message);
    if (match) extensions.field = match[2] ?? match[1];
  }
  return { ...formatted, extensions };
}
