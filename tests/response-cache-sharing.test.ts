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

describe('signed-in viewers share only what is the same for their whole visibility class', () => {
  let server: TestServer;
  let f: ReturnType<typeof fixtures>;
  beforeAll(async () => {
    server = await startTestServer({ RESPONSE_CACHE_TTL_SECONDS: '30' });
    f = fixtures(server);
  });
  afterAll(() => server?.stop());

  it('shares a role-scoped profile within a class, never across classes', async () => {
    const [a, b, admin1, admin2] = await f.users('clsa', 'clsb', 'clsadm1', 'clsadm2');
    await setRole(server, admin1!, 'ADMIN');
    await setRole(server, admin2!, 'ADMIN');
    const profile = 'query ($id: ID!) { user(id: $id) { id username name role } }';
    const ask = async (who?: TestUser) => {
      const res = await server.gql(profile, { id: a!.id }, who?.token);
      return [cacheOf(res), ok(res).user.username];
    };
    expect(await ask(a)).toEqual(['MISS', a!.username]);
    expect(await ask(b)).toEqual(['HIT', a!.username]);
    expect(await ask(admin1)).toEqual(['MISS', a!.username]);
    expect(await ask(admin2)).toEqual(['HIT', a!.username]);
    expect(await ask()).toEqual(['MISS', a!.username]);
  });

  it('never answers a private or per-viewer field from the cache', async () => {
    const [a, b, admin1, admin2] = await f.users('prva', 'prvb', 'prvadm1', 'prvadm2');
    await setRole(server, admin1!, 'ADMIN');
    await setRole(server, admin2!, 'ADMIN');
    const post = await f.post(b!, { title: 'Reacted' });
    ok(await server.gql(REACT, { id: post.id }, a!.token));
    ok(await server.gql(REACT, { id: post.id }, admin1!.token));
    const perViewer: [string, Record<string, unknown>, (data: any) => unknown][] = [
      ['query ($id: ID!) { user(id: $id) { id username email } }', { id: a!.id }, (d) => d.user.email],
      ['{ me { id username } }', {}, (d) => d.me.id],
      ['query ($id: ID!) { post(id: $id) { id viewerReactions } }', { id: post.id }, (d) => d.post.viewerReactions],
      ['query ($id: ID!) { user(id: $id) { id viewerIsFollowing followerCount } }', { id: b!.id }, (d) => d.user.id],
      ['{ unreadNotificationCount }', {}, (d) => d.unreadNotificationCount],
      [
        'query { posts(first: 50) { nodes { id reactionCounts { kind count viewerHasReacted } } } }',
        {},
        (d) => d.posts.nodes.find((p: { id: string }) => p.id === post.id).reactionCounts[0].viewerHasReacted,
      ],
    ];
    for (const [query, variables, pick] of perViewer) {
      for (const who of [a, b, a, b, admin1, admin2, admin1, admin2]) {
        const res = await server.gql(query, variables, who!.token);
        expect(cacheOf(res), query).toBeUndefined();
        expect(res.headers.get('cache-control')).toBe('private, no-store');
        pick(ok(res));
      }
    }
    const email = async (who: TestUser) => ok(await server.gql(perViewer[0]![0], { id: a!.id }, who.token)).user.email;
    expect([await email(a!), await email(b!), await email(a!)]).toEqual([a!.email, null, a!.email]);
    const reacted = async (who: TestUser) => perViewer[5]![2](ok(await server.gql(perViewer[5]![0], {}, who.token)));
    expect([await reacted(admin1!), await reacted(admin2!), await reacted(admin1!)]).toEqual([true, false, true]);
  });

  it("serves an admin's view of posts to admins only: members see theirs, uncached", async () => {
    const [author, member, admin1, admin2, mod] = await f.users('admauthor', 'admmember', 'adm1', 'adm2', 'admmod');
    await setRole(server, admin1!, 'ADMIN');
    await setRole(server, admin2!, 'ADMIN');
    await setRole(server, mod!, 'MODERATOR');
    const hidden = await f.post(author!, { title: 'Hidden one' });
    ok(await server.gql(postMutation('hidePost'), { id: hidden.id }, mod!.token));
    const draft = await f.post(author!, { title: 'Draft one', publish: false });
    const list = 'query { posts(first: 50) { nodes { id title } } }';
    const listed = async (who: TestUser) => {
      const res = await server.gql(list, {}, who.token);
      return [cacheOf(res), ok(res).posts.nodes.some((p: { id: string }) => p.id === hidden.id)];
    };
    expect(await listed(admin1!)).toEqual(['MISS', true]);
    expect(await listed(admin2!)).toEqual(['HIT', true]);
    expect(await listed(member!)).toEqual([undefined, false]);
    expect(await listed(author!)).toEqual([undefined, true]);
    expect(await listed(member!)).toEqual([undefined, false]);
    const one = 'query ($id: ID!) { post(id: $id) { id title } }';
    const seen = async (who: TestUser) => {
      const res = await server.gql(one, { id: draft.id }, who.token);
      return [cacheOf(res), ok(res).post?.title ?? null];
    };
    expect(await seen(author!)).toEqual([undefined, 'Draft one']);
    expect(await seen(member!)).toEqual([undefined, null]);
    expect(await seen(admin1!)).toEqual(['MISS', 'Draft one']);
    expect(await seen(admin2!)).toEqual(['HIT', 'Draft one']);
    expect(await seen(member!)).toEqual([undefined, null]);
    // The author renames the draft: the admins' entry goes with it.
    ok(await server.gql(postMutation('updatePost', ', title: "Draft renamed"'), { id: draft.id }, author!.token));
    expect(await seen(admin2!)).toEqual(['MISS', 'Draft renamed']);
  });

  it('marks a class-cached GET private: no shared caching, no ETag', async () => {
    const [a, b] = await f.users('geta', 'getb');
    const query = 'query ($id: ID!) { user(id: $id) { id username } }';
    const url = `${server.url}/graphql?query=${encodeURIComponent(query)}&variables=${encodeURIComponent(JSON.stringify({ id: a!.id }))}`;
    const get = (who: TestUser) => fetch(url, { headers: { 'apollo-require-preflight': 'true', authorization: `Bearer ${who.token}` } });
    await get(a!);
    const res = await get(b!);
    expect(res.status).toBe(200);
    expect(((await res.json()) as any).extensions.cache).toBe('HIT');
    expect(res.headers.get('cache-control')).toBe('private, no-store');
    expect(res.headers.get('etag')).toBeNull();
  });
});

describe('what a mutation naming no id drops', () => {
  let server: TestServer;
  let f: ReturnType<typeof fixtures>;
  beforeAll(async () => {
    server = await startTestServer({ RESPONSE_CACHE_TTL_SECONDS: '30' });
    f = fixtures(server);
  });
  afterAll(() => server?.stop());

  const PROFILE = 'query ($id: ID!) { user(id: $id) { id username } }';

  it('nothing after writes only private fields read (log-out, read marks)', async () => {
    const user = await f.user('reachkeep');
    await server.gql(PROFILE, { id: user.id });
    ok(await server.gql('mutation { markAllNotificationsRead { unreadCount } }', {}, user.token));
    ok(await server.gql('mutation { logOut { sessionId } }', {}, user.token));
    expect(cacheOf(await server.gql(PROFILE, { id: user.id }))).toBe('HIT');
  });

  it("nothing after a signed-out call the schema's @auth refuses, nor after `mutation { __typename }`", async () => {
    const user = await f.user('reachrefused');
    await server.gql(PROFILE, { id: user.id });
    const refused = await server.gql('mutation { createPost(input: { title: "No", body: "b" }) { post { title } } }');
    expect(refused.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    ok(await server.gql('mutation { __typename }'));
    expect(cacheOf(await server.gql(PROFILE, { id: user.id }))).toBe('HIT');
  });

  it('the username lookups after a sign-up, and nothing else', async () => {
    const post = await f.post(await f.user('reachother'));
    const onePost = 'query ($id: ID!) { post(id: $id) { id title } }';
    await server.gql(onePost, { id: post.id });
    const name = `reachnew${Date.now().toString(36)}`;
    const lookup = 'query ($name: String!) { user(username: $name) { id username } }';
    expect(ok(await server.gql(lookup, { name })).user).toBeNull();
    expect(cacheOf(await server.gql(lookup, { name }))).toBe('HIT');
    const signUp = 'mutation ($input: SignUpInput!) { signUp(input: $input) { accessToken } }';
    const signedUp = await server.gql(signUp, {
      input: { email: `${name}@example.com`, username: name, password: 'a long password 1', name: 'New' },
    });
    ok(signedUp);
    expect(signedUp.headers.get('cache-control')).toBe('private, no-store'); // it carries tokens
    const after = await server.gql(lookup, { name });
    expect([cacheOf(after), ok(after).user?.username]).toEqual(['MISS', name]);
    expect(cacheOf(await server.gql(onePost, { id: post.id }))).toBe('HIT');
  });

  it('everything after any other write that names nothing (a post whose id the answer leaves out)', async () => {
    const user = await f.user('reachall');
    await server.gql(PROFILE, { id: user.id });
    expect(cacheOf(await server.gql(PROFILE, { id: user.id }))).toBe('HIT');
    ok(await server.gql('mutation { createPost(input: { title: "No id", body: "b" }) { post { title } } }', {}, user.token));
    expect(cacheOf(await server.gql(PROFILE, { id: user.id }))).toBe('MISS');
  });
});
