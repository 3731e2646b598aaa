import { randomBytes } from 'node:crypto';
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGroup, MESSAGE_EVENTS, send } from './helpers/chat.ts';
import { rawId, topics } from './helpers/fixtures.ts';
import { type PrivateRedisCluster, redisClusterToolsAvailable, startPrivateRedisCluster } from './helpers/private-services.ts';
import { createTestDatabase, signUp, startTestServer, type TestServer, type TestUser } from './helpers/server.ts';
import { eventually, wsClient, type WsClient } from './helpers/ws.ts';

const PRESENCE = `query ($id: ID!) { user(id: $id) { presence { online lastSeenAt } } }`;
const LOG_IN = 'mutation ($l: String!, $p: String!) { logIn(input: { login: $l, password: $p }) { accessToken } }';
const CREATE_POST = 'mutation ($input: CreatePostInput!) { createPost(input: $input) { post { id } } }';

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
    redis = new Cluster(cluster.nodes.map((node) => ({ host: '127.0.0.1', port: Number(node.split(':')[1]) })));
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
