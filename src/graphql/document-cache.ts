import { parse, validate, type DocumentNode, type GraphQLError, type GraphQLSchema } from 'graphql';

const MAX_DOCUMENTS = 1_000;

/**
 * Parse and validation, cached per query text: what Apollo's document store
 * does for HTTP, for the WebSocket path (graphql-ws parses and validates every
 * subscribe message). Thousands of clients subscribing with the same query
 * then share one AST instead of holding a copy each. Same rules as before
 * (graphql-js `specifiedRules`); parse errors are thrown as before and not cached.
 */
export type DocumentCache = ReturnType<typeof createDocumentCache>;

export function createDocumentCache() {
  const documents = new Map<string, DocumentNode>();
  const validations = new WeakMap<DocumentNode, WeakMap<GraphQLSchema, readonly GraphQLError[]>>();

  return {
    parse(source: string): DocumentNode {
      let document = documents.get(source);
      if (!document) {
        document = parse(source);
        if (documents.size >= MAX_DOCUMENTS) documents.delete(documents.keys().next().value!);
        documents.set(source, document);
      }
      return document;
    },
    validate(schema: GraphQLSchema, document: DocumentNode): readonly GraphQLError[] {
      let bySchema = validations.get(document);
      if (!bySchema) validations.set(document, (bySchema = new WeakMap()));
      let errors = bySchema.get(schema);
      if (!errors) bySchema.set(schema, (errors = validate(schema, document)));
      return errors;
    },
  };
}
