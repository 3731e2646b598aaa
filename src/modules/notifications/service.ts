import { randomUUID } from 'node:crypto';
import { Prisma, type Notification, type NotificationKind } from '../../db/generated/client.ts';
import { notFound } from '../../lib/errors.ts';
import { expectGlobalId } from '../../lib/global-id.ts';
import { keysetPage, type Connection, type PageArgs } from '../../lib/pagination.ts';
import { sorts } from '../../lib/sorts.ts';
import { streams, type Outbox, type Tx } from '../../events/outbox.ts';
import type { RequestScope } from '../scope.ts';
import { requireViewer } from '../../auth/guards.ts';
import { canMarkNotificationRead, canSeeNotification, ownNotificationsWhere, shouldNotify } from './policy.ts';

export interface NewNotification {
  recipientId: string;
  kind: NotificationKind;
  actorId: string;
  postId?: string;
  commentId?: string;
  conversationId?: string;
  messageId?: string;
}

/** Event type on `user:<id>` streams for `notificationAdded`. */
export const NOTIFICATION_EVENT = 'NOTIFICATION';

/**
 * Creates a notification inside the caller's transaction and queues its
 * event; nobody is notified of their own actions.
 */
export async function notify(tx: Tx, outbox: Outbox, n: NewNotification): Promise<void> {
  if (!shouldNotify(n)) return;
  const created = await tx.notification.create({
    data: {
      recipientId: n.recipientId,
      kind: n.kind,
      actorId: n.actorId,
      postId: n.postId,
      commentId: n.commentId,
      conversationId: n.conversationId,
      messageId: n.messageId,
    },
    select: { id: true },
  });
  outbox.emit(streams.user(n.recipientId), NOTIFICATION_EVENT, { notificationId: created.id });
}

/** A notification decided before its statement runs (see `planNotification`). */
export interface PlannedNotification extends NewNotification {
  id: string;
}

/**
 * For a caller that writes in one statement: decides a notification (nobody
 * is notified of their own actions), gives it its id and queues its event;
 * `insertNotificationsCte` writes it.
 */
export function planNotification(outbox: Outbox, n: NewNotification): PlannedNotification | null {
  if (!shouldNotify(n)) return null;
  const planned = { ...n, id: randomUUID() };
  outbox.emit(streams.user(n.recipientId), NOTIFICATION_EVENT, { notificationId: planned.id });
  return planned;
}

/** The INSERT of planned notifications, as a CTE (`new_notifications`) to follow `WITH` in the caller's statement. */
export function insertNotificationsCte(rows: PlannedNotification[]): Prisma.Sql {
  const column = (pick: (n: PlannedNotification) => string | undefined) => rows.map((n) => pick(n) ?? null);
  return Prisma.sql`
    new_notifications AS (
      INSERT INTO "Notification" (id, "recipientId", kind, "actorId", "postId", "commentId", "conversationId", "messageId")
      SELECT id, recipient, kind::"NotificationKind", actor, post, comment, conversation, message FROM unnest(
        ${column((n) => n.id)}::uuid[], ${column((n) => n.recipientId)}::uuid[], ${column((n) => n.kind)}::text[],
        ${column((n) => n.actorId)}::uuid[], ${column((n) => n.postId)}::uuid[], ${column((n) => n.commentId)}::uuid[],
        ${column((n) => n.conversationId)}::uuid[], ${column((n) => n.messageId)}::uuid[]
      ) AS t(id, recipient, kind, actor, post, comment, conversation, message)
    )`;
}

/**
 * Reactions aggregate: one notification per post, counting reactions since
 * the author last read it. A reaction after it was read re-opens it at 1.
 */
export async function notifyReaction(tx: Tx, outbox: Outbox, n: { recipientId: string; actorId: string; postId: string }): Promise<void> {
  if (!shouldNotify(n)) return;
  const [row] = await tx.$queryRaw<{ id: string }[]>`
    INSERT INTO "Notification" ("recipientId", kind, "actorId", "postId", "groupKey")
    VALUES (${n.recipientId}::uuid, 'REACTIONS_ON_POST', ${n.actorId}::uuid, ${n.postId}::uuid, ${`reactions:${n.postId}`})
    ON CONFLICT ("recipientId", "groupKey") DO UPDATE SET
      count = CASE WHEN "Notification"."readAt" IS NULL THEN "Notification".count + 1 ELSE 1 END,
      "actorId" = EXCLUDED."actorId", "readAt" = NULL, "updatedAt" = now()
    RETURNING id`;
  outbox.emit(streams.user(n.recipientId), NOTIFICATION_EVENT, { notificationId: row!.id });
}

export function createNotificationService(scope: RequestScope) {
  const { db, loaders } = scope;

  async function ownNotification(globalId: string, field: string): Promise<Notification> {
    const me = requireViewer(scope);
    const notification = await loaders.notification.load(expectGlobalId(globalId, 'Notification', field));
    if (!notification || !canMarkNotificationRead(me, notification)) throw notFound('Notification', field);
    return notification;
  }

  return {
    async byId(globalId: string): Promise<Notification | null> {
      if (!scope.viewer) return null;
      const notification = await loaders.notification.load(expectGlobalId(globalId, 'Notification', 'id'));
      return notification && canSeeNotification(scope.viewer, notification) ? notification : null;
    },

    async list(args: PageArgs): Promise<Connection<Notification>> {
      const own = ownNotificationsWhere(requireViewer(scope));
      return keysetPage<Notification>({
        args,
        sort: sorts.notifications,
        sortField: 'updatedAt',
        where: own,
        find: (q) => db.notification.findMany(q as Prisma.NotificationFindManyArgs),
        count: () => db.notification.count({ where: own }),
        prime: (n) => loaders.notification.prime(n.id, n),
      });
    },

    unreadCount(): Promise<number> {
      const own = ownNotificationsWhere(requireViewer(scope));
      return db.notification.count({ where: { ...own, readAt: null } });
    },

    async markRead(globalId: string): Promise<Notification> {
      const notification = await ownNotification(globalId, 'input.id');
      if (notification.readAt) return notification;
      return db.notification.update({ where: { id: notification.id }, data: { readAt: new Date() } });
    },

    async markAllRead(upTo?: Date | null): Promise<number> {
      const own = ownNotificationsWhere(requireViewer(scope));
      await db.notification.updateMany({
        where: { ...own, readAt: null, ...(upTo ? { updatedAt: { lte: upTo } } : {}) },
        data: { readAt: new Date() },
      });
      return db.notification.count({ where: { ...own, readAt: null } });
    },
  };
}
