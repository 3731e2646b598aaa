import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toGlobalId } from '../src/lib/global-id.ts';
import { rawId } from './helpers/fixtures.ts';
import { signUp, startTestServer, type TestServer, type TestUser } from './helpers/server.ts';

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
