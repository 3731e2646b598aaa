import { redisServerAvailable, startPrivateRedis, type PrivateRedis } from './helpers/private-services.ts';
import { request } from 'node:http';
import jwt from 'jsonwebtoken';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawId } from './helpers/fixtures.ts';
import { signUp, startTestServer, unique, type GraphQLResponse, type TestServer, type TestUser, expectHealthy } from './helpers/server.ts';
import { wsClient } from './helpers/ws.ts';

const LOG_IN = 'mutation ($login: String!, $pw: String!) { logIn(input: { login: $login, password: $pw }) { accessToken } }';
const REFRESH =
  'mutation ($token: String!) { refreshSession(input: { refreshToken: $token }) { accessToken refreshToken session { id } } }';
const JWT_SECRET = 'x'.repeat(48);

/**
 * POST /graphql from a chosen loopback address (Linux routes all of 127/8 to
 * lo), so a test can be several clients: the server counts by socket
 * address and trusts no forwarding header.
 */
function gqlFrom(server: TestServer, localAddress: string, query: string, variables: Record<string, unknown>): Promise<GraphQLResponse> {
  const { hostname, port } = new URL(server.url);
  const body = JSON.stringify({ query, variables });
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: hostname,
        port,
        path: '/graphql',
        method: 'POST',
        localAddress,
        agent: false,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode!, headers: new Headers(), body: JSON.parse(Buffer.concat(chunks).toString('utf8')) }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const codeOf = (res: GraphQLResponse) => (res.body.errors ? String(res.body.errors[0]!.extensions.code) : 'OK');
function tally(responses: GraphQLResponse[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const res of responses) counts[codeOf(res)] = (counts[codeOf(res)] ?? 0) + 1;
  return counts;
}

describe('login throttle that cannot be raced or turned against the owner', () => {
  let server: TestServer;
  // Account-wide limit low enough to reach from three addresses.
  beforeAll(async () => {
    server = await startTestServer({ LOGIN_MAX_FAILURES_PER_ACCOUNT: '12' });
  });
  afterAll(() => server.stop());

  const passwordChecks = (user: TestUser) =>
    server.db.auditEvent.count({ where: { type: { in: ['LOGIN_FAILED', 'LOGIN_SUCCEEDED'] }, targetUserId: rawId(user.id) } });

  it('checks only 5 of 20 parallel wrong passwords, then refuses the right one', async () => {
    const user = await signUp(server, 'burst');
    const started = Date.now();
    const burst = await Promise.all(
      Array.from({ length: 20 }, (_, i) => gqlFrom(server, '127.0.0.2', LOG_IN, { login: user.username, pw: `wrong guess ${i}` })),
    );
    expect(tally(burst)).toEqual({ INVALID_CREDENTIALS: 5, RATE_LIMITED: 15 });
    const refused = burst.find((r) => codeOf(r) === 'RATE_LIMITED')!;
    expect(refused.body.errors![0]!.extensions.retryAfterSeconds).toBeGreaterThan(0);
    expect(await passwordChecks(user)).toBe(5);
    const right = await gqlFrom(server, '127.0.0.2', LOG_IN, { login: user.username, pw: user.password });
    expect(codeOf(right)).toBe('RATE_LIMITED');
    expect(Date.now() - started).toBeLessThan(30_000);
    await expectHealthy(server);
  });

  it('19 wrong and the right password in one burst get at most 5 password checks', async () => {
    const user = await signUp(server, 'mixed');
    const attempts = Array.from({ length: 20 }, (_, i) => (i === 19 ? user.password : `wrong guess ${i}`));
    const burst = await Promise.all(attempts.map((pw) => gqlFrom(server, '127.0.0.3', LOG_IN, { login: user.username, pw })));
    const counts = tally(burst);
    expect(counts.RATE_LIMITED).toBe(15);
    expect((counts.INVALID_CREDENTIALS ?? 0) + (counts.OK ?? 0)).toBe(5);
    expect(await passwordChecks(user)).toBe(5);
  });

  it('counts alice, ALICE and alice@example.com as one account', async () => {
    const user = await signUp(server, 'alias');
    const spellings = [user.username, user.email, user.username.toUpperCase(), ` ${user.email.toUpperCase()} `, user.username];
    for (const login of spellings)
      expect(codeOf(await gqlFrom(server, '127.0.0.4', LOG_IN, { login, pw: 'wrong guess' }))).toBe('INVALID_CREDENTIALS');
    const right = await gqlFrom(server, '127.0.0.4', LOG_IN, { login: user.email, pw: user.password });
    expect(codeOf(right)).toBe('RATE_LIMITED');
  });

  it('an attacker locked out on one address does not lock the owner out on another', async () => {
    const user = await signUp(server, 'victim');
    // 30 guesses from one address: 5 are checked, 25 refused without touching the account-wide budget.
    const attack = await Promise.all(
      Array.from({ length: 30 }, (_, i) => gqlFrom(server, '127.0.0.5', LOG_IN, { login: user.username, pw: `guess ${i}` })),
    );
    expect(tally(attack)).toEqual({ INVALID_CREDENTIALS: 5, RATE_LIMITED: 25 });
    const owner = await gqlFrom(server, '127.0.0.6', LOG_IN, { login: user.username, pw: user.password });
    expect(owner.body.errors).toBeUndefined();
    expect(owner.body.data!.logIn.accessToken).toEqual(expect.any(String));
    // The attacker's address stays locked for that account.
    expect(codeOf(await gqlFrom(server, '127.0.0.5', LOG_IN, { login: user.username, pw: user.password }))).toBe('RATE_LIMITED');
  });

  it('many addresses together reach the account-wide limit (the documented backstop)', async () => {
    const user = await signUp(server, 'botnet');
    for (const address of ['127.0.0.7', '127.0.0.8', '127.0.0.9']) {
      for (let i = 0; i < 5; i++) await gqlFrom(server, address, LOG_IN, { login: user.username, pw: `guess ${i}` });
    }
    // 12 checked failures exhaust LOGIN_MAX_FAILURES_PER_ACCOUNT=12: the third address got only 2 checks.
    expect(await passwordChecks(user)).toBe(12);
    const owner = await gqlFrom(server, '127.0.0.10', LOG_IN, { login: user.username, pw: user.password });
    expect(codeOf(owner)).toBe('RATE_LIMITED');
  });

  it('unknown logins are throttled exactly like known ones', async () => {
    const ghost = unique('ghost');
    const burst = await Promise.all(
      Array.from({ length: 8 }, (_, i) => gqlFrom(server, '127.0.0.11', LOG_IN, { login: ghost, pw: `guess ${i}` })),
    );
    expect(tally(burst)).toEqual({ INVALID_CREDENTIALS: 5, RATE_LIMITED: 3 });
  });

  it('a successful login gives its slot back', async () => {
    const user = await signUp(server, 'regular');
    for (let i = 0; i < 4; i++) await gqlFrom(server, '127.0.0.12', LOG_IN, { login: user.username, pw: `typo ${i}` });
    expect(codeOf(await gqlFrom(server, '127.0.0.12', LOG_IN, { login: user.username, pw: user.password }))).toBe('OK');
    // The account+address count restarted: four more typos are still answered.
    for (let i = 0; i < 4; i++)
      expect(codeOf(await gqlFrom(server, '127.0.0.12', LOG_IN, { login: user.username, pw: `typo ${i}` }))).toBe('INVALID_CREDENTIALS');
  });

  it('a suspended account answers a correct password exactly like a wrong one', async () => {
    const user = await signUp(server, 'suspended');
    await server.db.user.update({ where: { id: rawId(user.id) }, data: { suspendedAt: new Date() } });
    const right = await gqlFrom(server, '127.0.0.13', LOG_IN, { login: user.username, pw: user.password });
    const wrong = await gqlFrom(server, '127.0.0.13', LOG_IN, { login: user.username, pw: 'not the password' });
    expect(codeOf(right)).toBe('INVALID_CREDENTIALS');
    expect(right.status).toBe(wrong.status);
    // Identical but for the point budget, which the first attempt spent from.
    const withoutCost = (body: typeof wrong.body) => ({ ...body, extensions: { ...body.extensions, cost: undefined } });
    expect(withoutCost(right.body)).toEqual(withoutCost(wrong.body));
    expect(await server.db.session.count({ where: { userId: rawId(user.id) } })).toBe(1); // only signUp's
  });
});

describe('login throttle per address', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.stop());

  it('150 parallel attempts from one address get 50 password checks (LOGIN_MAX_FAILURES_PER_IP)', async () => {
    const started = Date.now();
    const burst = await Promise.all(
      Array.from({ length: 150 }, (_, i) => gqlFrom(server, '127.0.0.20', LOG_IN, { login: unique(`spray${i}`), pw: 'Summer2026!' })),
    );
    expect(tally(burst)).toEqual({ INVALID_CREDENTIALS: 50, RATE_LIMITED: 100 });
    expect(await server.db.auditEvent.count({ where: { type: 'LOGIN_FAILED' } })).toBe(50);
    expect(Date.now() - started).toBeLessThan(60_000);
    // Another address is unaffected.
    const user = await signUp(server, 'neighbour');
    expect(codeOf(await gqlFrom(server, '127.0.0.21', LOG_IN, { login: user.username, pw: user.password }))).toBe('OK');
    await expectHealthy(server);
  });
});

describe('refresh tokens inside the overlap window, and malformed session ids', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ JWT_SECRET });
  });
  afterAll(() => server.stop());

  async function logIn(user: TestUser) {
    const res = await server.gql(
      'mutation ($l: String!, $p: String!) { logIn(input: { login: $l, password: $p }) { refreshToken session { id } } }',
      { l: user.username, p: user.password },
    );
    return res.body.data!.logIn as { refreshToken: string; session: { id: string } };
  }

  it('five concurrent refreshes of one token all get the same successor; only one chain continues', async () => {
    const user = await signUp(server, 'fork');
    const auth = await logIn(user);
    const results = await Promise.all(Array.from({ length: 5 }, () => server.gql(REFRESH, { token: auth.refreshToken })));
    for (const res of results) expect(res.body.errors).toBeUndefined();
    const successors = new Set(results.map((r) => r.body.data!.refreshSession.refreshToken));
    expect(successors.size).toBe(1);
    const [successor] = [...successors] as [string];
    expect(successor).not.toBe(auth.refreshToken);
    for (const res of results) expect(res.body.data!.refreshSession.session.id).toBe(auth.session.id);
    // Each access token works and belongs to the same session.
    for (const res of results)
      expect((await server.gql('{ me { id } }', {}, res.body.data!.refreshSession.accessToken)).body.data!.me.id).toBe(user.id);
    const sessionId = rawId(auth.session.id);
    expect(await server.db.refreshToken.count({ where: { sessionId } })).toBe(2);

    // The chain goes on from the successor; a late retry of the first token
    // (still inside the overlap) lands on the live end of that same chain.
    const next = (await server.gql(REFRESH, { token: successor })).body.data!.refreshSession.refreshToken as string;
    const retry = (await server.gql(REFRESH, { token: auth.refreshToken })).body.data!.refreshSession.refreshToken as string;
    expect(retry).toBe(next);
    expect(await server.db.refreshToken.count({ where: { sessionId } })).toBe(3);
    expect(await server.db.refreshToken.count({ where: { sessionId, usedAt: null } })).toBe(1);
    expect(await server.db.session.count({ where: { userId: rawId(user.id) } })).toBe(2); // signUp's and this one
  });

  it('reuse after the overlap still ends the session, successors included', async () => {
    const user = await signUp(server, 'late');
    const auth = await logIn(user);
    const successor = (await server.gql(REFRESH, { token: auth.refreshToken })).body.data!.refreshSession.refreshToken as string;
    await server.db.refreshToken.updateMany({
      where: { sessionId: rawId(auth.session.id), usedAt: { not: null } },
      data: { usedAt: new Date(Date.now() - 60_000) },
    });
    expect((await server.gql(REFRESH, { token: auth.refreshToken })).status).toBe(401);
    expect((await server.gql(REFRESH, { token: successor })).status).toBe(401);
    expect((await server.db.session.findUnique({ where: { id: rawId(auth.session.id) } }))!.revokedReason).toBe('REFRESH_REUSE');
  });

  it('an access token whose sid (or sub) is not a uuid is 401 on HTTP and 4403 on WebSocket, never a 500', async () => {
    const user = await signUp(server, 'sid');
    const sign = (sub: string, sid: string) =>
      jwt.sign({ typ: 'access', sid }, JWT_SECRET, {
        algorithm: 'HS256',
        subject: sub,
        issuer: 'agora',
        audience: 'agora-api',
        expiresIn: 300,
      });
    for (const token of [
      sign(rawId(user.id), 'not-a-uuid'),
      sign(rawId(user.id), '-'.repeat(36)),
      sign('nope', '00000000-0000-4000-8000-000000000000'),
    ]) {
      const res = await server.gql('{ me { id } }', {}, token);
      expect(res.status).toBe(401);
      expect(res.body.errors![0]!.extensions.code).toBe('UNAUTHENTICATED');
      const ws = wsClient(server.url, token);
      expect((await ws.closed).code).toBe(4403);
      await ws.dispose();
    }
    await expectHealthy(server);
  });
});

describe.skipIf(!redisServerAvailable)('login throttle during a Redis outage (a Redis of its own)', () => {
  let redis: PrivateRedis;
  let server: TestServer;
  let user: TestUser;

  beforeAll(async () => {
    redis = await startPrivateRedis();
    server = await startTestServer({ REDIS_URL: redis.url, LOGIN_THROTTLE_REDIS_TIMEOUT_MS: '300' });
    user = await signUp(server, 'outage');
  });
  afterAll(async () => {
    // Redis back first, so the server shuts down as it normally would.
    await redis?.ensureUp();
    await server?.stop();
    await redis?.stop();
  });

  it('a frozen Redis: attempts fall back to in-process counts after the timeout, still limited', async () => {
    redis.pause();
    const started = Date.now();
    const burst = await Promise.all(
      Array.from({ length: 8 }, (_, i) => gqlFrom(server, '127.0.0.30', LOG_IN, { login: user.username, pw: `guess ${i}` })),
    );
    expect(tally(burst)).toEqual({ INVALID_CREDENTIALS: 5, RATE_LIMITED: 3 });
    expect(Date.now() - started).toBeLessThan(10_000);
    // The owner, from elsewhere, still logs in.
    expect(codeOf(await gqlFrom(server, '127.0.0.31', LOG_IN, { login: user.username, pw: user.password }))).toBe('OK');
    redis.resume();
  });

  it('a stopped Redis: logins are answered at once, and still limited', async () => {
    await redis.stop();
    const started = Date.now();
    const burst = await Promise.all(
      Array.from({ length: 8 }, (_, i) => gqlFrom(server, '127.0.0.32', LOG_IN, { login: user.username, pw: `guess ${i}` })),
    );
    expect(tally(burst)).toEqual({ INVALID_CREDENTIALS: 5, RATE_LIMITED: 3 });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(codeOf(await gqlFrom(server, '127.0.0.33', LOG_IN, { login: user.username, pw: user.password }))).toBe('OK');
  });
});
