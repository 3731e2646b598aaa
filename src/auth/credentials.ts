import { randomBytes } from 'node:crypto';
import type { ApiScope, Role } from '../db/generated/client.ts';
import type { Db } from '../db/prisma.ts';
import { AppError } from '../lib/errors.ts';
import type { Logger } from '../lib/logger.ts';
import type { OidcVerifier, ExternalClaims } from './oidc.ts';
import { API_KEY_PREFIX, hashSecret, type TokenService } from './tokens.ts';
import { ALL_SCOPES, type Viewer } from './viewer.ts';
import { hasWhiteSpace } from '../lib/validation.ts';

/**
 * The token of `Bearer <token>`: the scheme in any case, one space, then a
 * token without white space; null for anything else.
 */
function bearerToken(authorization: unknown): string | null {
  const scheme = 'bearer ';
  if (typeof authorization !== 'string' || authorization.slice(0, scheme.length).toLowerCase() !== scheme) return null;
  const token = authorization.slice(scheme.length);
  return token !== '' && !hasWhiteSpace(token) ? token : null;
}

/** A provider's user name as the start of a local one: lower-cased, at most 20 of a-z, 0-9 and '_' (anything else as '_'). */
function usernameBase(name: string): string {
  const lower = name.toLowerCase();
  let base = '';
  for (let i = 0; i < lower.length && base.length < 20; i++) {
    const unit = lower[i]!;
    base += (unit >= 'a' && unit <= 'z') || (unit >= '0' && unit <= '9') || unit === '_' ? unit : '_';
  }
  return base;
}

const invalid = (message = 'Invalid or expired credentials') => new AppError('UNAUTHENTICATED', message, { http: { status: 401 } });

// API keys record when they were last used, at most this often (a write per
// request would be wasteful).
const LAST_USED_GRANULARITY_MS = 60_000;

/**
 * Turns an `Authorization` value (HTTP header or WebSocket connectionParams)
 * into a viewer. No credentials means anonymous; bad credentials are an
 * error (HTTP 401), never silently anonymous.
 */
export class CredentialResolver {
  constructor(
    private readonly db: Db,
    private readonly tokens: TokenService,
    private readonly oidc: OidcVerifier | null,
    private readonly logger: Logger,
  ) {}

  async resolve(authorization: unknown): Promise<Viewer | null> {
    if (authorization === undefined || authorization === null || authorization === '') return null;
    const token = bearerToken(authorization);
    if (!token) throw invalid('Authorization must be "Bearer <token>"');
    if (token.startsWith(API_KEY_PREFIX)) return this.fromApiKey(token);
    if (this.oidc && !this.tokens.isOwnIssuer(token)) return this.fromExternalToken(token);
    return this.fromAccessToken(token);
  }

  private async fromAccessToken(token: string): Promise<Viewer> {
    const claims = this.tokens.verifyAccessToken(token);
    if (!claims) throw invalid();
    // One statement: the session must be live and the account not suspended,
    // so logging out or suspension takes effect at once, not at expiry.
    const [row] = await this.db.$queryRaw<{ role: Role; suspendedAt: Date | null; revokedAt: Date | null; expiresAt: Date }[]>`
      SELECT u.role, u."suspendedAt", s."revokedAt", s."expiresAt"
      FROM "Session" s JOIN "User" u ON u.id = s."userId"
      WHERE s.id = ${claims.sessionId}::uuid AND u.id = ${claims.userId}::uuid`;
    if (!row || row.revokedAt || row.expiresAt <= new Date() || row.suspendedAt) throw invalid();
    return {
      id: claims.userId,
      role: row.role,
      credential: 'session',
      sessionId: claims.sessionId,
      scopes: ALL_SCOPES,
      expiresAt: claims.expiresAt,
    };
  }

  private async fromApiKey(key: string): Promise<Viewer> {
    const [row] = await this.db.$queryRaw<
      {
        id: string;
        userId: string;
        scopes: ApiScope[];
        expiresAt: Date | null;
        revokedAt: Date | null;
        lastUsedAt: Date | null;
        role: Role;
        suspendedAt: Date | null;
      }[]
    >`
      SELECT k.id, k."userId", k.scopes::text[] AS scopes, k."expiresAt", k."revokedAt", k."lastUsedAt", u.role, u."suspendedAt"
      FROM "ApiKey" k JOIN "User" u ON u.id = k."userId"
      WHERE k."keyHash" = ${hashSecret(key)}`;
    const now = new Date();
    if (!row || row.revokedAt || (row.expiresAt && row.expiresAt <= now) || row.suspendedAt) throw invalid();
    if (!row.lastUsedAt || now.getTime() - row.lastUsedAt.getTime() > LAST_USED_GRANULARITY_MS) {
      this.db.apiKey
        .update({ where: { id: row.id }, data: { lastUsedAt: now } })
        .catch((error) => this.logger.warn('could not record API key use', { error: String(error) }));
    }
    return {
      id: row.userId,
      role: row.role,
      credential: 'apiKey',
      sessionId: null,
      apiKeyId: row.id,
      scopes: new Set(row.scopes),
      expiresAt: row.expiresAt,
    };
  }

  private async fromExternalToken(token: string): Promise<Viewer> {
    const claims = await this.oidc!.verify(token);
    if (!claims) throw invalid();
    const user = await this.localUserFor(claims);
    if (user.suspendedAt) throw invalid();
    return { id: user.id, role: user.role, credential: 'external', sessionId: null, scopes: ALL_SCOPES, expiresAt: claims.expiresAt };
  }

  /** Maps an external identity to a local user, creating one on first sight. */
  private async localUserFor(claims: ExternalClaims): Promise<{ id: string; role: Role; suspendedAt: Date | null }> {
    const select = { id: true, role: true, suspendedAt: true } as const;
    const link = await this.db.externalIdentity.findUnique({
      where: { issuer_subject: { issuer: claims.issuer, subject: claims.subject } },
      select: { user: { select } },
    });
    if (link) return link.user;
    const base = usernameBase(claims.preferredUsername ?? claims.email?.split('@')[0] ?? 'user');
    const username = `${base.length >= 3 ? base : `user_${base}`}_${randomBytes(3).toString('hex')}`;
    // A provider's email is used only when verified and not already ours:
    // never link an external login to an existing account by email.
    const emailFree =
      claims.email && claims.emailVerified && !(await this.db.user.findUnique({ where: { email: claims.email.toLowerCase() } }));
    const email = emailFree ? claims.email!.toLowerCase() : `${username}@external.invalid`;
    try {
      return await this.db.user.create({
        data: {
          email,
          username,
          name: claims.name ?? username,
          passwordHash: '', // no password: this account signs in through its provider only
          externalIdentities: { create: { issuer: claims.issuer, subject: claims.subject } },
        },
        select,
      });
    } catch {
      // A concurrent first request created it.
      const again = await this.db.externalIdentity.findUnique({
        where: { issuer_subject: { issuer: claims.issuer, subject: claims.subject } },
        select: { user: { select } },
      });
      if (!again) throw invalid();
      return again.user;
    }
  }
}
