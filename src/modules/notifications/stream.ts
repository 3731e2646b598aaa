import { createEventFeeds, sharedPerEvent, type SubscriberHooks } from '../../events/event-feed.ts';
import { streams } from '../../events/outbox.ts';
import { requireViewer } from '../../auth/guards.ts';
import type { RequestScope } from '../scope.ts';
import { NOTIFICATION_EVENT } from './service.ts';

/** What `notificationAdded` delivers before the notification is loaded for the subscriber. */
export interface NotificationFeedEvent {
  cursor: string;
  notificationId: string;
}

/** The viewer's new notifications, live and resumable. */
export function createNotificationStream(scope: RequestScope) {
  const feeds = createEventFeeds(scope);
  return {
    async notificationAdded(after: string | null | undefined, hooks: SubscriberHooks = {}) {
      const me = requireViewer(scope);
      return feeds.open<NotificationFeedEvent>({
        // The viewer's own stream: only their notifications are on it.
        stream: streams.user(me.id),
        after,
        hooks,
        authorize: async () => true,
        // One object per event: the viewer's other sockets share its execution.
        map: (e, cursor) =>
          e.type === NOTIFICATION_EVENT
            ? sharedPerEvent(e, 'notificationEvent', () => ({ cursor: cursor(), notificationId: String(e.data.notificationId) }))
            : null,
      });
    },
  };
}
