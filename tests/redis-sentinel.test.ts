import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGroup, MESSAGE_EVENTS, send } from './helpers/chat.ts';
import { topics } from './helpers/fixtures.ts';
import {
  type PrivateRedis,
  type PrivateSentinel,
  redisServerAvailable,
  startPrivateRedis,
  startPrivateSentinel,
} from './helpers/private-services.ts';
import { createTestDatabase, signUp, startTestServer, type TestServer } from './helpers/server.ts';
import { wsClient, type WsClient } from './helpers/ws.ts';

if (!redisServerAvailable) console.warn('redis-sentinel tests skipped: redis-server is not installed');

describe.skipIf(!redisServerAvailable)('two instances finding Redis through a Sentinel', () => {
  let master: PrivateRedis;
  let sentinel: PrivateSentinel;
  let a: TestServer;
  let b: TestServer;
  const clients: WsClient[] = [];
  const prefix = `agora-test:${randomBytes(4).toString('hex')}:`;

  beforeAll(async () => {
    master = await startPrivateRedis();
    sentinel = await startPrivateSentinel(master.port, 'agora-test');
    const databaseUrl = await createTestDatabase();
    const env = {
      REDIS_SENTINELS: sentinel.node,
      REDIS_SENTINEL_NAME: 'agora-test',
      REDIS_KEY_PREFIX: prefix,
      JWT_SECRET: randomBytes(32).toString('hex'),
    };
    a = await startTestServer(env, databaseUrl);
    b = await startTestServer(env, databaseUrl);
  }, 60_000);
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.dispose()));
    await a?.stop();
    await b?.stop();
    await sentinel?.destroy();
    await master?.stop();
  });

  it('a message sent on A reaches a subscriber on B, through the master the Sentinel names', async () => {
    const [alice, bob] = await Promise.all([signUp(a, 'alice'), signUp(a, 'bob')]);
    const id = await createGroup(a, alice, [bob]);
    const c = wsClient(b.url, bob.token);
    clients.push(c);
    const sub = c.subscribe(MESSAGE_EVENTS, { conversationId: id });
    await b.whenSubscribed(topics.conversation(id));
    await send(a, alice, id, 'via sentinel');
    expect((await sub.next()).data!.messageEvents.message.body).toBe('via sentinel');
    // Both instances' connections are on the master the Sentinel named.
    const direct = new Redis(master.url);
    const clientList = String(await direct.call('CLIENT', 'LIST'));
    await direct.quit();
    expect(clientList.split('\n').filter((line) => line.includes(`name=${prefix}bus-sub`))).toHaveLength(2);
  });
});
