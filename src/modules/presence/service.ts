import DataLoader from 'dataloader';
import { badInput } from '../../lib/errors.ts';
import { expectGlobalId } from '../../lib/global-id.ts';
import { AsyncQueue } from '../../events/async-queue.ts';
import type { SubscriberHooks } from '../../events/event-feed.ts';
import { RESYNC, SubscriberOverflowError, type EventBus } from '../../events/event-bus.ts';
import { presenceTopic, type PresenceState, type PresenceStore } from '../../events/presence-store.ts';
import type { RequestScope } from '../scope.ts';
import { canSeePresence, hiddenPresence } from './policy.ts';

const MAX_PRESENCE_USERS = 100;

/** Presence changes of `ids` as one queue of user ids ('*': all of them, after a bus resync). */
function presenceSignals(bus: EventBus, ids: string[]) {
  const queue = new AsyncQueue<string>();
  const lives = ids.map((id) => bus.subscribe<{ userId: string }>(presenceTopic(id)));
  for (const live of lives) {
    void (async () => {
      try {
        for await (const e of live) queue.push(e === RESYNC ? '*' : e.userId);
      } catch (error) {
        queue.fail(error as Error);
      }
    })();
  }
  const close = async () => {
    queue.end();
    await Promise.all(lives.map((l) => l.return?.()));
  };
  return { queue, close };
}

/** Yields the states of `userIds` that differ from what this subscriber last saw. */
function changedStates(store: PresenceStore) {
  const seen = new Map<string, string>();
  return async function* (userIds: string[]): AsyncGenerator<PresenceState> {
    const states = await store.get(userIds);
    for (const state of states.values()) {
      const key = `${state.online}|${state.lastSeenAt?.getTime() ?? ''}`;
      if (seen.get(state.userId) === key) continue;
      seen.set(state.userId, key);
      yield state;
    }
  };
}

/** Who is online: per-request lookups batched, and live changes. */
export function createPresenceService(scope: RequestScope) {
  const { bus, viewer } = scope;
  const store = scope.realtime.presence;
  const states = new DataLoader(async (userIds: readonly string[]) => {
    const found = await store.get(userIds);
    return userIds.map((id) => found.get(id) ?? { userId: id, online: false, lastSeenAt: null });
  });

  return {
    /** A user's presence as the viewer may see it (batched per request). */
    of(userId: string): Promise<PresenceState> {
      return canSeePresence(viewer, userId) ? states.load(userId) : Promise.resolve(hiddenPresence(userId));
    },

    /** The current presence of the users, then each change. */
    async changes(userGlobalIds: readonly string[], hooks: SubscriberHooks = {}): Promise<AsyncGenerator<PresenceState>> {
      if (userGlobalIds.length > MAX_PRESENCE_USERS) throw badInput('userIds', `At most ${MAX_PRESENCE_USERS} users`);
      const named = userGlobalIds.map((g, i) => expectGlobalId(g, 'User', `userIds.${i}`));
      const ids = [...new Set(named)].filter((id) => canSeePresence(viewer, id));
      const { queue, close } = presenceSignals(bus, ids);
      const changed = changedStates(store);
      return (async function* () {
        try {
          // Live first, then the current state: no change can fall in between.
          await Promise.all(ids.map((id) => bus.subscribed(presenceTopic(id))));
          yield* changed(ids);
          for await (const userId of queue) yield* changed(userId === '*' ? ids : [userId]);
        } catch (error) {
          if (error instanceof SubscriberOverflowError) hooks.onOverflow?.();
          throw error;
        } finally {
          await close();
        }
      })();
    },
  };
}
