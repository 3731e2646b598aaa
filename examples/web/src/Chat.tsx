import { useApolloClient, useMutation, useQuery } from '@apollo/client/react';
import { type FormEvent, useEffect, useRef, useState } from 'react';
import type { Viewer } from './auth.ts';
import type { ConversationRowFragment } from './gql/graphql.ts';
import { useLiveSubscription } from './live.ts';
import {
  CONVERSATION,
  CONVERSATION_EVENTS,
  CONVERSATIONS,
  MARK_READ,
  MESSAGE_EVENTS,
  PRESENCE_CHANGED,
  SEND_MESSAGE,
  SET_TYPING,
  TYPING,
} from './operations.ts';
import { timeAgo } from './time.ts';

const LIST_PAGE = 30;
const MESSAGE_PAGE = 30;
// The server throttles typing signals to one per 2 s and expires them after 6 s.
const TYPING_RENEW_MS = 3_000;
const TYPING_IDLE_MS = 4_000;
const TYPING_THROTTLE_MS = 2_000;

function titleOf(conversation: ConversationRowFragment, viewer: Viewer): string {
  if (conversation.title) return conversation.title;
  const others = conversation.members.filter((m) => m.user.id !== viewer.id);
  return others.map((m) => m.user.name).join(', ') || 'Just you';
}

export function Chat({ viewer }: { viewer: Viewer }) {
  const [openId, setOpenId] = useState<string | null>(null);
  const client = useApolloClient();
  const { data, loading, error, refetch } = useQuery(CONVERSATIONS, { variables: { first: LIST_PAGE } });

  // The list stays live: rows update in the normalized cache by themselves;
  // conversations we join or leave are added to or removed from the list.
  useLiveSubscription(
    CONVERSATION_EVENTS,
    {},
    ({ conversationEvents: event }) => {
      client.cache.updateQuery({ query: CONVERSATIONS, variables: { first: LIST_PAGE } }, (current) => {
        if (!current) return current;
        const edges = current.conversations.edges.filter((e) => e.node.id !== event.conversationId);
        if (event.kind === 'REMOVED' || !event.conversation) return { ...current, conversations: { ...current.conversations, edges } };
        if (edges.length !== current.conversations.edges.length) return current;
        const edge = { __typename: 'ConversationEdge' as const, cursor: event.cursor, node: event.conversation };
        return { ...current, conversations: { ...current.conversations, edges: [edge, ...edges] } };
      });
      if (event.kind === 'REMOVED' && event.conversationId === openId) setOpenId(null);
    },
    { cursorOf: (d) => d.conversationEvents.cursor, onResync: () => void refetch() },
  );

  if (error) return <p className="error">{error.message}</p>;
  const conversations = [...(data?.conversations.edges ?? [])]
    .map((e) => e.node)
    .sort((a, b) => Date.parse(b.lastActivityAt) - Date.parse(a.lastActivityAt));
  return (
    <section className="chat">
      <aside className="conversations" data-testid="conversation-list">
        {loading && !data && <p className="muted">Loading…</p>}
        {conversations.map((c) => (
          <button
            key={c.id}
            type="button"
            className={c.id === openId ? 'conversation active' : 'conversation'}
            onClick={() => setOpenId(c.id)}
            data-testid="conversation"
            data-conversation-id={c.id}
          >
            <span className="row">
              <strong className="name">{titleOf(c, viewer)}</strong>
              {c.unreadCount > 0 && (
                <span className="badge" data-testid="unread">
                  {c.unreadCount}
                </span>
              )}
            </span>
            <span className="muted preview">
              {c.lastMessage
                ? `${c.lastMessage.sender.username}: ${c.lastMessage.deleted ? 'deleted' : c.lastMessage.body}`
                : 'No messages yet'}
            </span>
          </button>
        ))}
      </aside>
      {openId ? <ConversationView key={openId} id={openId} viewer={viewer} /> : <p className="muted placeholder">Pick a conversation.</p>}
    </section>
  );
}

function ConversationView({ id, viewer }: { id: string; viewer: Viewer }) {
  const variables = { id, last: MESSAGE_PAGE };
  const { data, loading, error, fetchMore, refetch, client } = useQuery(CONVERSATION, { variables });
  const conversation = data?.conversation;
  const messages = conversation?.messages.edges.map((e) => e.node) ?? [];
  const others = conversation?.members.filter((m) => m.user.id !== viewer.id).map((m) => m.user) ?? [];
  const [readAtOpen, setReadAtOpen] = useState<number | null>(null);
  if (conversation && readAtOpen === null) setReadAtOpen(conversation.viewerLastReadSeq);

  useLiveSubscription(
    MESSAGE_EVENTS,
    { conversationId: id },
    ({ messageEvents: event }) => {
      // Edits and deletions update the Message entry in place; a new one is appended.
      if (event.kind !== 'CREATED') return;
      client.cache.updateQuery({ query: CONVERSATION, variables }, (current) => {
        if (!current?.conversation) return current;
        const { messages: page } = current.conversation;
        if (page.edges.some((e) => e.node.id === event.message.id)) return current;
        const edge = { __typename: 'MessageEdge' as const, cursor: event.cursor, node: event.message };
        return { ...current, conversation: { ...current.conversation, messages: { ...page, edges: [...page.edges, edge] } } };
      });
    },
    { cursorOf: (d) => d.messageEvents.cursor, onResync: () => void refetch() },
  );

  useMarkRead(id, conversation, messages.at(-1));
  const typing = useTypingUsers(id);
  const presence = usePresence(others.map((u) => u.id));

  const bottom = useRef<HTMLDivElement>(null);
  const lastId = messages.at(-1)?.id;
  useEffect(() => {
    if (lastId) bottom.current?.scrollIntoView({ block: 'end' });
  }, [lastId]);

  if (error) return <p className="error">{error.message}</p>;
  if (loading && !data) return <p className="muted placeholder">Loading…</p>;
  if (!conversation) return <p className="muted placeholder">This conversation is not available.</p>;
  const pageInfo = conversation.messages.pageInfo;
  return (
    <div className="conversation-view" data-testid="conversation-view">
      <header>
        <h2>{titleOf(conversation, viewer)}</h2>
        <span className="presence">
          {others.map((u) => {
            const p = presence.get(u.id);
            return (
              <span key={u.id} className={p?.online ? 'online' : 'offline'} data-testid="presence" data-online={p?.online ?? false}>
                {u.username} {p?.online ? 'online' : p?.lastSeenAt ? `seen ${timeAgo(p.lastSeenAt)}` : 'offline'}
              </span>
            );
          })}
        </span>
      </header>
      <ol className="messages" data-testid="messages">
        {pageInfo.hasPreviousPage && (
          <li>
            <button type="button" className="link" onClick={() => void fetchMore({ variables: { before: pageInfo.startCursor } })}>
              Earlier messages
            </button>
          </li>
        )}
        {messages.map((m, index) => (
          <li key={m.id} className={m.sender.id === viewer.id ? 'message mine' : 'message'} data-testid="message">
            {readAtOpen !== null && m.seq > readAtOpen && (messages[index - 1]?.seq ?? 0) <= readAtOpen && (
              <div className="divider">New</div>
            )}
            <span className="sender">{m.sender.name}</span>
            <span className={m.deleted ? 'body deleted' : 'body'}>{m.deleted ? 'Message deleted' : m.body}</span>
            <span className="muted small">
              {timeAgo(m.createdAt)}
              {m.edited && ' · edited'}
            </span>
          </li>
        ))}
        <div ref={bottom} />
      </ol>
      <p className="typing" data-testid="typing">
        {typing.length > 0 && `${typing.join(', ')} ${typing.length === 1 ? 'is' : 'are'} typing…`}
      </p>
      <Composer conversationId={id} />
    </div>
  );
}

/**
 * Moves the read marker to the newest message shown while the conversation is
 * open and the page visible. Also when the unread count comes back above zero:
 * a list event resolved just before our last mark may arrive just after it.
 */
function useMarkRead(
  conversationId: string,
  conversation: { viewerLastReadSeq: number; unreadCount: number } | null | undefined,
  newest: { id: string; seq: number } | undefined,
) {
  const [markRead] = useMutation(MARK_READ);
  const [visible, setVisible] = useState(() => document.visibilityState === 'visible');
  useEffect(() => {
    const onChange = () => setVisible(document.visibilityState === 'visible');
    document.addEventListener('visibilitychange', onChange);
    return () => document.removeEventListener('visibilitychange', onChange);
  }, []);
  const newestId = newest?.id;
  const newestSeq = newest?.seq;
  const readSeq = conversation?.viewerLastReadSeq;
  const unread = conversation?.unreadCount;
  useEffect(() => {
    if (!visible || !newestId || newestSeq === undefined || readSeq === undefined || unread === undefined) return;
    if (newestSeq <= readSeq && unread === 0) return;
    void markRead({ variables: { input: { conversationId, upTo: newestId } } });
  }, [visible, newestId, newestSeq, readSeq, unread, conversationId, markRead]);
}

function useTypingUsers(conversationId: string): string[] {
  const [typing, setTyping] = useState<Map<string, { username: string; until: number }>>(new Map());
  useLiveSubscription(TYPING, { conversationId }, ({ typing: event }) => {
    setTyping((current) => {
      const next = new Map(current);
      if (event.typing && event.expiresAt) next.set(event.user.id, { username: event.user.username, until: Date.parse(event.expiresAt) });
      else next.delete(event.user.id);
      return next;
    });
  });
  // The server sends `false` on expiry too; this only guards against a lost socket.
  useEffect(() => {
    if (typing.size === 0) return;
    const soonest = Math.min(...[...typing.values()].map((t) => t.until));
    const timer = setTimeout(
      () => setTyping((current) => new Map([...current].filter(([, t]) => t.until > Date.now()))),
      Math.max(soonest - Date.now(), 0) + 500,
    );
    return () => clearTimeout(timer);
  }, [typing]);
  return [...typing.values()].map((t) => t.username);
}

function usePresence(userIds: string[]): Map<string, { online: boolean; lastSeenAt: string | null }> {
  const [presence, setPresence] = useState(new Map<string, { online: boolean; lastSeenAt: string | null }>());
  useLiveSubscription(
    PRESENCE_CHANGED,
    { userIds },
    ({ presenceChanged: p }) => setPresence((current) => new Map(current).set(p.user.id, { online: p.online, lastSeenAt: p.lastSeenAt })),
    { skip: userIds.length === 0 },
  );
  return presence;
}

function Composer({ conversationId }: { conversationId: string }) {
  const [body, setBody] = useState('');
  const [send, { loading, error }] = useMutation(SEND_MESSAGE);
  const [setTyping] = useMutation(SET_TYPING);
  const typingSince = useRef(0);
  const idle = useRef<ReturnType<typeof setTimeout>>(undefined);
  const retry = useRef<ReturnType<typeof setTimeout>>(undefined);

  const startTyping = async () => {
    typingSince.current = Date.now();
    const result = await setTyping({ variables: { input: { conversationId, typing: true } } }).catch(() => null);
    // Dropped by the server's throttle (a stop and a restart within 2 s): signal again once the window has passed.
    if (result?.data?.setTyping.accepted === false && typingSince.current !== 0) {
      retry.current = setTimeout(() => void startTyping(), TYPING_THROTTLE_MS);
    }
  };

  const stopTyping = () => {
    clearTimeout(idle.current);
    clearTimeout(retry.current);
    if (typingSince.current === 0) return;
    typingSince.current = 0;
    void setTyping({ variables: { input: { conversationId, typing: false } } });
  };
  useEffect(
    () => () => {
      clearTimeout(idle.current);
      clearTimeout(retry.current);
    },
    [],
  );

  const onChange = (text: string) => {
    setBody(text);
    if (!text) return stopTyping();
    if (Date.now() - typingSince.current > TYPING_RENEW_MS) void startTyping();
    clearTimeout(idle.current);
    idle.current = setTimeout(stopTyping, TYPING_IDLE_MS);
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const text = body.trim();
    if (!text) return;
    stopTyping();
    // One key per message: a retried send never posts twice.
    const result = await send({ variables: { input: { conversationId, body: text, idempotencyKey: crypto.randomUUID() } } }).catch(
      () => null,
    );
    if (result?.data) setBody('');
  };

  return (
    <form className="composer" onSubmit={submit}>
      <input
        name="message"
        placeholder="Write a message…"
        value={body}
        onChange={(e) => onChange(e.target.value)}
        onBlur={stopTyping}
        maxLength={4000}
        autoComplete="off"
      />
      <button type="submit" disabled={loading || !body.trim()}>
        Send
      </button>
      {error && <p className="error">{error.message}</p>}
    </form>
  );
}
