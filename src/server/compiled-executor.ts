import type { ApolloServerOptionsWithGateway } from '@apollo/server';
import {
  execute,
  getOperationAST,
  GraphQLError,
  Kind,
  printSchema,
  visit,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  type GraphQLSchema,
} from 'graphql';
import { compileQuery, isCompiledQuery, type CompiledQuery } from 'graphql-jit';
import type { GraphQLContext } from './context.ts';

/** Documents whose compiled operations are kept (~80 KiB each for a nested query); the least recently used go first. */
const MAX_COMPILED_DOCUMENTS = 250;
/** Documents counted on their way to `compileAfter` executions. */
const MAX_COUNTED_DOCUMENTS = 1_000;

/** What the executor reports to metrics. */
export interface CompiledExecutorEvents {
  /** graphql-jit compiled an operation (once per document and operation name). */
  compiled(): void;
  /**
   * An execution ran on graphql-js: the document names no operation to run
   * (graphql-js reports why), graphql-jit could not compile it, or a
   * variable of @skip/@include is null (see `nullableConditions`).
   */
  fellBack(reason: FallbackReason): void;
}

type FallbackReason = 'no_operation' | 'unsupported' | 'null_condition';

export type CompiledExecutor = ReturnType<typeof createCompiledExecutor>;

// graphql-jit could not compile this operation: graphql-js runs it.
const UNSUPPORTED = Symbol('unsupported');
// Not executed `compileAfter` times yet: graphql-js runs it, uncounted.
const COLD = Symbol('cold');
type Compiled = { query: CompiledQuery; nullableConditions: string[] } | typeof UNSUPPORTED;

/** Map insertion order as recency: `key` moves to the end; past `max` entries the oldest goes. */
function touch<K, V>(map: Map<K, V>, key: K, value: V, max: number): void {
  map.delete(key);
  if (map.size >= max) map.delete(map.keys().next().value!);
  map.set(key, value);
}

/**
 * Runs operations through graphql-jit: each (document, operation) is compiled
 * to a JavaScript function once and reused, instead of graphql-js walking the
 * AST for every field of every request. Both transports' documents come from
 * caches that hand out one DocumentNode per query text (Apollo's document
 * store for HTTP, src/server/document-cache.ts for WebSocket), so the AST
 * object is the key (the same text over HTTP and WebSocket compiles twice).
 * A document is compiled on its `compileAfter`-th execution: one sent once
 * (or a flood of unique ones) costs no compilation and evicts no compiled one.
 * What graphql-jit would not run as graphql-js does runs on graphql-js
 * `execute`, counted (`CompiledExecutorEvents.fellBack`). Results and errors
 * are what graphql-js gives: graphql-jit's errors become graphql-js
 * GraphQLErrors, in graphql-js's key order.
 */
export function createCompiledExecutor(schema: GraphQLSchema, events: CompiledExecutorEvents, options: { compileAfter: number }) {
  const compiledDocuments = new Map<DocumentNode, Map<string, Compiled>>();
  const executions = new Map<DocumentNode, number>();

  function compiledFor(document: DocumentNode, operationName: string | null | undefined): Compiled | typeof COLD | undefined {
    // Only names of the document's own operations become keys: a client's
    // unknown name cannot grow the cache.
    if (!getOperationAST(document, operationName)) return undefined;
    let operations = compiledDocuments.get(document);
    if (!operations) {
      const count = (executions.get(document) ?? 0) + 1;
      if (count < options.compileAfter) {
        touch(executions, document, count, MAX_COUNTED_DOCUMENTS);
        return COLD;
      }
      executions.delete(document);
      operations = new Map();
    }
    touch(compiledDocuments, document, operations, MAX_COMPILED_DOCUMENTS);
    const key = operationName ?? '';
    let compiled = operations.get(key);
    if (compiled === undefined) {
      const result = compileQuery(schema, document, operationName ?? undefined);
      compiled = isCompiledQuery(result) ? { query: result, nullableConditions: nullableConditions(document) } : UNSUPPORTED;
      operations.set(key, compiled);
      if (compiled !== UNSUPPORTED) events.compiled();
    }
    return compiled;
  }

  return {
    /** graphql-js `execute`'s contract, compiled; `rootValue` is a subscription's event. */
    execute(args: ExecutionArgs): ExecutionResult | Promise<ExecutionResult> {
      if (args.schema !== schema) return execute(args);
      const compiled = compiledFor(args.document, args.operationName);
      if (compiled === COLD) return execute(args);
      if (compiled === undefined || compiled === UNSUPPORTED) {
        events.fellBack(compiled === UNSUPPORTED ? 'unsupported' : 'no_operation');
        return execute(args);
      }
      if (compiled.nullableConditions.some((name) => args.variableValues?.[name] === null)) {
        events.fellBack('null_condition');
        return execute(args);
      }
      const result = compiled.query.query(args.rootValue, args.contextValue, args.variableValues);
      return result instanceof Promise ? result.then(asGraphQLJsResult) : asGraphQLJsResult(result);
    },
    /** Operations compiled and kept now (for the metrics' gauge). */
    size(): number {
      let count = 0;
      for (const operations of compiledDocuments.values()) {
        for (const compiled of operations.values()) count += compiled === UNSUPPORTED ? 0 : 1;
      }
      return count;
    },
  };
}

type Gateway = ApolloServerOptionsWithGateway<GraphQLContext>['gateway'];

/**
 * Apollo Server executes through a gateway's executor when one is given
 * (its only hook to replace graphql-js `execute`); parsing, validation, the
 * plugins' hooks and error formatting stay Apollo's, on this schema.
 */
export function compiledGateway(schema: GraphQLSchema, executor: CompiledExecutor): Gateway {
  return {
    async load() {
      return {
        executor: async (request) =>
          executor.execute({
            schema,
            document: request.document,
            operationName: request.request.operationName,
            variableValues: request.request.variables,
            contextValue: request.context,
          }),
      };
    },
    onSchemaLoadOrUpdate(callback) {
      callback({ apiSchema: schema, coreSupergraphSdl: printSchema(schema) });
      return () => {};
    },
    async stop() {},
  };
}

/**
 * Variables of the document's @skip/@include conditions whose type allows
 * null (validation lets `$v: Boolean = false` stand for `if: Boolean!`).
 * Sent as an explicit null, graphql-js refuses the operation ("Argument "if"
 * of non-null type "Boolean!" must not be null.") while graphql-jit's
 * compiled code reads it as false: such executions go to graphql-js.
 */
function nullableConditions(document: DocumentNode): string[] {
  const nullable = new Set<string>();
  const conditions = new Set<string>();
  visit(document, {
    VariableDefinition(node) {
      if (node.type.kind !== Kind.NON_NULL_TYPE) nullable.add(node.variable.name.value);
    },
    Directive(node) {
      if (node.name.value !== 'skip' && node.name.value !== 'include') return;
      const condition = node.arguments?.find((argument) => argument.name.value === 'if')?.value;
      if (condition?.kind === Kind.VARIABLE) conditions.add(condition.name.value);
    },
  });
  return [...conditions].filter((name) => nullable.has(name));
}

/** graphql-js's result: its errors, and `errors` before `data` as graphql-js orders them (responses stay byte-identical). */
function asGraphQLJsResult(result: ExecutionResult): ExecutionResult {
  if (!result.errors) return result;
  const { errors, data, ...rest } = result;
  return { errors: errors.map(asGraphQLJsError), data, ...rest };
}

/**
 * graphql-jit's errors inherit from GraphQLError but leave `extensions`
 * undefined when the thrown error has none (Apollo's and our error shaping
 * read `extensions.code`). This is the error graphql-js's `locatedError`
 * builds; graphql-jit gives locations without the AST nodes graphql-js
 * derives them from, so they are copied.
 */
function asGraphQLJsError(error: GraphQLError): GraphQLError {
  if (Object.getPrototypeOf(error) === GraphQLError.prototype) return error;
  const original = error.originalError;
  const rebuilt = new GraphQLError(error.message, { path: error.path, originalError: original });
  (rebuilt as { locations: GraphQLError['locations'] }).locations = error.locations;
  return rebuilt;
}
