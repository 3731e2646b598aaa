import { createHash } from 'node:crypto';
import {
  isObjectType,
  Kind,
  TypeInfo,
  visit,
  visitWithTypeInfo,
  type DocumentNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import { parseGlobalId } from '../lib/global-id.ts';
import { rootFieldNames } from './budgets.ts';
import { anonymousSharedFields } from '../modules/role-scoped-fields.ts';
import type { ResponseStore } from './response-cache-store.ts';
import { selectsOnly } from './visibility-class.ts';

export interface ResponseCacheConfig {
  /** RESPONSE_CACHE_TTL_SECONDS; 0 turns the cache off. */
  ttlSeconds: number;
  /** Larger results are not cached. */
  maxEntryBytes: number;
}

/**
 * Root fields whose entries a write may change without their result naming
 * it (a new post in a list, a new username): tagged `Query.<field>`, and
 * dropped by any mutation naming an object of that type.
 */
const LIST_TAGS: Readonly<Record<string, string>> = { Post: 'Query.posts', User: 'Query.user' };
const LISTED_ROOTS = new Set(Object.values(LIST_TAGS));
/** Mutations whose effects reach further than the ids they name (an account's posts go with it). */
const FLUSHING_MUTATIONS = new Set(['deleteAccount']);

export type ResponseCache = ReturnType<typeof createResponseCache>;

/** A fresh result to store, with what its tags come from. */
interface Fill {
  body: string;
  document: DocumentNode;
  operation: OperationDefinitionNode;
  variables: unknown;
  data: unknown;
}

/**
 * Whole responses of signed-out queries, shared by every instance through
 * the store. Only documents selecting nothing but `anonymousSharedFields`
 * (src/modules/role-scoped-fields.ts) qualify, and only when every object
 * that has a global id selects `id`: an entry is tagged with each one
 * (`Post:<uuid>`), and a mutation drops the entries carrying what it names.
 */
export function createResponseCache(schema: GraphQLSchema, store: ResponseStore, config: ResponseCacheConfig) {
  const cacheable = new WeakMap<DocumentNode, boolean>();
  return {
    ttlSeconds: config.ttlSeconds,
    /** Whether this operation of `document` from this viewer may be served from, and stored in, the cache. */
    applies(document: DocumentNode, operation: OperationDefinitionNode | null | undefined, signedIn: boolean): boolean {
      if (config.ttlSeconds === 0 || signedIn || operation?.operation !== 'query') return false;
      let verdict = cacheable.get(document);
      if (verdict === undefined) cacheable.set(document, (verdict = sharedAndTagged(schema, document)));
      return verdict;
    },
    key: cacheKey,
    lookup: (key: string) => store.lookup(key),
    async store(key: string, epoch: string, fill: Fill) {
      if (Buffer.byteLength(fill.body) > config.maxEntryBytes) return;
      const roots = rootFieldNames(fill.document, fill.operation).map((name) => `Query.${name}`);
      const tags = new Set([...idsIn(fill.data), ...idsIn(fill.variables), ...literalIdsIn(fill.document)]);
      for (const root of roots) if (LISTED_ROOTS.has(root)) tags.add(root);
      await store.store(key, fill.body, [...tags], config.ttlSeconds, epoch);
    },
    /**
     * After a mutation that ran (`data` present, even null: it may have
     * committed before a field failed): drop what it names (result,
     * variables, literals) and the lists of those types; everything when it
     * names nothing. One refused before execution has no `data`.
     */
    async afterMutation(document: DocumentNode, operation: OperationDefinitionNode | null | undefined, variables: unknown, data: unknown) {
      if (config.ttlSeconds === 0 || operation?.operation !== 'mutation' || data === undefined) return;
      const named = new Set([...idsIn(data), ...idsIn(variables), ...literalIdsIn(document)]);
      const flushes = rootFieldNames(document, operation).some((name) => FLUSHING_MUTATIONS.has(name));
      if (flushes || named.size === 0) return store.invalidate('all');
      const lists = [...named].flatMap((tag) => LIST_TAGS[tag.slice(0, tag.indexOf(':'))] ?? []);
      await store.invalidate([...new Set([...named, ...lists])]);
    },
  };
}

/** The entry's key: the query text, operation name, variables (keys sorted) and the visibility class. */
function cacheKey(query: string, operationName: string | null | undefined, variables: unknown): string {
  return createHash('sha256')
    .update(JSON.stringify([query, operationName ?? null, canonical(variables ?? {}), 'anonymous']))
    .digest('base64url');
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return Object.fromEntries(entries.map(([k, v]) => [k, canonical(v)]));
}

function sharedAndTagged(schema: GraphQLSchema, document: DocumentNode): boolean {
  return selectsOnly(schema, document, anonymousSharedFields) && everyEntitySelectsId(schema, document);
}

/**
 * Every selection set on an object type with a global id selects `id`
 * itself, unaliased, and no other field is aliased `id`: then every such
 * object in the result carries its id under `id`, and its tag is right.
 */
function everyEntitySelectsId(schema: GraphQLSchema, document: DocumentNode): boolean {
  const typeInfo = new TypeInfo(schema);
  let tagged = true;
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      Field(node) {
        if (node.alias?.value === 'id' && node.name.value !== 'id') tagged = false;
      },
      SelectionSet(node) {
        const type = typeInfo.getParentType();
        const entity = isObjectType(type) && type.getInterfaces().some((i) => i.name === 'Node');
        if (entity && !selectsOwnId(node)) tagged = false;
      },
    }),
  );
  return tagged;
}

function selectsOwnId(selectionSet: SelectionSetNode): boolean {
  return selectionSet.selections.some((s) => s.kind === Kind.FIELD && s.name.value === 'id' && !s.alias);
}

/** `Type:<uuid>` of every global id among the strings of a value (a result or variables). */
function idsIn(value: unknown, found = new Set<string>()): Set<string> {
  if (typeof value === 'string') {
    const id = parseGlobalId(value);
    if (id) found.add(`${id.type}:${id.id}`);
  } else if (Array.isArray(value)) {
    for (const item of value) idsIn(item, found);
  } else if (value && typeof value === 'object') {
    for (const item of Object.values(value)) idsIn(item, found);
  }
  return found;
}

/** Global ids written into the document itself (`post(id: "…")`). */
function literalIdsIn(document: DocumentNode): Set<string> {
  const found = new Set<string>();
  visit(document, { StringValue: (node) => void idsIn(node.value, found) });
  return found;
}
