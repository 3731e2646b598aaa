import type { randomUUID } from 'node:crypto';
import { HeaderMap, type ApolloServerPlugin, type GraphQLRequestListener } from '@apollo/server';
import {
  getOperationAST,
  parse,
  GraphQLError,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  type GraphQLFormattedError,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import { sqlStatsStorage, type SqlStats } from '../db/prisma.ts';
import type { ReadRouter } from '../db/replicas.ts';
import { isInfrastructureError, RETRY_AFTER_SECONDS } from '../lib/infra-errors.ts';
import { withRequestId, type Logger } from '../lib/logger.ts';
import type { AppDeps, RequestInfo, Viewer } from '../modules/scope.ts';
import { BudgetExceeded, costExtension, rootFieldNames, type Budgets, type OperationBudget, type Payer } from './budgets.ts';
import { createContext, renewContext, type GraphQLContext } from './context.ts';
import { checkCost } from './cost.ts';
import { createDocumentCache, type DocumentCache } from './document-cache.ts';
import { createErrorFormatter, isUnexpected } from './error-shaping.ts';
import type { Metrics } from './metrics.ts';
import { checkBeforeExecution, type OperationRules } from './operation-rules.ts';
import type { BeforeMutation, ResponseCache } from './response-cache.ts';
import { finishResponse, lookupResponse, type CacheTicket } from './response-cache-http.ts';
import { compiledGateway, createCompiledExecutor, type CompiledExecutor } from './compiled-executor.ts';

type Transport = 'http' | 'ws';

/** The subscribe payload graphql-ws hands to `onSubscribe`. */
export interface OperationRequest {
  query: string;
  operationName?: string | null;
  variables?: Record<string, unknown> | null;
}

/** A parsed, validated operation about to be admitted. */
interface ResolvedOperation {
  schema: GraphQLSchema;
  document: DocumentNode;
  /** Null when the name matches no operation: execution reports that, as on HTTP. */
  operation: OperationDefinitionNode | null | undefined;
  operationName: string | null | undefined;
  variables: Record<string, unknown> | null | undefined;
}

/** Why an operation may not run: the error, the HTTP status it answers with, and what it spent (if anything). */
interface Refusal {
  error: GraphQLError;
  status: number;
  retryAfterSeconds?: number;
  budget?: OperationBudget;
}

interface PipelineDeps {
  schema: GraphQLSchema;
  deps: AppDeps;
  rules: OperationRules;
  budgets: Budgets;
  maxOperationCost: number;
  logger: Logger;
  metrics: Metrics;
  /** SQL_STATS=1: every result carries `extensions.sqlStatements`. */
  exposeSqlStats: boolean;
  /** GRAPHQL_JIT_COMPILE_AFTER: executions of a document before it is compiled. */
  jitCompileAfter: number;
  /** Read replicas (DATABASE_REPLICA_URLS); null: everything on the primary. */
  reads: ReadRouter | null;
  /** Signed-out query responses shared by every instance (src/server/response-cache.ts); null: none. */
  responseCache: ResponseCache | null;
}

export type OperationPipeline = ReturnType<typeof createOperationPipeline>;

/**
 * The one operation pipeline of both transports. Apollo Server (HTTP) reaches
 * it through `apolloPlugin()`; graphql-ws (src/server/ws-graphql.ts) calls the
 * same functions from onSubscribe/execute/onNext/onError. In order:
 * 1. `prepare`: size, parse and validation with the operation rules and the
 *    document cache (WS; Apollo parses and validates HTTP with the same rules);
 * 2. `admit`: variables and every `rules.beforeExecution` check, then the
 *    static cost limit and the payer's point budgets — a rule or limit added
 *    here applies to both transports;
 * 3. `createContext`, `routeReads` (a query reads from a replica; a mutation
 *    stays on the primary and `rememberWrites` its commit for read-your-writes),
 *    `execute` (compiled by graphql-jit, src/server/compiled-executor.ts;
 *    counted SQL statements, request id in log lines);
 * 4. `report` / `formatErrors` / `extensions`: logging with the request id,
 *    error shaping, metrics, `extensions.cost` and `extensions.sqlStatements`.
 */
export function createOperationPipeline(p: PipelineDeps) {
  // The first costing compiles the library's code paths: pay it at start,
  // not on a client's first operation.
  checkCost(p.schema, parse('{ __typename }'), null, null, p.maxOperationCost);
  const executor = createCompiledExecutor(p.schema, p.metrics.executor, { compileAfter: p.jitCompileAfter });
  p.metrics.sources.compiledQueries = executor.size;
  const state: PipelineState = {
    ...p,
    documents: createDocumentCache(p.rules),
    formatError: createErrorFormatter(p.rules),
    executor,
  };
  const pipeline = {
    schema: p.schema,
    rules: p.rules,
    metrics: p.metrics,
    formatError: state.formatError,
    prepare: (request: OperationRequest) => prepare(state, request),
    admit: (op: ResolvedOperation, payer: Payer) => admit(state, op, payer),
    createContext: (
      viewer: Viewer | null,
      request: RequestInfo,
      sqlStats?: SqlStats,
      requestId?: ReturnType<typeof randomUUID>,
    ): GraphQLContext => createContext(p.deps, viewer, request, sqlStats, requestId),
    report: (errors: readonly GraphQLError[], requestId: string | undefined, transport: Transport) =>
      report(state, errors, requestId, transport),
    formatErrors: (errors: readonly GraphQLError[]) => formatErrors(state, errors),
    executeCounted: (args: ExecutionArgs) => executeCounted(state, args),
    /** graphql-js `execute`, compiled: subscription events go through it too. */
    execute: executor.execute,
    /** Apollo Server's `gateway` option: HTTP operations run on the compiled executor. */
    apolloGateway: () => compiledGateway(p.schema, executor),
    finishResult: (result: ExecutionResult, context: GraphQLContext | undefined) => finishResult(state, result, context),
    apolloPlugin: (): ApolloServerPlugin<GraphQLContext> => ({ requestDidStart: async () => apolloListener(state) }),
  };
  return pipeline;
}

type PipelineState = PipelineDeps & {
  documents: DocumentCache;
  formatError: ReturnType<typeof createErrorFormatter>;
  executor: CompiledExecutor;
};

/** Parse and validate (cached per query text); the errors that refuse it otherwise. */
function prepare(p: PipelineState, request: OperationRequest): ResolvedOperation | GraphQLError[] {
  const document = p.documents.prepare(p.schema, request.query);
  if (Array.isArray(document)) return document;
  const operation = getOperationAST(document, request.operationName);
  return { schema: p.schema, document, operation, operationName: request.operationName, variables: request.variables };
}

/** Variables, the rules' pre-execution checks, the cost limit, then the budgets: what the operation spent, or why it is refused. */
async function admit(p: PipelineState, op: ResolvedOperation, payer: Payer): Promise<{ budget?: OperationBudget } | Refusal> {
  if (!op.operation) return {}; // execution reports the missing operation
  const invalid = checkBeforeExecution(p.rules, {
    schema: op.schema,
    document: op.document,
    operation: op.operation,
    variables: op.variables,
  });
  if (invalid) return { error: invalid, status: (invalid.extensions.http as { status?: number } | undefined)?.status ?? 400 };
  const checked = checkCost(op.schema, op.document, op.operationName, op.variables, p.maxOperationCost);
  if ('error' in checked) return { error: checked.error, status: 400 };
  try {
    return { budget: await p.budgets.spend(payer, checked.cost, rootFieldNames(op.document, op.operation)) };
  } catch (error) {
    if (!(error instanceof BudgetExceeded)) throw error;
    return { error, status: 429, retryAfterSeconds: error.retryAfterSeconds, budget: error.state };
  }
}

/** Logs what went wrong with the operation's request id: an outage once, each unexpected error with its stack. */
function report(p: PipelineState, errors: readonly GraphQLError[], requestId: string | undefined, transport: Transport): void {
  const outage = errors.find(isInfrastructureError);
  if (outage) p.logger.warn('service unavailable', { transport, requestId, error: String(outage.originalError ?? outage) });
  for (const error of errors) {
    if (isUnexpected(error))
      p.logger.error('unexpected error', { transport, requestId, error: String(error.originalError?.stack ?? error) });
  }
}

function formatErrors(p: PipelineState, errors: readonly GraphQLError[]): GraphQLFormattedError[] {
  return errors.map((error) => p.formatError(error.toJSON() as GraphQLFormattedError, error));
}

/** `extensions.cost`, when the operation paid (a subscription pays once, not per event). */
function costOf(context: GraphQLContext | undefined): Record<string, unknown> {
  return context?.budget ? { cost: costExtension(context.budget) } : {};
}

/** `extensions.sqlStatements` with SQL_STATS=1: the statements the operation issued. */
function sqlStatementsOf(p: PipelineState, context: GraphQLContext | undefined): Record<string, unknown> {
  return p.exposeSqlStats && context ? { sqlStatements: context.sqlStats.statements } : {};
}

/**
 * Runs a query or mutation (WS; Apollo does it for HTTP inside
 * http-handler's counter) with its SQL statements counted and its request
 * id on every log line.
 */
async function executeCounted(p: PipelineState, args: ExecutionArgs): Promise<ExecutionResult> {
  const context = args.contextValue as GraphQLContext;
  const operation = getOperationAST(args.document, args.operationName);
  await routeReads(p, context, operation);
  const before = await p.responseCache?.beforeMutation(args.document, operation, args.variableValues);
  const result = await withRequestId(context.requestId, () =>
    sqlStatsStorage.run(context.sqlStats, () => Promise.resolve(p.executor.execute(args))),
  );
  await rememberWrites(p, context, operation);
  await p.responseCache?.afterMutation(operation, args.variableValues, result.data, before ?? [], context.viewer);
  const sql = sqlStatementsOf(p, context);
  return 'sqlStatements' in sql ? { ...result, extensions: { ...result.extensions, ...sql } } : result;
}

/**
 * A query operation reads from a replica in rotation that has replayed the
 * viewer's last write (src/db/replicas.ts); anything else keeps the primary
 * the context was created with. Loaders and services are rebuilt on the chosen client.
 */
async function routeReads(p: PipelineState, context: GraphQLContext, operation: OperationDefinitionNode | null | undefined) {
  if (!p.reads || operation?.operation !== 'query') return;
  const db = await p.reads.readDb(context.viewer?.id ?? null);
  if (db === context.deps.db) return;
  context.deps = { ...context.deps, db };
  renewContext(context);
}

/** After a mutation: its commit position, for the viewer (and the account it signed in as) to read its own writes. */
async function rememberWrites(p: PipelineState, context: GraphQLContext, operation: OperationDefinitionNode | null | undefined) {
  if (!p.reads || operation?.operation !== 'mutation') return;
  const ids = new Set([context.viewer?.id, context.signedIn?.userId].filter((id): id is string => !!id));
  await Promise.all([...ids].map((id) => p.reads!.wrote(id)));
}

/** A WebSocket result as HTTP would answer it: errors logged and shaped, metrics, `extensions.cost`. */
function finishResult(p: PipelineState, result: ExecutionResult, context: GraphQLContext | undefined): ExecutionResult {
  let shaped = result as ExecutionResult | (Omit<ExecutionResult, 'errors'> & { errors: GraphQLFormattedError[] });
  if (result.errors?.length) {
    report(p, result.errors, context?.requestId, 'ws');
    const errors = formatErrors(p, result.errors);
    p.metrics.errors('ws', errors);
    shaped = { ...result, errors };
  }
  const cost = costOf(context);
  if (!('cost' in cost)) return shaped as ExecutionResult;
  return { ...shaped, extensions: { ...result.extensions, ...cost } } as ExecutionResult;
}

/** HTTP: Apollo Server's hooks calling the same steps. */
function apolloListener(p: PipelineState): GraphQLRequestListener<GraphQLContext> {
  let ticket: CacheTicket | undefined;
  let beforeMutation: BeforeMutation | undefined;
  return {
    async didResolveOperation({ schema, document, operation, operationName, request, contextValue }) {
      const payer = { viewerId: contextValue.viewer?.id ?? null, address: contextValue.request.ip };
      const admitted = await admit(p, { schema, document, operation, operationName, variables: request.variables }, payer);
      contextValue.budget = admitted.budget;
      if ('error' in admitted) throw withHttp(admitted);
      // A shared response is filled from the primary: a replica behind a write would put back what its invalidation dropped.
      if (p.responseCache?.applies(document, operation, contextValue.viewer, request.variables)) return;
      beforeMutation = await p.responseCache?.beforeMutation(document, operation, request.variables);
      await routeReads(p, contextValue, operation);
    },
    async responseForOperation({ source, document, operation, operationName, request, contextValue }) {
      if (!p.responseCache) return null;
      const found = await lookupResponse(p.responseCache, {
        source,
        document,
        operation,
        operationName,
        variables: request.variables,
        contextValue,
      });
      ticket = found?.ticket;
      return found?.response ?? null;
    },
    async didEncounterErrors({ errors, contextValue }) {
      report(p, errors, contextValue?.requestId, 'http');
    },
    async willSendResponse(requestContext) {
      const { response, contextValue, operationName, operation } = requestContext;
      const single = response.body.kind === 'single' ? response.body.singleResult : undefined;
      if (single) {
        p.metrics.operation('http', operation ? operationName : undefined, single.errors);
        p.metrics.errors('http', single.errors);
      }
      if (!contextValue) return;
      await rememberWrites(p, contextValue, operation);
      await finishResponse(p.responseCache, ticket, requestContext, beforeMutation);
      response.http.headers.set('x-request-id', contextValue.requestId);
      // PostgreSQL or Redis failed: 503 + Retry-After, so clients and proxies retry.
      if (single?.errors?.some((e) => e.extensions?.code === 'SERVICE_UNAVAILABLE')) {
        response.http.status = 503;
        response.http.headers.set('retry-after', String(RETRY_AFTER_SECONDS));
      }
      const added = { ...costOf(contextValue), ...sqlStatementsOf(p, contextValue) };
      if (single && Object.keys(added).length > 0) single.extensions = { ...single.extensions, ...added };
    },
  };
}

/** The refusal with its HTTP status (and Retry-After) for Apollo Server to answer with; Apollo strips `http` from the body. */
function withHttp(refusal: Refusal): GraphQLError {
  const { error, status, retryAfterSeconds } = refusal;
  if (error.extensions.http) return error;
  const headers = retryAfterSeconds === undefined ? undefined : new HeaderMap([['retry-after', String(retryAfterSeconds)]]);
  return new GraphQLError(error.message, {
    nodes: error.nodes,
    originalError: error.originalError,
    extensions: { ...error.extensions, http: { status, ...(headers ? { headers } : {}) } },
  });
}
