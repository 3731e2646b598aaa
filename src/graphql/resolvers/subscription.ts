import type { Post } from '../../db/generated/client.ts';
import { renewContext, type GraphQLContext } from '../../server/context.ts';
import type { SubscriptionResolvers } from '../resolvers.generated.ts';

export const Subscription: SubscriptionResolvers = {
  postPublished: {
    // Only posts the subscriber may see (modules/posts/live.ts).
    subscribe: (_, { authorId }, { services }) => services.postStreams.postPublished(authorId),
    // Each event resolves under fresh loaders, so it never sees data cached
    // for an earlier event.
    resolve: async (event: { postId: string; post?: Post }, _args: unknown, context: GraphQLContext) => {
      renewContext(context);
      if (event.post) context.loaders.post.prime(event.postId, event.post);
      const post = await context.loaders.post.load(event.postId);
      if (!post) throw new Error('Published post vanished');
      return post;
    },
  },
};
