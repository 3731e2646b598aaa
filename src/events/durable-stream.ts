import type { Db } from '../db/prisma.ts';
import { RESYNC, SubscriberOverflowError, type EventBus } from './event-bus.ts';
import { readStream, streamHead, streamTopic, type StreamEvent } from './outbox.ts';

export interface DurableStreamOptions {
  bus: EventBus;
  db: Db;
  stream: string;
  /** Resume after this sequence number; null: only events committed from now on. */
  afterSeq: number | null;
  /**
   * Runs before each event is delivered, with fresh data: false ends the
   * subscription (e.g. the viewer is no longer a member).
   */
  authorize: (event: StreamEvent) => Promise<boolean>;
  /** Slow consumer: called before the subscription ends (closes the socket with 4292). */
  onOverflow?: () => void;
}

/**
 * One stream's events, exactly once and in order, live and resumable.
 *
 * 1. Subscribe to the live topic first; it buffers while we read. The
 *    start (cursor, or the stream's head) is taken before waiting for the
 *    bus to acknowledge, so a subscription opened during a Redis outage
 *    still gets every event committed after it subscribed.
 * 2. Replay committed events after the start from PostgreSQL.
 * 3. Drain live events, skipping seq <= last delivered. A jump (seq > last+1:
 *    another instance published first, the bus dropped something, or a
 *    crashed instance's events are still pending) is repaired from the
 *    table, which already holds the missing events because stream numbers
 *    commit in order. A RESYNC (Redis reconnect) does the same.
 */
export async function* durableStream(options: DurableStreamOptions): AsyncGenerator<StreamEvent> {
  const { bus, db, stream, authorize } = options;
  const live = bus.subscribe<StreamEvent>(streamTopic(stream));
  try {
    // The starting point is fixed now, when the client subscribes, not when
    // the bus acknowledges: while Redis is down the acknowledgement waits for
    // the reconnect, and the catch-up below then replays from the outbox
    // everything committed in between.
    let last = options.afterSeq ?? (await streamHead(db, stream));
    await bus.subscribed(streamTopic(stream));

    async function* catchUp(until = Infinity): AsyncGenerator<StreamEvent> {
      for (;;) {
        const batch = await readStream(db, stream, last);
        for (const event of batch) {
          if (event.seq > until) return;
          yield event;
        }
        if (batch.length === 0 || batch.at(-1)!.seq >= until) return;
      }
    }

    async function* deliver(source: AsyncGenerator<StreamEvent>): AsyncGenerator<StreamEvent, boolean> {
      for await (const event of source) {
        if (event.seq <= last) continue;
        last = event.seq;
        if (!(await authorize(event))) return false;
        yield event;
      }
      return true;
    }

    if (!(yield* deliver(catchUp()))) return;
    for (;;) {
      let next: IteratorResult<StreamEvent | typeof RESYNC>;
      try {
        next = await live.next();
      } catch (error) {
        if (error instanceof SubscriberOverflowError) options.onOverflow?.();
        throw error;
      }
      if (next.done) return;
      const event = next.value;
      if (event === RESYNC) {
        if (!(yield* deliver(catchUp()))) return;
        continue;
      }
      if (event.seq <= last) continue;
      if (event.seq > last + 1) {
        if (!(yield* deliver(catchUp(event.seq)))) return;
        if (event.seq <= last) continue;
      }
      if (!(yield* deliver(single(event)))) return;
    }
  } finally {
    await live.return?.();
  }
}

async function* single<T>(value: T): AsyncGenerator<T> {
  yield value;
}
