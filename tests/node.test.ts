import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commentGid, createPost, expectError, ok, postGid, rawId, userGid } from './helpers/fixtures.ts';
import { signUp, startTestServer, type TestServer, type TestUser } from './helpers/server.ts';

const NODE = `query ($id: ID!) {
  node(id: $id) {
    __typename id
    ... on User { username }
    ... on Post { title }
    ... on Comment { body }
  }
}`;
const NODES = `query ($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }`;
const COMMENT = `mutation ($input: CreateCommentInput!) { createComment(input: $input) { comment { id } } }`;

describe('object identification (node, nodes)', () => {
  let server: TestServer;
  let alice: TestUser;
  let bob: TestUser;
  let post: { id: string };
  let draft: { id: string };
  let comment: { id: string };
  beforeAll(async () => {
    server = await startTestServer();
    [alice, bob] = await Promise.all([signUp(server, 'alice'), signUp(server, 'bob')]);
    post = await createPost(server, alice, { title: 'Public', publish: true });
    draft = await createPost(server, alice, { title: 'Secret draft' });
    comment = ok(await server.gql(COMMENT, { input: { postId: post.id, body: 'Hi' } }, bob.token)).createComment.comment;
  });
  afterAll(() => server.stop());

  it('round-trips User, Post and Comment ids', async () => {
    expect(ok(await server.gql(NODE, { id: alice.id })).node).toEqual({ __typename: 'User', id: alice.id, username: alice.username });
    expect(ok(await server.gql(NODE, { id: post.id })).node).toEqual({ __typename: 'Post', id: post.id, title: 'Public' });
    expect(ok(await server.gql(NODE, { id: comment.id })).node).toEqual({ __typename: 'Comment', id: comment.id, body: 'Hi' });
    // Ids found elsewhere in the graph round-trip too.
    const nested = ok(
      await server.gql(`query ($id: ID!) { post(id: $id) { author { id } comments { nodes { id author { id } post { id } } } } }`, {
        id: post.id,
      }),
    ).post;
    expect(nested.author.id).toBe(alice.id);
    expect(nested.comments.nodes).toEqual([{ id: comment.id, author: { id: bob.id }, post: { id: post.id } }]);
  });

  it('answers unknown and garbage ids with null', async () => {
    const unknown = [
      userGid('00000000-0000-4000-8000-000000000000'),
      postGid('00000000-0000-4000-8000-000000000000'),
      commentGid('00000000-0000-4000-8000-000000000000'),
      Buffer.from('Tag:00000000-0000-4000-8000-000000000000').toString('base64url'),
      Buffer.from('User:not-a-uuid').toString('base64url'),
      'garbage',
      '',
      '!!!',
      '💥',
    ];
    for (const id of unknown) {
      const res = await server.gql(NODE, { id });
      expect(ok(res).node, id).toBeNull();
    }
  });

  it("hides others' drafts: null via node, nodes and post(id), absent from nested lists", async () => {
    expect(ok(await server.gql(NODE, { id: draft.id }, alice.token)).node).toMatchObject({ id: draft.id, title: 'Secret draft' });
    for (const token of [bob.token, undefined]) {
      expect(ok(await server.gql(NODE, { id: draft.id }, token)).node).toBeNull();
      expect(ok(await server.gql(NODES, { ids: [draft.id, post.id] }, token)).nodes).toEqual([null, { __typename: 'Post', id: post.id }]);
      expect(ok(await server.gql(`query ($id: ID!) { post(id: $id) { id } }`, { id: draft.id }, token)).post).toBeNull();
      const nested = ok(
        await server.gql(`query ($id: ID!) { user(id: $id) { posts { totalCount nodes { id } } } }`, { id: alice.id }, token),
      ).user.posts;
      expect(nested).toEqual({ totalCount: 1, nodes: [{ id: post.id }] });
    }
    const own = ok(await server.gql(`query ($id: ID!) { user(id: $id) { posts { totalCount } } }`, { id: alice.id }, alice.token)).user
      .posts;
    expect(own.totalCount).toBe(2);
  });

  it('hides comments of drafts via node', async () => {
    const row = await server.db.comment.create({
      data: { postId: rawId(draft.id), authorId: rawId(alice.id), body: 'on a draft' },
    });
    const id = commentGid(row.id);
    expect(ok(await server.gql(NODE, { id }, alice.token)).node).toMatchObject({ __typename: 'Comment', body: 'on a draft' });
    expect(ok(await server.gql(NODE, { id }, bob.token)).node).toBeNull();
    expect(ok(await server.gql(NODE, { id })).node).toBeNull();
  });

  it('keeps the order of nodes(ids), nulls in place, duplicates repeated', async () => {
    const ids = [comment.id, 'garbage', alice.id, post.id, draft.id, alice.id];
    const nodes = ok(await server.gql(NODES, { ids }, bob.token)).nodes;
    expect(nodes).toEqual([
      { __typename: 'Comment', id: comment.id },
      null,
      { __typename: 'User', id: alice.id },
      { __typename: 'Post', id: post.id },
      null,
      { __typename: 'User', id: alice.id },
    ]);
    expect(ok(await server.gql(NODES, { ids: [] })).nodes).toEqual([]);
  });

  it('accepts 100 ids and refuses 101 with BAD_USER_INPUT on ids', async () => {
    const hundred = Array.from({ length: 100 }, (_, i) => (i % 2 ? alice.id : post.id));
    const nodes = ok(await server.gql(NODES, { ids: hundred })).nodes;
    expect(nodes).toHaveLength(100);
    expect(nodes[99]).toEqual({ __typename: 'User', id: alice.id });
    const res = await server.gql(NODES, { ids: [...hundred, bob.id] });
    expectError(res, 'BAD_USER_INPUT', 'ids');
    expect(res.body.data).toBeNull();
  });

  it('finds users by id or by username in any case, and wants exactly one of the two', async () => {
    const Q = `query ($id: ID, $username: String) { user(id: $id, username: $username) { id } }`;
    expect(ok(await server.gql(Q, { username: alice.username.toUpperCase() })).user).toEqual({ id: alice.id });
    expect(ok(await server.gql(Q, { id: alice.id })).user).toEqual({ id: alice.id });
    expect(ok(await server.gql(Q, { username: 'no_such_user_here' })).user).toBeNull();
    expectError(await server.gql(Q, { id: alice.id, username: alice.username }), 'BAD_USER_INPUT');
    expectError(await server.gql(Q, {}), 'BAD_USER_INPUT');
    expectError(await server.gql(Q, { id: post.id }), 'BAD_USER_INPUT', 'id');
  });

  it('refuses post(id) with an id of another type or garbage as BAD_USER_INPUT on id', async () => {
    expectError(await server.gql(`query ($id: ID!) { post(id: $id) { id } }`, { id: alice.id }), 'BAD_USER_INPUT', 'id');
    expectError(await server.gql(`query ($id: ID!) { post(id: $id) { id } }`, { id: 'garbage' }), 'BAD_USER_INPUT', 'id');
  });
});
