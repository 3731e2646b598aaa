import type { AuditEvent, Prisma } from '../../db/generated/client.ts';
import type { Db } from '../../db/prisma.ts';
import { keysetPage, type PageArgs } from '../../lib/pagination.ts';
import { sorts } from '../../lib/sorts.ts';
import type { RequestScope } from '../scope.ts';

/** Mirrors `enum AuditEventType` in schema.graphql. */
export type AuditEventType =
  | 'SIGNED_UP'
  | 'LOGIN_SUCCEEDED'
  | 'LOGIN_FAILED'
  | 'LOGIN_THROTTLED'
  | 'REFRESH_REUSE_DETECTED'
  | 'SESSION_REVOKED'
  | 'LOGGED_OUT_EVERYWHERE'
  | 'PASSWORD_CHANGED'
  | 'EMAIL_CHANGED'
  | 'ACCOUNT_DELETED'
  | 'ROLE_CHANGED'
  | 'API_KEY_CREATED'
  | 'API_KEY_REVOKED'
  | 'USER_SUSPENDED'
  | 'USER_UNSUSPENDED'
  | 'CONTENT_HIDDEN'
  | 'CONTENT_RESTORED';

export interface AuditEntry {
  type: AuditEventType;
  actorId?: string | null;
  targetUserId?: string | null;
  data?: Record<string, string | number | boolean | null>;
}

/** Records a security event; pass a transaction client to make it part of the change. */
export async function recordAudit(db: Db | Prisma.TransactionClient, scope: Pick<RequestScope, 'request'>, entry: AuditEntry): Promise<void> {
  await db.auditEvent.create({
    data: {
      type: entry.type,
      actorId: entry.actorId ?? null,
      targetUserId: entry.targetUserId ?? null,
      ip: scope.request.ip,
      data: entry.data ?? {},
    },
  });
}

export function createAuditService(scope: RequestScope) {
  return {
    list(args: PageArgs & { type?: AuditEventType | null; userId?: string | null }) {
      const where: Prisma.AuditEventWhereInput = {
        ...(args.type ? { type: args.type } : {}),
        ...(args.userId ? { OR: [{ actorId: args.userId }, { targetUserId: args.userId }] } : {}),
      };
      return keysetPage<AuditEvent>({
        args,
        sort: sorts.auditEvents,
        sortField: 'createdAt',
        where,
        find: (q) => scope.db.auditEvent.findMany(q as Prisma.AuditEventFindManyArgs),
        count: () => scope.db.auditEvent.count({ where }),
      });
    },
  };
}
