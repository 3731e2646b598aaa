import { MAX_BODY_BYTES } from '../src/server/http-handler.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectError, ok } from './helpers/fixtures.ts';
import { signUp, startTestServer, unique, type GraphQLResponse, type TestServer } from './helpers/server.ts';

const SIGN_UP = `mutation ($input: SignUpInput!) {
  signUp(input: $input) { accessToken accessTokenExpiresAt user { id username name email role } }
}`;
const LOG_IN = `mutation ($input: LogInInput!) { logIn(input: $input) { accessToken accessTokenExpiresAt user { id username } } }`;
const ME = `{ me { id username email } }`;

/** Nothing internal may leak in an error response. */
function expectNoInternals(res: GraphQLResponse) {
  const text = JSON.stringify(res.body);
  for (const leak of ['stacktrace', 'at async', 'Prisma', 'P2002', 'SELECT', 'INSERT', 'constraint', 'duplicate key', '.ts:']) {
    expect(text).not.toContain(leak);
  }
}

describe('accounts', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.stop());

  const fresh = () => {
    const username = unique('acc').slice(0, 30);
    return { email: `${username}@example.com`, username, password: 'a good password', name: 'Someone' };
  };
  const countByEmailOrName = (email: string, username: string) =>
    server.db.user.count({ where: { OR: [{ email: email.toLowerCase() }, { username: username.toLowerCase() }] } });

  it('signs up, and the token works as a Bearer token on `me`', async () => {
    const input = fresh();
    const res = await server.gql(SIGN_UP, { input: { ...input, name: '  Some One  ' } });
    const { signUp: payload } = ok(res);
    expect(payload.user).toMatchObject({ username: input.username, name: 'Some One', role: 'USER' });
    expect(new Date(payload.accessTokenExpiresAt).getTime()).toBeGreaterThan(Date.now());
    const me = ok(await server.gql(ME, {}, payload.accessToken)).me;
    expect(me).toEqual({ id: payload.user.id, username: input.username, email: input.email });
    const row = await server.db.user.findUniqueOrThrow({ where: { username: input.username } });
    expect(row.passwordHash).toMatch(/^\$argon2id\$/);
    expect(row.passwordHash).not.toContain(input.password);
  });

  it('shows the signed-in account its own email in the signUp/logIn payload, without acting as it', async () => {
    const input = fresh();
    const Q = `mutation ($input: SignUpInput!) { signUp(input: $input) { user { email } session { current } } }`;
    const res = ok(await server.gql(Q, { input }));
    expect(res.signUp).toEqual({ user: { email: input.email }, session: { current: true } });
    // The rest of the operation is still anonymous.
    const both = await server.gql(
      `mutation ($l: String!, $p: String!) { logIn(input: { login: $l, password: $p }) { user { email } } createPost(input: { title: "t", body: "b" }) { post { id } } }`,
      { l: input.username, p: input.password },
    );
    expect(both.body.errors![0]!.path).toEqual(['createPost']);
    expect(both.body.errors![0]!.extensions.code).toBe('UNAUTHENTICATED');
  });

  it('stores email and username lower-cased and logs in with either, in any case', async () => {
    const input = fresh();
    const res = await server.gql(SIGN_UP, {
      input: { ...input, email: input.email.toUpperCase(), username: input.username.toUpperCase() },
    });
    const { user } = ok(res).signUp;
    expect(user.username).toBe(input.username);
    expect(ok(await server.gql(ME, {}, ok(res).signUp.accessToken)).me.email).toBe(input.email);
    for (const login of [input.email, input.username, input.email.toUpperCase(), ` ${input.username.toUpperCase()} `]) {
      const { logIn } = ok(await server.gql(LOG_IN, { input: { login, password: input.password } }));
      expect(logIn.user.id).toBe(user.id);
      expect(ok(await server.gql(ME, {}, logIn.accessToken)).me.id).toBe(user.id);
    }
  });

  it('refuses a duplicate email, whatever its case, with CONFLICT on input.email and nothing internal', async () => {
    const first = await signUp(server, 'dupe');
    const other = fresh();
    const res = await server.gql(SIGN_UP, { input: { ...other, email: first.email.toUpperCase() } });
    expectError(res, 'CONFLICT', 'input.email');
    expect(res.body.data).toBeNull();
    expectNoInternals(res);
    expect(await server.db.user.count({ where: { username: other.username } })).toBe(0);
  });

  it('refuses a duplicate username, whatever its case, with CONFLICT on input.username and nothing internal', async () => {
    const first = await signUp(server, 'dupu');
    const other = fresh();
    const res = await server.gql(SIGN_UP, { input: { ...other, username: first.username.toUpperCase() } });
    expectError(res, 'CONFLICT', 'input.username');
    expectNoInternals(res);
    expect(await server.db.user.count({ where: { email: other.email } })).toBe(0);
  });

  it('gives concurrent duplicate sign-ups one account and a CONFLICT naming the field', async () => {
    const input = fresh();
    const results = await Promise.all(Array.from({ length: 4 }, () => server.gql(SIGN_UP, { input })));
    const succeeded = results.filter((r) => r.body.data?.signUp);
    expect(succeeded).toHaveLength(1);
    for (const res of results.filter((r) => !r.body.data?.signUp)) {
      const error = expectError(res, 'CONFLICT');
      expect(['input.email', 'input.username']).toContain(error.extensions.field);
      expectNoInternals(res);
    }
    expect(await countByEmailOrName(input.email, input.username)).toBe(1);
  });

  it.each([
    ['7 characters', 'x'.repeat(7)],
    ['129 characters', 'x'.repeat(129)],
  ])('refuses a password of %s with BAD_USER_INPUT on input.password', async (_label, password) => {
    const input = { ...fresh(), password };
    const res = await server.gql(SIGN_UP, { input });
    expectError(res, 'BAD_USER_INPUT', 'input.password');
    expect(await countByEmailOrName(input.email, input.username)).toBe(0);
  });

  it('accepts passwords of 8 and 128 characters', async () => {
    for (const password of ['y'.repeat(8), 'z'.repeat(128)]) {
      const input = { ...fresh(), password };
      ok(await server.gql(SIGN_UP, { input }));
      ok(await server.gql(LOG_IN, { input: { login: input.username, password } }));
    }
  });

  it('refuses a ~1 MB password with BAD_USER_INPUT without hashing or storing anything', async () => {
    // Well under the request body cap, so the password check itself answers.
    const input = { ...fresh(), password: 'p'.repeat(1024 * 1024) };
    const res = await server.gql(SIGN_UP, { input });
    expect(res.status).toBe(200);
    const error = expectError(res, 'BAD_USER_INPUT', 'input.password');
    expect(JSON.stringify(error).length).toBeLessThan(2_000); // the password is not echoed back
    expect(await countByEmailOrName(input.email, input.username)).toBe(0);
    // At and over the cap, the HTTP layer refuses before GraphQL runs.
    const huge = await server.gql(SIGN_UP, { input: { ...input, password: 'p'.repeat(MAX_BODY_BYTES) } });
    expect(huge.status).toBe(413);
    expect(huge.body.errors![0]!.extensions.code).toBe('BAD_REQUEST');
    expect(await countByEmailOrName(input.email, input.username)).toBe(0);
    // logIn refuses over-long passwords the same way as wrong ones.
    const login = await server.gql(LOG_IN, { input: { login: 'nobody', password: 'p'.repeat(1024 * 1024) } });
    expectError(login, 'INVALID_CREDENTIALS', null);
  });

  it('reports every invalid sign-up field at once', async () => {
    const res = await server.gql(SIGN_UP, { input: { email: 'not-an-email', username: 'x!', password: 'short', name: '   ' } });
    const error = expectError(res, 'BAD_USER_INPUT', 'input.email');
    expect((error.extensions.fieldErrors as { field: string }[]).map((e) => e.field)).toEqual([
      'input.email',
      'input.username',
      'input.password',
      'input.name',
    ]);
  });

  it('gives an unknown login and a wrong password the identical INVALID_CREDENTIALS error', async () => {
    const user = await signUp(server, 'login');
    const wrongPassword = await server.gql(LOG_IN, { input: { login: user.username, password: 'not the password' } });
    const unknownUser = await server.gql(LOG_IN, { input: { login: `${user.username}_nope`, password: 'not the password' } });
    const unknownEmail = await server.gql(LOG_IN, { input: { login: `nope-${user.email}`, password: user.password } });
    for (const res of [wrongPassword, unknownUser, unknownEmail]) {
      expect(res.status).toBe(200);
      expectError(res, 'INVALID_CREDENTIALS', null);
      expect(res.body.data).toBeNull();
    }
    expect(unknownUser.body.errors).toEqual(wrongPassword.body.errors);
    expect(unknownEmail.body.errors).toEqual(wrongPassword.body.errors);
    expectNoInternals(wrongPassword);
  });
});
