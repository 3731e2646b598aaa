import { RESYNC } from './event-bus.ts';

const DONE: IteratorReturnResult<undefined> = { value: undefined, done: true };

/**
 * The events of an ephemeral bus subscription that pass `keep` (RESYNC is
 * skipped: nothing to replay), as a plain iterator rather than an async
 * generator: a generator's `yield` costs extra promise turns on every event,
 * paid once per subscriber of a fanned-out topic. `return()` ends the bus
 * subscription at once.
 */
export function keepEvents<T>(
  source: AsyncIterableIterator<T | typeof RESYNC>,
  keep: (event: T) => boolean | Promise<boolean>,
): AsyncIterableIterator<T> {
  const iterator: AsyncIterableIterator<T> = {
    async next() {
      for (;;) {
        const step = await source.next();
        if (step.done) return DONE;
        const event = step.value;
        if (event === RESYNC) continue;
        const kept = keep(event);
        if (kept === true || (kept !== false && (await kept))) return { value: event, done: false };
      }
    },
    async return() {
      await source.return?.();
      return DONE;
    },
    [Symbol.asyncIterator]: () => iterator,
  };
  return iterator;
}
