import { renewContext, type GraphQLContext } from '../../server/context.ts';
import { loadFresh, subscriberHooks } from '../../server/subscriber-context.ts';
import { toGlobalId } from '../../lib/global-id.ts';
import { connection } from '../../graphql/resolvers/connections.ts';
import type {
  MutationResolvers,
  QueryResolvers,
  Resolvers,
  SubscriptionConversationEventsArgs,
  SubscriptionMessageEventsArgs,
  SubscriptionResolvers,
} from '../../graphql/resolvers.generated.ts';
import { canAdministerGroup, canSeeConversation } from './policy.ts';
import type { ConversationFeedEvent, MessageFeedEvent, TypingSignal } from './streams.ts';

// Chat's API: thin, the rules are in policy.ts and asked by the service and loaders.

const Query: QueryResolvers = {
  conversations: (_, args, { services }) => services.chat.list(args),
  conversation: (_, { id }, { services }) => services.chat.byId(id),
};

const Mutation: MutationResolvers = {
  createDirectConversation: async (_, { input }, { services }) => ({ conversation: await services.chat.createDirect(input.userId) }),
  createGroupConversation: async (_, { input }, { services }) => ({ conversation: await services.chat.createGroup(input) }),
  updateConversation: async (_, { input }, { services }) => ({ conversation: await services.chat.update(input) }),
  addConversationMembers: async (_, { input }, { services }) => ({ conversation: await services.chat.addMembers(input) }),
  removeConversationMember: async (_, { input }, { services }) => ({ conversation: await services.chat.removeMember(input) }),
  setConversationAdmin: async (_, { input }, { services }) => ({ conversation: await services.chat.setAdmin(input) }),
  leaveConversation: async (_, { input }, { services }) => ({
    conversationId: toGlobalId('Conversation', await services.chat.leave(input.conversationId)),
  }),
  sendMessage: async (_, { input }, { services }) => ({ message: await services.chat.send(input) }),
  editMessage: async (_, { input }, { services }) => ({ message: await services.chat.edit(input) }),
  deleteMessage: async (_, { input }, { services }) => ({ message: await services.chat.remove(input.messageId) }),
  markConversationRead: async (_, { input }, { services }) => ({ conversation: await services.chat.markRead(input) }),
  setTyping: async (_, { input }, { services }) => ({ accepted: await services.chatStreams.setTyping(input) }),
};

const Subscription: SubscriptionResolvers = {
  messageEvents: {
    subscribe: (_, { conversationId, after }, context) =>
      context.services.chatStreams.messageEvents(conversationId, after, subscriberHooks(context)),
    // The stream read the message after the event arrived, once for all its subscribers.
    resolve: async (event: MessageFeedEvent, _args: SubscriptionMessageEventsArgs, context: GraphQLContext) => ({
      cursor: event.cursor,
      kind: event.kind,
      message: await loadFresh(
        context,
        async (c) => event.message && c.loaders.message.prime(event.messageId, event.message).load(event.messageId),
        'Message',
      ),
    }),
  },
  conversationEvents: {
    subscribe: (_, { after }, context) => context.services.chatStreams.conversationEvents(after, subscriberHooks(context)),
    // A REMOVED event reaches the former member with `conversation: null`.
    resolve: async (event: ConversationFeedEvent, _args: SubscriptionConversationEventsArgs, context: GraphQLContext) => {
      renewContext(context);
      const visible = canSeeConversation(await context.loaders.membership.load(event.conversationId));
      const conversation = visible ? await context.loaders.conversation.load(event.conversationId) : null;
      return { cursor: event.cursor, kind: event.kind, conversationId: event.conversationId, conversation };
    },
  },
  typing: {
    subscribe: (_, { conversationId }, context) => context.services.chatStreams.typing(conversationId, subscriberHooks(context)),
    resolve: (event: TypingSignal) => ({ ...event, expiresAt: event.expiresAt === null ? null : new Date(event.expiresAt) }),
  },
};

export const chatResolvers = {
  Query,
  Mutation,
  Subscription,
  types: {
    ConversationConnection: connection,
    MessageConnection: connection,

    Conversation: {
      id: (c) => toGlobalId('Conversation', c.id),
      members: (c, _, { loaders }) => loaders.conversationMembers.load(c.id),
      viewerIsAdmin: async (c, _, { loaders }) => canAdministerGroup(c, await loaders.membership.load(c.id)),
      viewerLastReadSeq: async (c, _, { loaders }) => (await loaders.membership.load(c.id))?.lastReadSeq ?? 0,
      unreadCount: (c, _, { loaders }) => loaders.unreadCount.load(c.id),
      lastMessage: (c, _, { loaders }) => loaders.lastMessage.load(c.id),
      messages: (c, args, { services }) => services.chat.messages(c.id, args),
    },

    ConversationMember: {
      user: async (m, _, { loaders }) => (await loaders.user.load(m.userId))!,
    },

    Message: {
      id: (m) => toGlobalId('Message', m.id),
      conversation: async (m, _, { loaders }) => (await loaders.conversation.load(m.conversationId))!,
      sender: async (m, _, { loaders }) => (await loaders.user.load(m.senderId))!,
      replyTo: (m, _, { loaders }) => (m.replyToId ? loaders.message.load(m.replyToId) : null),
      edited: (m) => m.editedAt !== null,
      deleted: (m) => m.deletedAt !== null,
    },

    TypingEvent: {
      conversationId: (e) => toGlobalId('Conversation', e.conversationId),
      user: async (e, _, { loaders }) => (await loaders.user.load(e.userId))!,
    },

    ConversationEvent: {
      conversationId: (e) => toGlobalId('Conversation', e.conversationId),
    },
  } satisfies Resolvers,
};
