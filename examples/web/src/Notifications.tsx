import { useMutation, useQuery } from '@apollo/client/react';
import type { NotificationsQuery } from './gql/graphql.ts';
import { MARK_ALL_NOTIFICATIONS_READ, NOTIFICATIONS } from './operations.ts';
import { timeAgo } from './time.ts';

type Notification = NotificationsQuery['notifications']['nodes'][number];

function describe(n: Notification): string {
  const who = n.actor ? `@${n.actor.username}` : 'Someone';
  switch (n.kind) {
    case 'NEW_FOLLOWER':
      return `${who} followed you`;
    case 'COMMENT_ON_POST':
      return `${who} commented on “${n.post?.title ?? 'your post'}”`;
    case 'REPLY_TO_COMMENT':
      return `${who} replied to your comment`;
    case 'REACTIONS_ON_POST':
      return `${who}${n.count > 1 ? ` and ${n.count - 1} others` : ''} reacted to “${n.post?.title ?? 'your post'}”`;
    case 'MENTION':
      return `${who} mentioned you`;
    case 'ADDED_TO_CONVERSATION':
      return `${who} added you to ${n.conversation?.title ?? 'a conversation'}`;
  }
}

export function Notifications({ onRead }: { onRead: () => void }) {
  const { data, loading, error } = useQuery(NOTIFICATIONS, { variables: { first: 30 }, fetchPolicy: 'cache-and-network' });
  const [markAll, { loading: marking }] = useMutation(MARK_ALL_NOTIFICATIONS_READ, {
    refetchQueries: [NOTIFICATIONS],
    onCompleted: onRead,
  });
  if (error) return <p className="error">{error.message}</p>;
  if (loading && !data) return <p className="muted">Loading…</p>;
  const items = data?.notifications.nodes ?? [];
  return (
    <section className="notifications">
      <header className="row">
        <h2>Notifications</h2>
        <button type="button" onClick={() => void markAll()} disabled={marking || data?.unreadNotificationCount === 0}>
          Mark all read
        </button>
      </header>
      {items.length === 0 && <p className="muted">Nothing yet.</p>}
      <ul>
        {items.map((n) => (
          <li key={n.id} className={n.read ? 'card notification' : 'card notification unread'}>
            {describe(n)} <span className="muted small">· {timeAgo(n.updatedAt)}</span>
          </li>
        ))}
      </ul>
    </section>
  );
}
