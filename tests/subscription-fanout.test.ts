import { createClient, type Client } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ok, rawId, topics } from './helpers/fixtures.ts';
import { signUp, startTestServer, type TestServer, type TestUser } from './helpers/server.ts';
import { rawSocket, wsClient, type Subscription, type WsClient } from './helpers/ws.ts';

// Fan-out executes each event once per (document, variables, viewer) — or per
// visibility class when the document selects only role-scoped fields — and
// serializes each shared result once: every subscriber must still get exactly
// its own correct answer.
const SUBSCRIPTION = `subscription ($authorId: ID!) { postPublished(authorId: $authorId) { id title author { username viewerIsFollowing } } }`;
const CREATE = `mutation ($input: CreatePostInput!) { createPost(input: $input) { post { id } } }`;
const FOLLOW = `mutation ($input: FollowInput!) { followUser(input: $input) { user { id } } }`;
const HIDE = 'mutation ($id: ID!) { hidePost(input: { id: $id }) { post { isHidden } } }';
const ARCHIVE = 'mutation ($id: ID!) { archivePost(input: { id: $id }) { post { status } } }';
const REPUBLISH = 'mutation ($id: ID!) { publishPost(input: { id: $id }) { post { status } } }';

async function promote(server: TestServer, user: TestUser, role: 'MODERATOR' | 'ADMIN'): Promise<void> {
  await server.db.user.update({ where: { id: rawId(user.id) }, data: { role } });
}

describe('postPublished fan-out', () => {
  let server: TestServer;
  let author: TestUser;
  let reader: TestUser;
  let moderator: TestUser;
  let admin: TestUser;
  const clients: Client[] = [];
  const sockets: WsClient[] = [];

  beforeAll(async () => {
    server = await startTestServer();
    author = await signUp(server, 'author');
    reader = await signUp(server, 'reader');
    moderator = await signUp(server, 'mod');
    admin = await signUp(server, 'admin');
    await promote(server, moderator, 'MODERATOR');
    await promote(server, admin, 'ADMIN');
  });
  afterAll(async () => {
    await Promise.all([...clients.map((c) => c.dispose()), ...sockets.map((s) => s.dispose())]);
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

  /** One socket and one subscription per viewer (null: signed out). */
  function subscribeAll<const V extends readonly (TestUser | null)[]>(query: string, authorId: string, viewers: V) {
    return viewers.map((viewer) => {
      const socket = wsClient(server.url, viewer?.token);
      sockets.push(socket);
      return socket.subscribe(query, { authorId });
    }) as { [K in keyof V]: Subscription };
  }

  const publish = async (as: TestUser, title: string): Promise<string> =>
    ok(await server.gql(CREATE, { input: { title, body: 'Hello', publish: true } }, as.token)).createPost.post.id;

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

  it('a role-scoped selection shared per class: a hidden post republished reaches only its author, moderators and admins', async () => {
    const writer = await signUp(server, 'writer');
    const otherReader = await signUp(server, 'reader2');
    // Only role-scoped fields (posts/policy.ts, accounts/policy.ts): one execution per visibility class.
    const query = `subscription ($authorId: ID!) { postPublished(authorId: $authorId) { id title isHidden author { username } } }`;
    const hiddenId = await publish(writer, 'hidden, then republished');
    ok(await server.gql(HIDE, { id: hiddenId }, moderator.token));
    ok(await server.gql(ARCHIVE, { id: hiddenId }, writer.token));

    const viewers = [null, null, reader, otherReader, writer, moderator, admin] as const;
    const [anon1, anon2, reader1, reader2, own, mod, adm] = subscribeAll(query, writer.id, viewers);
    await server.whenSubscribed(topics.postPublished(writer.id), viewers.length);

    ok(await server.gql(REPUBLISH, { id: hiddenId }, writer.token));
    const afterId = await publish(writer, 'visible to all');

    const hidden = { id: hiddenId, title: 'hidden, then republished', isHidden: true, author: { username: writer.username } };
    const visible = { id: afterId, title: 'visible to all', isHidden: false, author: { username: writer.username } };
    // Events arrive in order: whoever may not see the hidden post gets the later one first.
    for (const sub of [anon1, anon2, reader1, reader2]) {
      expect((await sub.next()).data.postPublished).toEqual(visible);
    }
    for (const sub of [own, mod, adm]) {
      expect((await sub.next()).data.postPublished).toEqual(hidden);
      expect((await sub.next()).data.postPublished).toEqual(visible);
    }
    for (const sub of [anon1, anon2, reader1, reader2, own, mod, adm]) expect(sub.pending).toEqual([]);
  });

  it('a viewer-dependent field in the selection: each signed-in viewer gets its own value', async () => {
    const writer = await signUp(server, 'writer');
    const [follower, stranger] = await Promise.all([signUp(server, 'follower'), signUp(server, 'stranger')]);
    ok(await server.gql(FOLLOW, { input: { userId: writer.id } }, follower.token));
    const query = `subscription ($authorId: ID!) { postPublished(authorId: $authorId) { id author { username email viewerIsFollowing } } }`;
    const viewers = [null, follower, stranger, writer, admin] as const;
    const [anon, asFollower, asStranger, own, adm] = subscribeAll(query, writer.id, viewers);
    await server.whenSubscribed(topics.postPublished(writer.id), viewers.length);

    const postId = await publish(writer, 'per viewer');
    const expected = (email: string | null, viewerIsFollowing: boolean) => ({
      postPublished: { id: postId, author: { username: writer.username, email, viewerIsFollowing } },
    });
    const writerEmail = (await server.db.user.findUniqueOrThrow({ where: { id: rawId(writer.id) } })).email;
    expect((await anon.next()).data).toEqual(expected(null, false));
    expect((await asFollower.next()).data).toEqual(expected(null, true));
    expect((await asStranger.next()).data).toEqual(expected(null, false));
    expect((await own.next()).data).toEqual(expected(writerEmail, false));
    expect((await adm.next()).data).toEqual(expected(writerEmail, false));
  });

  it('each subscriber gets its own subscription id on the shared bytes, escaped as JSON', async () => {
    const writer = await signUp(server, 'writer');
    const query = `subscription ($authorId: ID!) { postPublished(authorId: $authorId) { id title } }`;
    const raw = await rawSocket(server.url);
    raw.send({ type: 'connection_init', payload: {} });
    expect((await raw.receive()).type).toBe('connection_ack');
    const ids = ['a "quoted" \\ id', 'ünïcødé\u2028id'];
    for (const id of ids) raw.send({ id, type: 'subscribe', payload: { query, variables: { authorId: writer.id } } });
    const [other] = subscribeAll(query, writer.id, [null] as const);
    await server.whenSubscribed(topics.postPublished(writer.id), 3);

    const postId = await publish(writer, 'ids');
    const messages = [await raw.receive(), await raw.receive()];
    expect(messages.map((m) => m.id).sort()).toEqual([...ids].sort());
    for (const message of messages)
      expect(message).toMatchObject({ type: 'next', payload: { data: { postPublished: { id: postId, title: 'ids' } } } });
    expect((await other.next()).data.postPublished.id).toBe(postId);
    // Over 125 bytes a frame's length takes two more bytes: counted in bytes, not characters.
    const long = `ids ${'é'.repeat(150)}`;
    const longId = await publish(writer, long);
    for (const message of [await raw.receive(), await raw.receive()])
      expect(message).toMatchObject({ type: 'next', payload: { data: { postPublished: { id: longId, title: long } } } });
    expect((await other.next()).data.postPublished.title).toBe(long);
    raw.close();
  });
});
