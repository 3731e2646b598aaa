import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFaultServer } from './helpers/fault-server.ts';
import {
  postgresAvailable,
  redisServerAvailable,
  startPrivateRedis,
  startPrivatePostgres,
  startPrivateReplica,
  type PrivatePostgres,
  type PrivateReplica,
} from './helpers/private-services.ts';
import { unique } from './helpers/server.ts';
import { eventually, runOnce, wsClient } from './helpers/ws.ts';

// Read replicas against a real streaming replica: a private PostgreSQL 15
// primary and a hot standby made with pg_basebackup, both on free ports.

const SIGN_UP = `mutation ($input: SignUpInput!) { signUp(input: $input) { accessToken user { id } } }`;
const CREATE_POST = `mutation ($input: CreatePostInput!) { createPost(input: $input) { post { id } } }`;
const POST = `query ($id: ID!) { post(id: $id) { id title } }`;

type Server = Awaited<ReturnType<typeof startFaultServer>>;
type ReplicaState = { inRotation: boolean; lagMs: number | null };

async function readiness(server: Server): Promise<{ status: number; body: { status: string; replicas: Record<string, ReplicaState> } }> {
  const res = await fetch(`${server.url}/ready`);
  return { status: res.status, body: (await res.json()) as { status: string; replicas: Record<string, ReplicaState> } };
}

/** Polls /ready until the replica's rotation is `inRotation` (a failure bound, not a delay). */
async function untilRotation(server: Server, inRotation: boolean): Promise<ReplicaState> {
  const ready = await eventually(async () => {
    const { body } = await readiness(server);
    return body.replicas.replica1!.inRotation === inRotation ? body : null;
  }, 30_000);
  return ready.replicas.replica1!;
}

async function signUp(server: Server): Promise<string> {
  const name = unique('rr').slice(0, 30);
  const res = await server.gql(SIGN_UP, {
    input: { email: `${name}@example.com`, username: name, password: 'correct horse battery', name },
  });
  return res.body.data.signUp.accessToken as string;
}

async function createPost(server: Server, token: string, title: string): Promise<string> {
  const res = await server.gql(CREATE_POST, { input: { title, body: 'replicated', publish: true } }, token);
  expect(res.body.errors).toBeUndefined();
  return res.body.data.createPost.post.id as string;
}

async function readTitle(server: Server, id: string, token?: string): Promise<string | null> {
  const res = await server.gql(POST, { id }, token);
  expect(res.status).toBe(200);
  expect(res.body.errors).toBeUndefined();
  return (res.body.data.post?.title as string | undefined) ?? null;
}

describe.skipIf(!postgresAvailable)('read replicas (private primary + streaming replica)', () => {
  let primary: PrivatePostgres;
  let replica: PrivateReplica;
  let databaseUrl: string;
  const servers: Server[] = [];
  let server: Server;

  const startServer = async (env: Record<string, string>) => {
    const s = await startFaultServer(databaseUrl, {
      DATABASE_REPLICA_URLS: replica.urlOf('agora_replicas'),
      DATABASE_REPLICA_CHECK_INTERVAL_MS: '100',
      ...env,
    });
    servers.push(s);
    return s;
  };

  beforeAll(async () => {
    primary = await startPrivatePostgres();
    databaseUrl = await primary.createDatabase('agora_replicas');
    replica = await startPrivateReplica(primary);
    // The server migrates the primary at start; the replica replays it.
    server = await startServer({ DATABASE_REPLICA_MAX_LAG_MS: '600000' });
    await untilRotation(server, true);
  }, 180_000);
  afterAll(async () => {
    await replica?.resumeReplay().catch(() => {});
    for (const s of servers) await s.stop().catch(() => {});
    await replica?.destroy();
    await primary?.destroy();
  });

  it('queries read from the replica; the viewer who wrote reads its write from the primary until the replica replays it', async () => {
    const alice = await signUp(server);
    await replica.pauseReplay();
    try {
      const id = await createPost(server, alice, 'Written while replay is paused');
      // Anonymous readers are answered by the replica, which has not replayed the post.
      expect(await readTitle(server, id)).toBeNull();
      // Alice just wrote it: her query goes to the primary.
      expect(await readTitle(server, id, alice)).toBe('Written while replay is paused');
      expect(await readTitle(server, id)).toBeNull();
    } finally {
      await replica.resumeReplay();
    }
    const id = await createPost(server, alice, 'After replay resumed');
    expect(await eventually(() => readTitle(server, id), 10_000)).toBe('After replay resumed');
  });

  it('over WebSocket too: a query reads from the replica, and a mutation on the socket is read back from the primary', async () => {
    const alice = await signUp(server);
    const anonymous = wsClient(server.url);
    const aliceSocket = wsClient(server.url, alice);
    await replica.pauseReplay();
    try {
      const created = await runOnce(aliceSocket, CREATE_POST, { input: { title: 'Over the socket', body: 'ws', publish: true } });
      expect(created.errors).toBeUndefined();
      const id = created.data.createPost.post.id as string;
      expect(await runOnce(anonymous, POST, { id })).toMatchObject({ data: { post: null } });
      expect(await runOnce(aliceSocket, POST, { id })).toMatchObject({ data: { post: { id, title: 'Over the socket' } } });
    } finally {
      await replica.resumeReplay();
      await anonymous.dispose();
      await aliceSocket.dispose();
    }
  });

  it.skipIf(!redisServerAvailable)("with Redis, another instance honours the viewer's write mark", async () => {
    const redis = await startPrivateRedis();
    try {
      const env = {
        DATABASE_REPLICA_MAX_LAG_MS: '600000',
        REDIS_URL: redis.url,
        REDIS_KEY_PREFIX: `${unique('rr')}:`,
        JWT_SECRET: 'replica-test-secret-'.padEnd(40, 'x'), // tokens valid on both instances
      };
      const [a, b] = [await startServer(env), await startServer(env)];
      await untilRotation(b, true);
      const alice = await signUp(a);
      await replica.pauseReplay();
      try {
        const id = await createPost(a, alice, 'Written on instance A');
        expect(await readTitle(b, id)).toBeNull(); // others: the replica
        expect(await readTitle(b, id, alice)).toBe('Written on instance A'); // alice: the primary
      } finally {
        await replica.resumeReplay();
      }
    } finally {
      for (const s of servers.splice(-2)) await s.stop();
      await redis.stop();
    }
  });

  it('once replay resumes and catches up, other viewers see the write', async () => {
    const alice = await signUp(server);
    await replica.pauseReplay();
    let id: string;
    try {
      id = await createPost(server, alice, 'Seen after catch-up');
      expect(await readTitle(server, id)).toBeNull();
    } finally {
      await replica.resumeReplay();
    }
    expect(await eventually(() => readTitle(server, id), 10_000)).toBe('Seen after catch-up');
  });

  it('a replica lagging past DATABASE_REPLICA_MAX_LAG_MS leaves rotation and comes back once caught up', async () => {
    const strict = await startServer({ DATABASE_REPLICA_MAX_LAG_MS: '300' });
    await untilRotation(strict, true);
    const alice = await signUp(server);
    await replica.pauseReplay();
    let id: string;
    try {
      id = await createPost(server, alice, 'Lagging');
      const out = await untilRotation(strict, false);
      expect(out.lagMs).toBeGreaterThan(300);
      // Out of rotation: anonymous reads go to the primary and see the post.
      expect(await readTitle(strict, id)).toBe('Lagging');
    } finally {
      await replica.resumeReplay();
    }
    expect((await untilRotation(strict, true)).lagMs).toBeLessThanOrEqual(300);
  });

  it('a stopped replica is out of rotation (still ready, /metrics says so) and queries use the primary; it comes back when up', async () => {
    const alice = await signUp(server);
    const id = await createPost(server, alice, 'Survives a replica outage');
    expect(await eventually(() => readTitle(server, id), 10_000)).toBe('Survives a replica outage');
    await replica.stop();
    try {
      expect(await untilRotation(server, false)).toEqual({ inRotation: false, lagMs: null });
      const ready = await readiness(server);
      expect(ready.status).toBe(200);
      expect(ready.body.status).toBe('ok');
      const metrics = await (await fetch(`${server.url}/metrics`)).text();
      expect(metrics).toContain('agora_db_replica_in_rotation{replica="replica1"} 0');
      expect(await readTitle(server, id)).toBe('Survives a replica outage');
    } finally {
      await replica.start();
    }
    await untilRotation(server, true);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toContain('agora_db_replica_in_rotation{replica="replica1"} 1');
    expect(await readTitle(server, id)).toBe('Survives a replica outage');
  });
});
