import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtures, ok, topics } from './helpers/fixtures.ts';
import { pgbouncerAvailable, startPrivatePgBouncer, type PrivatePgBouncer } from './helpers/private-services.ts';
import { createTestDatabase, signUp, startTestServer, within, type TestServer, type TestUser } from './helpers/server.ts';
import { wsClient, type WsClient } from './helpers/ws.ts';

// Agora behind PgBouncer in transaction pooling mode (README, "Capacity"):
// every statement may run on a different server connection, so nothing may
// rely on session state between statements. A pool of 2 server connections
// under 10 pooled clients and more concurrent requests than that.

const BOUNCER_POOL = 2;
const CONCURRENT = 24;
const POSTS = `query { posts(first: 5) { nodes { id title author { username } comments(first: 3) { nodes { body } } } } }`;
const FOLLOW = `mutation ($input: FollowInput!) { followUser(input: $input) { user { id } } }`;

describe.skipIf(!pgbouncerAvailable)('behind PgBouncer (transaction pooling)', () => {
  let bouncer: PrivatePgBouncer;
  let directUrl: string;
  let server: TestServer;
  let alice: TestUser;
  let bob: TestUser;
  const sockets: WsClient[] = [];

  beforeAll(async () => {
    directUrl = await createTestDatabase();
    bouncer = await startPrivatePgBouncer(directUrl, BOUNCER_POOL);
    server = await startTestServer({ DB_POOL_SIZE: '10', DATABASE_DIRECT_URL: directUrl }, bouncer.urlFor(directUrl));
    [alice, bob] = await Promise.all([signUp(server, 'alice'), signUp(server, 'bob')]);
  }, 60_000);

  afterAll(async () => {
    try {
      await Promise.all(sockets.map((s) => s.dispose()));
      // Bounded, so the bouncer is stopped even when a stuck server would hang here.
      if (server) await within(server.stop(), 30_000, 'server stop');
    } finally {
      await bouncer?.destroy();
    }
  });

  it('answers queries and mutations, more at once than the bouncer has connections, and delivers their events', async () => {
    const make = fixtures(server);
    const post = await make.post(alice, { title: 'Through the bouncer' });
    const live = wsClient(server.url, alice.token);
    sockets.push(live);
    const comments = live.subscribe(`subscription ($postId: ID!) { commentAdded(postId: $postId) { comment { body } } }`, {
      postId: post.id,
    });
    const notifications = live.subscribe(`subscription { notificationAdded { notification { kind } } }`);
    await server.whenSubscribed(topics.post(post.id));
    await server.whenSubscribed(topics.user(alice.id));

    // createComment is one CTE statement; followUser an interactive transaction.
    const bodies = Array.from({ length: CONCURRENT }, (_, i) => `comment ${i}`);
    const results = await Promise.all([
      ...bodies.map((body) => make.comment(bob, post.id, body)),
      ...bodies.map(() => server.gql(POSTS).then(ok)),
      server.gql(FOLLOW, { input: { userId: alice.id } }, bob.token).then(ok),
    ]);
    expect(results).toHaveLength(2 * CONCURRENT + 1);

    const received: string[] = [];
    for (let i = 0; i < CONCURRENT; i++) received.push((await comments.next(15_000)).data!.commentAdded.comment.body);
    expect(received.sort()).toEqual([...bodies].sort());
    const kinds: string[] = [];
    while (!kinds.includes('NEW_FOLLOWER')) kinds.push((await notifications.next(15_000)).data!.notificationAdded.notification.kind);

    // The traffic really went through the bouncer's small pool: the app's own
    // connections to this database are at most the bouncer's (plus the one
    // DATABASE_DIRECT_URL connection of the outbox dispatcher).
    const admin = new pg.Client({ connectionString: directUrl });
    await admin.connect();
    try {
      const { rows } = await admin.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`,
      );
      expect(rows[0]!.n).toBeLessThanOrEqual(BOUNCER_POOL + 1);
    } finally {
      await admin.end();
    }
  }, 60_000);
});
