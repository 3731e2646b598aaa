import jwt from 'jsonwebtoken';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGroup, MESSAGE_EVENTS, send } from './helpers/chat.ts';
import { signUp, startTestServer, type TestServer, type TestUser } from './helpers/server.ts';
import { topics } from './helpers/fixtures.ts';
import { eventually, rawSocket, wsClient } from './helpers/ws.ts';

const SECRET = 'ws-lifecycle-test-secret-0123456789abcdef';

/** An access token like the server's for the user's live session, with a chosen lifetime. */
function token(user: TestUser, seconds: number): string {
  const { sub, sid } = jwt.decode(user.token) as { sub: string; sid: string };
  return jwt.sign({ typ: 'access', sid }, SECRET, {
    algorithm: 'HS256',
    subject: sub,
    issuer: 'agora',
    audience: 'agora-api',
    expiresIn: seconds,
  });
}

async function connect(url: string, authorization?: string) {
  const s = await rawSocket(url);
  s.send({ type: 'connection_init', payload: authorization ? { authorization } : {} });
  return s;
}

describe('WebSocket lifecycle: auth, expiry, in-band re-auth and limits', () => {
  let server: TestServer;
  let alice: TestUser;
  let bob: TestUser;

  beforeAll(async () => {
    server = await startTestServer({
      JWT_SECRET: SECRET,
      WS_MAX_SOCKETS_PER_USER: '3',
      WS_MAX_SUBSCRIPTIONS_PER_SOCKET: '2',
      WS_MAX_PAYLOAD_BYTES: '4096',
    });
    [alice, bob] = await Promise.all([signUp(server, 'alice'), signUp(server, 'bob')]);
  });
  afterAll(() => server.stop());

  it('acknowledges a valid token and closes with 4403 on a bad one', async () => {
    const good = await connect(server.url, `Bearer ${alice.token}`);
    expect(await good.receive()).toEqual({ type: 'connection_ack' });
    good.close();
    const bad = await connect(server.url, 'Bearer not-a-token');
    expect((await bad.closed).code).toBe(4403);
  });

  it('closes the socket with 4401 when the access token expires', async () => {
    const s = await connect(server.url, `Bearer ${token(alice, 2)}`);
    expect(await s.receive()).toEqual({ type: 'connection_ack' });
    const started = Date.now();
    const closed = await s.closed;
    expect(closed).toEqual({ code: 4401, reason: 'Access token expired' });
    expect(Date.now() - started).toBeLessThan(4_000);
  });

  it('re-authenticates in band with a ping payload: the socket and its subscriptions survive', async () => {
    const id = await createGroup(server, alice, [bob]);
    const s = await connect(server.url, `Bearer ${token(bob, 2)}`);
    expect(await s.receive()).toEqual({ type: 'connection_ack' });
    s.send({ id: 'm', type: 'subscribe', payload: { query: MESSAGE_EVENTS, variables: { conversationId: id } } });
    await server.whenSubscribed(topics.conversation(id));
    // A control socket with a token issued after the first one, as short-lived:
    // its 4401 close marks the moment the first token has expired too.
    const control = await connect(server.url, `Bearer ${token(bob, 2)}`);
    expect(await control.receive()).toEqual({ type: 'connection_ack' });
    s.send({ type: 'ping', payload: { authorization: `Bearer ${token(bob, 60)}` } });
    const pong = await s.receive();
    expect(pong).toMatchObject({ type: 'pong', payload: { reauthenticated: true } });
    expect(JSON.stringify(pong)).not.toContain('Bearer');
    expect(await control.closed).toEqual({ code: 4401, reason: 'Access token expired' });
    await send(server, alice, id, 'still here');
    const next = await s.receive();
    expect(next).toMatchObject({ id: 'm', type: 'next', payload: { data: { messageEvents: { message: { body: 'still here' } } } } });
    s.close();
  });

  it('refuses re-authentication as another user or with a bad token (4403)', async () => {
    const s = await connect(server.url, `Bearer ${bob.token}`);
    await s.receive();
    s.send({ type: 'ping', payload: { authorization: `Bearer ${alice.token}` } });
    expect((await s.closed).code).toBe(4403);
    const t = await connect(server.url, `Bearer ${bob.token}`);
    await t.receive();
    t.send({ type: 'ping', payload: { authorization: 'Bearer garbage' } });
    expect((await t.closed).code).toBe(4403);
  });

  it('limits sockets per user (4290), subscriptions per socket (4291) and message size (1009)', async () => {
    const user = await signUp(server, 'limits');
    const open = [];
    for (let i = 0; i < 3; i++) {
      const s = await connect(server.url, `Bearer ${user.token}`);
      expect(await s.receive()).toEqual({ type: 'connection_ack' });
      open.push(s);
    }
    const fourth = await connect(server.url, `Bearer ${user.token}`);
    expect((await fourth.closed).code).toBe(4290);
    const closing = open.pop()!;
    closing.close();
    await closing.closed;
    // The server counts the socket out when it sees the close: until then a
    // new one is refused (4290), which is the condition polled here.
    const again = await eventually(async () => {
      const candidate = await connect(server.url, `Bearer ${user.token}`);
      const first = await Promise.race([candidate.receive(10_000).catch(() => ({})), candidate.closed]);
      return 'type' in first && first.type === 'connection_ack' ? candidate : null;
    });

    const subs = open[0]!;
    const query = `subscription { notificationAdded { cursor } }`;
    subs.send({ id: '1', type: 'subscribe', payload: { query } });
    subs.send({ id: '2', type: 'subscribe', payload: { query } });
    await server.whenSubscribed(topics.user(user.id), 2);
    // Both allowed subscriptions are live on the open socket: each gets the next notification.
    const follow = await server.gql(
      `mutation ($input: FollowInput!) { followUser(input: $input) { user { id } } }`,
      { input: { userId: user.id } },
      bob.token,
    );
    expect(follow.body.errors).toBeUndefined();
    const delivered = [await subs.receive(), await subs.receive()];
    expect(delivered.map((m) => [m.type, m.id]).sort()).toEqual([
      ['next', '1'],
      ['next', '2'],
    ]);
    subs.send({ id: '3', type: 'subscribe', payload: { query } });
    expect((await subs.closed).code).toBe(4291);

    const big = open[1]!;
    big.send({ id: 'x', type: 'subscribe', payload: { query: `subscription { notificationAdded { cursor } } # ${'x'.repeat(5_000)}` } });
    expect((await big.closed).code).toBe(1009);
    again.close();
  });

  it('works with the graphql-ws client library end to end', async () => {
    const c = wsClient(server.url, alice.token);
    const sub = c.subscribe(`subscription { notificationAdded { notification { kind actor { username } } } }`);
    await server.whenSubscribed(topics.user(alice.id));
    await server.gql(
      `mutation ($input: FollowInput!) { followUser(input: $input) { user { id } } }`,
      { input: { userId: alice.id } },
      bob.token,
    );
    expect((await sub.next()).data!.notificationAdded.notification).toEqual({ kind: 'NEW_FOLLOWER', actor: { username: bob.username } });
    await c.dispose();
  });
});
