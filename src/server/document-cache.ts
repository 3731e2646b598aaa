import { GraphQLError, parse, specifiedRules, validate, type DocumentNode, type GraphQLSchema } from 'graphql';
import type { OperationRules } from './operation-rules.ts';

/** Bounds of the cache; both hold at all times. */
export interface DocumentCacheBounds {
  maxEntries: number;
  /** Sum of the cached query texts in UTF-8 bytes (their ASTs are a small multiple of it). */
  maxBytes: number;
}

const DEFAULT_BOUNDS: DocumentCacheBounds = { maxEntries: 1_000, maxBytes: 4 * 1024 * 1024 };

/** Parse failures carry GRAPHQL_PARSE_FAILED, validation failures GRAPHQL_VALIDATION_FAILED, unless a limit gave its own code. */
function withCode(error: GraphQLError, code: string): GraphQLError {
  if (error.extensions.code) return error;
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
 * Size check, parse and validation for the WebSocket path (graphql-ws would
 * otherwise parse and validate every subscribe message with graphql-js's rules
 * only), with the same operation rules as HTTP. Valid documents are cached per
 * query text, so thousands of clients subscribing with the same query share
 * one AST; a document refused for any reason is never cached, and the cache is
 * bounded by entries and by bytes (least recently used go first).
 */
export type DocumentCache = ReturnType<typeof createDocumentCache>;

export function createDocumentCache(rules: OperationRules, bounds: DocumentCacheBounds = DEFAULT_BOUNDS) {
  const documents = new Map<string, { document: DocumentNode; schema: GraphQLSchema; bytes: number }>();
  let bytes = 0;
  const validationRules = [...specifiedRules, ...rules.validationRules];

  function remember(source: string, document: DocumentNode, schema: GraphQLSchema): void {
    const size = Buffer.byteLength(source, 'utf8');
    if (size > bounds.maxBytes) return;
    while (documents.size >= bounds.maxEntries || bytes + size > bounds.maxBytes) {
      const [oldest, entry] = documents.entries().next().value!;
      documents.delete(oldest);
      bytes -= entry.bytes;
    }
    documents.set(source, { document, schema, bytes: size });
    bytes += size;
  }

  return {
    rules,
    /** The validated document for this query text, or the errors that refuse it. */
    prepare(schema: GraphQLSchema, source: string): DocumentNode | GraphQLError[] {
      const cached = documents.get(source);
      if (cached && cached.schema === schema) {
        // Most recently used last: Map keeps insertion order.
        documents.delete(source);
        documents.set(source, cached);
        return cached.document;
      }
      const tooLarge = rules.checkSize(source);
      if (tooLarge) return [tooLarge];
      let document: DocumentNode;
      try {
        document = parse(source, rules.parseOptions);
      } catch (error) {
        if (error instanceof GraphQLError) return [withCode(rules.parseError(error, source), 'GRAPHQL_PARSE_FAILED')];
        throw error;
      }
      const errors = validate(schema, document, validationRules, rules.validationOptions);
      if (errors.length > 0) return errors.map((error) => withCode(error, 'GRAPHQL_VALIDATION_FAILED'));
      remember(source, document, schema);
      return document;
    },
    /** Current size, for tests and diagnostics. */
    stats(): { entries: number; bytes: number } {
      return { entries: documents.size, bytes };
    },
  };
}
