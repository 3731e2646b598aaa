import type { TokenService } from '../auth/tokens.ts';
import type { Db } from '../db/prisma.ts';
import { durableStream } from './durable-stream.ts';
import { createEventCursors, type EventCursors } from './event-cursors.ts';
import type { EventBus } from './event-bus.ts';
import { assertResumable, type StreamEvent } from './outbox.ts';

/** Hooks a subscription gets from its socket. */
export interface SubscriberHooks {
  /** The subscription's queue overflowed: the socket closes with 4292. */
  onOverflow?: () => void;
}

/**
 * A read or value shared by every subscriber handling the same event:
 * `sharedPerEvent(event, key, read)` runs `read` once per event object and
 * key, and hands every later caller the same promise (keys name what is read,
 * e.g. 'post', 'comment'; one stream's events carry one stream's rows).
 *
 * Why this is as fresh as a read per subscriber: a live event is one object
 * given by the bus to every subscriber of its stream, and the first of them
 * to handle it does the read, after the event arrived, i.e. after it was
 * committed. "Authorized again before every event with fresh data" means
 * data read after the event was committed; a read shared by the subscribers
 * of that event is exactly that. The policy is then applied per viewer in
 * JS on the shared rows. Replayed events (catch-up from the outbox table) are
 * objects of their own per subscriber, so their reads are not shared.
 * Entries live as long as the event object (a WeakMap): once every
 * subscriber has taken the event, they go with it.
 */
export type SharedPerEvent = <V>(event: StreamEvent, key: string, read: () => V | Promise<V>) => Promise<V>;

const perEvent = new WeakMap<StreamEvent, Map<string, Promise<unknown>>>();

export const sharedPerEvent: SharedPerEvent = <V>(event: StreamEvent, key: string, read: () => V | Promise<V>): Promise<V> => {
  let values = perEvent.get(event);
  if (!values) perEvent.set(event, (values = new Map()));
  let value = values.get(key) as Promise<V> | undefined;
  if (!value) values.set(key, (value = Promise.resolve().then(read)));
  return value;
};

/** One durable stream opened for one subscriber. */
interface FeedOptions<T> {
  stream: string;
  /** The client's resume cursor, if any. */
  after: string | null | undefined;
  hooks: SubscriberHooks;
  /**
   * Checked with fresh data before each event: false ends the subscription.
   * Rows it reads should go through `sharedPerEvent`, the viewer's rule applied to them in JS.
   */
  authorize: (event: StreamEvent) => Promise<boolean>;
  /**
   * Maps an event to what the subscriber receives; null skips it (another
   * kind, or not visible). Return one object per event and visibility
   * outcome (`sharedPerEvent`), so src/server/shared-subscribe.ts can share
   * its execution among subscribers too.
   */
  map: (event: StreamEvent, cursor: () => string) => T | null | Promise<T | null>;
}

const cursorCodecs = new WeakMap<TokenService, EventCursors>();

/** One cursor codec per deployment key (deriving it costs an HMAC). */
function eventCursorsOf(tokens: TokenService): EventCursors {
  let codec = cursorCodecs.get(tokens);
  if (!codec) cursorCodecs.set(tokens, (codec = createEventCursors(tokens.deriveKey('event-cursor'))));
  return codec;
}

async function* mapEvents<T>(
  source: AsyncGenerator<StreamEvent>,
  map: (event: StreamEvent) => T | null | Promise<T | null>,
): AsyncGenerator<T> {
  try {
    for await (const event of source) {
      const mapped = await map(event);
      if (mapped !== null) yield mapped;
    }
  } finally {
    await source.return(undefined);
  }
}

/**
 * Opens outbox streams for subscribers: resumable with signed cursors,
 * authorized again before every event.
 */
export function createEventFeeds(deps: { db: Db; bus: EventBus; tokens: TokenService }) {
  const { db, bus } = deps;
  const cursors = eventCursorsOf(deps.tokens);

  async function resumeFrom(stream: string, after: string | null | undefined): Promise<number | null> {
    if (after == null) return null;
    const seq = cursors.decode(after, stream);
    await assertResumable(db, stream, seq);
    return seq;
  }

  return {
    async open<T>(options: FeedOptions<T>): Promise<AsyncGenerator<T>> {
      const afterSeq = await resumeFrom(options.stream, options.after);
      const { stream, authorize, hooks, map } = options;
      const source = durableStream({ bus, db, stream, afterSeq, onOverflow: hooks.onOverflow, authorize });
      return mapEvents(source, (event) => map(event, () => cursors.encode(event.stream, event.seq)));
    },
  };
}
