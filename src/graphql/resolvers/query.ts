import { expectGlobalId } from '../../lib/global-id.ts';
import type { QueryResolvers } from '../resolvers.generated.ts';

export const Query: QueryResolvers = {
  me: (_, __, { services }) => services.users.me(),
  node: (_, { id }, { services }) => services.nodes.node(id),
  nodes: (_, { ids }, { services }) => services.nodes.nodes(ids),
  user: (_, args, { services }) => services.users.find(args),
  users: (_, args, { services }) => services.users.list(args),
  post: (_, { id }, { services }) => services.posts.byId(id),
  posts: (_, args, { services }) => services.posts.list(args),
  feed: (_, args, { services }) => services.posts.feed(args),
  auditEvents: (_, { userId, ...args }, { services }) =>
    services.audit.list({ ...args, userId: userId ? expectGlobalId(userId, 'User', 'userId') : null }),
};
