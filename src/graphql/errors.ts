import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { unwrapResolverError } from '@apollo/server/errors';
import { ERROR_CODES } from '../lib/errors.ts';
import { isInfrastructureError, RETRY_AFTER_SECONDS, SERVICE_UNAVAILABLE_MESSAGE } from '../lib/infra-errors.ts';

// Codes whose messages are safe to show: ours (lib/errors.ts) and the ones
// Apollo Server raises for bad requests.
const CLIENT_CODES = new Set<string>([
  ...ERROR_CODES.filter((code) => code !== 'INTERNAL_SERVER_ERROR'),
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
]);

/** True for failures we did not plan for: they get masked and logged. */
export function isUnexpected(error: unknown): boolean {
  if (isInfrastructureError(error)) return false; // logged once per request as "service unavailable"
  const original = unwrapResolverError(error);
  if (original instanceof GraphQLError) return !CLIENT_CODES.has(String(original.extensions.code));
  return true;
}

// graphql-js reports bad variables as: Variable "$input" got invalid value 5 at "input.title"; ...
const VARIABLE_PATH = /Variable "\$([^"]+)" got invalid value .*? at "([^"]+)"/;
const VARIABLE_NAME = /Variable "\$([^"]+)"/;
// ...; Field "body" of required type "String!" was not provided. / Field "x" is not defined by type "T".
const INPUT_FIELD = /; Field "([^"]+)" (?:of required type "[^"]+" was not provided|is not defined by type "[^"]+")\.[^;]*$/;

/**
 * Shapes every error for clients: a documented `extensions.code`, the
 * offending field for input errors, and nothing internal (no stack traces,
 * no database messages) for unexpected ones.
 */
export function formatError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  if (isInfrastructureError(error)) return unavailable(formatted);
  if (isUnexpected(error)) {
    return { message: 'Internal server error', path: formatted.path, extensions: { code: 'INTERNAL_SERVER_ERROR' } };
  }
  const { stacktrace: _omit, ...extensions } = formatted.extensions ?? {};
  if (extensions.code === 'BAD_USER_INPUT' && extensions.field === undefined) {
    const match = VARIABLE_PATH.exec(formatted.message) ?? VARIABLE_NAME.exec(formatted.message);
    if (match) {
      const inner = INPUT_FIELD.exec(formatted.message);
      // graphql-js writes list indexes as `ids[1]`; our paths read `ids.1`.
      const base = (match[2] ?? match[1]!).replace(/\[(\d+)\]/g, '.$1');
      extensions.field = inner ? `${base}.${inner[1]}` : base;
    }
  }
  return { ...formatted, extensions };
}

/** PostgreSQL or Redis failed: a retryable, documented answer instead of a masked 500. */
function unavailable(formatted: GraphQLFormattedError): GraphQLFormattedError {
  return {
    message: SERVICE_UNAVAILABLE_MESSAGE,
    ...(formatted.path ? { path: formatted.path } : {}),
    extensions: { code: 'SERVICE_UNAVAILABLE', retryAfterSeconds: RETRY_AFTER_SECONDS },
  };
}
