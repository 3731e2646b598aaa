import type { DocumentCache } from './document-cache.ts';
import { getOperationAST, GraphQLError, type ExecutionArgs, type GraphQLSchema } from 'graphql';
import { checkBeforeExecution } from './operation-rules.ts';

/** The subscribe payload graphql-ws hands to `onSubscribe`. */
export interface WsOperation {
  query: string;
  operationName?: string | null;
  variables?: Record<string, unknown> | null;
}

/**
 * What Apollo Server does for HTTP, for a WebSocket subscribe message: the
 * operation rules (size, tokens, depth, aliases, root fields, directives,
 * introspection), validation and variable coercion, with the same error codes
 * (OPERATION_TOO_COMPLEX, GRAPHQL_PARSE_FAILED, GRAPHQL_VALIDATION_FAILED,
 * BAD_USER_INPUT with `extensions.field`); graphql-ws alone adds no codes.
 */
export function prepareWsOperation(
  schema: GraphQLSchema,
  payload: WsOperation,
  documents: DocumentCache,
): ExecutionArgs | GraphQLError[] {
  const document = documents.prepare(schema, payload.query);
  if (Array.isArray(document)) return document;
  const operation = getOperationAST(document, payload.operationName);
  if (operation) {
    const error = checkBeforeExecution(documents.rules, { schema, document, operation, variables: payload.variables });
    if (error) return [error];
  }
  return { schema, document, operationName: payload.operationName, variableValues: payload.variables };
}
