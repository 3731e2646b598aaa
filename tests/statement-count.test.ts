import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toGlobalId } from '../src/lib/global-id.ts';
import { rawId } from './helpers/fixtures.ts';
import { signUp, startTestServer, type TestServer, type TestUser } from './helpers/server.ts';
import { W6_QUERY } from '../bench/workloads.ts';

// The N+1 guard: a nested paginated query runs a number of SQL statements
// that depends on its depth only, not on page sizes or row counts.
const NESTED = `query ($posts: Int!, $comments: Int!) {
  posts(first: $posts) {
    edges { node {
      title author { username }
      comments(first: $comments) { edges { node { body author { username } } } }
    } }
  }
}`;

const CREATE_COMMENT = `mutation ($input: CreateCommentInput!) {
  createComment(input: $input) { comment { id body createdAt } }
}`;

describe('SQL statements per request', () => {
  let server: TestServer;
  let postId: string;
  let commenter: TestUser;
  let replier: TestUser;

  beforeAll(async () => {
    server = await startTestServer();
    const authors = await Promise.all([signUp(server, 'a'), signUp(server, 'b'), signUp(server, 'c')]);
    // Commenters differ from post authors, so no level is answered from the
    // loader cache of another and both page sizes do the same work.
    const commenters = await Promise.all([signUp(server, 'd'), signUp(server, 'e'), signUp(server, 'f')]);
    [commenter, replier] = [commenters[0]!, commenters[1]!];
    for (let i = 0; i < 30; i++) {
      const author = authors[i % 3]!;
      const post = await server.db.post.create({
        data: { authorId: rawId(author.id), title: `Post ${i}`, body: 'Body', status: 'PUBLISHED', publishedAt: new Date() },
      });
      postId = toGlobalId('Post', post.id);
      await server.db.comment.createMany({
        data: Array.from({ length: 6 }, (_, j) => ({ postId: post.id, authorId: rawId(commenters[j % 3]!.id), body: `c${j}` })),
      });
    }
  });
  afterAll(() => server.stop());

  it('is the same for 2x1 and 20x5 pages, and small', async () => {
    const small = await server.gql(NESTED, { posts: 2, comments: 1 });
    const large = await server.gql(NESTED, { posts: 20, comments: 5 });
    expect(small.body.errors).toBeUndefined();
    expect(large.body.errors).toBeUndefined();
    expect(large.body.data!.posts.edges).toHaveLength(20);
    expect(large.body.data!.posts.edges[0].node.comments.edges).toHaveLength(5);
    const smallCount = small.body.extensions!.sqlStatements;
    const largeCount = large.body.extensions!.sqlStatements;
    expect(largeCount).toBe(smallCount);
    // posts, post authors, comments (one windowed statement), comment authors.
    expect(largeCount).toBe(4);
  });

  it('createComment: 3 statements, 4 for a reply', async () => {
    // The session check, the post (visibility), then one statement writing
    // the comment, the post author's notification and both outbox events.
    const comment = await server.gql(CREATE_COMMENT, { input: { postId, body: 'counted' } }, commenter.token);
    expect(comment.body.errors).toBeUndefined();
    expect(comment.body.data!.createComment.comment.body).toBe('counted');
    expect(comment.body.extensions!.sqlStatements).toBe(3);
    // A reply also reads its parent comment (visibility, same post); its two
    // notifications (the parent's and the post's authors) are in the same write.
    const parentId = comment.body.data!.createComment.comment.id;
    const reply = await server.gql(CREATE_COMMENT, { input: { postId, parentId, body: 'reply' } }, replier.token);
    expect(reply.body.errors).toBeUndefined();
    expect(reply.body.extensions!.sqlStatements).toBe(4);
  });
});

// The bench's W6, a deeper shape: users -> posts -> comments -> (author's
// follower count, replies -> author). Each level is one batched statement.
describe('SQL statements per request, W6 (users / posts / comments / replies)', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer();
    const at = (minutes: number) => new Date(Date.UTC(2026, 0, 1, 0, minutes));
    const user = (label: string, minutes: number) => ({
      email: `${label}@example.com`,
      username: label,
      name: label,
      passwordHash: '',
      createdAt: at(minutes),
    });
    // Commenters and repliers are older than the post authors, so `users(first: <= 10)`
    // lists post authors only and no level is answered from another level's loader cache.
    const commenters = await server.db.user.createManyAndReturn({ data: [0, 1, 2].map((i) => user(`w6_commenter_${i}`, i)) });
    const repliers = await server.db.user.createManyAndReturn({ data: [0, 1].map((i) => user(`w6_replier_${i}`, 10 + i)) });
    const authors = await server.db.user.createManyAndReturn({
      data: Array.from({ length: 10 }, (_, i) => user(`w6_author_${i}`, 100 + i)),
    });
    await server.db.follow.createMany({
      data: commenters.flatMap((c) => repliers.map((r) => ({ followerId: r.id, followeeId: c.id }))),
    });
    const posts = await server.db.post.createManyAndReturn({
      data: authors.flatMap((a) =>
        Array.from({ length: 5 }, (_, i) => ({
          authorId: a.id,
          title: `${a.username} ${i}`,
          body: 'Body',
          status: 'PUBLISHED' as const,
          publishedAt: at(200 + i),
        })),
      ),
    });
    const comments = await server.db.comment.createManyAndReturn({
      data: posts.flatMap((p) =>
        Array.from({ length: 5 }, (_, j) => ({ postId: p.id, authorId: commenters[j % 3]!.id, body: `c${j}`, createdAt: at(300 + j) })),
      ),
    });
    await server.db.comment.createMany({
      data: comments.flatMap((c) =>
        Array.from({ length: 3 }, (_, k) => ({
          postId: c.postId,
          parentId: c.id,
          authorId: repliers[k % 2]!.id,
          body: `r${k}`,
          createdAt: at(400 + k),
        })),
      ),
    });
  });
  afterAll(() => server.stop());

  it('is the same for 1x1x1x1 and 10x5x5x3 pages', async () => {
    const small = await server.gql(W6_QUERY, { users: 1, posts: 1, comments: 1, replies: 1 });
    const large = await server.gql(W6_QUERY, { users: 10, posts: 5, comments: 5, replies: 3 });
    expect(small.body.errors).toBeUndefined();
    expect(large.body.errors).toBeUndefined();
    const users = large.body.data!.users.nodes;
    expect(users).toHaveLength(10);
    const comment = users[0].posts.nodes[0].comments.nodes[0];
    expect(users[0].posts.nodes).toHaveLength(5);
    expect(users[0].posts.nodes[0].comments.nodes).toHaveLength(5);
    expect(comment.author.followerCount).toBe(2);
    expect(comment.replies.nodes).toHaveLength(3);
    expect(comment.replies.nodes[0].author.username).toMatch(/^w6_replier_/);
    const smallCount = small.body.extensions!.sqlStatements;
    const largeCount = large.body.extensions!.sqlStatements;
    expect(largeCount).toBe(smallCount);
    // users, their posts, comments, comment authors, follower counts, replies, reply authors.
    expect(largeCount).toBe(7);
  });
});
