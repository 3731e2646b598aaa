import type { SubscriberHooks } from '../events/event-feed.ts';
import { CLOSE_CODES } from './close-codes.ts';
import { renewContext, type GraphQLContext } from './context.ts';

/** A subscription's hooks into its socket: a slow consumer's socket closes with 4292. */
export function subscriberHooks(context: GraphQLContext): SubscriberHooks {
  return {
    onOverflow: () => context.connection?.close(CLOSE_CODES.SUBSCRIPTION_QUEUE_OVERFLOW, 'Subscriber too slow: event queue overflowed'),
  };
}

/** Each event resolves under fresh loaders, as the subscriber's own viewer. */
export async function loadFresh<T>(
  context: GraphQLContext,
  load: (context: GraphQLContext) => Promise<T | null>,
  what: string,
): Promise<T> {
  renewContext(context);
  const value = await load(context);
  if (value === null) throw new Error(`${what} vanished`);
  return value;
}
