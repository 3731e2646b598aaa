// The HTTP workloads, written once per peer in that peer's own schema dialect,
// with a shape check so an error page can never pass for speed.
import type { PeerName } from './harness.ts';

export type WorkloadName = 'W1' | 'W2' | 'W3' | 'W4' | 'W6';

export const WORKLOAD_TITLES: Record<WorkloadName, string> = {
  W1: 'flat list: users(first: 50) { id username name createdAt }',
  W2: 'nested: 20 posts + author + first 10 comments + their authors + reaction counts',
  W3: 'point lookup: node(id: $id), random User/Post ids as variables',
  W4: 'authenticated createComment mutation',
  W6: 'deep: 10 users + 5 posts each + 5 comments each + comment author follower count + 3 replies each + their authors',
};

/** Data the workloads draw from (random ids, tokens, posts to comment on). */
export interface Fixtures {
  userIds: string[];
  postIds: string[];
  /** Per peer: the peer's own global ids for the same rows (W3). */
  nodeIds: Partial<Record<PeerName, string[]>>;
  /** Agora access tokens of seeded users (W4). */
  tokens: string[];
  /** Agora global ids of published posts (W4). */
  publishedPostGids: string[];
}

export interface Workload {
  /** Builds one request body (and headers); called per request for variable workloads. */
  request(i: number): { body: string; headers?: Record<string, string> };
  /** True when a parsed response has the expected shape. */
  check(json: any): boolean;
}

const body = (query: string, variables: Record<string, unknown> = {}) => JSON.stringify({ query, variables });
const isGid = (v: unknown) => typeof v === 'string' && v.length > 10;
const noErrors = (json: any) => json && !json.errors && json.data;

const AGORA_W1 = `query W1 { users(first: 50) { nodes { id username name createdAt } } }`;
const AGORA_W2 = `query W2($first: Int!) { posts(first: $first) { nodes { id title createdAt
  author { id username name }
  comments(first: 10) { nodes { id body createdAt author { id username name } } }
  reactionCounts { kind count } } } }`;
const AGORA_W3 = `query W3($id: ID!) { node(id: $id) { id ... on User { username name } ... on Post { title } } }`;
/** W6 (also run by tests/statement-count.test.ts with small and large page sizes). */
export const W6_QUERY = `query W6($users: Int!, $posts: Int!, $comments: Int!, $replies: Int!) {
  users(first: $users) { nodes { id username
    posts(first: $posts) { nodes { id title
      comments(first: $comments) { nodes { id body
        author { id followerCount }
        replies(first: $replies) { nodes { id body author { id username } } } } } } } } } }`;
const W6_PAGES = { users: 10, posts: 5, comments: 5, replies: 3 };
const AGORA_W4 = `mutation W4($input: CreateCommentInput!) { createComment(input: $input) { comment { id body createdAt } } }`;

const PG_W1 = `query W1 { allUsers(first: 50, orderBy: [CREATED_AT_DESC, PRIMARY_KEY_DESC]) { nodes { id username name createdAt } } }`;
const PG_W2 = `query W2($first: Int!) { allPosts(first: $first, condition: {status: PUBLISHED}, orderBy: [CREATED_AT_DESC, PRIMARY_KEY_DESC]) { nodes { id title createdAt
  userByAuthorId { id username name }
  commentsByPostId(first: 10, condition: {parentId: null}, orderBy: [CREATED_AT_ASC, PRIMARY_KEY_ASC]) { nodes { id body createdAt userByAuthorId { id username name } } }
  reactionCounts { nodes { kind count } } } } }`;
// Agora's orders: a user's posts newest first (published only, for others),
// top-level comments and replies oldest first; the follower count as a total.
const PG_W6 = `query W6($users: Int!, $posts: Int!, $comments: Int!, $replies: Int!) {
  allUsers(first: $users, orderBy: [CREATED_AT_DESC, PRIMARY_KEY_DESC]) { nodes { id username
    postsByAuthorId(first: $posts, condition: {status: PUBLISHED}, orderBy: [CREATED_AT_DESC, PRIMARY_KEY_DESC]) { nodes { id title
      commentsByPostId(first: $comments, condition: {parentId: null}, orderBy: [CREATED_AT_ASC, PRIMARY_KEY_ASC]) { nodes { id body
        userByAuthorId { id followsByFolloweeId { totalCount } }
        commentsByParentId(first: $replies, orderBy: [CREATED_AT_ASC, PRIMARY_KEY_ASC]) { nodes { id body userByAuthorId { id username } } } } } } } } } }`;
const PG_W6_FIELDS: W6Fields = {
  posts: (u) => u.postsByAuthorId,
  comments: (p) => p.commentsByPostId,
  replies: (c) => c.commentsByParentId,
  author: (r) => r.userByAuthorId,
  followerCount: (a) => a.followsByFolloweeId?.totalCount,
};
const PG_W3 = `query W3($id: ID!) { node(id: $id) { id ... on User { username name } ... on Post { title } } }`;

function checkUsers(list: any): boolean {
  return (
    Array.isArray(list) &&
    list.length === 50 &&
    list.every((u) => isGid(u.id) && typeof u.username === 'string' && typeof u.createdAt === 'string')
  );
}

/** W2 shape: `pageSize` posts, each with an author, <= 10 comments with authors, and reaction counts. */
function checkPosts(list: any, pageSize: number, author: string, comments: (p: any) => any[], reactions: (p: any) => any[]): boolean {
  return (
    Array.isArray(list) &&
    list.length === pageSize &&
    list.every(
      (p) =>
        isGid(p.id) &&
        typeof p.title === 'string' &&
        isGid(p[author]?.id) &&
        Array.isArray(comments(p)) &&
        comments(p).length <= 10 &&
        comments(p).every((c: any) => isGid(c.id) && typeof c.body === 'string' && isGid(c[author]?.id)) &&
        Array.isArray(reactions(p)),
    ) &&
    // The data set gives every page some comments and reactions: an all-empty page is wrong.
    list.some((p) => comments(p).length > 0) &&
    list.some((p) => reactions(p).length > 0)
  );
}

/** Where each W6 level sits in a peer's response. */
interface W6Fields {
  posts: (user: any) => any;
  comments: (post: any) => any;
  replies: (comment: any) => any;
  author: (row: any) => any;
  followerCount: (author: any) => unknown;
}

const AGORA_W6_FIELDS: W6Fields = {
  posts: (u) => u.posts,
  comments: (p) => p.comments,
  replies: (c) => c.replies,
  author: (r) => r.author,
  followerCount: (a) => a.followerCount,
};

/** W6 shape: 10 users; some posts with comments, some comments with replies, every author present. */
function checkW6(users: any, f: W6Fields): boolean {
  if (!Array.isArray(users) || users.length !== W6_PAGES.users) return false;
  const posts = users.flatMap((u) => f.posts(u)?.nodes ?? []);
  const comments = posts.flatMap((p) => f.comments(p)?.nodes ?? []);
  const replies = comments.flatMap((c) => f.replies(c)?.nodes ?? []);
  return (
    users.every((u) => isGid(u.id) && Array.isArray(f.posts(u)?.nodes) && f.posts(u).nodes.length <= W6_PAGES.posts) &&
    comments.length > 0 &&
    replies.length > 0 &&
    comments.every((c) => isGid(f.author(c)?.id) && Number.isInteger(f.followerCount(f.author(c)))) &&
    replies.every((r) => isGid(r.id) && typeof f.author(r)?.username === 'string')
  );
}

function pick<T>(list: T[], i: number): T {
  return list[(i * 7919) % list.length]!;
}

export function workloadsFor(peer: PeerName, f: Fixtures, w2PageSize = 20): Partial<Record<WorkloadName, Workload>> {
  const w3Check = (json: any) =>
    noErrors(json) &&
    isGid(json.data.node?.id) &&
    (typeof json.data.node.username === 'string' || typeof json.data.node.title === 'string');
  // The physical peer answers Agora's own W2 document.
  const agoraW2: Workload = {
    request: () => ({ body: body(AGORA_W2, { first: w2PageSize }) }),
    check: (j) =>
      noErrors(j) &&
      checkPosts(
        j.data.posts?.nodes,
        w2PageSize,
        'author',
        (p) => p.comments?.nodes,
        (p) => p.reactionCounts,
      ),
  };
  switch (peer) {
    case 'physical':
      return {
        W2: agoraW2,
      };
    case 'naive':
    case 'agora': {
      const common: Partial<Record<WorkloadName, Workload>> = {
        W1: { request: () => ({ body: body(AGORA_W1) }), check: (j) => noErrors(j) && checkUsers(j.data.users?.nodes) },
        W2: agoraW2,
        W3: { request: (i) => ({ body: body(AGORA_W3, { id: pick(f.nodeIds[peer]!, i) }) }), check: w3Check },
      };
      if (peer === 'agora') {
        common.W4 = {
          request: (i) => ({
            body: body(AGORA_W4, { input: { postId: pick(f.publishedPostGids, i), body: `bench-w4 comment ${i}` } }),
            headers: { authorization: `Bearer ${pick(f.tokens, i)}` },
          }),
          check: (j) => noErrors(j) && isGid(j.data.createComment?.comment?.id),
        };
        common.W6 = {
          request: () => ({ body: body(W6_QUERY, W6_PAGES) }),
          check: (j) => noErrors(j) && checkW6(j.data.users?.nodes, AGORA_W6_FIELDS),
        };
      }
      return common;
    }
    case 'postgraphile':
      return {
        W1: { request: () => ({ body: body(PG_W1) }), check: (j) => noErrors(j) && checkUsers(j.data.allUsers?.nodes) },
        W2: {
          request: () => ({ body: body(PG_W2, { first: w2PageSize }) }),
          check: (j) =>
            noErrors(j) &&
            checkPosts(
              j.data.allPosts?.nodes,
              w2PageSize,
              'userByAuthorId',
              (p) => p.commentsByPostId?.nodes,
              (p) => p.reactionCounts?.nodes,
            ),
        },
        W3: { request: (i) => ({ body: body(PG_W3, { id: pick(f.nodeIds.postgraphile!, i) }) }), check: w3Check },
        W6: {
          request: () => ({ body: body(PG_W6, W6_PAGES) }),
          check: (j) => noErrors(j) && checkW6(j.data.allUsers?.nodes, PG_W6_FIELDS),
        },
      };
  }
}

/** PostGraphile's own global ids for the same rows, asked of PostGraphile itself. */
export async function postgraphileNodeIds(url: string, userIds: string[], postIds: string[]): Promise<string[]> {
  const fields = [
    ...userIds.map((id, i) => `u${i}: userByRowId(rowId: "${id}") { id }`),
    ...postIds.map((id, i) => `p${i}: postByRowId(rowId: "${id}") { id }`),
  ];
  const res = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: body(`{ ${fields.join('\n')} }`),
  });
  const json = (await res.json()) as any;
  if (json.errors) throw new Error(`PostGraphile node ids: ${JSON.stringify(json.errors).slice(0, 300)}`);
  return Object.values(json.data).map((v: any) => v.id);
}
