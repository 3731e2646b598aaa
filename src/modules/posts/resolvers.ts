import type { User } from '../../db/generated/client.ts';
import { renewContext, type GraphQLContext } from '../../server/context.ts';
import { toGlobalId } from '../../lib/global-id.ts';
import type { Resolvers, SubscriptionCommentAddedArgs, SubscriptionPostPublishedArgs } from '../../graphql/resolvers.generated.ts';
import { subscriberHooks } from '../../server/subscriber-context.ts';
import type { CommentFeedEvent, PublishedPost } from './live.ts';
import { visibleCommentById } from './policy.ts';

// Posts, comments and tags. Who sees what: posts/policy.ts, applied by the
// services and loaders these call.
export const postResolvers: Resolvers = {
  Query: {
    post: (_, { id }, { services }) => services.posts.byId(id),
    posts: (_, args, { services }) => services.posts.list(args),
    feed: (_, args, { services }) => services.posts.feed(args),
  },

  Mutation: {
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
  },

  Subscription: {
    postPublished: {
      // Only posts the subscriber may see (modules/posts/live.ts).
      subscribe: (_, { authorId }, { services }) => services.postStreams.postPublished(authorId),
      // Each event resolves under fresh loaders, so it never sees data cached
      // for an earlier event.
      resolve: async (event: PublishedPost, _args: SubscriptionPostPublishedArgs, context: GraphQLContext) => {
        renewContext(context);
        if (event.post) context.loaders.post.prime(event.postId, event.post);
        const post = await context.loaders.post.load(event.postId);
        if (!post) throw new Error('Published post vanished');
        return post;
      },
    },
    commentAdded: {
      subscribe: (_, { postId, after }, context) => context.services.postStreams.commentAdded(postId, after, subscriberHooks(context)),
      // The stream read the comment under the visibility rule just now.
      resolve: (event: CommentFeedEvent, _args: SubscriptionCommentAddedArgs, context: GraphQLContext) => {
        renewContext(context);
        context.loaders.comment.prime(event.commentId, event.comment);
        return { cursor: event.cursor, comment: event.comment };
      },
    },
  },

  User: {
    posts: (user, args, { services }) => services.posts.byAuthor(user.id, args),
  },

  Post: {
    id: (post) => toGlobalId('Post', post.id),
    // The foreign key guarantees the author; the loader's promise is returned
    // as is, without an async wrapper's promise and await per field.
    author: (post, _, { loaders }) => loaders.user.load(post.authorId) as Promise<User>,
    tags: (post, _, { loaders }) => loaders.postTags.load(post.id),
    comments: (post, args, { services }) => services.comments.ofPost(post.id, args),
    commentCount: (post, _, { loaders }) => loaders.commentCount.load(post.id),
    isHidden: (post) => post.hiddenAt !== null,
  },

  Comment: {
    id: (comment) => toGlobalId('Comment', comment.id),
    author: (comment, _, { loaders }) => loaders.user.load(comment.authorId) as Promise<User>,
    post: async (comment, _, { loaders }) => (await loaders.post.load(comment.postId))!,
    // A hidden parent reads as no parent, for whoever may not see it.
    parent: (comment, _, { loaders, viewer }) => (comment.parentId ? visibleCommentById(loaders, viewer, comment.parentId) : null),
    replies: (comment, args, { services }) => services.comments.replies(comment, args),
    isHidden: (comment) => comment.hiddenAt !== null,
  },
};
