import { subscriberHooks } from '../../server/subscriber-context.ts';
import type { Resolvers, SubscriptionResolvers } from '../../graphql/resolvers.generated.ts';
import type { PresenceState } from '../../events/presence-store.ts';

// Presence's API: thin, the rule is in policy.ts (asked by the service).

const Subscription: SubscriptionResolvers = {
  presenceChanged: {
    subscribe: (_, { userIds }, context) => context.services.presence.changes(userIds, subscriberHooks(context)),
    resolve: (event: PresenceState) => event,
  },
};

export const presenceResolvers = {
  Subscription,
  types: {
    User: {
      presence: (user, _, { services }) => services.presence.of(user.id),
    },

    Presence: {
      user: async (presence, _, { loaders }) => (await loaders.user.load(presence.userId))!,
    },
  } satisfies Resolvers,
};
