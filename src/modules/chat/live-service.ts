import { postPublishedTopic } from '../../events/topics.ts';
import { badInput } from '../../lib/errors.ts';
import { expectGlobalId } from '../../lib/global-id.ts';
import { AsyncQueue } from '../../events/async-queue.ts';
import { durableStream } from '../../events/durable-stream.ts';
import { RESYNC, SubscriberOverflowError } from '../../events/event-bus.ts';
import type { TokenService } from '../../auth/tokens.ts';
import type { Post } from '../../db/generated/client.ts';
import { createEventCursors, type EventCursors } from '../../events/event-cursors.ts';
import { assertResumable, streams, type StreamEvent } from '../../events/outbox.ts';
import { presenceTopic, type PresenceState } from '../../events/presence-store.ts';
import { TYPING_TTL_MS, typingTopic } from '../../events/typing-throttle.ts';
import { CONVERSATION_EVENT, MessageEventType, type createChatService } from './service.ts';
import type { RequestScope } from '../scope.ts';
import { NOTIFICATION_EVENT } from '../notifications/service.ts';
import type { createPostService } from '../posts/service.ts';
import { canSeePost, readVisibleComment } from '../posts/policy.ts';
import { requireViewer } from '../../auth/guards.ts';

export const MAX_PRESENCE_USERS = 100;

export interface PublishedPost {
  postId: string;
  post?: Post;
}

const cursorCodecs = new WeakMap<TokenService, EventCursors>();

/** One cursor codec per deployment key (deriving it costs an HMAC). */
function eventCursorsOf(tokens: TokenService): EventCursors {
  let codec = cursorCodecs.get(tokens);
  if (!codec) cursorCodecs.set(tokens, (codec = createEventCursors(tokens.deriveKey('event-cursor'))));
  return codec;
}

export interface TypingSignal {
  conversationId: string;
  userId: string;
  typing: boolean;
  /** Epoch ms; null for `typing: false`. */
  expiresAt: number | null;
}

/** Hooks a subscription gets from its socket. */
export interface LiveHooks {
  /** The subscription's queue overflowed: the socket closes with 4292. */
  onOverflow?: () => void;
}

const MESSAGE_KINDS: Record<string, 'CREATED' | 'EDITED' | 'DELETED'> = {
  [MessageEventType.CREATED]: 'CREATED',
  [MessageEventType.EDITED]: 'EDITED',
  [MessageEventType.DELETED]: 'DELETED',
};

/** Maps a stream's events; null skips one (not of this subscription's kind, or not visible to its viewer). */
async function* mapEvents<T>(source: AsyncGenerator<StreamEvent>, map: (event: StreamEvent) => T | null | Promise<T | null>): AsyncGenerator<T> {
  try {
    for await (const event of source) {
      const mapped = await map(event);
      if (mapped !== null) yield mapped;
    }
  } finally {
    await source.return(undefined);
  }
}

/** Subscriptions: authorization at subscribe time and again for every event. */
export function createLiveService(
  scope: RequestScope,
  chat: ReturnType<typeof createChatService>,
  posts: ReturnType<typeof createPostService>,
) {
  const { db, bus, realtime } = scope;
  const cursors = eventCursorsOf(scope.tokens);
  const cursor = (event: StreamEvent) => cursors.encode(event.stream, event.seq);
  const resumeFrom = async (stream: string, after: string | null | undefined): Promise<number | null> => {
    if (after == null) return null;
    const seq = cursors.decode(after, stream);
    await assertResumable(db, stream, seq);
    return seq;
  };

  return {
    async messageEvents(conversationGlobalId: string, after: string | null | undefined, hooks: LiveHooks = {}) {
      const { conversation } = await chat.asMember(conversationGlobalId, 'conversationId');
      const stream = streams.conversation(conversation.id);
      const afterSeq = await resumeFrom(stream, after);
      const source = durableStream({ bus, db, stream, afterSeq, onOverflow: hooks.onOverflow, authorize: () => chat.isMember(conversation.id) });
      return mapEvents(source, (e) => {
        const kind = MESSAGE_KINDS[e.type];
        return kind ? { cursor: cursor(e), kind, messageId: String(e.data.messageId) } : null;
      });
    },

    async conversationEvents(after: string | null | undefined, hooks: LiveHooks = {}) {
      const me = requireViewer(scope);
      const stream = streams.user(me.id);
      const afterSeq = await resumeFrom(stream, after);
      const source = durableStream({ bus, db, stream, afterSeq, onOverflow: hooks.onOverflow, authorize: async () => true });
      return mapEvents(source, (e) =>
        e.type === CONVERSATION_EVENT
          ? { cursor: cursor(e), kind: e.data.kind as 'ADDED' | 'REMOVED' | 'UPDATED' | 'NEW_MESSAGE', conversationId: String(e.data.conversationId) }
          : null,
      );
    },

    async notificationAdded(after: string | null | undefined, hooks: LiveHooks = {}) {
      const me = requireViewer(scope);
      const stream = streams.user(me.id);
      const afterSeq = await resumeFrom(stream, after);
      const source = durableStream({ bus, db, stream, afterSeq, onOverflow: hooks.onOverflow, authorize: async () => true });
      return mapEvents(source, (e) =>
        e.type === NOTIFICATION_EVENT ? { cursor: cursor(e), notificationId: String(e.data.notificationId) } : null,
      );
    },

    async commentAdded(postGlobalId: string, after: string | null | undefined, hooks: LiveHooks = {}) {
      const post = await posts.visiblePost(postGlobalId, 'postId');
      const stream = streams.post(post.id);
      const afterSeq = await resumeFrom(stream, after);
      const stillVisible = async () => {
        const fresh = await db.post.findUnique({ where: { id: post.id }, select: { status: true, authorId: true, hiddenAt: true } });
        return fresh !== null && canSeePost(scope.viewer, fresh);
      };
      const source = durableStream({ bus, db, stream, afterSeq, onOverflow: hooks.onOverflow, authorize: stillVisible });
      // Replayed and live events pass the same rule: a comment hidden since is skipped.
      return mapEvents(source, async (e) => {
        if (e.type !== 'COMMENT_ADDED') return null;
        const comment = await readVisibleComment(db, scope.viewer, String(e.data.commentId));
        return comment ? { cursor: cursor(e), commentId: comment.id, comment } : null;
      });
    },

    /** Posts an author publishes, each only if the subscriber may see it (a hidden post republished is not announced to others). */
    async postPublished(authorGlobalId: string): Promise<AsyncGenerator<PublishedPost>> {
      const authorId = expectGlobalId(authorGlobalId, 'User', 'authorId');
      const live = bus.subscribe<PublishedPost>(postPublishedTopic(authorId));
      return (async function* () {
        try {
          for await (const event of live) {
            if (event === RESYNC) continue; // ephemeral: nothing to replay
            // The committed row travels with the event; its status and hiddenAt are what the rule needs.
            const post = event.post ?? (await db.post.findUnique({ where: { id: event.postId } }));
            if (post && canSeePost(scope.viewer, post)) yield event;
          }
        } finally {
          await live.return?.();
        }
      })();
    },

    async typing(conversationGlobalId: string, hooks: LiveHooks = {}): Promise<AsyncGenerator<TypingSignal>> {
      const me = requireViewer(scope);
      const { conversation } = await chat.asMember(conversationGlobalId, 'conversationId');
      const live = bus.subscribe<TypingSignal>(typingTopic(conversation.id));
      const queue = new AsyncQueue<TypingSignal>();
      const timers = new Map<string, NodeJS.Timeout>();
      void (async () => {
        try {
          for await (const signal of live) if (signal !== RESYNC) queue.push(signal);
          queue.end();
        } catch (error) {
          queue.fail(error as Error);
        }
      })();
      return (async function* () {
        try {
          for await (const signal of queue) {
            if (signal.userId === me.id) continue;
            clearTimeout(timers.get(signal.userId));
            timers.delete(signal.userId);
            if (signal.typing && signal.expiresAt !== null) {
              // Expiry happens here, per subscriber, so it holds whichever instance sent the signal.
              const expired: TypingSignal = { ...signal, typing: false, expiresAt: null };
              timers.set(signal.userId, setTimeout(() => queue.push(expired), Math.max(0, signal.expiresAt - Date.now())));
            }
            if (!(await chat.isMember(conversation.id))) return;
            yield signal;
          }
        } catch (error) {
          if (error instanceof SubscriberOverflowError) hooks.onOverflow?.();
          throw error;
        } finally {
          for (const t of timers.values()) clearTimeout(t);
          queue.end();
          await live.return?.();
        }
      })();
    },

    async setTyping(input: { conversationId: string; typing: boolean }): Promise<boolean> {
      const me = requireViewer(scope);
      const { conversation } = await chat.asMember(input.conversationId, 'input.conversationId');
      if (input.typing && !(await realtime.typing.allow(conversation.id, me.id))) return false;
      const signal: TypingSignal = {
        conversationId: conversation.id,
        userId: me.id,
        typing: input.typing,
        expiresAt: input.typing ? Date.now() + TYPING_TTL_MS : null,
      };
      await bus.publish(typingTopic(conversation.id), signal);
      return true;
    },

    async presenceChanged(userGlobalIds: readonly string[], hooks: LiveHooks = {}): Promise<AsyncGenerator<PresenceState>> {
      if (userGlobalIds.length > MAX_PRESENCE_USERS) throw badInput('userIds', `At most ${MAX_PRESENCE_USERS} users`);
      const ids = [...new Set(userGlobalIds.map((g, i) => expectGlobalId(g, 'User', `userIds.${i}`)))];
      const queue = new AsyncQueue<string>();
      const lives = ids.map((id) => bus.subscribe<{ userId: string }>(presenceTopic(id)));
      for (const live of lives) {
        void (async () => {
          try {
            for await (const e of live) queue.push(e === RESYNC ? '*' : e.userId);
          } catch (error) {
            queue.fail(error as Error);
          }
        })();
      }
      const presence = realtime.presence;
      return (async function* () {
        const seen = new Map<string, string>();
        const changed = async function* (userIds: string[]) {
          const states = await presence.get(userIds);
          for (const state of states.values()) {
            const key = `${state.online}|${state.lastSeenAt?.getTime() ?? ''}`;
            if (seen.get(state.userId) === key) continue;
            seen.set(state.userId, key);
            yield state;
          }
        };
        try {
          // Live first, then the current state: no change can fall in between.
          await Promise.all(ids.map((id) => bus.subscribed(presenceTopic(id))));
          yield* changed(ids);
          for await (const userId of queue) yield* changed(userId === '*' ? ids : [userId]);
        } catch (error) {
          if (error instanceof SubscriberOverflowError) hooks.onOverflow?.();
          throw error;
        } finally {
          queue.end();
          await Promise.all(lives.map((l) => l.return?.()));
        }
      })();
    },
  };
}
