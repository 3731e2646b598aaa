import { randomBytes } from 'node:crypto';
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGroup, MESSAGE_EVENTS, send } from './helpers/chat.ts';
import { fixtures, rawId, topics } from './helpers/fixtures.ts';
import { type PrivateRedisCluster, redisClusterToolsAvailable, startPrivateRedisCluster } from './helpers/private-services.ts';
import { createTestDatabase, signUp, startTestServer, type TestServer, type TestUser } from './helpers/server.ts';
import { eventually, wsClient, type Subscription, type WsClient } from './helpers/ws.ts';

const PRESENCE = `query ($id: ID!) { user(id: $id) { presence { online lastSeenAt } } }`;
const LOG_IN = 'mutation ($l: String!, $p: String!) { logIn(input: { login: $l, password: $p }) { accessToken } }';
const CREATE_POST = 'mutation ($input: CreatePostInput!) { createPost(input: $input) { post { id } } }';
const COMMENT_ADDED = `subscription ($postId: ID!, $after: String) {
  commentAdded(postId: $postId, after: $after) { cursor comment { body } }
}`;

if (!redisClusterToolsAvailable) console.warn('redis-cluster tests skipped: redis-server or redis-cli is not installed');

/** Two instances of one deployment on `cluster` (same database, prefix and JWT secret). */
async function startPairOnCluster(cluster: PrivateRedisCluster, env: Record<string, string> = {}): Promise<[TestServer, TestServer]> {
  const databaseUrl = await createTestDatabase();
  const shared = {
    REDIS_CLUSTER_NODES: cluster.nodes.join(','),
    JWT_SECRET: randomBytes(32).toString('hex'),
    ...env,
  };
  return [await startTestServer(shared, databaseUrl), await startTestServer(shared, databaseUrl)];
}

describe.skipIf(!redisClusterToolsAvailable)('two instances on a three-master Redis Cluster', () => {
  let cluster: PrivateRedisCluster;
  let redis: Cluster;
  let a: TestServer;
  let b: TestServer;
  let alice: TestUser;
  let bob: TestUser;
  const prefix = `agora-test:${randomBytes(4).toString('hex')}:`;
  const clients: WsClient[] = [];

  beforeAll(async () => {
    cluster = await startPrivateRedisCluster();
    redis = new Cluster(cluster.ports.map((port) => ({ host: '127.0.0.1', port })));
    [a, b] = await startPairOnCluster(cluster, { REDIS_KEY_PREFIX: prefix, PRESENCE_HEARTBEAT_MS: '200', PRESENCE_TTL_MS: '1000' });
    [alice, bob] = await Promise.all([signUp(a, 'alice'), signUp(a, 'bob')]);
  }, 60_000);
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.dispose()));
    await a?.stop();
    await b?.stop();
    redis?.disconnect();
    await cluster?.destroy();
  });

  /** The bus channel of a topic (see src/events/redis-bus.ts) and the port of the master owning its slot. */
  async function shardOf(topic: string): Promise<{ channel: string; slot: number; port: number }> {
    const channel = `${prefix}bus:${topic}`;
    const slot = Number(await redis.call('CLUSTER', 'KEYSLOT', channel));
    const ranges = (await redis.call('CLUSTER', 'SLOTS')) as [number, number, [string, number]][];
    const owner = ranges.find(([from, to]) => from <= slot && slot <= to)!;
    return { channel, slot, port: owner[2][1] };
  }

  /** Group conversations of alice and bob until their channels live on three different masters. */
  async function conversationsOnEveryShard(): Promise<{ id: string; channel: string; slot: number; port: number }[]> {
    const byPort = new Map<number, { id: string; channel: string; slot: number; port: number }>();
    for (let attempt = 0; attempt < 40 && byPort.size < 3; attempt += 1) {
      const id = await createGroup(a, alice, [bob]);
      const shard = await shardOf(topics.conversation(id));
      if (!byPort.has(shard.port)) byPort.set(shard.port, { id, ...shard });
    }
    expect(byPort.size).toBe(3);
    return [...byPort.values()];
  }

  it('messages sent on A reach a subscriber on B through sharded pub/sub, on every shard', async () => {
    const conversations = await conversationsOnEveryShard();
    expect(new Set(conversations.map((c) => c.slot)).size).toBe(3);
    const c = wsClient(b.url, bob.token);
    clients.push(c);
    const subs = conversations.map(({ id }) => c.subscribe(MESSAGE_EVENTS, { conversationId: id }));
    for (const { id } of conversations) await b.whenSubscribed(topics.conversation(id));
    for (const { channel, port } of conversations) {
      // Only the owning master carries the channel, as a shard channel; no plain channel exists.
      for (const node of redis.nodes('master')) {
        const [, shardSubscribers] = (await node.call('PUBSUB', 'SHARDNUMSUB', channel)) as [string, number];
        expect(shardSubscribers).toBe(node.options.port === port ? 1 : 0);
        const [, plainSubscribers] = (await node.call('PUBSUB', 'NUMSUB', channel)) as [string, number];
        expect(plainSubscribers).toBe(0);
      }
    }
    for (const [i, { id }] of conversations.entries()) await send(a, alice, id, `to shard ${i}`);
    for (const [i, sub] of subs.entries()) {
      expect((await sub.next()).data!.messageEvents.message.body).toBe(`to shard ${i}`);
    }
  });

  it('presence: a user online on A is seen online on B, and last-seen after', async () => {
    const carol = await signUp(a, 'carol');
    const socket = wsClient(a.url, carol.token);
    await eventually(async () => (await b.gql(PRESENCE, { id: carol.id })).body.data!.user.presence.online === true);
    await socket.dispose();
    await eventually(async () => {
      const p = (await b.gql(PRESENCE, { id: carol.id })).body.data!.user.presence;
      return p.online === false && p.lastSeenAt !== null;
    });
    // The presence keys share one hash tag (their MULTIs and pipelines touch several at once).
    expect(await redis.hexists(`{${prefix}presence}:lastseen`, rawId(carol.id))).toBe(1);
  });

  it('a master killed and restarted: a durable subscriber on B still gets every message', async () => {
    const [conversation] = await conversationsOnEveryShard();
    const c = wsClient(b.url, bob.token);
    clients.push(c);
    const sub = c.subscribe(MESSAGE_EVENTS, { conversationId: conversation!.id });
    await b.whenSubscribed(topics.conversation(conversation!.id));
    await send(a, alice, conversation!.id, 'before');
    expect((await sub.next()).data!.messageEvents.message.body).toBe('before');
    const down = cluster.ports.indexOf(conversation!.port);
    await cluster.stopNode(down);
    await send(a, alice, conversation!.id, 'while down');
    await cluster.startNode(down);
    await send(a, alice, conversation!.id, 'after');
    expect((await sub.next()).data!.messageEvents.message.body).toBe('while down');
    expect((await sub.next()).data!.messageEvents.message.body).toBe('after');
  }, 60_000);

  describe('counters shared across instances', () => {
    let c: TestServer;
    let d: TestServer;
    beforeAll(async () => {
      [c, d] = await startPairOnCluster(cluster, {
        REDIS_KEY_PREFIX: `${prefix}counters:`,
        LOGIN_MAX_FAILURES: '2',
        RATE_LIMIT_WRITES: '2',
        RATE_LIMIT_WRITES_WINDOW_SECONDS: '3600',
      });
    }, 60_000);
    afterAll(async () => {
      await c?.stop();
      await d?.stop();
    });

    it('login failures on one instance lock the login on the other', async () => {
      const user = await signUp(c, 'locked');
      await c.gql(LOG_IN, { l: user.username, p: 'wrong guess one' });
      await d.gql(LOG_IN, { l: user.username, p: 'wrong guess two' });
      const res = await c.gql(LOG_IN, { l: user.username, p: user.password });
      expect(res.body.errors![0]!.extensions.code).toBe('RATE_LIMITED');
    });

    it('a write budget spent on both instances refuses the next write', async () => {
      const writer = await signUp(c, 'writer');
      for (const server of [c, d]) {
        const res = await server.gql(CREATE_POST, { input: { title: 'budget', body: 'x' } }, writer.token);
        expect(res.body.errors).toBeUndefined();
      }
      const refused = await d.gql(CREATE_POST, { input: { title: 'budget', body: 'x' } }, writer.token);
      expect(refused.status).toBe(429);
      expect(refused.body.errors![0]!.extensions).toMatchObject({ code: 'RATE_LIMITED', budget: 'writes' });
    });
  });
});

describe.skipIf(!redisClusterToolsAvailable)('failover of a master in a cluster with replicas', () => {
  let cluster: PrivateRedisCluster;
  let redis: Cluster;
  let a: TestServer;
  let b: TestServer;
  let quiet: TestServer;
  let alice: TestUser;
  let bob: TestUser;
  const prefix = `agora-test:${randomBytes(4).toString('hex')}:`;
  const clients: WsClient[] = [];

  beforeAll(async () => {
    // A short node timeout: the replica takes over about two seconds after its master dies.
    cluster = await startPrivateRedisCluster({ replicas: 1, nodeTimeoutMs: 1_500 });
    redis = new Cluster(cluster.ports.map((port) => ({ host: '127.0.0.1', port })));
    [a, b] = await startPairOnCluster(cluster, {
      REDIS_KEY_PREFIX: prefix,
      PRESENCE_HEARTBEAT_MS: '200',
      PRESENCE_TTL_MS: '1000',
      LOGIN_MAX_FAILURES: '2',
      OUTBOX_POLL_MS: '200',
    });
    // A third instance that serves nothing during the failover: only its /ready is asked.
    quiet = await startTestServer({ REDIS_CLUSTER_NODES: cluster.nodes.join(','), REDIS_KEY_PREFIX: prefix }, a.databaseUrl);
    [alice, bob] = await Promise.all([signUp(a, 'alice'), signUp(a, 'bob')]);
  }, 60_000);
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.dispose()));
    await a?.stop();
    await b?.stop();
    await quiet?.stop();
    redis?.disconnect();
    await cluster?.destroy();
  });

  /** The port of the master owning `key`'s slot (as the cluster was before the failover). */
  async function masterOf(key: string): Promise<number> {
    const slot = Number(await redis.call('CLUSTER', 'KEYSLOT', key));
    const ranges = (await redis.call('CLUSTER', 'SLOTS')) as [number, number, [string, number]][];
    return ranges.find(([from, to]) => from <= slot && slot <= to)![2][1];
  }

  /** Makes things with `create` until one's key lives on the master on `port`. */
  async function onMaster<T>(port: number, create: () => Promise<T>, key: (made: T) => string): Promise<T> {
    for (let attempt = 0; attempt < 40; attempt += 1) {
      const made = await create();
      if ((await masterOf(key(made))) === port) return made;
    }
    throw new Error(`nothing landed on the master on ${port}`);
  }

  function subscribe(server: TestServer, query: string, variables: Record<string, unknown>): Subscription {
    const client = wsClient(server.url, bob.token);
    clients.push(client);
    return client.subscribe(query, variables);
  }

  let lastCursor: string | null = null;

  /** The next `count` message or comment bodies `sub` receives (remembering the last cursor). */
  async function bodies(sub: Subscription, count: number): Promise<string[]> {
    const got: string[] = [];
    for (let i = 0; i < count; i += 1) {
      const { data, errors } = await sub.next(20_000);
      expect(errors).toBeUndefined();
      const event = data!.messageEvents ?? data!.commentAdded;
      lastCursor = event.cursor;
      got.push(event.message?.body ?? event.comment.body);
    }
    return got;
  }

  async function ready(server: TestServer): Promise<{ status: number; redis: string }> {
    const res = await fetch(`${server.url}/ready`);
    return { status: res.status, redis: ((await res.json()) as { checks: { redis: string } }).checks.redis };
  }

  it('a master killed: its replica takes over, durable subscribers on both instances get every event once, in order', async () => {
    // The master that dies holds presence, a conversation's channel, a post's channel and a login counter.
    const victim = await masterOf(`${prefix}presence`);
    const conversation = await onMaster(
      victim,
      () => createGroup(a, alice, [bob]),
      (id) => `${prefix}bus:${topics.conversation(id)}`,
    );
    const post = await onMaster(
      victim,
      () => fixtures(a).post(alice),
      (p) => `${prefix}bus:${topics.post(p.id)}`,
    );
    const locked = await onMaster(
      victim,
      () => signUp(a, 'locked'),
      (u) => `${prefix}login-fail-account:user:${rawId(u.id)}`,
    );
    const carol = await signUp(a, 'carol');

    const messages = [a, b].map((server) => subscribe(server, MESSAGE_EVENTS, { conversationId: conversation }));
    const comments = [a, b].map((server) => subscribe(server, COMMENT_ADDED, { postId: post.id }));
    const resumed = subscribe(b, MESSAGE_EVENTS, { conversationId: conversation });
    await a.whenSubscribed(topics.conversation(conversation));
    await b.whenSubscribed(topics.conversation(conversation), 2);
    for (const server of [a, b]) await server.whenSubscribed(topics.post(post.id));
    const presence = wsClient(a.url, carol.token);
    clients.push(presence);
    await eventually(async () => (await b.gql(PRESENCE, { id: carol.id })).body.data!.user.presence.online === true);

    const sendAll = async (phase: string) => {
      for (const n of [1, 2]) await send(a, alice, conversation, `${phase} ${n}`);
      await fixtures(b).comment(alice, post.id, `${phase} comment`);
    };
    await sendAll('before');
    expect(await bodies(resumed, 2)).toEqual(['before 1', 'before 2']);
    const cursor = lastCursor;
    resumed.unsubscribe();

    const replica = await cluster.killMaster(victim);
    // Written while the master is dead and its replica not yet promoted: committed to PostgreSQL all the same.
    await sendAll('during');
    const pending = () => a.db.event.count({ where: { publishedAt: null } });
    expect(await pending()).toBeGreaterThanOrEqual(3); // kept in the outbox: their channels have no master
    for (const server of [a, b, quiet]) expect(await ready(server)).toEqual({ status: 503, redis: 'down' });
    await cluster.promote(replica);
    await sendAll('after');
    await send(b, bob, conversation, 'last');
    await eventually(async () => (await pending()) === 0, 15_000); // the dispatcher published them once the bus was back

    const expected = ['before 1', 'before 2', 'during 1', 'during 2', 'after 1', 'after 2', 'last'];
    for (const sub of messages) expect(await bodies(sub, expected.length)).toEqual(expected);
    for (const sub of comments) expect(await bodies(sub, 3)).toEqual(['before comment', 'during comment', 'after comment']);
    for (const sub of [...messages, ...comments]) expect(sub.pending).toEqual([]);
    // A subscriber that left before the failover resumes from its cursor and gets the gap, once.
    const again = subscribe(b, MESSAGE_EVENTS, { conversationId: conversation, after: cursor });
    expect(await bodies(again, 5)).toEqual(expected.slice(2));

    // Presence and the login counters live on the promoted master now, and answer as before.
    await eventually(async () => (await b.gql(PRESENCE, { id: carol.id })).body.data!.user.presence.online === true);
    await presence.dispose();
    await eventually(async () => {
      const p = (await b.gql(PRESENCE, { id: carol.id })).body.data!.user.presence;
      return p.online === false && p.lastSeenAt !== null;
    });
    expect(await cluster.cli('-p', String(replica), 'hexists', `{${prefix}presence}:lastseen`, rawId(carol.id))).toBe('1\n');
    await a.gql(LOG_IN, { l: locked.username, p: 'wrong guess one' });
    await b.gql(LOG_IN, { l: locked.username, p: 'wrong guess two' });
    expect((await a.gql(LOG_IN, { l: locked.username, p: locked.password })).body.errors![0]!.extensions.code).toBe('RATE_LIMITED');
    const counter = `${prefix}login-fail-account:user:${rawId(locked.id)}`;
    expect(await cluster.cli('-p', String(replica), 'exists', counter)).toBe('1\n');
    // Ready again once the replica serves the slots, also where no request ran into the new topology.
    for (const server of [a, b, quiet]) await eventually(async () => (await ready(server)).status === 200, 15_000);
  }, 90_000);
});
