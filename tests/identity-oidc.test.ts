import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import jwt from 'jsonwebtoken';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './helpers/server.ts';

// A stand-in identity provider on loopback: it serves a JWKS whose keys the
// test rotates, and signs access tokens like a real OIDC provider would.
interface ProviderKey {
  kid: string;
  alg: 'RS256' | 'ES256';
  privateKey: KeyObject;
  publicKey: KeyObject;
}

function newKey(kid: string, alg: 'RS256' | 'ES256'): ProviderKey {
  const pair = alg === 'RS256' ? generateKeyPairSync('rsa', { modulusLength: 2048 }) : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { kid, alg, ...pair };
}

describe('external identity provider (OIDC resource server)', () => {
  let jwksServer: Server;
  let issuer: string;
  let published: ProviderKey[];
  let server: TestServer;

  const token = (key: ProviderKey, claims: Record<string, unknown>, options: jwt.SignOptions = {}) =>
    jwt.sign(claims, key.privateKey, { algorithm: key.alg, keyid: key.kid, issuer, audience: 'agora-api', expiresIn: 300, ...options });

  beforeAll(async () => {
    published = [newKey('key-1', 'RS256')];
    jwksServer = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({ keys: published.map((k) => ({ ...k.publicKey.export({ format: 'jwk' }), kid: k.kid, alg: k.alg, use: 'sig' })) }),
      );
    });
    await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}`;
    issuer = `${base}/`;
    server = await startTestServer({ OIDC_ISSUER: issuer, OIDC_AUDIENCE: 'agora-api', OIDC_JWKS_URL: `${base}/jwks` });
  });
  afterAll(async () => {
    await server.stop();
    await new Promise((resolve) => jwksServer.close(resolve));
  });

  const ME = '{ me { id username name email } }';

  it('creates a local user on first sight and maps the same subject to it again', async () => {
    const key = published[0]!;
    const first = await server.gql(
      ME,
      {},
      token(key, { sub: 'ext-123', preferred_username: 'Ext.User', name: 'Ext User', email: 'ext@example.org', email_verified: true }),
    );
    expect(first.body.errors).toBeUndefined();
    expect(first.body.data!.me).toMatchObject({ name: 'Ext User', email: 'ext@example.org' });
    expect(first.body.data!.me.username).toMatch(/^ext_user_[0-9a-f]{6}$/);
    const again = await server.gql(ME, {}, token(key, { sub: 'ext-123' }));
    expect(again.body.data!.me.id).toBe(first.body.data!.me.id);
    expect(await server.db.externalIdentity.count({ where: { subject: 'ext-123' } })).toBe(1);
  });

  it('never links to an existing account by email', async () => {
    const SIGN_UP =
      'mutation { signUp(input: { email: "owner@example.org", username: "owner_acct", password: "long enough pw", name: "Owner" }) { user { id } } }';
    const local = (await server.gql(SIGN_UP)).body.data!.signUp.user.id;
    const res = await server.gql(ME, {}, token(published[0]!, { sub: 'attacker', email: 'owner@example.org', email_verified: true }));
    expect(res.body.data!.me.id).not.toBe(local);
    expect(res.body.data!.me.email).toMatch(/@external\.invalid$/);
  });

  it('follows key rotation by kid', async () => {
    const rotated = newKey('key-2', 'ES256');
    published = [rotated];
    const res = await server.gql(ME, {}, token(rotated, { sub: 'ext-rotated' }));
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data!.me).not.toBeNull();
  });

  it('rejects wrong audience, wrong issuer, unknown keys and expired tokens with 401', async () => {
    const key = published[0]!;
    const stranger = newKey('key-1', 'RS256'); // same kid, different key: a forgery
    const cases = [
      token(key, { sub: 'x' }, { audience: 'other-api' }),
      token(key, { sub: 'x' }, { issuer: 'https://evil.example/' }),
      token(stranger, { sub: 'x' }),
      token(newKey('unknown-kid', 'RS256'), { sub: 'x' }),
      jwt.sign({ sub: 'x', exp: Math.floor(Date.now() / 1000) - 60 }, key.privateKey, {
        algorithm: key.alg,
        keyid: key.kid,
        issuer,
        audience: 'agora-api',
      }),
    ];
    const before = await server.db.user.count();
    for (const bad of cases) {
      const res = await server.gql(ME, {}, bad);
      expect(res.status).toBe(401);
      expect(res.body.errors![0]!.extensions.code).toBe('UNAUTHENTICATED');
    }
    expect(await server.db.user.count()).toBe(before);
  });

  it('still accepts Agora-issued tokens next to the provider', async () => {
    const res = await server.gql(
      'mutation { signUp(input: { email: "local@example.org", username: "local_acct", password: "long enough pw", name: "L" }) { accessToken } }',
    );
    const me = await server.gql(ME, {}, res.body.data!.signUp.accessToken);
    expect(me.body.data!.me.username).toBe('local_acct');
  });
});
