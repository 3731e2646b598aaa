import jwt from 'jsonwebtoken';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commentGid, createPost, expectError, ok, postGid, rawId } from './helpers/fixtures.ts';
import { signUp, startTestServer, type TestServer, type TestUser } from './helpers/server.ts';

const SECRET = 'authz-test-secret-0123456789abcdef0123456789';

const M = {
  createPost: `mutation ($input: CreatePostInput!) { createPost(input: $input) { post { id } } }`,
  updatePost: `mutation ($input: UpdatePostInput!) { updatePost(input: $input) { post { id } } }`,
  publishPost: `mutation ($input: PostIdInput!) { publishPost(input: $input) { post { id } } }`,
  archivePost: `mutation ($input: PostIdInput!) { archivePost(input: $input) { post { id } } }`,
  deletePost: `mutation ($input: PostIdInput!) { deletePost(input: $input) { deletedPostId } }`,
  createComment: `mutation ($input: CreateCommentInput!) { createComment(input: $input) { comment { id } } }`,
  updateComment: `mutation ($input: UpdateCommentInput!) { updateComment(input: $input) { comment { id } } }`,
  deleteComment: `mutation ($input: CommentIdInput!) { deleteComment(input: $input) { deletedCommentId } }`,
  addReaction: `mutation ($input: ReactionInput!) { addReaction(input: $input) { post { id } } }`,
  removeReaction: `mutation ($input: ReactionInput!) { removeReaction(input: $input) { post { id } } }`,
  followUser: `mutation ($input: FollowInput!) { followUser(input: $input) { user { id } } }`,
  unfollowUser: `mutation ($input: FollowInput!) { unfollowUser(input: $input) { user { id } } }`,
};

describe('authorization', () => {
  let server: TestServer;
  let alice: TestUser;
  let bob: TestUser;
  beforeAll(async () => {
    server = await startTestServer({ JWT_SECRET: SECRET });
    [alice, bob] = await Promise.all([signUp(server, 'alice'), signUp(server, 'bob')]);
  });
  afterAll(() => server.stop());

  /** A snapshot of everything a refused write could have touched. */
  async function snapshot() {
    const [posts, comments, reactions, follows, tags] = await Promise.all([
      server.db.post.findMany({ orderBy: { id: 'asc' } }),
      server.db.comment.findMany({ orderBy: { id: 'asc' } }),
      server.db.reaction.findMany({ orderBy: [{ postId: 'asc' }, { userId: 'asc' }, { kind: 'asc' }] }),
      server.db.follow.findMany({ orderBy: [{ followerId: 'asc' }, { followeeId: 'asc' }] }),
      server.db.postTag.findMany({ orderBy: [{ postId: 'asc' }, { tagId: 'asc' }] }),
    ]);
    return { posts, comments, reactions, follows, tags };
  }

  async function alicesContent() {
    const post = await createPost(server, alice, { title: 'Alice post', body: 'Hello', tags: ['one'], publish: true });
    const draft = await createPost(server, alice, { title: 'Alice draft', body: 'Secret' });
    const comment = ok(await server.gql(M.createComment, { input: { postId: post.id, body: 'Alice comment' } }, alice.token)).createComment
      .comment;
    return { post, draft, comment };
  }

  it('refuses every mutation without a token with UNAUTHENTICATED and writes nothing', async () => {
    const { post, comment } = await alicesContent();
    const before = await snapshot();
    const cases: [keyof typeof M, Record<string, unknown>][] = [
      ['createPost', { title: 't', body: 'b', publish: true }],
      ['updatePost', { id: post.id, title: 'hacked' }],
      ['publishPost', { id: post.id }],
      ['archivePost', { id: post.id }],
      ['deletePost', { id: post.id }],
      ['createComment', { postId: post.id, body: 'anon' }],
      ['updateComment', { id: comment.id, body: 'hacked' }],
      ['deleteComment', { id: comment.id }],
      ['addReaction', { postId: post.id, kind: 'LIKE' }],
      ['removeReaction', { postId: post.id, kind: 'LIKE' }],
      ['followUser', { userId: alice.id }],
      ['unfollowUser', { userId: alice.id }],
    ];
    for (const [name, input] of cases) {
      const res = await server.gql(M[name], { input });
      expect(res.status, name).toBe(200);
      expectError(res, 'UNAUTHENTICATED');
      expect(res.body.data, name).toBeNull();
    }
    expect(await snapshot()).toEqual(before);
    expectError(await server.gql('{ feed { totalCount } }'), 'UNAUTHENTICATED');
  });

  it("refuses editing or deleting another user's post or comment with FORBIDDEN and leaves the DB unchanged", async () => {
    const { post, comment } = await alicesContent();
    const before = await snapshot();
    const cases: [keyof typeof M, Record<string, unknown>][] = [
      ['updatePost', { id: post.id, title: 'hacked', tags: ['x'] }],
      ['publishPost', { id: post.id }],
      ['archivePost', { id: post.id }],
      ['deletePost', { id: post.id }],
      ['updateComment', { id: comment.id, body: 'hacked' }],
      ['deleteComment', { id: comment.id }],
    ];
    for (const [name, input] of cases) {
      const res = await server.gql(M[name], { input }, bob.token);
      expectError(res, 'FORBIDDEN');
      expect(res.body.data, name).toBeNull();
    }
    expect(await snapshot()).toEqual(before);
  });

  it("answers others' drafts with NOT_FOUND on update, publish, archive, delete, comment and react", async () => {
    const { draft } = await alicesContent();
    const before = await snapshot();
    const cases: [keyof typeof M, Record<string, unknown>, string][] = [
      ['updatePost', { id: draft.id, title: 'hacked' }, 'input.id'],
      ['publishPost', { id: draft.id }, 'input.id'],
      ['archivePost', { id: draft.id }, 'input.id'],
      ['deletePost', { id: draft.id }, 'input.id'],
      ['createComment', { postId: draft.id, body: 'peek' }, 'input.postId'],
      ['addReaction', { postId: draft.id, kind: 'WOW' }, 'input.postId'],
      ['removeReaction', { postId: draft.id, kind: 'WOW' }, 'input.postId'],
    ];
    for (const [name, input, field] of cases) {
      const res = await server.gql(M[name], { input }, bob.token);
      expectError(res, 'NOT_FOUND', field);
      // Same answer as for a post that does not exist at all.
      const missing = await server.gql(
        M[name],
        { input: { ...input, ...('id' in input ? { id: fakePostId() } : { postId: fakePostId() }) } },
        bob.token,
      );
      expect(missing.body.errors![0]!.extensions).toEqual(res.body.errors![0]!.extensions);
      expect(missing.body.errors![0]!.message).toBe(res.body.errors![0]!.message);
    }
    expect(await snapshot()).toEqual(before);
  });

  it("answers others' drafts' comments with NOT_FOUND, and node() with null", async () => {
    const { draft } = await alicesContent();
    // A comment on a post that later went back to draft (arranged in the DB).
    const hidden = await server.db.comment.create({ data: { postId: draft.raw, authorId: rawId(bob.id), body: 'old' } });
    const before = await snapshot();
    expectError(await server.gql(M.updateComment, { input: { id: commentGid(hidden.id), body: 'x' } }, bob.token), 'NOT_FOUND', 'input.id');
    expectError(
      await server.gql(M.createComment, { input: { postId: draft.id, parentId: commentGid(hidden.id), body: 'x' } }, bob.token),
      'NOT_FOUND',
      'input.postId',
    );
    expect(ok(await server.gql('query ($id: ID!) { node(id: $id) { id } }', { id: commentGid(hidden.id) }, bob.token)).node).toBeNull();
    expect(await snapshot()).toEqual(before);
  });

  it('shows user.email only to the account itself', async () => {
    const q = `query ($id: ID!) { user(id: $id) { email } me { email } }`;
    const asSelf = ok(await server.gql(q, { id: alice.id }, alice.token));
    expect(asSelf.user.email).toBe(alice.email);
    expect(asSelf.me.email).toBe(alice.email);
    expect(ok(await server.gql(q, { id: alice.id }, bob.token)).user.email).toBeNull();
    expect(ok(await server.gql(q, { id: alice.id })).user.email).toBeNull();
    const listed = ok(await server.gql(`{ users(first: 100) { nodes { id email } } }`, {}, bob.token)).users.nodes as {
      id: string;
      email: string | null;
    }[];
    expect(listed.find((u) => u.id === alice.id)!.email).toBeNull();
    expect(listed.find((u) => u.id === bob.id)!.email).toBe(bob.email);
    const viaNode = ok(await server.gql(`query ($id: ID!) { node(id: $id) { ... on User { email } } }`, { id: alice.id }, bob.token));
    expect(viaNode.node.email).toBeNull();
  });

  it('shows user.email to admins (as the schema documents)', async () => {
    const admin = await signUp(server, 'admin');
    await server.db.user.update({ where: { id: rawId(admin.id) }, data: { role: 'ADMIN' } });
    const q = `query ($id: ID!) { user(id: $id) { email } }`;
    expect(ok(await server.gql(q, { id: alice.id }, admin.token)).user.email).toBe(alice.email);
  });

  // Tokens name their session; deleting the account deletes its sessions.
  it('treats a token of a deleted account as UNAUTHENTICATED', async () => {
    const ghost = await signUp(server, 'ghost');
    await server.db.user.delete({ where: { id: rawId(ghost.id) } });
    const res = await server.gql(M.createPost, { input: { title: 't', body: 'b' } }, ghost.token);
    expect(res.status).toBe(401);
    expectError(res, 'UNAUTHENTICATED');
    expectError(await server.gql(M.followUser, { input: { userId: alice.id } }, ghost.token), 'UNAUTHENTICATED');
  });

  describe('bearer tokens on HTTP', () => {
    const claims = { typ: 'access' };
    const sign = (secret: string, options: jwt.SignOptions) =>
      jwt.sign(claims, secret, { algorithm: 'HS256', issuer: 'agora', audience: 'agora-api', expiresIn: 600, ...options });

    async function meWith(authorization: string) {
      const res = await fetch(`${server.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization },
        body: JSON.stringify({ query: '{ me { id } }' }),
      });
      return { status: res.status, body: (await res.json()) as { data?: unknown; errors?: { extensions: Record<string, unknown> }[] } };
    }

    it('accepts a well-formed token for the right audience and issuer', async () => {
      // Access tokens name their session (`sid`); borrow alice's live one.
      const { sid } = jwt.decode(alice.token) as { sid: string };
      const token = jwt.sign({ ...claims, sid }, SECRET, {
        algorithm: 'HS256',
        issuer: 'agora',
        audience: 'agora-api',
        expiresIn: 600,
        subject: rawId(alice.id),
      });
      const res = await meWith(`Bearer ${token}`);
      expect(res.status).toBe(200);
      expect(res.body.data).toEqual({ me: { id: alice.id } });
    });

    it.each([
      ['garbage', () => 'Bearer not.a.jwt'],
      ['a non-Bearer scheme', () => `Basic ${Buffer.from('a:b').toString('base64')}`],
      ['an empty Bearer', () => 'Bearer '],
      ['another secret', () => `Bearer ${sign('some-other-secret-0123456789abcdef0123', { subject: 'x' })}`],
      [
        'alg none',
        () => `Bearer ${jwt.sign(claims, '', { algorithm: 'none', issuer: 'agora', audience: 'agora-api', subject: 'x', expiresIn: 600 })}`,
      ],
      ['a wrong audience', () => `Bearer ${sign(SECRET, { subject: 'x', audience: 'someone-else' })}`],
      ['a wrong issuer', () => `Bearer ${sign(SECRET, { subject: 'x', issuer: 'evil' })}`],
      [
        'an expired token',
        () =>
          `Bearer ${jwt.sign({ ...claims, exp: Math.floor(Date.now() / 1000) - 3600 }, SECRET, { algorithm: 'HS256', issuer: 'agora', audience: 'agora-api', subject: 'x' })}`,
      ],
      [
        'a token that is not an access token',
        () =>
          `Bearer ${jwt.sign({ typ: 'refresh' }, SECRET, { algorithm: 'HS256', issuer: 'agora', audience: 'agora-api', subject: 'x', expiresIn: 600 })}`,
      ],
      ['an HS512 token', () => `Bearer ${sign(SECRET, { subject: 'x', algorithm: 'HS512' })}`],
    ])('answers %s with 401 UNAUTHENTICATED, never anonymously', async (_label, header) => {
      const res = await meWith(header());
      expect(res.status).toBe(401);
      expect(res.body.errors).toHaveLength(1);
      expect(res.body.errors![0]!.extensions.code).toBe('UNAUTHENTICATED');
      expect(res.body.data ?? null).toBeNull();
    });

    it('refuses a write with a forged token and writes nothing', async () => {
      const forged = sign('some-other-secret-0123456789abcdef0123', { subject: rawId(alice.id) });
      const count = await server.db.post.count();
      const res = await server.gql(M.createPost, { input: { title: 'forged', body: 'b', publish: true } }, forged);
      expect(res.status).toBe(401);
      expectError(res, 'UNAUTHENTICATED');
      expect(await server.db.post.count()).toBe(count);
    });
  });
});

function fakePostId(): string {
  return postGid('00000000-0000-4000-8000-000000000000');
}
