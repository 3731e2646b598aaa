import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawId } from './helpers/fixtures.ts';
import { signUp, startTestServer, type TestServer } from './helpers/server.ts';

const LOG_IN = `mutation ($input: LogInInput!) {
  logIn(input: $input) { accessToken refreshToken session { id current deviceLabel } user { username email } }
}`;
const REFRESH = `mutation ($token: String!) { refreshSession(input: { refreshToken: $token }) { accessToken refreshToken session { id } } }`;
const ME = '{ me { id } }';

describe('sessions and refresh tokens', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.stop());

  async function logIn(username: string, password: string, deviceLabel = 'test device') {
    const res = await server.gql(LOG_IN, { input: { login: username, password, deviceLabel } });
    expect(res.body.errors).toBeUndefined();
    return res.body.data!.logIn as {
      accessToken: string;
      refreshToken: string;
      session: { id: string; current: boolean; deviceLabel: string };
      user: { email: string };
    };
  }

  it('logIn starts a labelled session; the payload sees the new viewer', async () => {
    const user = await signUp(server, 'sess');
    const auth = await logIn(user.username, user.password, 'Firefox on laptop');
    expect(auth.session).toMatchObject({ current: true, deviceLabel: 'Firefox on laptop' });
    expect(auth.user.email).toBe(user.email);
    expect(auth.refreshToken).toMatch(/^agora_rt_/);
    const row = await server.db.refreshToken.findFirst({ where: { sessionId: rawId(auth.session.id) } });
    // Stored hashed only.
    expect(row!.tokenHash).toMatch(/^[0-9a-f]{64}$/);
    expect(row!.tokenHash).not.toContain(auth.refreshToken);
  });

  it('refresh rotates tokens within the same session', async () => {
    const user = await signUp(server, 'rot');
    const auth = await logIn(user.username, user.password);
    const res = await server.gql(REFRESH, { token: auth.refreshToken });
    const next = res.body.data!.refreshSession;
    expect(next.session.id).toBe(auth.session.id);
    expect(next.refreshToken).not.toBe(auth.refreshToken);
    expect((await server.gql(ME, {}, next.accessToken)).body.data!.me).not.toBeNull();
  });

  it('two concurrent refreshes with one token both succeed (overlap window)', async () => {
    const user = await signUp(server, 'conc');
    const auth = await logIn(user.username, user.password);
    const [a, b] = await Promise.all([
      server.gql(REFRESH, { token: auth.refreshToken }),
      server.gql(REFRESH, { token: auth.refreshToken }),
    ]);
    expect(a.body.errors).toBeUndefined();
    expect(b.body.errors).toBeUndefined();
    const session = await server.db.session.findUnique({ where: { id: rawId(auth.session.id) } });
    expect(session!.revokedAt).toBeNull();
  });

  it('replaying a used refresh token after the window revokes the whole session', async () => {
    const user = await signUp(server, 'reuse');
    const auth = await logIn(user.username, user.password);
    const first = (await server.gql(REFRESH, { token: auth.refreshToken })).body.data!.refreshSession;
    // Age the use past the overlap window instead of sleeping.
    await server.db.refreshToken.updateMany({
      where: { sessionId: rawId(auth.session.id), usedAt: { not: null } },
      data: { usedAt: new Date(Date.now() - 60_000) },
    });
    const replay = await server.gql(REFRESH, { token: auth.refreshToken });
    expect(replay.status).toBe(401);
    expect(replay.body.errors![0]!.extensions.code).toBe('UNAUTHENTICATED');
    const session = await server.db.session.findUnique({ where: { id: rawId(auth.session.id) } });
    expect(session!.revokedReason).toBe('REFRESH_REUSE');
    // Everything issued for that session is dead: the newer refresh token and the access tokens.
    expect((await server.gql(REFRESH, { token: first.refreshToken })).status).toBe(401);
    expect((await server.gql(ME, {}, first.accessToken)).status).toBe(401);
    expect((await server.gql(ME, {}, auth.accessToken)).status).toBe(401);
    const audit = await server.db.auditEvent.findFirst({ where: { type: 'REFRESH_REUSE_DETECTED', targetUserId: rawId(user.id) } });
    expect(audit).not.toBeNull();
  });

  it('garbage refresh tokens are UNAUTHENTICATED', async () => {
    for (const token of ['nope', 'agora_rt_nope', 'x'.repeat(5000)]) {
      const res = await server.gql(REFRESH, { token });
      expect(res.body.errors![0]!.extensions.code).toBe('UNAUTHENTICATED');
    }
  });

  it('logOut ends only this session; logOutEverywhere ends all', async () => {
    const user = await signUp(server, 'out');
    const a = await logIn(user.username, user.password, 'a');
    const b = await logIn(user.username, user.password, 'b');
    const out = await server.gql('mutation { logOut { sessionId } }', {}, a.accessToken);
    expect(out.body.data!.logOut.sessionId).toBe(a.session.id);
    expect((await server.gql(ME, {}, a.accessToken)).status).toBe(401);
    expect((await server.gql(REFRESH, { token: a.refreshToken })).status).toBe(401);
    expect((await server.gql(ME, {}, b.accessToken)).body.data!.me).not.toBeNull();

    const all = await server.gql('mutation { logOutEverywhere { revokedSessionCount } }', {}, b.accessToken);
    // b and the sign-up session.
    expect(all.body.data!.logOutEverywhere.revokedSessionCount).toBe(2);
    expect((await server.gql(ME, {}, b.accessToken)).status).toBe(401);
    expect((await server.gql(ME, {}, user.token)).status).toBe(401);
  });

  it('lists own sessions and revokes one; others cannot see or revoke them', async () => {
    const user = await signUp(server, 'list');
    const other = await signUp(server, 'snoop');
    const second = await logIn(user.username, user.password, 'phone');
    const list = await server.gql('{ me { sessions(first: 10) { totalCount nodes { id deviceLabel current } } } }', {}, user.token);
    expect(list.body.data!.me.sessions.totalCount).toBe(2);
    expect(list.body.data!.me.sessions.nodes.filter((s: { current: boolean }) => s.current)).toHaveLength(1);

    // Another user: the field is null, node() hides it, revoke says NOT_FOUND.
    const peek = await server.gql(
      'query ($id: ID!) { user(id: $id) { sessions { totalCount } } node(id: $id) { id } }',
      { id: user.id },
      other.token,
    );
    expect(peek.body.data!.user.sessions).toBeNull();
    const bySessionId = await server.gql('query ($id: ID!) { node(id: $id) { id } }', { id: second.session.id }, other.token);
    expect(bySessionId.body.data!.node).toBeNull();
    const steal = await server.gql(
      'mutation ($id: ID!) { revokeSession(input: { id: $id }) { sessionId } }',
      { id: second.session.id },
      other.token,
    );
    expect(steal.body.errors![0]!.extensions).toMatchObject({ code: 'NOT_FOUND', field: 'input.id' });
    expect((await server.db.session.findUnique({ where: { id: rawId(second.session.id) } }))!.revokedAt).toBeNull();

    const revoke = await server.gql(
      'mutation ($id: ID!) { revokeSession(input: { id: $id }) { sessionId } }',
      { id: second.session.id },
      user.token,
    );
    expect(revoke.body.data!.revokeSession.sessionId).toBe(second.session.id);
    expect((await server.gql(ME, {}, second.accessToken)).status).toBe(401);
  });

  it('changing the password ends the other sessions and needs the current password', async () => {
    const user = await signUp(server, 'pw');
    const other = await logIn(user.username, user.password, 'other');
    const CHANGE = 'mutation ($input: ChangePasswordInput!) { changePassword(input: $input) { user { id } } }';
    const wrong = await server.gql(CHANGE, { input: { currentPassword: 'not it at all', newPassword: 'a brand new secret' } }, user.token);
    expect(wrong.body.errors![0]!.extensions).toMatchObject({ code: 'INVALID_CREDENTIALS', field: 'input.currentPassword' });
    expect((await server.gql(ME, {}, other.accessToken)).body.data!.me).not.toBeNull();

    const ok = await server.gql(CHANGE, { input: { currentPassword: user.password, newPassword: 'a brand new secret' } }, user.token);
    expect(ok.body.errors).toBeUndefined();
    expect((await server.gql(ME, {}, other.accessToken)).status).toBe(401);
    expect((await server.gql(ME, {}, user.token)).body.data!.me).not.toBeNull();
    const relog = await server.gql(LOG_IN, { input: { login: user.username, password: 'a brand new secret' } });
    expect(relog.body.errors).toBeUndefined();
  });

  it('changeEmail needs the password and keeps emails unique regardless of case', async () => {
    const user = await signUp(server, 'mail');
    const taken = await signUp(server, 'taken');
    const CHANGE = 'mutation ($input: ChangeEmailInput!) { changeEmail(input: $input) { user { email } } }';
    const noPw = await server.gql(CHANGE, { input: { newEmail: 'fresh@example.com', password: 'wrong password' } }, user.token);
    expect(noPw.body.errors![0]!.extensions.code).toBe('INVALID_CREDENTIALS');
    const dup = await server.gql(CHANGE, { input: { newEmail: taken.email.toUpperCase(), password: user.password } }, user.token);
    expect(dup.body.errors![0]!.extensions).toMatchObject({ code: 'CONFLICT', field: 'input.newEmail' });
    const ok = await server.gql(CHANGE, { input: { newEmail: `New.${user.email}`, password: user.password } }, user.token);
    expect(ok.body.data!.changeEmail.user.email).toBe(`new.${user.email}`);
  });

  it('deleteAccount removes the user and their content', async () => {
    const user = await signUp(server, 'del');
    const post = await server.gql(
      'mutation { createPost(input: { title: "Bye", body: "b", publish: true }) { post { id } } }',
      {},
      user.token,
    );
    expect(post.body.errors).toBeUndefined();
    const res = await server.gql(
      'mutation ($pw: String!) { deleteAccount(input: { password: $pw }) { deletedUserId } }',
      { pw: user.password },
      user.token,
    );
    expect(res.body.data!.deleteAccount.deletedUserId).toBe(user.id);
    expect(await server.db.user.findUnique({ where: { id: rawId(user.id) } })).toBeNull();
    expect(await server.db.post.count({ where: { authorId: rawId(user.id) } })).toBe(0);
    expect((await server.gql(ME, {}, user.token)).status).toBe(401);
  });
});
