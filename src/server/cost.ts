import { DEFAULT_PAGE_SIZE } from '../lib/pagination.ts';
import { getNamedType, getOperationAST, isLeafType, Kind, type DocumentNode, type GraphQLSchema } from 'graphql';
import { getComplexity, type ComplexityEstimatorArgs } from 'graphql-query-complexity';
import { AppError } from '../lib/errors.ts';

/**
 * Static cost of an operation, computed from the document and the SDL before
 * anything runs (graphql-query-complexity walks the selection set with the
 * variables resolved, honours @skip/@include, and takes the costliest branch
 * of a fragment on an abstract type). Per field:
 *
 *   cost = own + search + multiplier × (cost of its selection set)
 *
 * - own: 0 for scalars and enums, 1 for objects (each one is a loader call);
 * - search: SEARCH_COST when a `filter: { search }` is given (full-text and
 *   substring search scan far more rows than an indexed lookup);
 * - multiplier: the page size for connections (`first` or `last`, else the
 *   default page size of 20), the number of ids for `nodes(ids:)`, else 1.
 *
 * So `posts(first: 10) { nodes { id author { id } } }` costs
 * 1 + 10 × (1 + 1) = 21, and a nested connection multiplies its parent's page.
 */
const SEARCH_COST = 50;

function multiplier(args: Record<string, unknown>, fieldArgNames: ReadonlySet<string>): number {
  if (fieldArgNames.has('first') || fieldArgNames.has('last')) {
    const size = args.first ?? args.last;
    return typeof size === 'number' && size >= 0 ? size : DEFAULT_PAGE_SIZE;
  }
  if (Array.isArray(args.ids)) return args.ids.length;
  return 1;
}

function searches(args: Record<string, unknown>): boolean {
  const filter = args.filter as Record<string, unknown> | null | undefined;
  return typeof filter?.search === 'string' && filter.search !== '';
}

function fieldCost({ field, args, childComplexity }: ComplexityEstimatorArgs): number {
  const own = isLeafType(getNamedType(field.type)) ? 0 : 1;
  const argNames = new Set(field.args.map((a) => a.name));
  return own + (searches(args) ? SEARCH_COST : 0) + multiplier(args, argNames) * childComplexity;
}

/**
 * The operation's cost, or null when it cannot be computed because the
 * variables do not coerce (execution then refuses them with BAD_USER_INPUT
 * before any resolver runs).
 */
function operationCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  variables: Record<string, unknown> | null | undefined,
): number | null {
  try {
    return getComplexity({
      schema,
      query: document,
      operationName: operationName ?? undefined,
      variables: variables ?? {},
      estimators: [fieldCost],
      // Fragments spread many times can multiply the nodes to visit: past
      // this many the operation is refused as too complex (see below).
      maxQueryNodes: MAX_QUERY_NODES,
    });
  } catch (error) {
    if (error instanceof Error && error.message.includes('maximum allowed number of nodes')) return Number.POSITIVE_INFINITY;
    return null;
  }
}

const MAX_QUERY_NODES = 20_000;

/** The refusal for an operation over the configured maximum (HTTP 400). */
function tooComplex(max: number, actual: number): AppError {
  if (!Number.isFinite(actual)) {
    return new AppError(
      'OPERATION_TOO_COMPLEX',
      `Operation has more than ${MAX_QUERY_NODES} fields to cost; the maximum cost is ${max} points`,
      { limit: 'cost', max },
    );
  }
  return new AppError('OPERATION_TOO_COMPLEX', `Operation cost ${actual} exceeds the maximum of ${max} points`, {
    limit: 'cost',
    max,
    actual,
  });
}

// Costs of documents seen before (Apollo and the WebSocket document cache hand
// back the same DocumentNode for the same text), per operation name and
// variables: the walk is skipped for repeated operations.
const MAX_CACHED_PER_DOCUMENT = 32;
const MAX_CACHED_KEY_CHARS = 2_048;
interface CachedCosts {
  byKey: Map<string, number | null>;
  /** Per operation name: its variables declared `ID` or `ID!`. */
  idVariables: Map<string, readonly string[]>;
}
const costCache = new WeakMap<DocumentNode, CachedCosts>();

/**
 * The operation's variables declared `ID`/`ID!`. The cost never reads their
 * value (validation keeps an ID out of a page size, a list of ids, a search
 * text and an @include condition) and every string coerces to an ID, so all
 * string values cost the same: point lookups with a new id each time still hit
 * the cache.
 */
function idVariablesOf(document: DocumentNode, operationName: string | null | undefined): string[] {
  const operation = getOperationAST(document, operationName);
  const names: string[] = [];
  for (const definition of operation?.variableDefinitions ?? []) {
    const type = definition.type.kind === Kind.NON_NULL_TYPE ? definition.type.type : definition.type;
    if (type.kind === Kind.NAMED_TYPE && type.name.value === 'ID') names.push(definition.variable.name.value);
  }
  return names;
}

function costKey(
  entry: CachedCosts,
  document: DocumentNode,
  operationName: string | null | undefined,
  variables: Record<string, unknown>,
): string {
  let idVariables = entry.idVariables.get(operationName ?? '');
  if (!idVariables) {
    idVariables = idVariablesOf(document, operationName);
    // Operation names come from clients: remember a few per document only.
    if (entry.idVariables.size < MAX_CACHED_PER_DOCUMENT) entry.idVariables.set(operationName ?? '', idVariables);
  }
  let keyed = variables;
  for (const name of idVariables) {
    if (typeof variables[name] === 'string' && variables[name] !== '') keyed = { ...keyed, [name]: '' };
  }
  return `${operationName ?? ''}\n${JSON.stringify(keyed)}`;
}

function cachedCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  variables: Record<string, unknown> | null | undefined,
): number | null {
  let entry = costCache.get(document);
  if (!entry) costCache.set(document, (entry = { byKey: new Map(), idVariables: new Map() }));
  const key = costKey(entry, document, operationName, variables ?? {});
  if (key.length > MAX_CACHED_KEY_CHARS) return operationCost(schema, document, operationName, variables);
  const { byKey } = entry;
  if (byKey.has(key)) return byKey.get(key)!;
  const cost = operationCost(schema, document, operationName, variables);
  if (byKey.size >= MAX_CACHED_PER_DOCUMENT) byKey.clear();
  byKey.set(key, cost);
  return cost;
}

/** The cost (at least 1), or the refusal when it exceeds `max`. */
export function checkCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  variables: Record<string, unknown> | null | undefined,
  max: number,
): { cost: number } | { error: AppError } {
  const cost = cachedCost(schema, document, operationName, variables);
  if (cost === null) return { cost: 1 };
  if (cost > max) return { error: tooComplex(max, cost) };
  // Every operation costs at least a point, so budgets also bound cheap floods.
  return { cost: Math.max(1, cost) };
}
