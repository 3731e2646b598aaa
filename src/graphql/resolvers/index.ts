import type { Resolvers } from '../resolvers.generated.ts';
import { connectionResolvers } from './connections.ts';
import { Mutation } from './mutation.ts';
import { nodeTypeResolvers } from './node-types.ts';
import { Query } from './query.ts';
import { rateLimitQuery } from './rate-limit.ts';
import { DateTime } from './scalars.ts';
import { chatResolvers } from '../../modules/chat/resolvers.ts';
import { notificationResolvers } from '../../modules/notifications/resolvers.ts';
import { presenceResolvers } from '../../modules/presence/resolvers.ts';
import { postStreamSubscription } from '../../modules/posts/live.ts';
import { Subscription } from './subscription.ts';

export const resolvers: Resolvers = {
  DateTime,
  Query: { ...Query, ...chatResolvers.Query, ...notificationResolvers.Query, ...rateLimitQuery },
  Mutation: { ...Mutation, ...chatResolvers.Mutation, ...notificationResolvers.Mutation },
  Subscription: { ...Subscription, ...chatResolvers.Subscription, ...notificationResolvers.Subscription, ...presenceResolvers.Subscription, ...postStreamSubscription },
  ...nodeTypeResolvers,
  ...connectionResolvers,
  ...chatResolvers.types,
  ...notificationResolvers.types,
  ...presenceResolvers.types,
  User: { ...nodeTypeResolvers.User, ...presenceResolvers.types.User },
};
