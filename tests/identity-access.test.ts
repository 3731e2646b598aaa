import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawId } from './helpers/fixtures.ts';
import { signUp, startTestServer, unique, type TestServer, type TestUser } from './helpers/server.ts';

const CREATE_KEY = `mutation ($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret apiKey { id name prefix scopes } } }`;
const CREATE_POST = `mutation ($title: String!) { createPost(input: { title: $title, body: "body", publish: true }) { post { id } } }`;

describe('API keys', () => {
  let server: TestServer;
  let owner: TestUser;

  beforeAll(async () => {
    server = await startTestServer();
    owner = await signUp(server, 'keys');
  });
  afterAll(() => server.stop());

  async function createKey(scopes: string[], extra: Record<string, unknown> = {}) {
    const res = await server.gql(CREATE_KEY, { input: { name: 'bot', scopes, ...extra } }, owner.token);
    expect(res.body.errors).toBeUndefined();
    return res.body.data!.createApiKey as { secret: string; apiKey: { id: string; prefix: string } };
  }

  it('shows the secret once, stores only its hash, and lists keys without it', async () => {
    const key = await createKey(['READ']);
    expect(key.secret).toMatch(/^agora_pat_/);
    expect(key.secret.startsWith(key.apiKey.prefix)).toBe(true);
    const row = await server.db.apiKey.findUnique({ where: { id: rawId(key.apiKey.id) } });
    expect(JSON.stringify(row)).not.toContain(key.secret);
    const list = await server.gql('{ me { apiKeys { id name prefix } } }', {}, owner.token);
    expect(JSON.stringify(list.body)).not.toContain(key.secret);
    expect(list.body.data!.me.apiKeys.map((k: { id: string }) => k.id)).toContain(key.apiKey.id);
  });

  it('a READ key can query but not mutate, and nothing is written', async () => {
    const key = await createKey(['READ']);
    const me = await server.gql('{ me { username } }', {}, key.secret);
    expect(me.body.data!.me.username).toBe(owner.username);
    const before = await server.db.post.count();
    const write = await server.gql(CREATE_POST, { title: 'via read key' }, key.secret);
    expect(write.body.errors![0]!.extensions).toMatchObject({ code: 'FORBIDDEN', requiredScope: 'WRITE' });
    expect(await server.db.post.count()).toBe(before);
  });

  it('scopes also cover fields added by `extend type` (chat)', async () => {
    const key = await createKey(['READ']);
    const other = await signUp(server, 'chatpeer');
    const res = await server.gql(
      'mutation ($id: ID!) { createDirectConversation(input: { userId: $id }) { conversation { id } } }',
      { id: other.id },
      key.secret,
    );
    expect(res.body.errors![0]!.extensions).toMatchObject({ code: 'FORBIDDEN', requiredScope: 'WRITE' });
    expect(await server.db.conversation.count()).toBe(0);
  });

  it('a WRITE-only key can mutate but not read', async () => {
    const key = await createKey(['WRITE']);
    const write = await server.gql(CREATE_POST, { title: 'via write key' }, key.secret);
    expect(write.body.errors).toBeUndefined();
    const read = await server.gql('{ me { username } }', {}, key.secret);
    expect(read.body.errors![0]!.extensions).toMatchObject({ code: 'FORBIDDEN', requiredScope: 'READ' });
  });

  it('keys cannot manage the account (no key minting keys, no password change)', async () => {
    const key = await createKey(['READ', 'WRITE']);
    const before = await server.db.apiKey.count();
    const mint = await server.gql(CREATE_KEY, { input: { name: 'child', scopes: ['READ', 'WRITE'] } }, key.secret);
    expect(mint.body.errors![0]!.extensions.code).toBe('FORBIDDEN');
    expect(await server.db.apiKey.count()).toBe(before);
    const pw = await server.gql(
      'mutation { changePassword(input: { currentPassword: "correct horse battery", newPassword: "hijacked password" }) { user { id } } }',
      {},
      key.secret,
    );
    expect(pw.body.errors![0]!.extensions.code).toBe('FORBIDDEN');
  });

  it('revoked and expired keys are refused with 401', async () => {
    const key = await createKey(['READ']);
    const revoke = await server.gql(
      'mutation ($id: ID!) { revokeApiKey(input: { id: $id }) { apiKey { revokedAt } } }',
      { id: key.apiKey.id },
      owner.token,
    );
    expect(revoke.body.data!.revokeApiKey.apiKey.revokedAt).not.toBeNull();
    expect((await server.gql('{ me { id } }', {}, key.secret)).status).toBe(401);

    const expiring = await createKey(['READ'], { expiresAt: new Date(Date.now() + 60_000).toISOString() });
    await server.db.apiKey.update({ where: { id: rawId(expiring.apiKey.id) }, data: { expiresAt: new Date(Date.now() - 1000) } });
    expect((await server.gql('{ me { id } }', {}, expiring.secret)).status).toBe(401);
    expect((await server.gql('{ me { id } }', {}, 'agora_pat_made_up')).status).toBe(401);
  });

  it("cannot revoke someone else's key", async () => {
    const key = await createKey(['READ']);
    const other = await signUp(server, 'thief');
    const res = await server.gql(
      'mutation ($id: ID!) { revokeApiKey(input: { id: $id }) { apiKey { id } } }',
      { id: key.apiKey.id },
      other.token,
    );
    expect(res.body.errors![0]!.extensions).toMatchObject({ code: 'NOT_FOUND', field: 'input.id' });
    expect((await server.db.apiKey.findUnique({ where: { id: rawId(key.apiKey.id) } }))!.revokedAt).toBeNull();
  });
});

// Enumeration (identical INVALID_CREDENTIALS), case-insensitive uniqueness and
// the 1 MB password are covered in accounts.test.ts.
describe('accounts: brute force and mass assignment', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({ LOGIN_MAX_FAILURES: '3' });
  });
  afterAll(() => server.stop());

  const LOG_IN = 'mutation ($login: String!, $pw: String!) { logIn(input: { login: $login, password: $pw }) { accessToken } }';

  it('locks a login after repeated failures, even for the right password, without affecting others', async () => {
    const user = await signUp(server, 'brute');
    for (let i = 0; i < 3; i++) await server.gql(LOG_IN, { login: user.username, pw: `guess number ${i}` });
    const locked = await server.gql(LOG_IN, { login: user.username, pw: user.password });
    expect(locked.body.errors![0]!.extensions.code).toBe('RATE_LIMITED');
    expect(locked.body.errors![0]!.extensions.retryAfterSeconds).toBeGreaterThan(0);
    // The same lock applies to logins that do not exist: no enumeration through it.
    const ghost = unique('ghost');
    for (let i = 0; i < 3; i++) await server.gql(LOG_IN, { login: ghost, pw: `guess number ${i}` });
    expect((await server.gql(LOG_IN, { login: ghost, pw: 'x'.repeat(10) })).body.errors![0]!.extensions.code).toBe('RATE_LIMITED');
    const other = await signUp(server, 'bystander');
    expect((await server.gql(LOG_IN, { login: other.username, pw: other.password })).body.errors).toBeUndefined();
    const failures = await server.db.auditEvent.count({ where: { type: 'LOGIN_FAILED', targetUserId: rawId(user.id) } });
    expect(failures).toBe(3);
  });

  it('cannot mass-assign role or author through inputs', async () => {
    const before = await server.db.user.count();
    const res = await server.gql(
      'mutation { signUp(input: { email: "root@example.com", username: "rooty", password: "long enough pw", name: "R", role: ADMIN }) { user { id } } }',
    );
    expect(res.status).toBe(400);
    expect(res.body.errors![0]!.extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(await server.db.user.count()).toBe(before);

    const user = await signUp(server, 'mass');
    const victim = await signUp(server, 'victim');
    const post = await server.gql(
      'mutation ($a: ID!) { createPost(input: { title: "t", body: "b", authorId: $a }) { post { id } } }',
      { a: victim.id },
      user.token,
    );
    expect(post.status).toBe(400);
    const viaVariables = await server.gql(
      'mutation ($input: CreatePostInput!) { createPost(input: $input) { post { id } } }',
      { input: { title: 't', body: 'b', authorId: victim.id, createdAt: '2000-01-01T00:00:00Z' } },
      user.token,
    );
    expect(viaVariables.status).toBe(400);
    expect(viaVariables.body.errors![0]!.extensions.code).toBe('BAD_USER_INPUT');
    expect(await server.db.post.count({ where: { authorId: rawId(victim.id) } })).toBe(0);
    expect((await server.db.user.findUnique({ where: { id: rawId(user.id) } }))!.role).toBe('USER');
  });
});
