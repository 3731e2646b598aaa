import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtures, ok, rawId } from './helpers/fixtures.ts';
import { startPairOnRedis, startTestServer, type TestServer, type TestUser } from './helpers/server.ts';
import { runOnce, wsClient, type WsClient } from './helpers/ws.ts';

// The benchmark's W2 document (plus `role` and `commentCount`, which writes below change).
const W2 = `query W2($first: Int!) { posts(first: $first) { nodes { id title createdAt
  author { id username name role }
  comments(first: 10) { nodes { id body createdAt author { id username name role } } }
  commentCount
  reactionCounts { kind count } } } }`;

const cacheOf = (res: { body: { extensions?: Record<string, any> } }) => res.body.extensions?.cache;

async function setRole(server: TestServer, user: TestUser, role: 'MODERATOR' | 'ADMIN'): Promise<TestUser> {
  await server.db.user.update({ where: { id: rawId(user.id) }, data: { role } });
  return user;
}

/** A post with one comment, and the people who act on it. */
interface Scene {
  author: TestUser;
  commenter: TestUser;
  other: TestUser;
  mod: TestUser;
  admin: TestUser;
  postId: string;
  commentId: string | null;
}

async function scene(server: TestServer, draft = false): Promise<Scene> {
  const f = fixtures(server);
  const [author, commenter, other, mod, admin] = await f.users('w2author', 'w2commenter', 'w2other', 'w2mod', 'w2admin');
  await setRole(server, mod!, 'MODERATOR');
  await setRole(server, admin!, 'ADMIN');
  const post = await f.post(author!, { title: 'W2 post', publish: !draft });
  const commentId = draft ? null : (await f.comment(commenter!, post.id, 'First comment')).id;
  return { author: author!, commenter: commenter!, other: other!, mod: mod!, admin: admin!, postId: post.id, commentId };
}

type Act = (write: TestServer, s: Scene) => Promise<unknown>;
const run = (query: string, variables: (s: Scene) => Record<string, unknown>, who: (s: Scene) => TestUser): Act => {
  return async (write, s) => ok(await write.gql(query, variables(s), who(s).token));
};

const COMMENT = 'mutation ($input: CreateCommentInput!) { createComment(input: $input) { comment { id } } }';
const UPDATE_COMMENT = 'mutation ($id: ID!) { updateComment(input: { id: $id, body: "Edited comment" }) { comment { id } } }';
const DELETE_COMMENT = 'mutation ($id: ID!) { deleteComment(input: { id: $id }) { deletedCommentId } }';
const HIDE_COMMENT = 'mutation ($id: ID!) { hideComment(input: { id: $id }) { comment { id } } }';
const RESTORE_COMMENT = 'mutation ($id: ID!) { restoreComment(input: { id: $id }) { comment { id } } }';
const REACT = 'mutation ($id: ID!) { addReaction(input: { postId: $id, kind: LIKE }) { post { id } } }';
const UNREACT = 'mutation ($id: ID!) { removeReaction(input: { postId: $id, kind: LIKE }) { post { id } } }';
const EDIT_POST = 'mutation ($id: ID!) { updatePost(input: { id: $id, title: "Edited post" }) { post { id } } }';
const postMutation = (name: string, extra = '') => `mutation ($id: ID!) { ${name}(input: { id: $id${extra} }) { __typename } }`;
const SUSPEND = 'mutation ($id: ID!) { suspendUser(input: { userId: $id }) { user { id } } }';
const SET_ROLE = 'mutation ($id: ID!) { setUserRole(input: { userId: $id, role: MODERATOR }) { user { id } } }';
const DELETE_ACCOUNT = 'mutation ($password: String!) { deleteAccount(input: { password: $password }) { deletedUserId } }';

const commentId = (s: Scene) => ({ id: s.commentId });
const postId = (s: Scene) => ({ id: s.postId });

/** Ten more comments by `other`: the scene's comment stays first, the last falls past the first page of ten. */
async function crowd(write: TestServer, s: Scene): Promise<string> {
  let last = '';
  for (let i = 0; i < 10; i++) last = (await fixtures(write).comment(s.other, s.postId, `Crowd ${i}`)).id;
  return last;
}

interface Case {
  name: string;
  draft?: boolean;
  prepare?: (write: TestServer, s: Scene) => Promise<unknown>;
  act: Act;
  /** Writes that change nothing W2 shows: the fresh answer equals the one before. */
  unchanged?: boolean;
}

const CASES: Case[] = [
  {
    name: 'createComment',
    act: run(
      COMMENT,
      (s) => ({ input: { postId: s.postId, body: 'New comment' } }),
      (s) => s.other,
    ),
  },
  {
    name: 'createComment replying (the count)',
    act: run(
      COMMENT,
      (s) => ({ input: { postId: s.postId, body: 'A reply', parentId: s.commentId } }),
      (s) => s.other,
    ),
  },
  { name: 'updateComment', act: run(UPDATE_COMMENT, commentId, (s) => s.commenter) },
  { name: 'deleteComment', act: run(DELETE_COMMENT, commentId, (s) => s.commenter) },
  { name: 'hideComment', act: run(HIDE_COMMENT, commentId, (s) => s.mod) },
  { name: 'restoreComment', prepare: run(HIDE_COMMENT, commentId, (s) => s.mod), act: run(RESTORE_COMMENT, commentId, (s) => s.mod) },
  {
    // The comment is not in the entry: only its post's tag reaches the entry (the count).
    name: 'hideComment past the first page',
    prepare: async (write, s) => Object.assign(s, { commentId: await crowd(write, s) }),
    act: run(HIDE_COMMENT, commentId, (s) => s.mod),
  },
  {
    name: 'deleteComment past the first page',
    prepare: async (write, s) => Object.assign(s, { commentId: await crowd(write, s) }),
    act: run(
      DELETE_COMMENT,
      (s) => ({ id: s.commentId }),
      (s) => s.other,
    ),
  },
  { name: 'addReaction', act: run(REACT, postId, (s) => s.other) },
  { name: 'removeReaction', prepare: run(REACT, postId, (s) => s.other), act: run(UNREACT, postId, (s) => s.other) },
  { name: 'updatePost', act: run(EDIT_POST, postId, (s) => s.author) },
  { name: 'hidePost', act: run(postMutation('hidePost'), postId, (s) => s.mod) },
  {
    name: 'restorePost',
    prepare: run(postMutation('hidePost'), postId, (s) => s.mod),
    act: run(postMutation('restorePost'), postId, (s) => s.mod),
  },
  { name: 'archivePost', act: run(postMutation('archivePost'), postId, (s) => s.author) },
  { name: 'deletePost', act: run(postMutation('deletePost'), postId, (s) => s.author) },
  { name: 'publishPost', draft: true, act: run(postMutation('publishPost'), postId, (s) => s.author) },
  {
    name: 'setUserRole',
    act: run(
      SET_ROLE,
      (s) => ({ id: s.commenter.id }),
      (s) => s.admin,
    ),
  },
  {
    name: 'suspendUser (shows nowhere in W2)',
    unchanged: true,
    act: run(
      SUSPEND,
      (s) => ({ id: s.commenter.id }),
      (s) => s.mod,
    ),
  },
  {
    name: 'deleteAccount',
    act: run(
      DELETE_ACCOUNT,
      (s) => ({ password: s.commenter.password }),
      (s) => s.commenter,
    ),
  },
];

/** The scene's post as W2 shows it (null when listed no more), and the answer's cache mark. */
async function w2(read: TestServer, s: Scene) {
  const res = await read.gql(W2, { first: 20 });
  const post = ok(res).posts.nodes.find((p: { id: string }) => p.id === s.postId) ?? null;
  return { cache: cacheOf(res), post };
}

/** The truth: the same document over the WebSocket, which never reads the cache. */
async function truth(ws: WsClient, s: Scene) {
  const outcome = await runOnce(ws, W2, { first: 20 });
  expect(outcome.errors).toBeUndefined();
  return outcome.data.posts.nodes.find((p: { id: string }) => p.id === s.postId) ?? null;
}

/** Each write between two reads of a cached W2: the read after it answers what the database holds. */
function invalidationCases(servers: () => { read: TestServer; write: TestServer }) {
  let ws: WsClient;
  beforeAll(() => {
    ws = wsClient(servers().read.url);
  });
  afterAll(() => ws?.dispose());
  for (const c of CASES) {
    it(`${c.name}: the next W2 is fresh`, async () => {
      const { read, write } = servers();
      const s = await scene(write, c.draft);
      await c.prepare?.(write, s);
      const before = await w2(read, s);
      expect((await w2(read, s)).cache).toBe('HIT');
      await c.act(write, s);
      const after = await w2(read, s);
      expect(after.post).toEqual(await truth(ws, s));
      if (c.unchanged) expect(after.post).toEqual(before.post);
      else expect(after.post).not.toEqual(before.post);
    });
  }
}

describe('W2 in the shared response cache (one instance)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ RESPONSE_CACHE_TTL_SECONDS: '30' });
  });
  afterAll(() => server?.stop());

  it('caches W2 for signed-out viewers: MISS, then HIT with the same data', async () => {
    const s = await scene(server);
    const first = await w2(server, s);
    const second = await w2(server, s);
    expect([first.cache, second.cache]).toEqual(['MISS', 'HIT']);
    expect(second.post).toEqual(first.post);
    expect(first.post.comments.nodes.map((c: { id: string }) => c.id)).toEqual([s.commentId]);
  });

  it('never caches a comment asked for by id, nor one outside a post', async () => {
    const s = await scene(server);
    const node = 'query ($id: ID!) { node(id: $id) { __typename ... on Comment { id body } } }';
    for (let i = 0; i < 2; i++) expect(cacheOf(await server.gql(node, { id: s.commentId }))).toBeUndefined();
    const literal = `{ node(id: "${s.commentId}") { __typename } }`;
    for (let i = 0; i < 2; i++) expect(cacheOf(await server.gql(literal))).toBeUndefined();
    // Through a fragment on Comment, the walker cannot tell where it is spread: uncacheable.
    const fragment = `query ($id: ID!) { post(id: $id) { id comments(first: 5) { nodes { ...C } } } }
      fragment C on Comment { id body }`;
    for (let i = 0; i < 2; i++) expect(cacheOf(await server.gql(fragment, { id: s.postId }))).toBeUndefined();
    const viewerField = 'query { posts(first: 5) { nodes { id reactionCounts { kind count viewerHasReacted } } } }';
    expect(cacheOf(await server.gql(viewerField))).toBeUndefined();
  });

  invalidationCases(() => ({ read: server, write: server }));
});

describe.skipIf(!process.env.REDIS_URL)('W2 in the shared response cache (two instances through Redis)', () => {
  let a: TestServer;
  let b: TestServer;
  beforeAll(async () => {
    [a, b] = await startPairOnRedis({ RESPONSE_CACHE_TTL_SECONDS: '30' });
  });
  afterAll(async () => {
    await a?.stop();
    await b?.stop();
  });

  // Reads on one instance, writes on the other.
  invalidationCases(() => ({ read: b, write: a }));
});
