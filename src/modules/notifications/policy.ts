import type { Notification, Prisma } from '../../db/generated/client.ts';
import type { Viewer } from '../../auth/viewer.ts';

// Notifications are private: each is seen, counted and marked read by its
// recipient only. Anyone else is told NOT_FOUND (or gets null).

/** Only the recipient sees a notification. */
export function canSeeNotification(viewer: Pick<Viewer, 'id'> | null, notification: Pick<Notification, 'recipientId'>): boolean {
  return viewer !== null && notification.recipientId === viewer.id;
}

/** Only the recipient marks a notification read. */
export function canMarkNotificationRead(viewer: Pick<Viewer, 'id'> | null, notification: Pick<Notification, 'recipientId'>): boolean {
  return canSeeNotification(viewer, notification);
}

/** SQL twin of canSeeNotification for lists and counts: the viewer's own notifications. */
export function ownNotificationsWhere(viewer: Pick<Viewer, 'id'>): Prisma.NotificationWhereInput {
  return { recipientId: viewer.id };
}

/** Nobody is notified of their own actions. */
export function shouldNotify(n: { recipientId: string; actorId: string }): boolean {
  return n.recipientId !== n.actorId;
}
