import type { Resolvers } from '../resolvers.generated.ts';
import { connectionResolvers } from './connections.ts';
import { mergeResolvers } from './merge.ts';
import { rateLimitQuery } from './rate-limit.ts';
import { DateTime } from './scalars.ts';
import { accountResolvers } from '../../modules/accounts/resolvers.ts';
import { auditResolvers } from '../../modules/audit/resolvers.ts';
import { moderationResolvers } from '../../modules/moderation/resolvers.ts';
import { nodeResolvers } from '../../modules/nodes/resolvers.ts';
import { postResolvers } from '../../modules/posts/resolvers.ts';
import { sessionResolvers } from '../../modules/sessions/resolvers.ts';
import { socialResolvers } from '../../modules/social/resolvers.ts';
import { chatResolvers } from '../../modules/chat/resolvers.ts';
import { notificationResolvers } from '../../modules/notifications/resolvers.ts';
import { presenceResolvers } from '../../modules/presence/resolvers.ts';

// Each module resolves its own types and root fields; this only combines them.
export const resolvers: Resolvers = mergeResolvers(
  { DateTime, Query: rateLimitQuery },
  connectionResolvers,
  accountResolvers,
  sessionResolvers,
  postResolvers,
  socialResolvers,
  moderationResolvers,
  auditResolvers,
  nodeResolvers,
  { Query: chatResolvers.Query, Mutation: chatResolvers.Mutation, Subscription: chatResolvers.Subscription, ...chatResolvers.types },
  {
    Query: notificationResolvers.Query,
    Mutation: notificationResolvers.Mutation,
    Subscription: notificationResolvers.Subscription,
    ...notificationResolvers.types,
  },
  { Subscription: presenceResolvers.Subscription, ...presenceResolvers.types },
);
