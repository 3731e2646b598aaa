/**
 * Topic-based publish/subscribe. This in-process bus serves one instance; a
 * Redis-backed bus with the same interface serves many.
 */
export interface EventBus {
  publish(topic: string, payload: unknown): void;
  /** Events of `topic` from now on; `return()` on the iterator unsubscribes. */
  subscribe<T>(topic: string): AsyncIterableIterator<T>;
  close(): Promise<void>;
}

/** Events queued per subscription before a slow consumer is cut off. */
export const MAX_QUEUED_EVENTS = 1_000;

export class SubscriberOverflowError extends Error {
  constructor() {
    super(`Subscriber fell more than ${MAX_QUEUED_EVENTS} events behind`);
  }
}

export function createInMemoryBus(): EventBus {
  const listeners = new Map<string, Set<(payload: unknown) => void>>();

  return {
    publish(topic, payload) {
      for (const listener of listeners.get(topic) ?? []) listener(payload);
    },

    subscribe<T>(topic: string): AsyncIterableIterator<T> {
      const queue: T[] = [];
      let waiting: ((result: IteratorResult<T>) => void) | null = null;
      let failed: Error | null = null;
      let done = false;

      const listener = (payload: unknown) => {
        if (done) return;
        if (waiting) {
          const resolve = waiting;
          waiting = null;
          resolve({ value: payload as T, done: false });
        } else if (queue.length >= MAX_QUEUED_EVENTS) {
          failed = new SubscriberOverflowError();
          stop();
        } else {
          queue.push(payload as T);
        }
      };
      const stop = () => {
        done = true;
        listeners.get(topic)?.delete(listener);
        if (listeners.get(topic)?.size === 0) listeners.delete(topic);
      };
      if (!listeners.has(topic)) listeners.set(topic, new Set());
      listeners.get(topic)!.add(listener);

      const iterator: AsyncIterableIterator<T> = {
        next() {
          if (queue.length > 0) return Promise.resolve({ value: queue.shift()!, done: false });
          if (failed) return Promise.reject(failed);
          if (done) return Promise.resolve({ value: undefined, done: true });
          return new Promise((resolve) => (waiting = resolve));
        },
        return() {
          stop();
          queue.length = 0;
          waiting?.({ value: undefined, done: true });
          waiting = null;
          return Promise.resolve({ value: undefined, done: true });
        },
        [Symbol.asyncIterator]() {
          return iterator;
        },
      };
      return iterator;
    },

    async close() {
      listeners.clear();
    },
  };
}
