import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commentGid, createPost, expectError, insertPosts, insertUser, ok, postGid, rawId, userGid } from './helpers/fixtures.ts';
import { signUp, startTestServer, unique, type TestServer, type TestUser } from './helpers/server.ts';

const POST_FIELDS = `id title body status tags publishedAt createdAt updatedAt author { id }
  commentCount reactionCounts { kind count viewerHasReacted } viewerReactions`;
const POST = `query ($id: ID!) { post(id: $id) { ${POST_FIELDS} } }`;
const POSTS = `query ($filter: PostFilter, $orderBy: PostOrder, $first: Int) {
  posts(filter: $filter, orderBy: $orderBy, first: $first) { totalCount nodes { id title status } }
}`;
const UPDATE = `mutation ($input: UpdatePostInput!) { updatePost(input: $input) { post { ${POST_FIELDS} } } }`;
const PUBLISH = `mutation ($input: PostIdInput!) { publishPost(input: $input) { post { ${POST_FIELDS} } } }`;
const ARCHIVE = `mutation ($input: PostIdInput!) { archivePost(input: $input) { post { ${POST_FIELDS} } } }`;
const DELETE = `mutation ($input: PostIdInput!) { deletePost(input: $input) { deletedPostId } }`;
const CREATE = `mutation ($input: CreatePostInput!) { createPost(input: $input) { post { ${POST_FIELDS} } } }`;
const COMMENT = `mutation ($input: CreateCommentInput!) {
  createComment(input: $input) { comment { id body author { id } post { id } parent { id } replies { totalCount } } }
}`;
const UPDATE_COMMENT = `mutation ($input: UpdateCommentInput!) { updateComment(input: $input) { comment { id body updatedAt } } }`;
const DELETE_COMMENT = `mutation ($input: CommentIdInput!) { deleteComment(input: $input) { deletedCommentId } }`;
const REACT = `mutation ($input: ReactionInput!) { addReaction(input: $input) { post { reactionCounts { kind count viewerHasReacted } viewerReactions } } }`;
const UNREACT = `mutation ($input: ReactionInput!) { removeReaction(input: $input) { post { reactionCounts { kind count viewerHasReacted } viewerReactions } } }`;
const FOLLOW_FIELDS = `user { id followerCount followingCount viewerIsFollowing } viewer { id followerCount followingCount }`;
const FOLLOW = `mutation ($input: FollowInput!) { followUser(input: $input) { ${FOLLOW_FIELDS} } }`;
const UNFOLLOW = `mutation ($input: FollowInput!) { unfollowUser(input: $input) { ${FOLLOW_FIELDS} } }`;

describe('posts, comments, reactions and follows', () => {
  let server: TestServer;
  let alice: TestUser;
  let bob: TestUser;
  let carol: TestUser;
  beforeAll(async () => {
    server = await startTestServer();
    [alice, bob, carol] = await Promise.all([signUp(server, 'alice'), signUp(server, 'bob'), signUp(server, 'carol')]);
  });
  afterAll(() => server.stop());

  const getPost = async (id: string, token?: string) => ok(await server.gql(POST, { id }, token)).post;
  const listed = async (filter: Record<string, unknown>, token?: string) =>
    (ok(await server.gql(POSTS, { filter, first: 100 }, token)).posts.nodes as { id: string }[]).map((n) => n.id);

  describe('lifecycle', () => {
    it('creates a draft visible only to its author, with normalised tags', async () => {
      const res = await server.gql(
        CREATE,
        { input: { title: '  Draft one ', body: ' Body ', tags: [' Zeta', 'alpha', 'ALPHA', 'zeta '] } },
        alice.token,
      );
      const post = ok(res).createPost.post;
      expect(post).toMatchObject({
        title: 'Draft one',
        body: 'Body',
        status: 'DRAFT',
        publishedAt: null,
        tags: ['alpha', 'zeta'],
        author: { id: alice.id },
      });
      expect(post.commentCount).toBe(0);
      expect(post.reactionCounts).toEqual([]);
      expect(await server.db.tag.count({ where: { name: { in: ['alpha', 'zeta', 'Zeta', 'ALPHA'] } } })).toBe(2);
      expect((await getPost(post.id, alice.token)).id).toBe(post.id);
      expect(ok(await server.gql(POST, { id: post.id }, bob.token)).post).toBeNull();
      expect(ok(await server.gql(POST, { id: post.id })).post).toBeNull();
      expect(await listed({ authorId: alice.id }, alice.token)).not.toContain(post.id);
    });

    it('updates only the given fields and replaces tags', async () => {
      const created = await createPost(server, alice, { title: 'Before', body: 'Same body', tags: ['old', 'keep'] });
      const before = await server.db.post.findUniqueOrThrow({ where: { id: created.raw } });
      const updated = ok(await server.gql(UPDATE, { input: { id: created.id, title: 'After', tags: ['keep', 'NEW'] } }, alice.token))
        .updatePost.post;
      expect(updated).toMatchObject({ title: 'After', body: 'Same body', tags: ['keep', 'new'], status: 'DRAFT' });
      expect(new Date(updated.updatedAt).getTime()).toBeGreaterThan(before.updatedAt.getTime());
      const row = await server.db.post.findUniqueOrThrow({ where: { id: created.raw }, include: { tags: { include: { tag: true } } } });
      expect(row.title).toBe('After');
      expect(row.tags.map((t) => t.tag.name).sort()).toEqual(['keep', 'new']);
      // Tags omitted: kept. Tags empty: cleared.
      expect(ok(await server.gql(UPDATE, { input: { id: created.id, body: 'New body' } }, alice.token)).updatePost.post.tags).toEqual([
        'keep',
        'new',
      ]);
      expect(ok(await server.gql(UPDATE, { input: { id: created.id, tags: [] } }, alice.token)).updatePost.post.tags).toEqual([]);
    });

    it('publishes once: publishedAt is set by the first publish and kept through archive and re-publish', async () => {
      const draft = await createPost(server, alice, { title: 'Lifecycle' });
      const published = ok(await server.gql(PUBLISH, { input: { id: draft.id } }, alice.token)).publishPost.post;
      expect(published.status).toBe('PUBLISHED');
      expect(published.publishedAt).not.toBeNull();
      expect(await listed({ authorId: alice.id })).toContain(draft.id);
      expect((await getPost(draft.id, bob.token)).status).toBe('PUBLISHED');

      const again = ok(await server.gql(PUBLISH, { input: { id: draft.id } }, alice.token)).publishPost.post;
      expect(again.publishedAt).toBe(published.publishedAt);

      const archived = ok(await server.gql(ARCHIVE, { input: { id: draft.id } }, alice.token)).archivePost.post;
      expect(archived.status).toBe('ARCHIVED');
      expect(archived.publishedAt).toBe(published.publishedAt);
      // Still readable by id, by anyone; not listed by default, listed when asked for.
      expect((await getPost(draft.id, bob.token)).status).toBe('ARCHIVED');
      expect((await getPost(draft.id)).status).toBe('ARCHIVED');
      expect(await listed({ authorId: alice.id })).not.toContain(draft.id);
      expect(await listed({ authorId: alice.id, status: 'ARCHIVED' })).toContain(draft.id);

      const republished = ok(await server.gql(PUBLISH, { input: { id: draft.id } }, alice.token)).publishPost.post;
      expect(republished.status).toBe('PUBLISHED');
      expect(republished.publishedAt).toBe(published.publishedAt);
      const row = await server.db.post.findUniqueOrThrow({ where: { id: draft.raw } });
      expect(row.publishedAt!.toISOString()).toBe(published.publishedAt);
    });

    it('creates a published post directly', async () => {
      const post = await createPost(server, alice, { publish: true });
      expect(post.status).toBe('PUBLISHED');
      expect(post.publishedAt).not.toBeNull();
      expect(await listed({ authorId: alice.id })).toContain(post.id);
    });

    it('deletes a post with its comments, replies, reactions and tag links', async () => {
      const post = await createPost(server, alice, { publish: true, tags: ['gone'] });
      const top = ok(await server.gql(COMMENT, { input: { postId: post.id, body: 'top' } }, bob.token)).createComment.comment;
      ok(await server.gql(COMMENT, { input: { postId: post.id, body: 'reply', parentId: top.id } }, carol.token));
      ok(await server.gql(REACT, { input: { postId: post.id, kind: 'LIKE' } }, bob.token));
      expect(await server.db.comment.count({ where: { postId: post.raw } })).toBe(2);

      const res = ok(await server.gql(DELETE, { input: { id: post.id } }, alice.token));
      expect(res.deletePost.deletedPostId).toBe(post.id);
      expect(await server.db.post.count({ where: { id: post.raw } })).toBe(0);
      expect(await server.db.comment.count({ where: { postId: post.raw } })).toBe(0);
      expect(await server.db.reaction.count({ where: { postId: post.raw } })).toBe(0);
      expect(await server.db.postTag.count({ where: { postId: post.raw } })).toBe(0);
      expect(ok(await server.gql(POST, { id: post.id }, alice.token)).post).toBeNull();
      expect(ok(await server.gql(`query ($id: ID!) { node(id: $id) { id } }`, { id: top.id })).node).toBeNull();
      // Deleting again: it is gone.
      expectError(await server.gql(DELETE, { input: { id: post.id } }, alice.token), 'NOT_FOUND', 'input.id');
    });
  });

  describe('validation', () => {
    async function refusedCreate(input: Record<string, unknown>) {
      const before = await server.db.post.count({ where: { authorId: rawId(alice.id) } });
      const res = await server.gql(CREATE, { input: { title: 'ok', body: 'ok', ...input } }, alice.token);
      expect(await server.db.post.count({ where: { authorId: rawId(alice.id) } })).toBe(before);
      return res;
    }

    it('lists every invalid field, in order, with the first one as `field`', async () => {
      const res = await refusedCreate({ title: '   ', body: '', tags: ['fine', 'not fine', '-dash'] });
      const error = expectError(res, 'BAD_USER_INPUT', 'input.title');
      expect((error.extensions.fieldErrors as { field: string }[]).map((e) => e.field)).toEqual([
        'input.title',
        'input.body',
        'input.tags.1',
        'input.tags.2',
      ]);
    });

    it.each([
      [{ title: 'x'.repeat(201) }, 'input.title'],
      [{ body: 'x'.repeat(20_001) }, 'input.body'],
      [{ tags: ['ok', 'OK', 'bad tag'] }, 'input.tags.2'],
      [{ tags: [''] }, 'input.tags.0'],
      [{ tags: ['x'.repeat(31)] }, 'input.tags.0'],
      [{ tags: ['a', 'b', 'ümlaut'] }, 'input.tags.2'],
      [{ tags: Array.from({ length: 11 }, (_, i) => `t${i}`) }, 'input.tags'],
    ])('refuses %j with BAD_USER_INPUT on %s', async (input, field) => {
      expectError(await refusedCreate(input), 'BAD_USER_INPUT', field);
    });

    it('accepts the limits: 200-char title, 10 tags (duplicates folded), 30-char tag', async () => {
      const tags = [...Array.from({ length: 10 }, (_, i) => `t${i}`), 'T0', 'T1'];
      const post = await createPost(server, alice, { title: 'x'.repeat(200), tags });
      expect(post.tags).toHaveLength(10);
      const long = await createPost(server, alice, { tags: ['a'.repeat(30), 'with-dash'] });
      expect(long.tags).toEqual(['a'.repeat(30), 'with-dash']);
    });

    it('validates updates the same way and leaves the post unchanged', async () => {
      const post = await createPost(server, alice, { title: 'Keep me', tags: ['kept'] });
      const res = await server.gql(UPDATE, { input: { id: post.id, title: '', tags: ['ok', 'bad tag'] } }, alice.token);
      const error = expectError(res, 'BAD_USER_INPUT', 'input.title');
      expect((error.extensions.fieldErrors as { field: string }[]).map((e) => e.field)).toEqual(['input.title', 'input.tags.1']);
      const row = await server.db.post.findUniqueOrThrow({ where: { id: post.raw }, include: { tags: { include: { tag: true } } } });
      expect(row.title).toBe('Keep me');
      expect(row.tags.map((t) => t.tag.name)).toEqual(['kept']);
    });

    it('refuses ids of the wrong type or garbage with BAD_USER_INPUT naming the field', async () => {
      expectError(await server.gql(UPDATE, { input: { id: alice.id, title: 'x' } }, alice.token), 'BAD_USER_INPUT', 'input.id');
      expectError(await server.gql(PUBLISH, { input: { id: 'garbage' } }, alice.token), 'BAD_USER_INPUT', 'input.id');
      expectError(await server.gql(COMMENT, { input: { postId: 'garbage', body: 'x' } }, alice.token), 'BAD_USER_INPUT', 'input.postId');
      expectError(
        await server.gql(FOLLOW, { input: { userId: postGid('00000000-0000-4000-8000-000000000000') } }, alice.token),
        'BAD_USER_INPUT',
        'input.userId',
      );
    });
  });

  describe('comments', () => {
    it('comments and replies one level deep', async () => {
      const post = await createPost(server, alice, { publish: true });
      const top = ok(await server.gql(COMMENT, { input: { postId: post.id, body: '  First!  ' } }, bob.token)).createComment.comment;
      expect(top).toMatchObject({
        body: 'First!',
        author: { id: bob.id },
        post: { id: post.id },
        parent: null,
        replies: { totalCount: 0 },
      });
      const reply = ok(await server.gql(COMMENT, { input: { postId: post.id, body: 'Reply', parentId: top.id } }, carol.token))
        .createComment.comment;
      expect(reply).toMatchObject({ parent: { id: top.id }, post: { id: post.id } });

      const before = await server.db.comment.count();
      const deeper = await server.gql(COMMENT, { input: { postId: post.id, body: 'Deeper', parentId: reply.id } }, alice.token);
      expectError(deeper, 'BAD_USER_INPUT', 'input.parentId');
      expect(await server.db.comment.count()).toBe(before);

      const tree = ok(
        await server.gql(
          `query ($id: ID!) { post(id: $id) { commentCount comments { totalCount nodes { id replies { nodes { id } } } } } }`,
          { id: post.id },
        ),
      ).post;
      expect(tree.commentCount).toBe(2);
      expect(tree.comments.totalCount).toBe(1);
      expect(tree.comments.nodes).toEqual([{ id: top.id, replies: { nodes: [{ id: reply.id }] } }]);
    });

    it('refuses a parent from another post with NOT_FOUND, and comments on drafts', async () => {
      const post = await createPost(server, alice, { publish: true });
      const other = await createPost(server, alice, { publish: true });
      const foreign = ok(await server.gql(COMMENT, { input: { postId: other.id, body: 'x' } }, bob.token)).createComment.comment;
      expectError(
        await server.gql(COMMENT, { input: { postId: post.id, body: 'x', parentId: foreign.id } }, bob.token),
        'NOT_FOUND',
        'input.parentId',
      );
      expectError(
        await server.gql(
          COMMENT,
          { input: { postId: post.id, body: 'x', parentId: commentGid('00000000-0000-4000-8000-000000000000') } },
          bob.token,
        ),
        'NOT_FOUND',
        'input.parentId',
      );
      const draft = await createPost(server, alice);
      expectError(await server.gql(COMMENT, { input: { postId: draft.id, body: 'x' } }, alice.token), 'BAD_USER_INPUT', 'input.postId');
      expectError(await server.gql(COMMENT, { input: { postId: post.id, body: '   ' } }, bob.token), 'BAD_USER_INPUT', 'input.body');
      expectError(
        await server.gql(COMMENT, { input: { postId: post.id, body: 'x'.repeat(5001) } }, bob.token),
        'BAD_USER_INPUT',
        'input.body',
      );
      expect(await server.db.comment.count({ where: { postId: { in: [post.raw, draft.raw] } } })).toBe(0);
    });

    it('lets the author edit and delete a comment; deleting removes its replies', async () => {
      const post = await createPost(server, alice, { publish: true });
      const top = ok(await server.gql(COMMENT, { input: { postId: post.id, body: 'v1' } }, bob.token)).createComment.comment;
      ok(await server.gql(COMMENT, { input: { postId: post.id, body: 'reply', parentId: top.id } }, carol.token));
      const edited = ok(await server.gql(UPDATE_COMMENT, { input: { id: top.id, body: 'v2' } }, bob.token)).updateComment.comment;
      expect(edited.body).toBe('v2');
      expect((await server.db.comment.findUniqueOrThrow({ where: { id: rawId(top.id) } })).body).toBe('v2');
      expectError(await server.gql(UPDATE_COMMENT, { input: { id: top.id, body: '' } }, bob.token), 'BAD_USER_INPUT', 'input.body');
      expect(ok(await server.gql(DELETE_COMMENT, { input: { id: top.id } }, bob.token)).deleteComment.deletedCommentId).toBe(top.id);
      expect(await server.db.comment.count({ where: { postId: post.raw } })).toBe(0);
    });
  });

  describe('reactions', () => {
    it('counts per kind in enum order, idempotently, with the viewer’s own reactions', async () => {
      const post = await createPost(server, alice, { publish: true });
      const input = (kind: string) => ({ input: { postId: post.id, kind } });
      ok(await server.gql(REACT, input('LOVE'), bob.token));
      const twice = ok(await server.gql(REACT, input('LIKE'), bob.token));
      ok(await server.gql(REACT, input('LIKE'), bob.token));
      expect(twice.addReaction.post.viewerReactions.sort()).toEqual(['LIKE', 'LOVE']);
      const carolView = ok(await server.gql(REACT, input('LIKE'), carol.token)).addReaction.post;
      expect(carolView.reactionCounts).toEqual([
        { kind: 'LIKE', count: 2, viewerHasReacted: true },
        { kind: 'LOVE', count: 1, viewerHasReacted: false },
      ]);
      expect(carolView.viewerReactions).toEqual(['LIKE']);
      expect(await server.db.reaction.count({ where: { postId: post.raw } })).toBe(3);

      const anon = await getPost(post.id);
      expect(anon.viewerReactions).toEqual([]);
      expect(anon.reactionCounts.every((c: { viewerHasReacted: boolean }) => !c.viewerHasReacted)).toBe(true);

      const removed = ok(await server.gql(UNREACT, input('LOVE'), bob.token)).removeReaction.post;
      expect(removed.reactionCounts).toEqual([{ kind: 'LIKE', count: 2, viewerHasReacted: true }]);
      expect(removed.viewerReactions).toEqual(['LIKE']);
      ok(await server.gql(UNREACT, input('LOVE'), bob.token)); // idempotent
      ok(await server.gql(UNREACT, input('ANGRY'), alice.token)); // never reacted
      expect(await server.db.reaction.count({ where: { postId: post.raw } })).toBe(2);
    });

    it('refuses reactions on drafts (own: BAD_USER_INPUT) and unknown posts (NOT_FOUND)', async () => {
      const draft = await createPost(server, alice);
      expectError(await server.gql(REACT, { input: { postId: draft.id, kind: 'LIKE' } }, alice.token), 'BAD_USER_INPUT', 'input.postId');
      expectError(
        await server.gql(REACT, { input: { postId: postGid('00000000-0000-4000-8000-000000000000'), kind: 'LIKE' } }, alice.token),
        'NOT_FOUND',
        'input.postId',
      );
      expect(await server.db.reaction.count({ where: { postId: draft.raw } })).toBe(0);
    });
  });

  describe('follows and feed', () => {
    it('follows idempotently with counts and viewerIsFollowing; unfollows idempotently', async () => {
      const [u1, u2] = await Promise.all([signUp(server, 'f1'), signUp(server, 'f2')]);
      const first = ok(await server.gql(FOLLOW, { input: { userId: u2.id } }, u1.token)).followUser;
      expect(first.user).toEqual({ id: u2.id, followerCount: 1, followingCount: 0, viewerIsFollowing: true });
      expect(first.viewer).toEqual({ id: u1.id, followerCount: 0, followingCount: 1 });
      const again = ok(await server.gql(FOLLOW, { input: { userId: u2.id } }, u1.token)).followUser;
      expect(again.user.followerCount).toBe(1);
      expect(await server.db.follow.count({ where: { followeeId: rawId(u2.id) } })).toBe(1);

      const q = `query ($id: ID!) { user(id: $id) { followerCount viewerIsFollowing } }`;
      expect(ok(await server.gql(q, { id: u2.id }, u1.token)).user).toEqual({ followerCount: 1, viewerIsFollowing: true });
      expect(ok(await server.gql(q, { id: u2.id }, u2.token)).user).toEqual({ followerCount: 1, viewerIsFollowing: false });
      expect(ok(await server.gql(q, { id: u2.id })).user).toEqual({ followerCount: 1, viewerIsFollowing: false });

      const un = ok(await server.gql(UNFOLLOW, { input: { userId: u2.id } }, u1.token)).unfollowUser;
      expect(un.user).toEqual({ id: u2.id, followerCount: 0, followingCount: 0, viewerIsFollowing: false });
      expect(un.viewer.followingCount).toBe(0);
      ok(await server.gql(UNFOLLOW, { input: { userId: u2.id } }, u1.token));
      expect(await server.db.follow.count({ where: { followeeId: rawId(u2.id) } })).toBe(0);
    });

    it('refuses following yourself (BAD_USER_INPUT) and unknown users (NOT_FOUND)', async () => {
      const me = await signUp(server, 'selfie');
      expectError(await server.gql(FOLLOW, { input: { userId: me.id } }, me.token), 'BAD_USER_INPUT', 'input.userId');
      const ghost = userGid('00000000-0000-4000-8000-000000000000');
      expectError(await server.gql(FOLLOW, { input: { userId: ghost } }, me.token), 'NOT_FOUND', 'input.userId');
      expect(await server.db.follow.count({ where: { followerId: rawId(me.id) } })).toBe(0);
    });

    it('feeds only followed users’ published posts, newest published first', async () => {
      const reader = await signUp(server, 'reader');
      const [w1, w2, stranger] = await Promise.all([insertUser(server, 'w1'), insertUser(server, 'w2'), insertUser(server, 'stranger')]);
      await server.db.follow.createMany({ data: [w1, w2].map((w) => ({ followerId: rawId(reader.id), followeeId: w.id })) });
      const t = (min: number) => new Date(Date.UTC(2026, 6, 1, 0, min));
      // Created early but published last: first in the feed.
      const [late] = await insertPosts(server, w1.id, 1, () => ({ createdAt: t(0), publishedAt: t(50) }));
      const [mid] = await insertPosts(server, w2.id, 1, () => ({ createdAt: t(10), publishedAt: t(20) }));
      const [early] = await insertPosts(server, w1.id, 1, () => ({ createdAt: t(5), publishedAt: t(6) }));
      await insertPosts(server, w1.id, 1, () => ({ status: 'DRAFT', createdAt: t(60) }));
      await insertPosts(server, w2.id, 1, () => ({ status: 'ARCHIVED', createdAt: t(61), publishedAt: t(61) }));
      await insertPosts(server, stranger.id, 1, () => ({ createdAt: t(70) }));
      await insertPosts(server, rawId(reader.id), 1, () => ({ createdAt: t(80) }));

      const feed = ok(await server.gql(`{ feed { totalCount nodes { id } } }`, {}, reader.token)).feed;
      expect(feed.nodes.map((n: { id: string }) => n.id)).toEqual([late, mid, early].map((p) => postGid(p!.id)));
      expect(feed.totalCount).toBe(3);

      ok(await server.gql(UNFOLLOW, { input: { userId: w1.gid } }, reader.token));
      const after = ok(await server.gql(`{ feed { nodes { id } } }`, {}, reader.token)).feed;
      expect(after.nodes).toEqual([{ id: postGid(mid!.id) }]);
      const nobody = await signUp(server, 'lonely');
      expect(ok(await server.gql(`{ feed { totalCount nodes { id } } }`, {}, nobody.token)).feed).toEqual({ totalCount: 0, nodes: [] });
    });
  });

  describe('filters', () => {
    it('filters posts by author and tag (any case)', async () => {
      const tag = unique('tag').replace(/_/g, '-').slice(0, 30);
      const a = await createPost(server, alice, { publish: true, tags: [tag] });
      const b = await createPost(server, bob, { publish: true, tags: [tag, 'other'] });
      const c = await createPost(server, bob, { publish: true, tags: ['other'] });
      await createPost(server, bob, { tags: [tag] }); // draft: not listed
      expect(await listed({ tag })).toEqual([b.id, a.id]);
      expect(await listed({ tag: tag.toUpperCase() })).toEqual([b.id, a.id]);
      expect(await listed({ tag, authorId: bob.id })).toEqual([b.id]);
      const bobs = await listed({ authorId: bob.id });
      expect(bobs).toContain(c.id);
      expect(bobs).not.toContain(a.id);
      expect(await listed({ tag: 'no-such-tag-anywhere' })).toEqual([]);
      expectError(await server.gql(POSTS, { filter: { authorId: a.id } }), 'BAD_USER_INPUT', 'filter.authorId');
    });

    it('lists DRAFT posts only for their author; signed out, none', async () => {
      const mine = await createPost(server, carol, { title: 'carol draft' });
      await createPost(server, bob, { title: 'bob draft' });
      const carolsDrafts = await listed({ status: 'DRAFT' }, carol.token);
      expect(carolsDrafts).toContain(mine.id);
      const rows = await server.db.post.findMany({ where: { status: 'DRAFT', authorId: rawId(carol.id) } });
      expect(carolsDrafts.sort()).toEqual(rows.map((r) => postGid(r.id)).sort());
      expect(await listed({ status: 'DRAFT' }, bob.token)).not.toContain(mine.id);
      expect(await listed({ status: 'DRAFT', authorId: carol.id }, bob.token)).toEqual([]);
      const anon = ok(await server.gql(POSTS, { filter: { status: 'DRAFT' } })).posts;
      expect(anon).toEqual({ totalCount: 0, nodes: [] });
    });

    it('searches title and body with English stemming; all words must match', async () => {
      const word = `zq${Math.random().toString(36).slice(2, 8)}`;
      const run = await createPost(server, alice, { publish: true, title: `I run daily ${word}`, body: 'Every morning.' });
      const bodyHit = await createPost(server, bob, { publish: true, title: `Nothing ${word}`, body: 'The runners were running fast.' });
      const other = await createPost(server, bob, { publish: true, title: `Cooking ${word}`, body: 'Soup and bread.' });
      await createPost(server, alice, { title: `Draft run ${word}`, body: 'running' }); // draft: not found
      expect((await listed({ search: `running ${word}` })).sort()).toEqual([run.id, bodyHit.id].sort());
      expect(await listed({ search: `Soup ${word}` })).toEqual([other.id]);
      expect(await listed({ search: `running soup ${word}` })).toEqual([]);
      expect((await listed({ search: word })).sort()).toEqual([run.id, bodyHit.id, other.id].sort());
      expect(await listed({ search: `${word} morning`, authorId: bob.id })).toEqual([]);
    });

    it('filters users by search and role, and orders by username', async () => {
      const marker = `mk${Math.random().toString(36).slice(2, 8)}`;
      const at = (s: number) => new Date(Date.UTC(2026, 7, 1, 0, 0, s));
      const u1 = await insertUser(server, 'ux', { name: `Zed ${marker.toUpperCase()}`, createdAt: at(1) });
      const u2 = await insertUser(server, `${marker}b`, { createdAt: at(2) });
      const u3 = await insertUser(server, `${marker}a`, { role: 'MODERATOR', createdAt: at(3) });
      await insertUser(server, 'unrelated');
      const Q = `query ($filter: UserFilter, $orderBy: UserOrder) { users(filter: $filter, orderBy: $orderBy, first: 100) { totalCount nodes { id username role } } }`;
      const all = ok(await server.gql(Q, { filter: { search: marker }, orderBy: { field: 'USERNAME', direction: 'ASC' } })).users;
      expect(all.totalCount).toBe(3);
      const byName = [u1, u2, u3].sort((x, y) => (x.username < y.username ? -1 : 1));
      expect(all.nodes.map((n: { id: string }) => n.id)).toEqual(byName.map((u) => u.gid));
      const desc = ok(await server.gql(Q, { filter: { search: marker }, orderBy: { field: 'USERNAME', direction: 'DESC' } })).users;
      expect(desc.nodes.map((n: { id: string }) => n.id)).toEqual(byName.reverse().map((u) => u.gid));
      const mods = ok(await server.gql(Q, { filter: { search: marker, role: 'MODERATOR' } })).users;
      expect(mods.nodes).toEqual([{ id: u3.gid, username: u3.username, role: 'MODERATOR' }]);
      const newestFirst = ok(await server.gql(Q, { filter: { search: marker } })).users;
      expect(newestFirst.nodes.map((n: { id: string }) => n.id)).toEqual([u3.gid, u2.gid, u1.gid]);
    });

    it('treats LIKE wildcards in the user search literally', async () => {
      const marker = `mk${Math.random().toString(36).slice(2, 8)}`;
      const percent = await insertUser(server, 'pct', { name: `${marker} 100% real` });
      const plain = await insertUser(server, 'pln', { name: `${marker} 100 real` });
      const under = await insertUser(server, 'und', { name: `${marker} a_b` });
      await insertUser(server, 'und', { name: `${marker} axb` });
      const Q = `query ($s: String) { users(filter: { search: $s }, first: 100) { totalCount nodes { id } } }`;
      const found = async (s: string) => (ok(await server.gql(Q, { s })).users.nodes as { id: string }[]).map((n) => n.id);
      expect(await found(`${marker} 100%`)).toEqual([percent.gid]);
      expect(await found(`${marker} a_b`)).toEqual([under.gid]);
      expect(await found('%')).toEqual([percent.gid]);
      expect(await found(`${marker} 100`)).toEqual(expect.arrayContaining([percent.gid, plain.gid]));
      expect(await found('\\')).toEqual([]);
    });
  });
});
