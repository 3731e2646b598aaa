import type { GraphQLContext } from '../../server/context.ts';
import { toGlobalId } from '../../lib/global-id.ts';
import type { AuthResult } from '../../modules/sessions/service.ts';
import type { MutationResolvers } from '../resolvers.generated.ts';

export const Mutation: MutationResolvers = {
  signUp: async (_, { input }, context) => actAs(context, await context.services.accounts.signUp(input)),
  logIn: async (_, { input }, context) => actAs(context, await context.services.accounts.logIn(input)),
  refreshSession: async (_, { input }, context) => actAs(context, await context.services.sessions.refresh(input.refreshToken)),
  logOut: async (_, __, { services }) => ({ sessionId: globalSessionId(await services.sessions.logOut()) }),
  logOutEverywhere: async (_, __, { services }) => ({ revokedSessionCount: await services.sessions.logOutEverywhere() }),
  revokeSession: async (_, { input }, { services }) => ({ sessionId: globalSessionId(await services.sessions.revoke(input.id)) }),
  changePassword: async (_, { input }, { services }) => ({ user: await services.accounts.changePassword(input) }),
  changeEmail: async (_, { input }, { services }) => ({ user: await services.accounts.changeEmail(input) }),
  deleteAccount: async (_, { input }, { services }) => ({
    deletedUserId: toGlobalId('User', await services.accounts.deleteAccount(input)),
  }),
  createApiKey: (_, { input }, { services }) => services.apiKeys.create(input),
  revokeApiKey: async (_, { input }, { services }) => ({ apiKey: await services.apiKeys.revoke(input.id) }),

  createPost: async (_, { input }, { services }) => ({ post: await services.posts.create(input) }),
  updatePost: async (_, { input }, { services }) => ({ post: await services.posts.update(input) }),
  publishPost: async (_, { input }, { services }) => ({ post: await services.posts.publish(input.id) }),
  archivePost: async (_, { input }, { services }) => ({ post: await services.posts.archive(input.id) }),
  deletePost: async (_, { input }, { services }) => {
    await services.posts.remove(input.id);
    return { deletedPostId: input.id };
  },

  createComment: async (_, { input }, { services }) => ({ comment: await services.comments.create(input) }),
  updateComment: async (_, { input }, { services }) => ({ comment: await services.comments.update(input) }),
  deleteComment: async (_, { input }, { services }) => {
    await services.comments.remove(input.id);
    return { deletedCommentId: input.id };
  },

  addReaction: async (_, { input }, { services }) => ({ post: await services.social.addReaction(input) }),
  removeReaction: async (_, { input }, { services }) => ({ post: await services.social.removeReaction(input) }),
  followUser: (_, { input }, { services }) => services.social.follow(input.userId),
  unfollowUser: (_, { input }, { services }) => services.social.unfollow(input.userId),

  hidePost: async (_, { input }, { services }) => ({ post: await services.moderation.hidePost(input.id, input.reason) }),
  restorePost: async (_, { input }, { services }) => ({ post: await services.moderation.restorePost(input.id) }),
  hideComment: async (_, { input }, { services }) => ({ comment: await services.moderation.hideComment(input.id, input.reason) }),
  restoreComment: async (_, { input }, { services }) => ({ comment: await services.moderation.restoreComment(input.id) }),
  suspendUser: async (_, { input }, { services }) => ({ user: await services.moderation.suspend(input.userId, input.reason) }),
  unsuspendUser: async (_, { input }, { services }) => ({ user: await services.moderation.unsuspend(input.userId) }),
  setUserRole: async (_, { input }, { services }) => ({ user: await services.moderation.setRole(input.userId, input.role) }),
};

const globalSessionId = (id: string) => toGlobalId('Session', id);

/**
 * The payload of a sign-in may show the account's own private fields (its
 * email, `current` on the new session). Only reads of that account widen:
 * the operation's viewer, and so what else it may do, stays as it was.
 */
function actAs(context: GraphQLContext, result: AuthResult): AuthResult {
  context.signedIn = { userId: result.user.id, sessionId: result.session.id };
  return result;
}
