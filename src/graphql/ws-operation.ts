import type { DocumentCache } from './document-cache.ts';
import {
  getOperationAST,
  getVariableValues,
  GraphQLError,
  type DocumentNode,
  type ExecutionArgs,
  type GraphQLSchema,
} from 'graphql';

/** The subscribe payload graphql-ws hands to `onSubscribe`. */
export interface WsOperation {
  query: string;
  operationName?: string | null;
  variables?: Record<string, unknown> | null;
}

function withCode(error: GraphQLError, code: string): GraphQLError {
  return new GraphQLError(error.message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    originalError: error.originalError,
    extensions: { ...error.extensions, code },
  });
}

/**
 * Parses, validates and coerces variables the way Apollo Server does on HTTP,
 * with the same error codes, so a WebSocket client gets GRAPHQL_PARSE_FAILED,
 * GRAPHQL_VALIDATION_FAILED or BAD_USER_INPUT instead of uncoded or masked
 * errors (graphql-ws alone adds no codes).
 */
export function prepareWsOperation(
  schema: GraphQLSchema,
  payload: WsOperation,
  documents: DocumentCache,
): ExecutionArgs | GraphQLError[] {
  let document: DocumentNode;
  try {
    document = documents.parse(payload.query);
  } catch (error) {
    if (error instanceof GraphQLError) return [withCode(error, 'GRAPHQL_PARSE_FAILED')];
    throw error;
  }
  const validationErrors = documents.validate(schema, document);
  if (validationErrors.length > 0) return validationErrors.map((e) => withCode(e, 'GRAPHQL_VALIDATION_FAILED'));
  const operation = getOperationAST(document, payload.operationName);
  if (operation) {
    const { errors } = getVariableValues(schema, operation.variableDefinitions ?? [], payload.variables ?? {});
    if (errors?.length) return errors.map((e) => withCode(e, 'BAD_USER_INPUT'));
  }
  return { schema, document, operationName: payload.operationName, variableValues: payload.variables };
}
