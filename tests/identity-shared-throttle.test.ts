import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, signUp, startTestServer, type TestServer } from './helpers/server.ts';

// Two instances behind a load balancer must count login failures together.
// Needs a real Redis: CI exports REDIS_URL; without it this is skipped.
const redisUrl = process.env.REDIS_URL;

describe.skipIf(!redisUrl)('login throttling shared through Redis', () => {
  let a: TestServer;
  let b: TestServer;

  beforeAll(async () => {
    const databaseUrl = await createTestDatabase();
    const env = { REDIS_URL: redisUrl!, REDIS_KEY_PREFIX: `agora-test-${randomBytes(4).toString('hex')}:`, LOGIN_MAX_FAILURES: '2' };
    a = await startTestServer(env, databaseUrl);
    b = await startTestServer(env, databaseUrl);
  });
  afterAll(async () => {
    await a?.stop();
    await b?.stop();
  });

  it('failures on one instance lock the login on the other', async () => {
    const user = await signUp(a, 'shared');
    const LOG_IN = 'mutation ($l: String!, $p: String!) { logIn(input: { login: $l, password: $p }) { accessToken } }';
    await a.gql(LOG_IN, { l: user.username, p: 'wrong guess one' });
    await b.gql(LOG_IN, { l: user.username, p: 'wrong guess two' });
    const res = await a.gql(LOG_IN, { l: user.username, p: user.password });
    expect(res.body.errors![0]!.extensions.code).toBe('RATE_LIMITED');
  });
});
