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

/** One durable stream opened for one subscriber. */
interface FeedOptions<T> {
  stream: string;
  /** The client's resume cursor, if any. */
  after: string | null | undefined;
  hooks: SubscriberHooks;
  /** Checked with fresh data before each event: false ends the subscription. */
  authorize: (event: StreamEvent) => Promise<boolean>;
  /** Maps an event to what the subscriber receives; null skips it (another kind, or not visible). */
  map: (event: StreamEvent, cursor: string) => T | null | Promise<T | null>;
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
      return mapEvents(source, (event) => map(event, cursors.encode(event.stream, event.seq)));
    },
  };
}
