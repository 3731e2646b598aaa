import { useApolloClient, useMutation, useQuery } from '@apollo/client/react';
import { useEffect, useState, useSyncExternalStore } from 'react';
import { auth, type Viewer } from './auth.ts';
import { Chat } from './Chat.tsx';
import { Feed } from './Feed.tsx';
import { useLiveSubscription } from './live.ts';
import { Login } from './Login.tsx';
import { Notifications } from './Notifications.tsx';
import { LOG_OUT, ME, NOTIFICATION_ADDED } from './operations.ts';

type Tab = 'feed' | 'chat' | 'notifications';

function subscribeViewer(onChange: () => void) {
  return auth.subscribe(onChange);
}

function useViewer(): { viewer: Viewer | null; restoring: boolean } {
  const viewer = useSyncExternalStore(subscribeViewer, () => auth.viewer);
  // A stored refresh token restores the session after a reload.
  const [restoring, setRestoring] = useState(() => !auth.viewer && auth.hasRefreshToken());
  useEffect(() => {
    if (!restoring) return;
    void auth.refresh().finally(() => setRestoring(false));
  }, [restoring]);
  return { viewer, restoring };
}

export function App() {
  const { viewer, restoring } = useViewer();
  const client = useApolloClient();
  useEffect(
    () =>
      auth.subscribe((_, reason) => {
        // Nothing of one account may show up for the next.
        if (reason === 'signed-out') void client.clearStore();
      }),
    [client],
  );
  if (restoring) return <p className="splash">Loading…</p>;
  if (!viewer) return <Login />;
  return <Shell key={viewer.id} viewer={viewer} />;
}

function Shell({ viewer }: { viewer: Viewer }) {
  const [tab, setTab] = useState<Tab>('feed');
  const { data, refetch } = useQuery(ME);
  // The badge stays live: a new (or bumped) notification refreshes the count.
  useLiveSubscription(NOTIFICATION_ADDED, {}, () => void refetch(), {
    cursorOf: (d) => d.notificationAdded.cursor,
    onResync: () => void refetch(),
  });
  const [logOut] = useMutation(LOG_OUT);
  const unread = data?.unreadNotificationCount ?? 0;

  const signOut = async () => {
    await logOut().catch(() => undefined);
    auth.signOut();
  };

  return (
    <div className="shell">
      <header className="topbar">
        <span className="brand">Agora</span>
        <nav>
          <button type="button" className={tab === 'feed' ? 'active' : ''} onClick={() => setTab('feed')}>
            Feed
          </button>
          <button type="button" className={tab === 'chat' ? 'active' : ''} onClick={() => setTab('chat')} data-testid="nav-chat">
            Chats
          </button>
          <button
            type="button"
            className={tab === 'notifications' ? 'active' : ''}
            onClick={() => setTab('notifications')}
            data-testid="nav-notifications"
            aria-label={`Notifications, ${unread} unread`}
          >
            Notifications
            {unread > 0 && (
              <span className="badge" data-testid="notification-badge">
                {unread}
              </span>
            )}
          </button>
        </nav>
        <span className="viewer" data-testid="viewer">
          @{viewer.username}
        </span>
        <button type="button" className="link" onClick={signOut}>
          Log out
        </button>
      </header>
      <main>
        {tab === 'feed' && <Feed />}
        {tab === 'chat' && <Chat viewer={viewer} />}
        {tab === 'notifications' && <Notifications onRead={() => void refetch()} />}
      </main>
    </div>
  );
}
