import type { MutationResolvers } from '../resolvers.generated.ts';

export const Mutation: MutationResolvers = {
  signUp: (_, { input }, { services }) => services.accounts.signUp(input),
  logIn: (_, { input }, { services }) => services.accounts.logIn(input),

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
};
