import { hasRole } from '../../auth/viewer.ts';
import type { GraphQLContext } from '../../server/context.ts';
import { toGlobalId, type NodeType } from '../../lib/global-id.ts';
import { visibleCommentById } from '../../modules/posts/policy.ts';
import type { Resolvers } from '../resolvers.generated.ts';

export const nodeTypeResolvers: Resolvers = {
  Node: {
    __resolveType: (node) => (node as unknown as { __typename: NodeType }).__typename,
  },

  User: {
    id: (user) => toGlobalId('User', user.id),
    // Private fields: the account itself and admins only, wherever reached.
    email: (user, _, context) => (ownerOrAdmin(context, user.id) ? user.email : null),
    sessions: (user, args, context) => (ownerOrAdmin(context, user.id) ? context.services.sessions.list(user.id, args) : null),
    apiKeys: (user, _, context) => (ownerOrAdmin(context, user.id) ? context.services.apiKeys.list(user.id) : null),
    suspendedAt: (user, _, { viewer }) => (viewer?.id === user.id || hasRole(viewer, 'MODERATOR') ? user.suspendedAt : null),
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
    isHidden: (post) => post.hiddenAt !== null,
  },

  ReactionCount: {
    viewerHasReacted: async (tally, _, { loaders }) => (await loaders.viewerReactions.load(tally.postId)).includes(tally.kind),
  },

  Comment: {
    id: (comment) => toGlobalId('Comment', comment.id),
    author: async (comment, _, { loaders }) => (await loaders.user.load(comment.authorId))!,
    post: async (comment, _, { loaders }) => (await loaders.post.load(comment.postId))!,
    // A hidden parent reads as no parent, for whoever may not see it.
    parent: (comment, _, { loaders, viewer }) => (comment.parentId ? visibleCommentById(loaders, viewer, comment.parentId) : null),
    replies: (comment, args, { services }) => services.pages.commentReplies(comment, args),
    isHidden: (comment) => comment.hiddenAt !== null,
  },

  Session: {
    id: (session) => toGlobalId('Session', session.id),
    current: (session, _, { viewer, signedIn }) => (signedIn?.sessionId ?? viewer?.sessionId) === session.id,
  },

  ApiKey: {
    id: (key) => toGlobalId('ApiKey', key.id),
  },

  AuditEvent: {
    id: (event) => toGlobalId('AuditEvent', event.id),
    type: (event) => event.type as never,
    actor: (event, _, { loaders }) => (event.actorId ? loaders.user.load(event.actorId) : null),
    targetUser: (event, _, { loaders }) => (event.targetUserId ? loaders.user.load(event.targetUserId) : null),
    details: (event) => JSON.stringify(event.data),
  },
};

function ownerOrAdmin({ viewer, signedIn }: Pick<GraphQLContext, 'viewer' | 'signedIn'>, userId: string): boolean {
  return signedIn?.userId === userId || (viewer !== null && (viewer.id === userId || hasRole(viewer, 'ADMIN')));
}
