import type { Resolvers } from '../resolvers.generated.ts';
import { connectionResolvers } from './connections.ts';
import { Mutation } from './mutation.ts';
import { nodeTypeResolvers } from './node-types.ts';
import { Query } from './query.ts';
import { rateLimitQuery } from './rate-limit.ts';
import { DateTime } from './scalars.ts';
import { realtimeMutation, realtimeQuery, realtimeSubscription, realtimeTypeResolvers } from '../../modules/chat/resolvers.ts';
import { Subscription } from './subscription.ts';

export const resolvers: Resolvers = {
  DateTime,
  Query: { ...Query, ...realtimeQuery, ...rateLimitQuery },
  Mutation: { ...Mutation, ...realtimeMutation },
  Subscription: { ...Subscription, ...realtimeSubscription },
  ...nodeTypeResolvers,
  ...connectionResolvers,
  ...realtimeTypeResolvers,
  User: { ...nodeTypeResolvers.User, ...realtimeTypeResolvers.User },
};
