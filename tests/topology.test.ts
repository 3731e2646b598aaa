// The deployed topology of compose.yaml, without containers: a PostgreSQL
// primary with a streaming replica, a three-master Redis Cluster, two Agora
// server processes and HAProxy running deploy/haproxy.cfg, all on loopback.
// Every request goes through the balancer; the instances are reached
// directly only to read their /metrics (which instance served what).
import { randomBytes } from 'node:crypto';
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../src/db/migrate.ts';
import { createLogger } from '../src/lib/logger.ts';
import { MESSAGE_EVENTS } from './helpers/chat.ts';
import { topics } from './helpers/fixtures.ts';
import {
  freePort,
  postgresAvailable,
  redisClusterToolsAvailable,
  startPrivatePostgres,
  startPrivateRedisCluster,
  startPrivateReplica,
  type PrivatePostgres,
  type PrivateRedisCluster,
  type PrivateReplica,
} from './helpers/private-services.ts';
import { unique } from './helpers/server.ts';
import {
  graphql,
  haproxyAvailable,
  httpRequest,
  operationCount,
  startAgoraProcess,
  startBalancer,
  type AgoraProcess,
  type Balancer,
} from './helpers/topology.ts';
import { eventually, wsClient, type Subscription, type WsClient } from './helpers/ws.ts';

const missing = [
  !postgresAvailable && 'PostgreSQL 15 server binaries',
  !redisClusterToolsAvailable && 'redis-server/redis-cli',
  !haproxyAvailable && 'haproxy',
].filter(Boolean);
if (missing.length > 0) console.warn(`topology test skipped: ${missing.join(', ')} not installed`);

const METRICS_TOKEN = randomBytes(16).toString('hex');
const SIGNUPS_PER_ADDRESS = 3;

type User = { id: string; token: string; email: string };
type Message = { messageEvents: { cursor: string; message: { body: string } } };

describe.skipIf(missing.length > 0)('deployed topology on loopback: HAProxy, two instances, replica, Redis Cluster', () => {
  let primary: PrivatePostgres;
  let replica: PrivateReplica;
  let cluster: PrivateRedisCluster;
  let redis: Cluster;
  let instances: [AgoraProcess, AgoraProcess];
  let lb: Balancer;
  let databaseUrl: string;
  const prefix = `agora-topology-${randomBytes(4).toString('hex')}:`;
  const sockets: WsClient[] = [];

  // Every client gets a loopback address of its own (127.0.0.x), as distinct
  // clients would: the per-address signUp budget is small here.
  let nextClient = 10;
  const newClientAddress = () => `127.0.0.${nextClient++}`;

  const gql = <T = Record<string, any>>(query: string, variables: Record<string, unknown> = {}, token?: string, from?: string) =>
    graphql<T>(lb.url, query, variables, { token, from });
  const data = async (query: string, variables: Record<string, unknown> = {}, token?: string) => {
    const res = await gql(query, variables, token);
    expect(res.body.errors, JSON.stringify(res.body.errors)).toBeUndefined();
    return res.body.data!;
  };
  /** Which instance ran the operation named `name` (named uniquely per call). */
  const servedBy = async (name: string): Promise<AgoraProcess> => {
    const counts = await Promise.all(instances.map((i) => operationCount(i, name, METRICS_TOKEN)));
    expect(
      counts.reduce((a, b) => a + b),
      `runs of ${name}`,
    ).toBe(1);
    return instances[counts.indexOf(1)]!;
  };
  const other = (instance: AgoraProcess) => (instance === instances[0] ? instances[1] : instances[0]);
  /** Runs `action` (operations named `name`) and returns its result and the instance whose count of `name` grew. */
  async function ranOn<T>(name: string, action: () => Promise<T>): Promise<[T, AgoraProcess]> {
    const counts = () => Promise.all(instances.map((i) => operationCount(i, name, METRICS_TOKEN)));
    const before = await counts();
    const result = await action();
    const grown = (await counts()).map((n, i) => n - before[i]!);
    expect(
      grown.reduce((a, b) => a + b),
      `runs of ${name}`,
    ).toBe(1);
    return [result, instances[grown.indexOf(1)]!];
  }
  async function signUp(from = newClientAddress()): Promise<User> {
    const username = unique('topo').slice(0, 30);
    const email = `${username}@example.com`;
    const res = await gql(
      'mutation ($input: SignUpInput!) { signUp(input: $input) { accessToken user { id } } }',
      { input: { email, username, password: 'correct horse battery', name: username } },
      undefined,
      from,
    );
    expect(res.body.errors, JSON.stringify(res.body.errors)).toBeUndefined();
    return { id: res.body.data!.signUp.user.id, token: res.body.data!.signUp.accessToken, email };
  }
  const createPost = async (author: User, title: string): Promise<string> =>
    (
      await data(
        'mutation ($input: CreatePostInput!) { createPost(input: $input) { post { id } } }',
        { input: { title, body: 'b', publish: true } },
        author.token,
      )
    ).createPost.post.id;
  const createGroup = async (owner: User, members: User[]): Promise<string> =>
    (
      await data(
        'mutation ($input: CreateGroupConversationInput!) { createGroupConversation(input: $input) { conversation { id } } }',
        { input: { title: 'Topology', memberIds: members.map((m) => m.id) } },
        owner.token,
      )
    ).createGroupConversation.conversation.id;
  /** sendMessage through the balancer, named `name`; returns the instance that ran it. */
  async function send(sender: User, conversationId: string, body: string): Promise<AgoraProcess> {
    const name = `Send_${randomBytes(4).toString('hex')}`;
    await data(
      `mutation ${name}($input: SendMessageInput!) { sendMessage(input: $input) { message { id } } }`,
      { input: { conversationId, body, idempotencyKey: name } },
      sender.token,
    );
    return servedBy(name);
  }
  /** A messageEvents subscription through the balancer, named so its instance can be found. */
  async function subscribe(user: User, conversationId: string, after?: string) {
    const name = `Sub_${randomBytes(4).toString('hex')}`;
    const socket = wsClient(lb.url, user.token);
    sockets.push(socket);
    const sub = socket.subscribe<Message>(MESSAGE_EVENTS.replace('subscription (', `subscription ${name}(`), { conversationId, after });
    const instance = await eventually(async () => {
      const counts = await Promise.all(instances.map((i) => operationCount(i, name, METRICS_TOKEN)));
      return counts.includes(1) ? instances[counts.indexOf(1)] : null;
    }, 10_000);
    return { socket, sub, instance };
  }
  /**
   * Sends warm-ups until one arrives: the subscription is then live, and every
   * later message arrives (durable streams have no gaps). Returns the cursor of
   * the last warm-up sent, once it too has arrived.
   */
  async function untilLive(sender: User, conversationId: string, sub: Subscription<Message>): Promise<string> {
    let sent = 0;
    await eventually(async () => {
      if (sub.pending.length === 0) await send(sender, conversationId, `warm-up ${++sent}`);
      return sub.pending.length > 0;
    }, 10_000);
    for (;;) {
      const { messageEvents } = (await sub.next()).data!;
      if (messageEvents.message.body === `warm-up ${sent}`) return messageEvents.cursor;
    }
  }

  beforeAll(async () => {
    primary = await startPrivatePostgres();
    databaseUrl = await primary.createDatabase('agora');
    // compose.yaml's `migrate` job, before any instance starts.
    await migrate(databaseUrl, createLogger('warn'));
    [replica, cluster] = await Promise.all([startPrivateReplica(primary), startPrivateRedisCluster()]);
    redis = new Cluster(cluster.ports.map((port) => ({ host: '127.0.0.1', port })));
    const env = {
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      DATABASE_URL: databaseUrl,
      DATABASE_REPLICA_URLS: replica.urlOf('agora'),
      DATABASE_REPLICA_CHECK_INTERVAL_MS: '200',
      // A replica whose replay the test pauses stays in rotation (lag is measured from its last replayed commit).
      DATABASE_REPLICA_MAX_LAG_MS: '600000',
      REDIS_CLUSTER_NODES: cluster.nodes.join(','),
      REDIS_KEY_PREFIX: prefix,
      JWT_SECRET: randomBytes(32).toString('hex'),
      TRUST_PROXY: '1',
      RESPONSE_CACHE_TTL_SECONDS: '30',
      SHUTDOWN_GRACE_MS: '10000',
      METRICS_TOKEN,
      RATE_LIMIT_SIGNUPS: String(SIGNUPS_PER_ADDRESS),
    };
    const ports: number[] = [];
    while (ports.length < 3) {
      const port = await freePort();
      if (!ports.includes(port)) ports.push(port);
    }
    instances = await Promise.all([startAgoraProcess('agora-1', ports[0]!, env), startAgoraProcess('agora-2', ports[1]!, env)]);
    lb = await startBalancer(ports[2]!, instances);
    // HAProxy starts with its servers up (it logs only changes): both instances are already serving.
  }, 120_000);

  afterAll(async () => {
    await Promise.all(sockets.map((s) => s.dispose().catch(() => {})));
    await lb?.stop();
    await Promise.all((instances ?? []).map((i) => i.kill()));
    redis?.disconnect();
    await cluster?.destroy();
    await replica?.destroy();
    await primary?.destroy();
  });

  it('answers /health and /ready through the balancer, both instances with the replica in rotation', async () => {
    expect((await httpRequest(`${lb.url}/health`)).status).toBe(200);
    for (const target of [lb.url, ...instances.map((i) => i.url)]) {
      await eventually(async () => {
        const res = await httpRequest(`${target}/ready`);
        return res.status === 200 && JSON.parse(res.text).replicas?.replica1?.inRotation === true;
      }, 20_000);
    }
  });

  it('reads go to the replica; a viewer who wrote reads the write back, on either instance', async () => {
    const alice = await signUp();
    await replica.pauseReplay();
    try {
      const id = await createPost(alice, 'Written while the replica is paused');
      // `title` without `id`: a document the response cache leaves alone, so each read reaches a database.
      for (let i = 0; i < 2; i += 1) {
        const name = `Anon_${randomBytes(4).toString('hex')}`;
        const anonymous = await gql(`query ${name}($id: ID!) { post(id: $id) { title } }`, { id });
        expect(anonymous.body.data!.post).toBeNull(); // the replica has not replayed it
        const own = `Own_${randomBytes(4).toString('hex')}`;
        const mine = await gql(`query ${own}($id: ID!) { post(id: $id) { title } }`, { id }, alice.token);
        expect(mine.body.data!.post).toEqual({ title: 'Written while the replica is paused' });
        // Round-robin: the two reads of each kind are answered by different instances.
        expect(await servedBy(name)).not.toBe(await servedBy(own));
      }
    } finally {
      await replica.resumeReplay();
    }
  });

  it('messages sent through the balancer reach a subscriber on the other instance, on every Redis shard', async () => {
    const [alice, bob] = [await signUp(), await signUp()];
    // Conversations until their bus channels live on the three masters.
    const byShard = new Map<number, string>();
    for (let attempt = 0; attempt < 40 && byShard.size < 3; attempt += 1) {
      const id = await createGroup(alice, [bob]);
      const slot = Number(await redis.call('CLUSTER', 'KEYSLOT', `${prefix}bus:${topics.conversation(id)}`));
      const owner = ((await redis.call('CLUSTER', 'SLOTS')) as [number, number, [string, number]][]).find(
        ([a, b]) => a <= slot && slot <= b,
      )!;
      if (!byShard.has(owner[2][1])) byShard.set(owner[2][1], id);
    }
    expect(byShard.size).toBe(3);
    for (const conversationId of byShard.values()) {
      const { sub, instance } = await subscribe(bob, conversationId);
      await untilLive(alice, conversationId, sub);
      // Round-robin spreads the sends: keep sending until one ran on the other instance.
      for (let i = 0; ; i += 1) {
        const sender = await send(alice, conversationId, `hop ${i}`);
        expect((await sub.next()).data!.messageEvents.message.body).toBe(`hop ${i}`);
        if (sender !== instance) break;
        expect(i).toBeLessThan(4);
      }
    }
  });

  it('caches a signed-out read across instances and drops it on a mutation on either instance', async () => {
    const author = await signUp();
    const id = await createPost(author, 'Before');
    // With replay paused the replica has none of this test's writes: what the
    // cache stores is read from the primary, so it is fresh at once.
    await replica.pauseReplay();
    try {
      await cachedAcrossInstances(author, id);
    } finally {
      await replica.resumeReplay();
    }
  });

  async function cachedAcrossInstances(author: User, id: string): Promise<void> {
    // One document (one cache entry): the instance that ran it is found from the change in its count.
    const POST = 'query PostTitle($id: ID!) { post(id: $id) { id title } }';
    const read = () => ranOn('PostTitle', () => gql(POST, { id }));
    const [first, firstOn] = await read();
    const [second, secondOn] = await read();
    expect([first.body.extensions?.cache, second.body.extensions?.cache]).toEqual(['MISS', 'HIT']);
    expect(second.body.data).toEqual({ post: { id, title: 'Before' } });
    expect(secondOn).not.toBe(firstOn);
    for (const title of ['After one', 'After two']) {
      const [, editedOn] = await ranOn('EditPost', () =>
        data(
          'mutation EditPost($id: ID!, $title: String!) { updatePost(input: { id: $id, title: $title }) { post { id } } }',
          { id, title },
          author.token,
        ),
      );
      // The very next read, on the other instance, is already fresh.
      const [fresh, freshOn] = await read();
      expect([fresh.body.extensions?.cache, fresh.body.data!.post.title]).toEqual(['MISS', title]);
      const [again, againOn] = await read();
      expect([again.body.extensions?.cache, again.body.data!.post.title]).toEqual(['HIT', title]);
      expect(againOn).not.toBe(freshOn);
      expect(freshOn).not.toBe(editedOn); // invalidated on the instance that did not run the mutation
    }
  }

  it("keeps viewers' data out of the shared cache", async () => {
    const carol = await signUp();
    const ME = 'query { me { id email } }';
    for (let i = 0; i < 2; i += 1) {
      const res = await gql(ME, {}, carol.token);
      expect(res.body.data!.me.email).toBe(carol.email);
      expect(res.body.extensions?.cache).toBeUndefined();
    }
    const USER = 'query ($id: ID!) { user(id: $id) { id email } }';
    for (const token of [carol.token, undefined, undefined])
      expect((await gql(USER, { id: carol.id }, token)).body.extensions?.cache).toBeUndefined();
    // Nothing stored under the cache's keys on any master mentions her.
    let entries = 0;
    for (const node of redis.nodes('master')) {
      const keys = await node.keys(`{${prefix}rc}:e:*`);
      for (const key of keys) {
        entries += 1;
        expect(await node.get(key)).not.toContain(carol.email);
      }
    }
    expect(entries).toBeGreaterThan(0); // the earlier tests' signed-out reads are there
  });

  it("counts the client's address, not the balancer's, with X-Forwarded-For (per-address signUp budget)", async () => {
    const [dave, erin] = [newClientAddress(), newClientAddress()];
    for (let i = 0; i < SIGNUPS_PER_ADDRESS; i += 1) await signUp(dave);
    const input = () => {
      const username = unique('xff').slice(0, 30);
      return { input: { email: `${username}@example.com`, username, password: 'correct horse battery', name: username } };
    };
    const SIGN_UP = 'mutation ($input: SignUpInput!) { signUp(input: $input) { accessToken } }';
    // Dave's budget is spent on both instances together (Redis), whatever he claims to be.
    for (const forged of [undefined, erin]) {
      const res = await graphql(lb.url, SIGN_UP, input(), { from: dave, headers: forged ? { 'x-forwarded-for': forged } : {} });
      expect(res.body.errors?.[0]?.extensions).toMatchObject({ code: 'RATE_LIMITED' });
    }
    // Erin is another client: her budget is whole, even when she claims to be Dave.
    const res = await graphql(lb.url, SIGN_UP, input(), { from: erin, headers: { 'x-forwarded-for': dave } });
    expect(res.body.errors).toBeUndefined();
  });

  it('SIGTERM to one instance: the balancer keeps serving, and its subscriber resumes with `after` on the other without a gap', async () => {
    const [alice, bob] = [await signUp(), await signUp()];
    const conversationId = await createGroup(alice, [bob]);
    const first = await subscribe(bob, conversationId);
    let cursor = await untilLive(alice, conversationId, first.sub);
    const stopping = first.instance;
    const exit = stopping.terminate();
    const closed = await first.socket.closed;
    expect(closed.code).toBe(1001);
    // While it drains and until HAProxy's check takes it out, requests still succeed (redispatched).
    const sent = ['during 1', 'during 2', 'during 3', 'during 4'];
    for (const body of sent) expect(await send(alice, conversationId, body)).toBe(other(stopping));
    expect((await httpRequest(`${lb.url}/health`)).status).toBe(200);
    expect(await exit).toEqual({ code: 0, signal: null });
    await lb.serverState(stopping.name, 'DOWN');
    const resumed = await subscribe(bob, conversationId, cursor);
    expect(resumed.instance).toBe(other(stopping));
    for (const body of sent) {
      const event = await resumed.sub.next();
      expect(event.data!.messageEvents.message.body).toBe(body);
      cursor = event.data!.messageEvents.cursor;
    }
    await send(alice, conversationId, 'after');
    expect((await resumed.sub.next()).data!.messageEvents.message.body).toBe('after');
    expect((await gql('{ posts(first: 1) { totalCount } }')).status).toBe(200);
  }, 60_000);
});
