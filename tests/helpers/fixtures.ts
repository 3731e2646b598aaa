import { expect } from 'vitest';
import { parseGlobalId, toGlobalId } from '../../src/lib/global-id.ts';
import { TokenService } from '../../src/auth/tokens.ts';
import { loadConfig } from '../../src/config.ts';
import { createEventCursors } from '../../src/events/event-cursors.ts';
import { streams, streamTopic } from '../../src/events/outbox.ts';
import { presenceTopic } from '../../src/events/presence-store.ts';
import { postPublishedTopic } from '../../src/events/topics.ts';
import { typingTopic } from '../../src/events/typing-throttle.ts';
import { createGroup, send } from './chat.ts';
import { signUp, unique, type GraphQLResponse, type TestServer, type TestUser } from './server.ts';

/**
 * The one id helper: the database id behind a global id (tests arrange and
 * assert rows with it). Throws on anything that is not a valid global id.
 */
export function rawId(globalId: string): string {
  const parsed = parseGlobalId(globalId);
  if (!parsed) throw new Error(`not a global id: ${globalId}`);
  return parsed.id;
}

/** The outbox stream of a conversation, a user or a post, from its global id. */
export const streamOf = {
  conversation: (globalId: string) => streams.conversation(rawId(globalId)),
  user: (globalId: string) => streams.user(rawId(globalId)),
  post: (globalId: string) => streams.post(rawId(globalId)),
};

/** Bus topics, named by the server's own functions, from global ids (for `server.whenSubscribed`). */
export const topics = {
  /** messageEvents */
  conversation: (globalId: string) => streamTopic(streamOf.conversation(globalId)),
  /** conversationEvents and notificationAdded */
  user: (globalId: string) => streamTopic(streamOf.user(globalId)),
  /** commentAdded */
  post: (globalId: string) => streamTopic(streamOf.post(globalId)),
  typing: (conversationGlobalId: string) => typingTopic(rawId(conversationGlobalId)),
  presence: (userGlobalId: string) => presenceTopic(rawId(userGlobalId)),
  postPublished: (authorGlobalId: string) => postPublishedTopic(rawId(authorGlobalId)),
};

/** A resume cursor for `stream` at `seq`, signed as a server with this JWT secret signs it (src/events/event-cursors.ts). */
export function eventCursor(jwtSecret: string, stream: string, seq: number): string {
  const tokens = new TokenService(loadConfig({ NODE_ENV: 'test', JWT_SECRET: jwtSecret }).jwt);
  return createEventCursors(tokens.deriveKey('event-cursor')).encode(stream, seq);
}

export const userGid = (id: string) => toGlobalId('User', id);
export const postGid = (id: string) => toGlobalId('Post', id);
export const commentGid = (id: string) => toGlobalId('Comment', id);

/**
 * Asserts the response failed with exactly one error of `code` (and `field`
 * when given: `null` means "no field") and returns that error.
 */
export function expectError(res: GraphQLResponse, code: string, field?: string | null) {
  expect(res.body.errors, JSON.stringify(res.body)).toHaveLength(1);
  const error = res.body.errors![0]!;
  expect(error.extensions.code, JSON.stringify(error)).toBe(code);
  if (field !== undefined) expect(error.extensions.field ?? null, JSON.stringify(error)).toBe(field);
  return error;
}

/** Asserts the response has no errors and returns its data. */
export function ok<T = Record<string, any>>(res: GraphQLResponse<T>): T {
  expect(res.body.errors, JSON.stringify(res.body.errors)).toBeUndefined();
  expect(res.status).toBe(200);
  return res.body.data as T;
}

/** A user row made directly in the database (no password hashing): for data nobody logs in as. */
export async function insertUser(
  server: TestServer,
  prefix = 'row',
  data: { name?: string; createdAt?: Date; role?: 'USER' | 'MODERATOR' | 'ADMIN' } = {},
) {
  const username = unique(prefix).slice(0, 30);
  const user = await server.db.user.create({
    data: {
      username,
      email: `${username}@example.com`,
      name: data.name ?? username,
      passwordHash: 'not-a-hash',
      createdAt: data.createdAt,
      role: data.role,
    },
  });
  return { ...user, gid: userGid(user.id) };
}

/** Inserts `count` posts by `authorId` (a database id) with explicit, increasing createdAt. */
export async function insertPosts(
  server: TestServer,
  authorId: string,
  count: number,
  make: (i: number) => Partial<{
    title: string;
    body: string;
    status: 'DRAFT' | 'PUBLISHED' | 'ARCHIVED';
    createdAt: Date;
    publishedAt: Date | null;
  }> = () => ({}),
) {
  const base = Date.UTC(2026, 0, 1);
  const rows = [];
  for (let i = 0; i < count; i++) {
    const extra = make(i);
    const status = extra.status ?? 'PUBLISHED';
    const createdAt = extra.createdAt ?? new Date(base + i * 60_000);
    rows.push(
      await server.db.post.create({
        data: {
          authorId,
          title: extra.title ?? `Post ${String(i).padStart(3, '0')}`,
          body: extra.body ?? `Body ${i}`,
          status,
          createdAt,
          publishedAt: extra.publishedAt !== undefined ? extra.publishedAt : status === 'DRAFT' ? null : createdAt,
        },
      }),
    );
  }
  return rows;
}

const CREATE_POST = `mutation ($input: CreatePostInput!) {
  createPost(input: $input) { post { id title body status tags publishedAt createdAt updatedAt } }
}`;

/** Creates a post over GraphQL as `user`; returns the post (with `raw`, its database id). */
export async function createPost(
  server: TestServer,
  user: TestUser,
  input: { title?: string; body?: string; tags?: string[]; publish?: boolean } = {},
) {
  const res = await server.gql(CREATE_POST, { input: { title: 'A title', body: 'A body', ...input } }, user.token);
  const post = ok(res).createPost.post;
  return { ...post, raw: rawId(post.id) } as {
    id: string;
    raw: string;
    title: string;
    status: string;
    tags: string[];
    publishedAt: string | null;
    createdAt: string;
    updatedAt: string;
  };
}

interface PageInfo {
  hasNextPage: boolean;
  hasPreviousPage: boolean;
  startCursor: string | null;
  endCursor: string | null;
}
export interface Page<T = any> {
  edges: { cursor: string; node: T }[];
  nodes?: T[];
  pageInfo: PageInfo;
  totalCount?: number;
}

/**
 * Walks a whole connection page by page, forward (first/after) or backward
 * (last/before). `fetch` gets the paging variables and returns the page.
 * Returns all nodes in connection order and the pages seen.
 */
export async function walk<T>(
  fetch: (vars: { first?: number; after?: string; last?: number; before?: string }) => Promise<Page<T>>,
  direction: 'forward' | 'backward',
  size: number,
  between?: (pageIndex: number) => Promise<void>,
): Promise<{ nodes: T[]; pages: Page<T>[] }> {
  const pages: Page<T>[] = [];
  let cursor: string | undefined;
  for (let guard = 0; guard < 1000; guard++) {
    const page = await fetch(direction === 'forward' ? { first: size, after: cursor } : { last: size, before: cursor });
    pages.push(page);
    const more = direction === 'forward' ? page.pageInfo.hasNextPage : page.pageInfo.hasPreviousPage;
    if (!more) break;
    cursor = (direction === 'forward' ? page.pageInfo.endCursor : page.pageInfo.startCursor) ?? undefined;
    expect(cursor).toBeTruthy();
    await between?.(pages.length);
  }
  const nodes =
    direction === 'forward' ? pages.flatMap((p) => p.edges.map((e) => e.node)) : pages.reverse().flatMap((p) => p.edges.map((e) => e.node));
  return { nodes, pages };
}

const CREATE_COMMENT = `mutation ($input: CreateCommentInput!) { createComment(input: $input) { comment { id body } } }`;

/**
 * Builds the usual test data over GraphQL, the way clients make it: users,
 * posts, comments, conversations with members, messages. Each call returns
 * what the server answered (global ids; `rawId` gives database ids).
 */
export function fixtures(server: TestServer) {
  return {
    user: (prefix = 'user') => signUp(server, prefix),
    users: (...prefixes: string[]) => Promise.all(prefixes.map((prefix) => signUp(server, prefix))),
    post: (author: TestUser, input: Parameters<typeof createPost>[2] = {}) => createPost(server, author, { publish: true, ...input }),
    async comment(author: TestUser, postId: string, body = 'A comment', parentId?: string): Promise<{ id: string; body: string }> {
      return ok(await server.gql(CREATE_COMMENT, { input: { postId, body, parentId } }, author.token)).createComment.comment;
    },
    /** A group conversation of `owner` and `members`; returns its global id. */
    conversation: (owner: TestUser, members: TestUser[], title = 'Group') => createGroup(server, owner, members, title),
    message: (sender: TestUser, conversationId: string, body: string) => send(server, sender, conversationId, body),
    /** Alice and Bob in a fresh group conversation (the common chat setup). */
    async chat(title = 'Group') {
      const [alice, bob] = await Promise.all([signUp(server, 'alice'), signUp(server, 'bob')]);
      const id = await createGroup(server, alice, [bob], title);
      return { alice, bob, id };
    },
  };
}
