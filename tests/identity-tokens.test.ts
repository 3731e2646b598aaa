import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import jwt from 'jsonwebtoken';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { TokenService } from '../src/auth/tokens.ts';
import { loadConfig } from '../src/config.ts';
import { signUp, startTestServer, type TestServer, type TestUser } from './helpers/server.ts';

const ME = '{ me { id username } }';

function claimsOf(token: string) {
  return jwt.decode(token) as { sub: string; sid: string; iss: string; aud: string; typ: string };
}

async function expect401(server: TestServer, token: string) {
  const res = await server.gql(ME, {}, token);
  expect(res.status).toBe(401);
  expect(res.body.errors?.[0]?.extensions.code).toBe('UNAUTHENTICATED');
  expect(res.body.data ?? null).toBeNull();
}

describe('access tokens (HS256 default)', () => {
  let server: TestServer;
  let alice: TestUser;
  let secret: string;

  beforeAll(async () => {
    secret = 'a'.repeat(48);
    server = await startTestServer({ JWT_SECRET: secret });
    alice = await signUp(server, 'alice');
  });
  afterAll(() => server.stop());

  const forge = (claims: Record<string, unknown>, options: jwt.SignOptions = {}, key = secret) =>
    jwt.sign({ typ: 'access', sid: claimsOf(alice.token).sid, ...claims }, key, {
      algorithm: 'HS256',
      subject: claimsOf(alice.token).sub,
      issuer: 'agora',
      audience: 'agora-api',
      expiresIn: 300,
      ...options,
    });

  // Signs exactly the given claims (no defaults), e.g. to leave out exp.
  const forgeRaw = (claims: Record<string, unknown>) => {
    const c = claimsOf(alice.token);
    return jwt.sign({ typ: 'access', sid: c.sid, sub: c.sub, iss: 'agora', aud: 'agora-api', ...claims }, secret, { algorithm: 'HS256' });
  };

  it('accepts a genuine token', async () => {
    const res = await server.gql(ME, {}, alice.token);
    expect(res.status).toBe(200);
    expect(res.body.data!.me.username).toBe(alice.username);
  });

  it('rejects a token signed with another secret', () => expect401(server, forge({}, {}, 'b'.repeat(48))));

  it('rejects alg "none"', async () => {
    const unsigned = jwt.sign({ typ: 'access', sid: claimsOf(alice.token).sid }, '', {
      algorithm: 'none',
      subject: claimsOf(alice.token).sub,
      issuer: 'agora',
      audience: 'agora-api',
      expiresIn: 300,
    });
    await expect401(server, unsigned);
  });

  it('rejects an expired token', () => expect401(server, forgeRaw({ exp: Math.floor(Date.now() / 1000) - 60 })));
  it('rejects a token without exp', () => expect401(server, forgeRaw({})));
  it('rejects a token not yet valid', () => expect401(server, forge({}, { notBefore: 120 })));
  it('rejects the wrong audience', () => expect401(server, forge({}, { audience: 'someone-else' })));
  it('rejects the wrong issuer', () => expect401(server, forge({}, { issuer: 'evil' })));
  it('rejects a token of another type', () => expect401(server, forge({ typ: 'refresh' })));
  it('rejects a token for a session that does not exist', () => expect401(server, forge({ sid: '00000000-0000-4000-8000-000000000000' })));
  it('rejects a malformed Authorization header', async () => {
    const res = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Basic ${alice.token}` },
      body: JSON.stringify({ query: ME }),
    });
    expect(res.status).toBe(401);
  });

  it('refuses writes without a token, and nothing is written', async () => {
    const before = await server.db.post.count();
    const res = await server.gql(`mutation { createPost(input: { title: "t", body: "b" }) { post { id } } }`);
    expect(res.body.errors![0]!.extensions.code).toBe('UNAUTHENTICATED');
    expect(await server.db.post.count()).toBe(before);
  });
});

describe('access tokens (RS256 when configured)', () => {
  let server: TestServer;
  let alice: TestUser;
  let publicPem: string;

  beforeAll(async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const dir = mkdtempSync(path.join(os.tmpdir(), 'agora-keys-'));
    publicPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    writeFileSync(path.join(dir, 'private.pem'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
    writeFileSync(path.join(dir, 'public.pem'), publicPem);
    server = await startTestServer({
      JWT_ALGORITHM: 'RS256',
      JWT_PRIVATE_KEY_FILE: path.join(dir, 'private.pem'),
      JWT_PUBLIC_KEY_FILE: path.join(dir, 'public.pem'),
    });
    alice = await signUp(server, 'rsa');
  });
  afterAll(() => server.stop());

  it('issues RS256 tokens that work', async () => {
    expect(jwt.decode(alice.token, { complete: true })!.header.alg).toBe('RS256');
    const res = await server.gql(ME, {}, alice.token);
    expect(res.body.data!.me.username).toBe(alice.username);
  });

  it('rejects an HS256 token signed with the public key (algorithm confusion)', async () => {
    const c = claimsOf(alice.token);
    // jsonwebtoken refuses to sign HS256 with a PEM key, so build it by hand.
    const header = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');
    const now = Math.floor(Date.now() / 1000);
    const payload = Buffer.from(JSON.stringify({ ...c, iat: now, exp: now + 300 })).toString('base64url');
    const { createHmac } = await import('node:crypto');
    const signature = createHmac('sha256', publicPem).update(`${header}.${payload}`).digest('base64url');
    await expect401(server, `${header}.${payload}.${signature}`);
  });
});

describe('verified access tokens are remembered, never past their expiry', () => {
  const config = loadConfig({ NODE_ENV: 'test', JWT_SECRET: 'c'.repeat(48) }).jwt;
  const userId = '11111111-1111-4111-8111-111111111111';
  const sessionId = '22222222-2222-4222-8222-222222222222';
  afterEach(() => vi.useRealTimers());

  it('a remembered token answers as jsonwebtoken does on both sides of exp + 5 s tolerance', () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const cached = new TokenService(config);
    const { token, expiresAt } = cached.issueAccessToken(userId, sessionId);
    expect(cached.verifyAccessToken(token)).toEqual({ userId, sessionId, expiresAt });
    expect(cached.verifiedTokensCached()).toBe(1);

    vi.setSystemTime(expiresAt.getTime() + 4_999);
    expect(new TokenService(config).verifyAccessToken(token)).not.toBeNull();
    expect(cached.verifyAccessToken(token)).toEqual({ userId, sessionId, expiresAt });

    vi.setSystemTime(expiresAt.getTime() + 5_000);
    expect(new TokenService(config).verifyAccessToken(token)).toBeNull();
    expect(cached.verifyAccessToken(token)).toBeNull();
    expect(cached.verifiedTokensCached()).toBe(0);
  });

  it('holds at most its cap, and never tokens that failed verification', () => {
    const tokens = new TokenService(config, 2);
    const issued = [1, 2, 3].map(() => tokens.issueAccessToken(userId, randomUUID()).token);
    for (const token of issued) expect(tokens.verifyAccessToken(token)).not.toBeNull();
    expect(tokens.verifiedTokensCached()).toBe(2);
    expect(tokens.verifyAccessToken(`${issued[0]}x`)).toBeNull();
    expect(tokens.verifyAccessToken('not-a-token')).toBeNull();
    expect(tokens.verifiedTokensCached()).toBe(2);
    // The least recently used went first; the evicted one still verifies (again through jsonwebtoken).
    expect(tokens.verifyAccessToken(issued[0]!)).not.toBeNull();
  });
});
