import { toGlobalId } from '../../lib/global-id.ts';
import type { Resolvers } from '../resolvers.generated.ts';

export const nodeTypeResolvers: Resolvers = {
  Node: {
    __resolveType: (node) => (node as unknown as { __typename: 'User' | 'Post' | 'Comment' | 'Conversation' | 'Message' | 'Notification' }).__typename,
  },

  User: {
    id: (user) => toGlobalId('User', user.id),
    // Private: only the account itself sees its email.
    email: (user, _, { viewer }) => (viewer?.id === user.id ? user.email : null),
    posts: (user, args, { services }) => services.pages.authorPosts(user.id, args),
    followers: (user, args, { services }) => services.pages.followers(user.id, args),
    following: (user, args, { services }) => services.pages.following(user.id, args),
    followerCount: (user, _, { loaders }) => loaders.followerCount.load(user.id),
    followingCount: (user, _, { loaders }) => loaders.followingCount.load(user.id),
    viewerIsFollowing: (user, _, { loaders }) => loaders.viewerFollows.load(user.id),
  },

  Post: {
    id: (post) => toGlobalId('Post', post.id),
    author: async (post, _, { loaders }) => (await loaders.user.load(post.authorId))!,
    tags: (post, _, { loaders }) => loaders.postTags.load(post.id),
    comments: (post, args, { services }) => services.pages.postComments(post.id, args),
    commentCount: (post, _, { loaders }) => loaders.commentCount.load(post.id),
    reactionCounts: async (post, _, { loaders }) =>
      (await loaders.reactionCounts.load(post.id)).map((tally) => ({ ...tally, postId: post.id })),
    viewerReactions: (post, _, { loaders }) => loaders.viewerReactions.load(post.id),
  },

  ReactionCount: {
    viewerHasReacted: async (tally, _, { loaders }) => (await loaders.viewerReactions.load(tally.postId)).includes(tally.kind),
  },

  Comment: {
    id: (comment) => toGlobalId('Comment', comment.id),
    author: async (comment, _, { loaders }) => (await loaders.user.load(comment.authorId))!,
    post: async (comment, _, { loaders }) => (await loaders.post.load(comment.postId))!,
    parent: (comment, _, { loaders }) => (comment.parentId ? loaders.comment.load(comment.parentId) : null),
    replies: (comment, args, { services }) => services.pages.commentReplies(comment, args),
  },
};
