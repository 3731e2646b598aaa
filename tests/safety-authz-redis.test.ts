import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPost, ok, rawId } from './helpers/fixtures.ts';
import { signUp, type TestServer, startPairOnRedis, expectHealthy } from './helpers/server.ts';
import { openSocket, runOnce, wsClient } from './helpers/ws.ts';

// Two instances on one database and one Redis: a change of authorization
// made through A takes effect at once on the sockets open on B.

describe.skipIf(!process.env.REDIS_URL)('authorization changes reach sockets on every instance (Redis)', () => {
  let a: TestServer;
  let b: TestServer;

  beforeAll(async () => {
    [a, b] = await startPairOnRedis();
  });
  afterAll(async () => {
    await a?.stop();
    await b?.stop();
  });

  it('revokeApiKey on A closes the socket opened with that key on B (4403); the key writes nothing there', async () => {
    const user = await signUp(a, 'rkey');
    const created = ok(
      await a.gql('mutation { createApiKey(input: { name: "bot", scopes: [READ, WRITE] }) { apiKey { id } secret } }', {}, user.token),
    ).createApiKey;
    const onB = await openSocket(b.url, created.secret);
    ok(await a.gql('mutation ($id: ID!) { revokeApiKey(input: { id: $id }) { apiKey { id } } }', { id: created.apiKey.id }, user.token));
    expect(await onB.closed).toEqual({ code: 4403, reason: 'Credentials revoked' });
    // A fresh socket on B with the revoked key is refused at connect.
    const again = wsClient(b.url, created.secret);
    expect((await again.closed).code).toBe(4403);
    expect(await b.db.post.count({ where: { authorId: rawId(user.id) } })).toBe(0);
    await expectHealthy(b);
  });

  it("setUserRole on A closes a demoted moderator's socket on B; reconnected, hidePost is FORBIDDEN and the post stays visible", async () => {
    const [admin, moderator, author] = await Promise.all([signUp(a, 'radm'), signUp(a, 'rmod'), signUp(a, 'rauth')]);
    await a.db.user.update({ where: { id: rawId(admin.id) }, data: { role: 'ADMIN' } });
    await a.db.user.update({ where: { id: rawId(moderator.id) }, data: { role: 'MODERATOR' } });
    const post = await createPost(a, author, { publish: true });
    const onB = await openSocket(b.url, moderator.token);
    ok(
      await a.gql(
        'mutation ($id: ID!) { setUserRole(input: { userId: $id, role: USER }) { user { role } } }',
        { id: moderator.id },
        admin.token,
      ),
    );
    expect(await onB.closed).toEqual({ code: 4403, reason: 'Credentials revoked' });

    const reconnected = await openSocket(b.url, moderator.token);
    const outcome = await runOnce(reconnected, 'mutation ($id: ID!) { hidePost(input: { id: $id }) { post { id } } }', { id: post.id });
    expect(outcome.data ?? null).toBeNull();
    expect(outcome.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect((await b.db.post.findUniqueOrThrow({ where: { id: post.raw } })).hiddenAt).toBeNull();
    await reconnected.dispose();
    await expectHealthy(b);
  });
});
