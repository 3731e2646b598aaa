import { hashSecret, newSecret, REFRESH_TOKEN_PREFIX } from '../../auth/tokens.ts';
import type { Prisma, Session, User } from '../../db/generated/client.ts';
import { AppError, notFound } from '../../lib/errors.ts';
import { expectGlobalId } from '../../lib/global-id.ts';
import { keysetPage, type PageArgs } from '../../lib/pagination.ts';
import { sorts } from '../../lib/sorts.ts';
import { announceRevoked } from './revocations.ts';
import { recordAudit } from '../audit/service.ts';
import type { RequestScope } from '../scope.ts';
import { requireSession } from '../../auth/guards.ts';
import { revocableWhere } from './policy.ts';

export type RevokeReason = 'LOGOUT' | 'LOGOUT_EVERYWHERE' | 'REVOKED' | 'PASSWORD_CHANGED' | 'REFRESH_REUSE' | 'SUSPENDED';

export interface AuthResult {
  accessToken: string;
  accessTokenExpiresAt: Date;
  refreshToken: string;
  refreshTokenExpiresAt: Date;
  user: User;
  session: Session;
}

// How many already-rotated successors a retried refresh may walk past to reach
// the live end of its chain (a client rotating faster than this within one
// overlap window is broken or an attack).
const MAX_CHAIN_WALK = 4;

const refreshFailed = () => new AppError('UNAUTHENTICATED', 'Invalid or expired refresh token', { http: { status: 401 } });

/**
 * Ends sessions (all of a user's, or all but one) so their tokens stop
 * working at once; returns the ids ended, for `announceRevoked` after commit.
 */
export async function revokeSessions(
  db: Prisma.TransactionClient,
  where: { userId: string; exceptId?: string | null; id?: string },
  reason: RevokeReason,
): Promise<string[]> {
  const ended = await db.session.updateManyAndReturn({
    where: {
      userId: where.userId,
      revokedAt: null,
      ...(where.id ? { id: where.id } : {}),
      ...(where.exceptId ? { id: { not: where.exceptId } } : {}),
    },
    data: { revokedAt: new Date(), revokedReason: reason },
    select: { id: true },
  });
  return ended.map((s) => s.id);
}

async function issue({ db, tokens }: RequestScope, user: User, session: Session, rotated?: string): Promise<AuthResult> {
  const refreshToken = rotated ?? newSecret(REFRESH_TOKEN_PREFIX);
  if (!rotated) await db.refreshToken.create({ data: { sessionId: session.id, tokenHash: hashSecret(refreshToken) } });
  const access = tokens.issueAccessToken(user.id, session.id);
  return {
    accessToken: access.token,
    accessTokenExpiresAt: access.expiresAt,
    refreshToken,
    refreshTokenExpiresAt: session.expiresAt,
    user,
    session,
  };
}

/**
 * The live refresh token that follows `token`, whose row is `tokenId`.
 * Successors are derived from their predecessor, so every rotation of one
 * token (concurrent, or retried within the overlap) names the same row:
 * the insert is idempotent and there is never a second chain. If the
 * successor was itself rotated meanwhile, the walk continues to the live
 * end of the chain.
 */
async function successor({ db, tokens }: RequestScope, token: string, tokenId: string, sessionId: string, now: Date): Promise<string> {
  let current = token;
  for (let step = 0; step < MAX_CHAIN_WALK; step++) {
    const next = tokens.successorRefreshToken(current);
    const tokenHash = hashSecret(next);
    // Successor first, then the predecessor marked used: a crash between the
    // two leaves a token that still rotates to the same successor.
    const created = await db.refreshToken.createMany({ data: [{ sessionId, tokenHash }], skipDuplicates: true });
    if (step === 0) await db.refreshToken.updateMany({ where: { id: tokenId, usedAt: null }, data: { usedAt: now } });
    if (created.count === 1) return next; // a fresh successor: nobody can have used it
    const row = await db.refreshToken.findUnique({ where: { tokenHash }, select: { usedAt: true, sessionId: true } });
    if (row?.sessionId !== sessionId) throw refreshFailed();
    if (!row.usedAt) return next;
    current = next;
  }
  throw refreshFailed();
}

/**
 * Rotates a refresh token. Each token works once; presenting a used one
 * again means it was stolen (or the client is broken), so the whole
 * session ends. Within a short overlap window a used token still works,
 * so two concurrent refreshes from one client don't log it out: they get
 * the same successor (see `successor`), so the session stays one chain.
 */
async function refresh(scope: RequestScope, refreshToken: string): Promise<AuthResult> {
  const { db, sessionPolicy } = scope;
  if (!refreshToken.startsWith(REFRESH_TOKEN_PREFIX) || refreshToken.length > 200) throw refreshFailed();
  const record = await db.refreshToken.findUnique({
    where: { tokenHash: hashSecret(refreshToken) },
    include: { session: { include: { user: true } } },
  });
  if (!record) throw refreshFailed();
  const { session } = record;
  const now = new Date();
  if (session.revokedAt || session.expiresAt <= now || session.user.suspendedAt) throw refreshFailed();
  if (record.usedAt && now.getTime() - record.usedAt.getTime() > sessionPolicy.refreshOverlapSeconds * 1000) {
    const ended = await revokeSessions(db, { userId: session.userId, id: session.id }, 'REFRESH_REUSE');
    announceRevoked(scope.bus, scope.logger, { userId: session.userId, sessionIds: ended });
    await recordAudit(db, scope, { type: 'REFRESH_REUSE_DETECTED', targetUserId: session.userId, data: { sessionId: session.id } });
    throw refreshFailed();
  }
  const next = await successor(scope, refreshToken, record.id, session.id, now);
  const touched = await db.session.update({ where: { id: session.id }, data: { lastUsedAt: now } });
  return issue(scope, session.user, touched, next);
}

async function startSession(scope: RequestScope, user: User, deviceLabel: string | null | undefined): Promise<AuthResult> {
  const session = await scope.db.session.create({
    data: {
      userId: user.id,
      deviceLabel: (deviceLabel ?? '').trim().slice(0, 100),
      userAgent: scope.request.userAgent.slice(0, 300),
      expiresAt: new Date(Date.now() + scope.sessionPolicy.refreshTokenTtlSeconds * 1000),
    },
  });
  return issue(scope, user, session);
}

/** Ends one of the viewer's sessions; someone else's is reported as missing, not as forbidden. */
async function revokeOne(scope: RequestScope, globalId: string): Promise<string> {
  const { db } = scope;
  const viewer = requireSession(scope);
  const id = expectGlobalId(globalId, 'Session', 'input.id');
  const ended = await revokeSessions(db, { ...revocableWhere(viewer), id }, 'REVOKED');
  announceRevoked(scope.bus, scope.logger, { userId: viewer.id, sessionIds: ended });
  if (ended.length === 0) {
    const exists = await db.session.findFirst({ where: { id, ...revocableWhere(viewer) }, select: { id: true } });
    if (!exists) throw notFound('Session', 'input.id');
  }
  await recordAudit(db, scope, { type: 'SESSION_REVOKED', actorId: viewer.id, targetUserId: viewer.id, data: { sessionId: id } });
  return id;
}

export function createSessionService(scope: RequestScope) {
  const { db, bus, logger } = scope;
  const revoked = (userId: string, sessionIds: string[]) => {
    announceRevoked(bus, logger, { userId, sessionIds });
    return sessionIds;
  };

  return {
    /** Starts a session for a user who just proved who they are. */
    start: (user: User, deviceLabel: string | null | undefined) => startSession(scope, user, deviceLabel),

    refresh: (refreshToken: string) => refresh(scope, refreshToken),

    async logOut(): Promise<string> {
      const viewer = requireSession(scope);
      revoked(viewer.id, await revokeSessions(db, { userId: viewer.id, id: viewer.sessionId }, 'LOGOUT'));
      return viewer.sessionId;
    },

    async logOutEverywhere(): Promise<number> {
      const viewer = requireSession(scope);
      const count = revoked(viewer.id, await revokeSessions(db, { userId: viewer.id }, 'LOGOUT_EVERYWHERE')).length;
      await recordAudit(db, scope, {
        type: 'LOGGED_OUT_EVERYWHERE',
        actorId: viewer.id,
        targetUserId: viewer.id,
        data: { sessions: count },
      });
      return count;
    },

    revoke: (globalId: string) => revokeOne(scope, globalId),

    /** Live sessions of a user, newest first (callers check who may see them). */
    list(userId: string, args: PageArgs) {
      const where = { userId, revokedAt: null, expiresAt: { gt: new Date() } };
      return keysetPage<Session>({
        args,
        sort: sorts.sessions,
        sortField: 'createdAt',
        where,
        find: (q) => db.session.findMany(q as Prisma.SessionFindManyArgs),
        count: () => db.session.count({ where }),
      });
    },
  };
}

export type SessionService = ReturnType<typeof createSessionService>;
