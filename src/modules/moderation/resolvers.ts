import type { Resolvers } from '../../graphql/resolvers.generated.ts';

// The SDL's @hasRole gates who moderates; moderation/policy.ts whom.
export const moderationResolvers: Resolvers = {
  Mutation: {
    hidePost: async (_, { input }, { services }) => ({ post: await services.moderation.hidePost(input.id, input.reason) }),
    restorePost: async (_, { input }, { services }) => ({ post: await services.moderation.restorePost(input.id) }),
    hideComment: async (_, { input }, { services }) => ({ comment: await services.moderation.hideComment(input.id, input.reason) }),
    restoreComment: async (_, { input }, { services }) => ({ comment: await services.moderation.restoreComment(input.id) }),
    suspendUser: async (_, { input }, { services }) => ({ user: await services.moderation.suspend(input.userId, input.reason) }),
    unsuspendUser: async (_, { input }, { services }) => ({ user: await services.moderation.unsuspend(input.userId) }),
    setUserRole: async (_, { input }, { services }) => ({ user: await services.moderation.setRole(input.userId, input.role) }),
  },
};
