import { loadFresh, subscriberHooks } from '../../server/subscriber-context.ts';
import type { GraphQLContext } from '../../server/context.ts';
import { toGlobalId } from '../../lib/global-id.ts';
import { connection } from '../../graphql/resolvers/connections.ts';
import type {
  MutationResolvers,
  QueryResolvers,
  Resolvers,
  SubscriptionNotificationAddedArgs,
  SubscriptionResolvers,
} from '../../graphql/resolvers.generated.ts';
import { canSeeConversation, canSeeMessage } from '../chat/policy.ts';
import { visibleCommentById, visiblePostById } from '../posts/policy.ts';
import type { NotificationFeedEvent } from './stream.ts';

// Notifications' API: thin, the rules are in policy.ts (and, for what a
// notification points at, in the posts and chat policies).

const Query: QueryResolvers = {
  notifications: (_, args, { services }) => services.notifications.list(args),
  unreadNotificationCount: (_, __, { services }) => services.notifications.unreadCount(),
};

const Mutation: MutationResolvers = {
  markNotificationRead: async (_, { input }, { services }) => ({ notification: await services.notifications.markRead(input.id) }),
  markAllNotificationsRead: async (_, { input }, { services }) => ({
    unreadCount: await services.notifications.markAllRead(input?.upTo ?? null),
  }),
};

const Subscription: SubscriptionResolvers = {
  notificationAdded: {
    subscribe: (_, { after }, context) => context.services.notificationStream.notificationAdded(after, subscriberHooks(context)),
    resolve: async (event: NotificationFeedEvent, _args: SubscriptionNotificationAddedArgs, context: GraphQLContext) => ({
      cursor: event.cursor,
      notification: await loadFresh(context, (c) => c.loaders.notification.load(event.notificationId), 'Notification'),
    }),
  },
};

/** The viewer's membership of the conversation a notification points at, as the chat policy sees it. */
async function membershipOf(context: GraphQLContext, conversationId: string | null) {
  return conversationId === null ? null : context.loaders.membership.load(conversationId);
}

export const notificationResolvers = {
  Query,
  Mutation,
  Subscription,
  types: {
    NotificationConnection: connection,

    Notification: {
      id: (n) => toGlobalId('Notification', n.id),
      actor: (n, _, { loaders }) => (n.actorId ? loaders.user.load(n.actorId) : null),
      post: (n, _, { loaders, viewer }) => (n.postId ? visiblePostById(loaders, viewer, n.postId) : null),
      comment: (n, _, { loaders, viewer }) => (n.commentId ? visibleCommentById(loaders, viewer, n.commentId) : null),
      conversation: async (n, _, context) =>
        n.conversationId && canSeeConversation(await membershipOf(context, n.conversationId))
          ? context.loaders.conversation.load(n.conversationId)
          : null,
      message: async (n, _, context) =>
        n.messageId && canSeeMessage(await membershipOf(context, n.conversationId)) ? context.loaders.message.load(n.messageId) : null,
      read: (n) => n.readAt !== null,
    },
  } satisfies Resolvers,
};
