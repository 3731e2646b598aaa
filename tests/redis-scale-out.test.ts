import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGroup, MESSAGE_EVENTS, ok, send } from './helpers/chat.ts';
import { createTestDatabase, signUp, startTestServer, type TestServer, type TestUser } from './helpers/server.ts';
import { rawId, topics } from './helpers/fixtures.ts';
import { eventually, wsClient, type WsClient } from './helpers/ws.ts';

const REDIS_URL = process.env.REDIS_URL;
const PRESENCE = `query ($id: ID!) { user(id: $id) { presence { online lastSeenAt } } }`;

// Needs a real Redis: CI exports REDIS_URL; skipped only when it is unset.
describe.skipIf(!REDIS_URL)('two instances sharing one Redis and one database', () => {
  // Redis is shared with other runs: every key of this run lives under its own prefix.
  const prefix = `agora-test:${randomBytes(4).toString('hex')}:`;
  let a: TestServer;
  let b: TestServer;
  let alice: TestUser;
  let bob: TestUser;
  let redis: Redis;
  const clients: WsClient[] = [];

  beforeAll(async () => {
    const databaseUrl = await createTestDatabase();
    const env = {
      REDIS_URL: REDIS_URL!,
      REDIS_KEY_PREFIX: prefix,
      JWT_SECRET: 'scale-out-test-secret-0123456789abcdefgh',
      PRESENCE_HEARTBEAT_MS: '200',
      PRESENCE_TTL_MS: '1000',
    };
    a = await startTestServer(env, databaseUrl);
    b = await startTestServer(env, databaseUrl);
    [alice, bob] = await Promise.all([signUp(a, 'alice'), signUp(a, 'bob')]);
    redis = new Redis(REDIS_URL!);
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.dispose()));
    await a?.stop();
    await b?.stop();
    if (redis) {
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length > 0) await redis.del(...keys);
      await redis.quit();
    }
  });

  it('a message sent on A reaches a subscriber on B', async () => {
    const id = await createGroup(a, alice, [bob]);
    const c = wsClient(b.url, bob.token);
    clients.push(c);
    const sub = c.subscribe(MESSAGE_EVENTS, { conversationId: id });
    await b.whenSubscribed(topics.conversation(id));
    await send(a, alice, id, 'from A');
    await send(b, alice, id, 'from B');
    expect((await sub.next()).data!.messageEvents.message.body).toBe('from A');
    expect((await sub.next()).data!.messageEvents.message.body).toBe('from B');
    // Once each (A's and B's dispatchers both drain the outbox): the next is the marker.
    await send(a, alice, id, 'marker');
    expect((await sub.next()).data!.messageEvents.message.body).toBe('marker');
  });

  it('presence is seen from both instances, and last-seen after the socket closes', async () => {
    const carol = await signUp(a, 'carol');
    const watcher = wsClient(b.url, alice.token);
    clients.push(watcher);
    const changes = watcher.subscribe(`subscription ($ids: [ID!]!) { presenceChanged(userIds: $ids) { online } }`, { ids: [carol.id] });
    expect((await changes.next()).data!.presenceChanged.online).toBe(false);
    const socket = wsClient(a.url, carol.token);
    for (const server of [a, b]) {
      await eventually(async () => (await server.gql(PRESENCE, { id: carol.id })).body.data!.user.presence.online === true);
    }
    expect((await changes.next()).data!.presenceChanged.online).toBe(true);
    await socket.dispose();
    for (const server of [a, b]) {
      await eventually(async () => {
        const p = (await server.gql(PRESENCE, { id: carol.id })).body.data!.user.presence;
        return p.online === false && p.lastSeenAt !== null;
      });
    }
    expect((await changes.next()).data!.presenceChanged.online).toBe(false);
  });

  it('a dead instance does not leave its users online', async () => {
    const dave = await signUp(a, 'dave');
    // An instance that died without cleaning up: its set remains, its heartbeat stops.
    await redis
      .multi()
      .zadd(`${prefix}presence:instances`, Date.now(), 'ghost')
      .sadd(`${prefix}presence:inst:ghost`, rawId(dave.id))
      .exec();
    expect((await b.gql(PRESENCE, { id: dave.id })).body.data!.user.presence.online).toBe(true);
    await eventually(async () => {
      const p = (await b.gql(PRESENCE, { id: dave.id })).body.data!.user.presence;
      return p.online === false && p.lastSeenAt !== null;
    }, 5_000);
    // The sweeper removed the ghost.
    expect(await redis.zscore(`${prefix}presence:instances`, 'ghost')).toBeNull();
  });

  it('typing crosses instances, is throttled across them, and expires', async () => {
    const id = await createGroup(a, alice, [bob]);
    const c = wsClient(b.url, bob.token);
    clients.push(c);
    const sub = c.subscribe(`subscription ($id: ID!) { typing(conversationId: $id) { typing user { username } } }`, { id });
    await b.whenSubscribed(topics.typing(id));
    const SET = `mutation ($input: SetTypingInput!) { setTyping(input: $input) { accepted } }`;
    expect((await ok(a, SET, { input: { conversationId: id, typing: true } }, alice.token)).setTyping.accepted).toBe(true);
    expect((await ok(b, SET, { input: { conversationId: id, typing: true } }, alice.token)).setTyping.accepted).toBe(false);
    expect((await sub.next()).data!.typing).toEqual({ typing: true, user: { username: alice.username } });
    const started = Date.now();
    expect((await sub.next(10_000)).data!.typing).toEqual({ typing: false, user: { username: alice.username } });
    expect(Date.now() - started).toBeGreaterThan(4_000);
  });

  it('notifications written on B reach a subscriber on A, resumable by cursor', async () => {
    const c = wsClient(a.url, alice.token);
    clients.push(c);
    const sub = c.subscribe(`subscription ($after: String) { notificationAdded(after: $after) { cursor notification { kind } } }`, {});
    await a.whenSubscribed(topics.user(alice.id));
    const erin = await signUp(b, 'erin');
    await ok(
      b,
      `mutation ($input: FollowInput!) { followUser(input: $input) { user { id } } }`,
      { input: { userId: alice.id } },
      erin.token,
    );
    const first = (await sub.next()).data!.notificationAdded;
    expect(first.notification.kind).toBe('NEW_FOLLOWER');
    sub.unsubscribe();
    const frank = await signUp(b, 'frank');
    await ok(
      b,
      `mutation ($input: FollowInput!) { followUser(input: $input) { user { id } } }`,
      { input: { userId: alice.id } },
      frank.token,
    );
    const resumed = c.subscribe(
      `subscription ($after: String) { notificationAdded(after: $after) { cursor notification { kind actor { username } } } }`,
      { after: first.cursor },
    );
    expect((await resumed.next()).data!.notificationAdded.notification.actor.username).toBe(frank.username);
    // Nothing else was replayed or duplicated: the next is the one caused now.
    const grace = await signUp(b, 'grace');
    await ok(
      b,
      `mutation ($input: FollowInput!) { followUser(input: $input) { user { id } } }`,
      { input: { userId: alice.id } },
      grace.token,
    );
    expect((await resumed.next()).data!.notificationAdded.notification.actor.username).toBe(grace.username);
  });

  it('after a Redis reconnect, live subscriptions catch up from the database (nothing published during the outage is lost)', async () => {
    const id = await createGroup(a, alice, [bob]);
    const c = wsClient(b.url, bob.token);
    clients.push(c);
    const sub = c.subscribe(MESSAGE_EVENTS, { conversationId: id });
    await b.whenSubscribed(topics.conversation(id));
    await send(a, alice, id, 'before the outage');
    expect((await sub.next()).data!.messageEvents.message.body).toBe('before the outage');
    // Cut every bus subscriber connection of this deployment (both instances).
    const clientsList = String(await redis.call('CLIENT', 'LIST'));
    const ids = clientsList
      .split('\n')
      .filter((line) => line.includes(` name=${prefix}bus-sub `))
      .map((line) => /(?:^|\s)id=(\d+)/.exec(line)![1]!);
    expect(ids.length).toBe(2);
    for (const clientId of ids) await redis.call('CLIENT', 'KILL', 'ID', clientId);
    await send(a, alice, id, 'during the outage');
    expect((await sub.next(10_000)).data!.messageEvents.message.body).toBe('during the outage');
    await send(a, alice, id, 'after the outage');
    expect((await sub.next()).data!.messageEvents.message.body).toBe('after the outage');
    // Once each, despite the resync re-reading the stream: the next is the marker.
    await send(a, alice, id, 'marker');
    expect((await sub.next()).data!.messageEvents.message.body).toBe('marker');
  });
});
