import type { Resolvers } from '../../graphql/resolvers.generated.ts';

// Reactions and follows (rules: social/policy.ts).
export const socialResolvers: Resolvers = {
  Mutation: {
    addReaction: async (_, { input }, { services }) => ({ post: await services.social.addReaction(input) }),
    removeReaction: async (_, { input }, { services }) => ({ post: await services.social.removeReaction(input) }),
    followUser: (_, { input }, { services }) => services.social.follow(input.userId),
    unfollowUser: (_, { input }, { services }) => services.social.unfollow(input.userId),
  },

  User: {
    followers: (user, args, { services }) => services.social.followers(user.id, args),
    following: (user, args, { services }) => services.social.following(user.id, args),
    followerCount: (user, _, { loaders }) => loaders.followerCount.load(user.id),
    followingCount: (user, _, { loaders }) => loaders.followingCount.load(user.id),
    viewerIsFollowing: (user, _, { loaders }) => loaders.viewerFollows.load(user.id),
  },

  Post: {
    reactionCounts: (post, _, { loaders }) => loaders.reactionCounts.load(post.id),
    viewerReactions: (post, _, { loaders }) => loaders.viewerReactions.load(post.id),
  },

  ReactionCount: {
    viewerHasReacted: async (tally, _, { loaders }) => (await loaders.viewerReactions.load(tally.postId)).includes(tally.kind),
  },
};
