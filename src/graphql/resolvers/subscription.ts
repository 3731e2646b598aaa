import type { Post } from '../../db/generated/client.ts';
import { expectGlobalId } from '../../lib/global-id.ts';
import { renewContext, type GraphQLContext } from '../../context.ts';
import { RESYNC } from '../../realtime/event-bus.ts';
import { postPublishedTopic } from '../../realtime/topics.ts';
import type { SubscriptionResolvers } from '../resolvers.generated.ts';

/** Ephemeral events: a bus resync has nothing to replay. */
async function* filterResync<T>(source: AsyncIterableIterator<T | typeof RESYNC>): AsyncGenerator<T> {
  try {
    for await (const event of source) if (event !== RESYNC) yield event;
  } finally {
    await source.return?.();
  }
}

export const Subscription: SubscriptionResolvers = {
  postPublished: {
    subscribe: (_, { authorId }, { services }) => {
      const id = expectGlobalId(authorId, 'User', 'authorId');
      return filterResync(services.subscriptions.events<{ postId: string }>(postPublishedTopic(id)));
    },
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
