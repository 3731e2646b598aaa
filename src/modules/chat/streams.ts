import { AsyncQueue } from '../../events/async-queue.ts';
import { createEventFeeds, sharedPerEvent, type SubscriberHooks } from '../../events/event-feed.ts';
import { RESYNC, SubscriberOverflowError } from '../../events/event-bus.ts';
import { streams, type StreamEvent } from '../../events/outbox.ts';
import { TYPING_TTL_MS, typingTopic } from '../../events/typing-throttle.ts';
import { requireViewer } from '../../auth/guards.ts';
import type { Message } from '../../db/generated/client.ts';
import type { Db } from '../../db/prisma.ts';
import type { RequestScope } from '../scope.ts';
import {
  CONVERSATION_EVENT,
  messageEventKind,
  readConversationEvent,
  type ConversationEventKind,
  type MessageEventKind,
} from './events.ts';
import { canSeeConversation, membersNow } from './policy.ts';
import type { ChatService } from './service.ts';

/**
 * What `messageEvents` delivers: the message as read after its event
 * arrived (null if it is gone). One object per event, shared by its subscribers.
 */
export interface MessageFeedEvent {
  cursor: string;
  kind: MessageEventKind;
  messageId: string;
  message: Message | null;
}

/** What `conversationEvents` delivers before membership is re-checked for the subscriber. */
export interface ConversationFeedEvent {
  cursor: string;
  kind: ConversationEventKind;
  conversationId: string;
}

export interface TypingSignal {
  conversationId: string;
  userId: string;
  typing: boolean;
  /** Epoch ms; null for `typing: false`. */
  expiresAt: number | null;
}

/**
 * Re-delivers the typing signals of others, and ends each "typing" when its
 * expiry passes. Expiry happens here, per subscriber, so it holds whichever
 * instance sent the signal.
 */
function typingSignals(
  live: AsyncIterableIterator<TypingSignal | typeof RESYNC>,
  viewerId: string,
  stillMember: () => Promise<boolean>,
  hooks: SubscriberHooks,
): AsyncGenerator<TypingSignal> {
  const queue = new AsyncQueue<TypingSignal>();
  const timers = new Map<string, NodeJS.Timeout>();
  // Pumps from subscribe time on, as expiry timers feed the same queue.
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
        if (signal.userId === viewerId) continue;
        clearTimeout(timers.get(signal.userId));
        timers.delete(signal.userId);
        if (signal.typing && signal.expiresAt !== null) {
          const expired: TypingSignal = { ...signal, typing: false, expiresAt: null };
          timers.set(
            signal.userId,
            setTimeout(() => queue.push(expired), Math.max(0, signal.expiresAt - Date.now())),
          );
        }
        if (!(await stillMember())) return;
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
}

/**
 * messageEvents' rules. One read of the member list and one of the message
 * per event for all its subscribers (sharedPerEvent says why that is fresh);
 * each subscriber checks its own membership in JS.
 */
function messageFeedRules(db: Db, conversationId: string, viewerId: string) {
  const membersOf = (e: StreamEvent) => sharedPerEvent(e, 'members', () => membersNow(db, conversationId));
  return {
    authorize: async (e: StreamEvent) => canSeeConversation((await membersOf(e)).get(viewerId) ?? null),
    map: (e: StreamEvent, cursor: () => string): Promise<MessageFeedEvent> | null => {
      const kind = messageEventKind(e.type);
      if (!kind) return null;
      const messageId = String(e.data.messageId);
      return sharedPerEvent(e, 'messageEvent', async () => ({
        cursor: cursor(),
        kind,
        messageId,
        message: await db.message.findUnique({ where: { id: messageId } }),
      }));
    },
  };
}

/** Chat's live streams: authorization at subscribe time and again for every event. */
export function createChatStreams(scope: RequestScope, chat: ChatService) {
  const feeds = createEventFeeds(scope);
  const { bus } = scope;

  return {
    async messageEvents(conversationGlobalId: string, after: string | null | undefined, hooks: SubscriberHooks = {}) {
      const me = requireViewer(scope);
      const { conversation } = await chat.asMember(conversationGlobalId, 'conversationId');
      return feeds.open<MessageFeedEvent>({
        stream: streams.conversation(conversation.id),
        after,
        hooks,
        ...messageFeedRules(scope.db, conversation.id, me.id),
      });
    },

    async conversationEvents(after: string | null | undefined, hooks: SubscriberHooks = {}) {
      const me = requireViewer(scope);
      return feeds.open<ConversationFeedEvent>({
        // The viewer's own stream: everything on it is theirs.
        stream: streams.user(me.id),
        after,
        hooks,
        authorize: async () => true,
        // One object per event: the viewer's other sockets share its execution.
        map: (e, cursor) =>
          e.type === CONVERSATION_EVENT
            ? sharedPerEvent(e, 'conversationEvent', () => ({ cursor: cursor(), ...readConversationEvent(e.data) }))
            : null,
      });
    },

    async typing(conversationGlobalId: string, hooks: SubscriberHooks = {}): Promise<AsyncGenerator<TypingSignal>> {
      const me = requireViewer(scope);
      const { conversation } = await chat.asMember(conversationGlobalId, 'conversationId');
      const live = bus.subscribe<TypingSignal>(typingTopic(conversation.id));
      return typingSignals(live, me.id, () => chat.isMember(conversation.id), hooks);
    },

    async setTyping(input: { conversationId: string; typing: boolean }): Promise<boolean> {
      const me = requireViewer(scope);
      const { conversation } = await chat.asMember(input.conversationId, 'input.conversationId');
      if (input.typing && !(await scope.realtime.typing.allow(conversation.id, me.id))) return false;
      const signal: TypingSignal = {
        conversationId: conversation.id,
        userId: me.id,
        typing: input.typing,
        expiresAt: input.typing ? Date.now() + TYPING_TTL_MS : null,
      };
      await bus.publish(typingTopic(conversation.id), signal);
      return true;
    },
  };
}
