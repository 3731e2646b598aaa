import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawId } from './helpers/fixtures.ts';
import { signUp, startTestServer, type TestServer, startPairOnRedis } from './helpers/server.ts';
import { wsClient } from './helpers/ws.ts';

const LOG_IN = 'mutation ($l: String!, $p: String!) { logIn(input: { login: $l, password: $p }) { accessToken } }';

// Revoked credentials close their sockets at once, not at token expiry.
describe('sockets of revoked credentials', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.stop());

  it('logOut closes the sockets of that session (4403) and no other', async () => {
    const user = await signUp(server, 'wsout');
    const other = (await server.gql(LOG_IN, { l: user.username, p: user.password })).body.data!.logIn.accessToken as string;
    const doomed = wsClient(server.url, user.token);
    const survivor = wsClient(server.url, other);
    await doomed.client.iterate({ query: '{ me { id } }' }).next();
    await survivor.client.iterate({ query: '{ me { id } }' }).next();

    await server.gql('mutation { logOut { sessionId } }', {}, user.token);
    expect(await doomed.closed).toEqual({ code: 4403, reason: 'Credentials revoked' });
    const still = await survivor.client.iterate({ query: '{ me { id } }' }).next();
    expect((still.value as { data: { me: { id: string } } }).data.me.id).toBe(user.id);
    await survivor.dispose();
  });

  it('suspension closes every socket of the account, API keys included', async () => {
    const user = await signUp(server, 'wssusp');
    const moderator = await signUp(server, 'wsmod');
    await server.db.user.update({ where: { id: rawId(moderator.id) }, data: { role: 'MODERATOR' } });
    const key = (await server.gql('mutation { createApiKey(input: { name: "bot", scopes: [READ] }) { secret } }', {}, user.token)).body
      .data!.createApiKey.secret as string;
    const viaSession = wsClient(server.url, user.token);
    const viaKey = wsClient(server.url, key);
    await viaSession.client.iterate({ query: '{ me { id } }' }).next();
    await viaKey.client.iterate({ query: '{ me { id } }' }).next();

    await server.gql('mutation ($id: ID!) { suspendUser(input: { userId: $id }) { user { id } } }', { id: user.id }, moderator.token);
    expect((await viaSession.closed).code).toBe(4403);
    expect((await viaKey.closed).code).toBe(4403);
  });
});

// With Redis, the instance that revokes tells the others.
describe.skipIf(!process.env.REDIS_URL)('sockets of revoked credentials on another instance', () => {
  let a: TestServer;
  let b: TestServer;

  beforeAll(async () => {
    [a, b] = await startPairOnRedis();
  });
  afterAll(async () => {
    await a?.stop();
    await b?.stop();
  });

  it('logOut on A closes the socket on B', async () => {
    const user = await signUp(a, 'wsab');
    const socket = wsClient(b.url, user.token);
    await socket.client.iterate({ query: '{ me { id } }' }).next();
    await a.gql('mutation { logOut { sessionId } }', {}, user.token);
    expect((await socket.closed).code).toBe(4403);
  });
});
