import { createHash } from 'node:crypto';
import {
  isObjectType,
  Kind,
  TypeInfo,
  visit,
  visitWithTypeInfo,
  type DocumentNode,
  type FieldNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import { parseGlobalId } from '../lib/global-id.ts';
import { rootFieldNames } from './budgets.ts';
import { fieldsRefusedToSignedOut } from '../auth/directives.ts';
import type { Viewer } from '../auth/viewer.ts';
import { sharedFieldsFor, sharedOnlyBelow } from '../modules/role-scoped-fields.ts';
import type { ResponseStore } from './response-cache-store.ts';
import { selectsOnly, visibilityClassOf } from './visibility-class.ts';

type FieldSet = ReadonlyMap<string, ReadonlySet<string>>;

export interface ResponseCacheConfig {
  /** RESPONSE_CACHE_TTL_SECONDS; 0 turns the cache off. */
  ttlSeconds: number;
  /** Larger results are not cached. */
  maxEntryBytes: number;
  /** The posts of these comments (raw ids): a write naming a comment also changes its post's pages. */
  postIdsOfComments(commentIds: readonly string[]): Promise<string[]>;
}

/**
 * Root fields whose entries a write may change without their result naming
 * it (a new post in a list, a new username): tagged `Query.<field>`, and
 * dropped by any mutation naming an object of that type.
 */
const LIST_TAGS: Readonly<Record<string, string>> = { Post: 'Query.posts', User: 'Query.user' };
const LISTED_ROOTS = new Set(Object.values(LIST_TAGS));

/**
 * What a mutation drops, by root field, on top of the ids it names (in its
 * arguments or its result): every other mutation acts on the objects its
 * input names (`createComment` its post, `hideComment` its comment, hence
 * its post) or returns the one it made (`createPost`), and one of them that
 * names no id drops everything, since what it changed is unknown.
 * - `all`: its effects reach rows it does not name (an account's posts,
 *   comments and reactions go with it);
 * - tags: it names no id but changes what they cover (a new username);
 * - none: it changes nothing a shared field reads (sessions, passwords, API
 *   keys, email, notifications, read marks, typing).
 */
const MUTATION_REACH: Readonly<Record<string, 'all' | readonly string[]>> = {
  deleteAccount: 'all',
  signUp: ['Query.user'],
  __typename: [],
  ...Object.fromEntries(
    [
      'logIn',
      'refreshSession',
      'logOut',
      'logOutEverywhere',
      'revokeSession',
      'changePassword',
      'changeEmail',
      'createApiKey',
      'revokeApiKey',
      'markNotificationRead',
      'markAllNotificationsRead',
      'markConversationRead',
      'setTyping',
    ].map((name) => [name, []]),
  ),
};

export type ResponseCache = ReturnType<typeof createResponseCache>;

/** A fresh result to store, with what its tags come from. */
interface Fill {
  body: string;
  document: DocumentNode;
  operation: OperationDefinitionNode;
  variables: unknown;
  data: unknown;
}

/** What a mutation must drop that only the rows before it know (a deleted comment's post), or everything. */
export type BeforeMutation = readonly string[] | 'all';

/**
 * Whole query responses, shared by every viewer of one visibility class
 * (src/server/visibility-class.ts) and every instance through the store.
 * Only documents selecting nothing but the fields the policy lists as the
 * same for that class (`sharedFieldsFor`, src/modules/role-scoped-fields.ts)
 * qualify, and only when every object that has a global id selects `id`:
 * an entry is tagged with each one (`Post:<uuid>`), and a mutation drops
 * the entries carrying what it names.
 */
export function createResponseCache(schema: GraphQLSchema, store: ResponseStore, config: ResponseCacheConfig) {
  const shareable = shareableDocuments(schema);
  // Refused by the schema's directives before they run: a signed-out viewer's call changes nothing.
  const refusedSignedOut = fieldsRefusedToSignedOut(schema, 'Mutation');
  return {
    ttlSeconds: config.ttlSeconds,
    /** Whether this operation from this viewer may be served from, and stored in, the cache (under the viewer's class). */
    applies(
      document: DocumentNode,
      operation: OperationDefinitionNode | null | undefined,
      viewer: Viewer | null,
      variables: unknown,
    ): boolean {
      if (config.ttlSeconds === 0 || operation?.operation !== 'query') return false;
      // A comment asked for by id (`node`): whether it is visible reads its post, which the entry would not carry.
      return shareable(document, sharedFieldsFor(viewer)) && !namesType(idsIn(variables), 'Comment');
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
    /** Before a mutation runs: the posts of the comments it names (once deleted, a comment's post is unknown). */
    async beforeMutation(
      document: DocumentNode,
      operation: OperationDefinitionNode | null | undefined,
      variables: unknown,
    ): Promise<BeforeMutation> {
      if (config.ttlSeconds === 0 || operation?.operation !== 'mutation') return [];
      return postsOfNamedComments(config, [...idsIn(variables), ...literalIdsIn(document)]);
    },
    /**
     * After a mutation that ran (`data` present, even null: it may have
     * committed before a field failed): drop what it reaches (MUTATION_REACH)
     * and the lists of those types. One refused before execution has no `data`.
     */
    async afterMutation(
      operation: OperationDefinitionNode | null | undefined,
      variables: unknown,
      data: unknown,
      before: BeforeMutation,
      viewer: Viewer | null,
    ) {
      if (config.ttlSeconds === 0 || operation?.operation !== 'mutation' || data === undefined) return;
      const ran = (field: string) => viewer !== null || !refusedSignedOut.has(field);
      const reach = mutationReach(operation, variables, data, ran);
      if (reach === 'all' || before === 'all') return store.invalidate('all');
      const tags = new Set([...reach, ...before]);
      for (const tag of [...tags]) {
        const list = LIST_TAGS[tag.slice(0, tag.indexOf(':'))];
        if (list) tags.add(list);
      }
      if (tags.size > 0) await store.invalidate([...tags]);
    },
  };
}

/** Whether a document qualifies for a class's field set, remembered per parsed document. */
function shareableDocuments(schema: GraphQLSchema) {
  const verdicts = new WeakMap<DocumentNode, Map<FieldSet, boolean>>();
  return (document: DocumentNode, fields: FieldSet): boolean => {
    const byFields = verdicts.get(document) ?? new Map<FieldSet, boolean>();
    verdicts.set(document, byFields);
    let verdict = byFields.get(fields);
    if (verdict === undefined) byFields.set(fields, (verdict = sharedAndTagged(schema, document, fields)));
    return verdict;
  };
}

/** `Post:<uuid>` of the posts of the comments among `named`; everything when they cannot be read. */
async function postsOfNamedComments(config: ResponseCacheConfig, named: string[]): Promise<BeforeMutation> {
  const comments = named.filter((tag) => tag.startsWith('Comment:')).map((tag) => tag.slice('Comment:'.length));
  if (comments.length === 0) return [];
  try {
    return (await config.postIdsOfComments(comments)).map((id) => `Post:${id}`);
  } catch {
    return 'all';
  }
}

/** The tags a mutation's root fields that `ran` reach: the ids each names in its arguments and result, and MUTATION_REACH. */
function mutationReach(
  operation: OperationDefinitionNode,
  variables: unknown,
  data: unknown,
  ran: (field: string) => boolean,
): Set<string> | 'all' {
  const tags = new Set<string>();
  const results = (data ?? {}) as Record<string, unknown>;
  for (const selection of operation.selectionSet.selections) {
    // A fragment at the root hides which mutations it runs: in doubt, everything.
    if (selection.kind !== Kind.FIELD) return 'all';
    if (!ran(selection.name.value)) continue;
    const reach = MUTATION_REACH[selection.name.value];
    if (reach === 'all') return 'all';
    const named = idsInArguments(selection, variables);
    idsIn(results[selection.alias?.value ?? selection.name.value], named);
    if (reach === undefined && named.size === 0) return 'all';
    for (const tag of [...named, ...(reach ?? [])]) tags.add(tag);
  }
  return tags;
}

/** The entry's key: the query text, operation name, variables (keys sorted) and the viewer's visibility class. */
function cacheKey(query: string, operationName: string | null | undefined, variables: unknown, viewer: Viewer | null): string {
  return createHash('sha256')
    .update(JSON.stringify([query, operationName ?? null, canonical(variables ?? {}), visibilityClassOf(viewer)]))
    .digest('base64url');
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return Object.fromEntries(entries.map(([k, v]) => [k, canonical(v)]));
}

function sharedAndTagged(schema: GraphQLSchema, document: DocumentNode, fields: FieldSet): boolean {
  return (
    selectsOnly(schema, document, fields) &&
    everyEntitySelectsId(schema, document) &&
    reachedOnlyBelowTheirField(schema, document) &&
    !namesType(literalIdsIn(document), 'Comment')
  );
}

/**
 * Every selection on a type of `sharedOnlyBelow` sits inside the field it
 * must be reached through (a comment inside `Post.comments`), in the
 * operation itself: a fragment on such a type makes the document uncacheable.
 */
function reachedOnlyBelowTheirField(schema: GraphQLSchema, document: DocumentNode): boolean {
  const typeInfo = new TypeInfo(schema);
  const path: string[] = [];
  let reached = true;
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      Field: {
        enter: (node) => void path.push(`${typeInfo.getParentType()?.name}.${node.name.value}`),
        leave: () => void path.pop(),
      },
      SelectionSet() {
        const below = sharedOnlyBelow.get(typeInfo.getParentType()?.name ?? '');
        if (below && !path.includes(below)) reached = false;
      },
    }),
  );
  return reached;
}

function namesType(tags: Set<string>, type: string): boolean {
  return [...tags].some((tag) => tag.startsWith(`${type}:`));
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

/** Global ids a field's arguments name, written into the document or passed as variables. */
function idsInArguments(field: FieldNode, variables: unknown): Set<string> {
  const found = new Set<string>();
  const values = (variables ?? {}) as Record<string, unknown>;
  for (const argument of field.arguments ?? []) {
    visit(argument, {
      StringValue: (node) => void idsIn(node.value, found),
      Variable: (node) => void idsIn(values[node.name.value], found),
    });
  }
  return found;
}

/** Global ids written into the document itself (`post(id: "…")`). */
function literalIdsIn(document: DocumentNode): Set<string> {
  const found = new Set<string>();
  visit(document, { StringValue: (node) => void idsIn(node.value, found) });
  return found;
}
