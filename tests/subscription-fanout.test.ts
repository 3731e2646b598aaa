import { createClient, type Client } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { topics } from './helpers/fixtures.ts';
import { signUp, startTestServer, type TestServer, type TestUser } from './helpers/server.ts';

// Fan-out executes each event once per (document, variables, viewer) and
// shares the result: every subscriber must still get its own correct answer.
const SUBSCRIPTION = `subscription ($authorId: ID!) { postPublished(authorId: $authorId) { id title author { username viewerIsFollowing } } }`;
const CREATE = `mutation ($input: CreatePostInput!) { createPost(input: $input) { post { id } } }`;
const FOLLOW = `mutation ($input: FollowInput!) { followUser(input: $input) { user { id } } }`;

describe('postPublished fan-out', () => {
  let server: TestServer;
  let author: TestUser;
  let reader: TestUser;
  const clients: Client[] = [];

  beforeAll(async () => {
    server = await startTestServer();
    author = await signUp(server, 'author');
    reader = await signUp(server, 'reader');
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.dispose()));
    await server.stop();
  });

  function subscribe(token: string | null, authorId: string): Promise<any> {
    const client = createClient({
      url: `${server.url.replace(/^http/, 'ws')}/graphql`,
      webSocketImpl: WebSocket,
      connectionParams: token ? { authorization: `Bearer ${token}` } : {},
      lazy: false,
    });
    clients.push(client);
    return new Promise((resolve, reject) => {
      client.subscribe(
        { query: SUBSCRIPTION, variables: { authorId } },
        { next: ({ data }) => resolve(data), error: reject, complete: () => {} },
      );
    });
  }

  it('delivers to every subscriber, each with its own viewer fields', async () => {
    const followed = await server.gql(FOLLOW, { input: { userId: author.id } }, reader.token);
    expect(followed.body.errors).toBeUndefined();
    const anonymous = [subscribe(null, author.id), subscribe(null, author.id), subscribe(null, author.id)];
    const asReader = [subscribe(reader.token, author.id), subscribe(reader.token, author.id)];
    const asAuthor = subscribe(author.token, author.id);
    await server.whenSubscribed(topics.postPublished(author.id), 6);

    const created = await server.gql(CREATE, { input: { title: 'Fan-out', body: 'Hello', publish: true } }, author.token);
    expect(created.body.errors).toBeUndefined();
    const postId = created.body.data!.createPost.post.id;

    const expected = (following: boolean) => ({
      postPublished: { id: postId, title: 'Fan-out', author: { username: author.username, viewerIsFollowing: following } },
    });
    for (const data of await Promise.all(anonymous)) expect(data).toEqual(expected(false));
    for (const data of await Promise.all(asReader)) expect(data).toEqual(expected(true));
    expect(await asAuthor).toEqual(expected(false));
  });
});
