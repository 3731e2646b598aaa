import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { unwrapResolverError } from '@apollo/server/errors';
import { ERROR_CODES } from '../lib/errors.ts';
import { isInfrastructureError, RETRY_AFTER_SECONDS, SERVICE_UNAVAILABLE_MESSAGE } from '../lib/infra-errors.ts';
import { OperationTooComplexError, type OperationRules } from './operation-rules.ts';

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

/**
 * Shapes every error for clients: a documented `extensions.code`, and nothing
 * internal (no stack traces, no database messages) for unexpected ones. With
 * the operation rules (HTTP), it also gives Apollo's parse and validation
 * errors the code of the limit behind them: Apollo Server re-codes them all as
 * GRAPHQL_PARSE_FAILED / GRAPHQL_VALIDATION_FAILED. On WebSocket they are
 * coded when prepared (src/server/operation-pipeline.ts `prepare`).
 * Offending variable paths (`extensions.field`) come from the variable
 * coercion in src/server/variables.ts, never from parsing messages.
 */
export function createErrorFormatter(rules?: OperationRules) {
  return function formatError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
    if (isInfrastructureError(error)) return unavailable(formatted);
    if (isUnexpected(error)) {
      return { message: 'Internal server error', path: formatted.path, extensions: { code: 'INTERNAL_SERVER_ERROR' } };
    }
    const limit = limitBehind(error, rules);
    if (limit) return { message: limit.message, locations: formatted.locations, extensions: clientExtensions(limit.extensions) };
    return { ...formatted, extensions: clientExtensions(formatted.extensions) };
  };
}

function clientExtensions(extensions: Readonly<Record<string, unknown>> = {}): Record<string, unknown> {
  const { stacktrace: _stack, http: _http, ...rest } = extensions;
  return rest;
}

/** The operation-limit refusal hidden behind an Apollo parse or validation error, if any. */
function limitBehind(error: unknown, rules: OperationRules | undefined): OperationTooComplexError | undefined {
  if (!(error instanceof GraphQLError)) return undefined;
  if (error.originalError instanceof OperationTooComplexError) return error.originalError;
  if (rules && error.extensions.code === 'GRAPHQL_PARSE_FAILED' && error.source) {
    const refusal = rules.parseError(error, error.source.body);
    if (refusal instanceof OperationTooComplexError) return refusal;
  }
  return undefined;
}

/** PostgreSQL or Redis failed: a retryable, documented answer instead of a masked 500. */
function unavailable(formatted: GraphQLFormattedError): GraphQLFormattedError {
  return {
    message: SERVICE_UNAVAILABLE_MESSAGE,
    ...(formatted.path ? { path: formatted.path } : {}),
    extensions: { code: 'SERVICE_UNAVAILABLE', retryAfterSeconds: RETRY_AFTER_SECONDS },
  };
}
