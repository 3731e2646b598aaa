import { createHash, createHmac, createPublicKey, createSecretKey, hkdfSync, randomBytes, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';
import type { JwtConfig } from '../config.ts';

// RFC 8725: one pinned algorithm per deployment (never taken from the token),
// required registered claims, a small clock tolerance and an explicit type.
const CLOCK_TOLERANCE_SECONDS = 5;
const ACCESS_TOKEN_TYPE = 'access';
/**
 * Verified access tokens remembered, least recently used evicted first. Only
 * tokens that verified (signed by us) get in, so clients cannot grow it with
 * made-up tokens; the cap bounds it even against many live sessions.
 */
const VERIFIED_TOKEN_CACHE_ENTRIES = 10_000;

export interface AccessToken {
  token: string;
  expiresAt: Date;
}

export interface AccessClaims {
  userId: string;
  sessionId: string;
  expiresAt: Date;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Length first, so the pattern only ever sees 36 characters. */
const isUuid = (value: unknown): value is string => typeof value === 'string' && value.length === 36 && UUID.test(value);

export class TokenService {
  private readonly signingKey: string;
  /**
   * A KeyObject made once: given a string, jsonwebtoken first tries it as a
   * PEM public key, and for an HMAC secret that throws on every verification
   * (~0.7 ms of CPU each).
   */
  private readonly verifyKey: KeyObject;
  /** Derives refresh-token successors; a key of its own, taken from the signing key. */
  private readonly successorKey: Buffer;
  /**
   * Claims of tokens that verified, with their `exp`: the signature and the
   * claims of a token never change, so re-verifying it on each request (a
   * quarter of an authenticated mutation's CPU) only re-checks expiry, done
   * here with the same rule and tolerance. Session state (log out,
   * suspension) is not cached: callers check it on every request.
   */
  private readonly verified = new Map<string, { userId: string; sessionId: string; exp: number }>();

  constructor(
    private readonly options: JwtConfig,
    private readonly verifiedCacheEntries = VERIFIED_TOKEN_CACHE_ENTRIES,
  ) {
    if (options.algorithm === 'HS256') {
      this.signingKey = options.secret;
      this.verifyKey = createSecretKey(Buffer.from(options.secret));
    } else {
      this.signingKey = options.privateKey;
      this.verifyKey = createPublicKey(options.publicKey);
    }
    this.successorKey = this.deriveKey('refresh-token successor');
  }

  /**
   * The refresh token that replaces `token` when it is rotated. Deriving it
   * (instead of drawing a random one) makes every rotation of one token give
   * the same successor, so concurrent refreshes, and a retry within the
   * overlap window, continue one chain instead of forking the session. Only
   * the server can derive it: the key never leaves it, and the database
   * holds hashes only.
   */
  successorRefreshToken(token: string): string {
    return `${REFRESH_TOKEN_PREFIX}${createHmac('sha256', this.successorKey).update(token).digest('base64url')}`;
  }

  issueAccessToken(userId: string, sessionId: string): AccessToken {
    const token = jwt.sign({ typ: ACCESS_TOKEN_TYPE, sid: sessionId }, this.signingKey, {
      algorithm: this.options.algorithm,
      subject: userId,
      issuer: this.options.issuer,
      audience: this.options.audience,
      expiresIn: this.options.accessTokenTtlSeconds,
    });
    const { exp } = jwt.decode(token) as { exp: number };
    return { token, expiresAt: new Date(exp * 1000) };
  }

  /** Claims of a valid access token of ours, or null for anything else. */
  verifyAccessToken(token: string): AccessClaims | null {
    const known = this.verified.get(token);
    if (known) {
      this.verified.delete(token);
      // jsonwebtoken's expiry rule: expired once now (whole seconds) >= exp + tolerance.
      if (Math.floor(Date.now() / 1000) >= known.exp + CLOCK_TOLERANCE_SECONDS) return null;
      this.verified.set(token, known); // most recently used last
      return { userId: known.userId, sessionId: known.sessionId, expiresAt: new Date(known.exp * 1000) };
    }
    const verified = this.verifyWithJwt(token);
    if (!verified) return null;
    const { claims, exp, notBefore } = verified;
    // We never issue `nbf`; a token with one is verified each time rather than cached without that check.
    if (notBefore === undefined) this.rememberVerified(token, { userId: claims.userId, sessionId: claims.sessionId, exp });
    return claims;
  }

  /** How many verified tokens are remembered (for tests and diagnostics). */
  verifiedTokensCached(): number {
    return this.verified.size;
  }

  private rememberVerified(token: string, entry: { userId: string; sessionId: string; exp: number }): void {
    while (this.verified.size >= this.verifiedCacheEntries) {
      this.verified.delete(this.verified.keys().next().value!);
    }
    this.verified.set(token, entry);
  }

  private verifyWithJwt(token: string): { claims: AccessClaims; exp: number; notBefore: unknown } | null {
    try {
      const payload = jwt.verify(token, this.verifyKey, {
        algorithms: [this.options.algorithm],
        issuer: this.options.issuer,
        audience: this.options.audience,
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
      });
      if (typeof payload === 'string') return null;
      const { typ, sub, sid, exp, iat, nbf } = payload as Record<string, unknown>;
      // The ids go into SQL as uuids: anything else is a bad token, not a database error.
      if (typ !== ACCESS_TOKEN_TYPE || !isUuid(sub) || !isUuid(sid)) return null;
      if (typeof exp !== 'number' || typeof iat !== 'number') return null;
      return { claims: { userId: sub, sessionId: sid, expiresAt: new Date(exp * 1000) }, exp, notBefore: nbf };
    } catch {
      return null;
    }
  }

  /** Whether a JWT claims to come from us (its signature is checked later). */
  isOwnIssuer(token: string): boolean {
    const decoded = jwt.decode(token);
    return typeof decoded === 'object' && decoded !== null && decoded.iss === this.options.issuer;
  }

  /**
   * A MAC key for one purpose (e.g. event cursors), derived from the signing
   * key: every instance of a deployment agrees on it, and no new secret is needed.
   */
  deriveKey(purpose: string): Buffer {
    return Buffer.from(hkdfSync('sha256', this.signingKey, '', `agora ${purpose}`, 32));
  }
}

/** Opaque secrets (refresh tokens, API keys): random, recognisable by prefix, stored as SHA-256. */
export const REFRESH_TOKEN_PREFIX = 'agora_rt_';
export const API_KEY_PREFIX = 'agora_pat_';

export function newSecret(prefix: string): string {
  return `${prefix}${randomBytes(32).toString('base64url')}`;
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}
