import { renewContext, type GraphQLContext } from '../../server/context.ts';
import type { Comment, Message, Notification } from '../../db/generated/client.ts';
import { toGlobalId } from '../../lib/global-id.ts';
import { CLOSE_CODES } from '../../server/close-codes.ts';
import type { LiveHooks } from './live-service.ts';
import { visibleCommentById, visiblePostById } from '../posts/policy.ts';
import type { MutationResolvers, QueryResolvers, Resolvers, SubscriptionResolvers } from '../../graphql/resolvers.generated.ts';

// Chat, notifications, presence and subscriptions: thin, rules live in services.

const hooks = (context: GraphQLContext): LiveHooks => ({
  onOverflow: () => context.connection?.close(CLOSE_CODES.SUBSCRIPTION_QUEUE_OVERFLOW, 'Subscriber too slow: event queue overflowed'),
});

/** Each event resolves under fresh loaders, as the subscriber's own viewer. */
async function fresh<T>(context: GraphQLContext, load: (context: GraphQLContext) => Promise<T | null>, what: string): Promise<T> {
  renewContext(context);
  const value = await load(context);
  if (value === null) throw new Error(`${what} vanished`);
  return value;
}

export const realtimeQuery: QueryResolvers = {
  conversations: (_, args, { services }) => services.chat.list(args),
  conversation: (_, { id }, { services }) => services.chat.byId(id),
  notifications: (_, args, { services }) => services.notifications.list(args),
  unreadNotificationCount: (_, __, { services }) => services.notifications.unreadCount(),
};

export const realtimeMutation: MutationResolvers = {
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
  setTyping: async (_, { input }, { services }) => ({ accepted: await services.live.setTyping(input) }),
  markNotificationRead: async (_, { input }, { services }) => ({ notification: await services.notifications.markRead(input.id) }),
  markAllNotificationsRead: async (_, { input }, { services }) => ({
    unreadCount: await services.notifications.markAllRead(input?.upTo ?? null),
  }),
};

type Sub<E> = { subscribe: (...args: any[]) => any; resolve: (event: E, args: unknown, context: GraphQLContext) => unknown };
const sub = <E>(s: Sub<E>) => s as never;

export const realtimeSubscription: SubscriptionResolvers = {
  messageEvents: sub<{ cursor: string; kind: 'CREATED' | 'EDITED' | 'DELETED'; messageId: string }>({
    subscribe: (_: unknown, { conversationId, after }: { conversationId: string; after?: string | null }, context: GraphQLContext) =>
      context.services.live.messageEvents(conversationId, after, hooks(context)),
    resolve: async (event, _args, context) => ({
      cursor: event.cursor,
      kind: event.kind,
      message: await fresh(context, (c) => c.loaders.message.load(event.messageId), 'Message'),
    }),
  }),
  conversationEvents: sub<{ cursor: string; kind: 'ADDED' | 'REMOVED' | 'UPDATED' | 'NEW_MESSAGE'; conversationId: string }>({
    subscribe: (_: unknown, { after }: { after?: string | null }, context: GraphQLContext) =>
      context.services.live.conversationEvents(after, hooks(context)),
    resolve: async (event, _args, context) => {
      renewContext(context);
      const member = await context.loaders.membership.load(event.conversationId);
      const conversation = member ? await context.loaders.conversation.load(event.conversationId) : null;
      return { cursor: event.cursor, kind: event.kind, conversationId: event.conversationId, conversation };
    },
  }),
  notificationAdded: sub<{ cursor: string; notificationId: string }>({
    subscribe: (_: unknown, { after }: { after?: string | null }, context: GraphQLContext) =>
      context.services.live.notificationAdded(after, hooks(context)),
    resolve: async (event, _args, context) => ({
      cursor: event.cursor,
      notification: await fresh(context, (c) => c.loaders.notification.load(event.notificationId), 'Notification'),
    }),
  }),
  commentAdded: sub<{ cursor: string; commentId: string; comment: Comment }>({
    subscribe: (_: unknown, { postId, after }: { postId: string; after?: string | null }, context: GraphQLContext) =>
      context.services.live.commentAdded(postId, after, hooks(context)),
    // The service read the comment under the visibility rule just now.
    resolve: (event, _args, context) => {
      renewContext(context);
      context.loaders.comment.prime(event.commentId, event.comment);
      return { cursor: event.cursor, comment: event.comment };
    },
  }),
  typing: sub<{ conversationId: string; userId: string; typing: boolean; expiresAt: number | null }>({
    subscribe: (_: unknown, { conversationId }: { conversationId: string }, context: GraphQLContext) =>
      context.services.live.typing(conversationId, hooks(context)),
    resolve: (event) => ({ ...event, expiresAt: event.expiresAt === null ? null : new Date(event.expiresAt) }),
  }),
  presenceChanged: sub<{ userId: string; online: boolean; lastSeenAt: Date | null }>({
    subscribe: (_: unknown, { userIds }: { userIds: string[] }, context: GraphQLContext) =>
      context.services.live.presenceChanged(userIds, hooks(context)),
    resolve: (event) => event,
  }),
};

const connection = {
  nodes: <T>(parent: { edges: { node: T }[] }) => parent.edges.map((e) => e.node),
  totalCount: (parent: { totalCount: () => Promise<number> }) => parent.totalCount(),
};

const memberOf = async (context: GraphQLContext, conversationId: string | null) =>
  conversationId !== null && (await context.loaders.membership.load(conversationId)) !== null;

export const realtimeTypeResolvers: Resolvers = {
  ConversationConnection: connection,
  MessageConnection: connection,
  NotificationConnection: connection,

  User: {
    presence: (user, _, { services }) => services.presence.load(user.id),
  },

  Presence: {
    user: async (presence, _, { loaders }) => (await loaders.user.load(presence.userId))!,
  },

  Conversation: {
    id: (c) => toGlobalId('Conversation', c.id),
    members: (c, _, { loaders }) => loaders.conversationMembers.load(c.id),
    viewerIsAdmin: async (c, _, { loaders }) => (await loaders.membership.load(c.id))?.isAdmin ?? false,
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
    edited: (m: Message) => m.editedAt !== null,
    deleted: (m: Message) => m.deletedAt !== null,
  },

  Notification: {
    id: (n) => toGlobalId('Notification', n.id),
    actor: (n, _, { loaders }) => (n.actorId ? loaders.user.load(n.actorId) : null),
    post: (n, _, { loaders, viewer }) => (n.postId ? visiblePostById(loaders, viewer, n.postId) : null),
    comment: (n, _, { loaders, viewer }) => (n.commentId ? visibleCommentById(loaders, viewer, n.commentId) : null),
    conversation: async (n, _, context) =>
      (await memberOf(context, n.conversationId)) ? context.loaders.conversation.load(n.conversationId!) : null,
    message: async (n, _, context) =>
      n.messageId && (await memberOf(context, n.conversationId)) ? context.loaders.message.load(n.messageId) : null,
    read: (n: Notification) => n.readAt !== null,
  },

  TypingEvent: {
    conversationId: (e) => toGlobalId('Conversation', e.conversationId),
    user: async (e, _, { loaders }) => (await loaders.user.load(e.userId))!,
  },

  ConversationEvent: {
    conversationId: (e) => toGlobalId('Conversation', e.conversationId),
  },
};
