import type { AuditEvent, Prisma } from '../../db/generated/client.ts';
import type { Db } from '../../db/prisma.ts';
import { keysetPage, type PageArgs } from '../../lib/pagination.ts';
import { sorts } from '../../lib/sorts.ts';
import type { RequestScope } from '../scope.ts';
import type { AuditEventType } from '../../graphql/resolvers.generated.ts';
import { canReadAuditLog } from './policy.ts';

/**
 * An audit row as the API sees it. The column is text, and only recordAudit
 * writes it, always with an AuditEventType (the schema's enum, generated).
 */
export type AuditRecord = Omit<AuditEvent, 'type'> & { type: AuditEventType };

export interface AuditEntry {
  type: AuditEventType;
  actorId?: string | null;
  targetUserId?: string | null;
  data?: Record<string, string | number | boolean | null>;
}

/** Records a security event; pass a transaction client to make it part of the change. */
export async function recordAudit(
  db: Db | Prisma.TransactionClient,
  scope: Pick<RequestScope, 'request'>,
  entry: AuditEntry,
): Promise<void> {
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
  const { db, viewer } = scope;
  return {
    /** One event, if the viewer may read the log (node(id)); else null, like a missing one. */
    async byId(id: string): Promise<AuditRecord | null> {
      if (!canReadAuditLog(viewer)) return null;
      return (await db.auditEvent.findUnique({ where: { id } })) as AuditRecord | null;
    },

    list(args: PageArgs & { type?: AuditEventType | null; userId?: string | null }) {
      const where: Prisma.AuditEventWhereInput = {
        ...(args.type ? { type: args.type } : {}),
        ...(args.userId ? { OR: [{ actorId: args.userId }, { targetUserId: args.userId }] } : {}),
      };
      return keysetPage<AuditRecord>({
        args,
        sort: sorts.auditEvents,
        sortField: 'createdAt',
        where,
        find: (q) => scope.db.auditEvent.findMany(q as Prisma.AuditEventFindManyArgs) as Promise<AuditRecord[]>,
        count: () => scope.db.auditEvent.count({ where }),
      });
    },
  };
}
