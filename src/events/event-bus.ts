/**
 * Topic-based publish/subscribe. The in-process bus serves one instance; the
 * Redis bus (redis-bus.ts) has the same interface and serves many.
 */
export interface EventBus {
  /** Resolves once the event is handed to the transport (Redis: sent). */
  publish(topic: string, payload: unknown): void | Promise<void>;
  /** Events of `topic` from now on; `return()` on the iterator unsubscribes. */
  subscribe<T>(topic: string): AsyncIterableIterator<T | typeof RESYNC>;
  /**
   * Resolves once a subscription made to `topic` receives what is published
   * from now on (Redis: the SUBSCRIBE was acknowledged). Durable
   * subscriptions wait for it before reading the database, so nothing falls
   * between the replay and the live feed.
   */
  subscribed(topic: string): Promise<void>;
  /**
   * Readiness signal: resolves once at least `subscribers` subscriptions of
   * `topic` are in force and waiting for their next event (Redis: the
   * SUBSCRIBE was acknowledged). A subscription counts from the moment it
   * first pulls from the bus, so a durable one counts only after its replay
   * from PostgreSQL: whatever is published after this resolves reaches it.
   * For tests and readiness checks; the server itself never waits on it.
   */
  whenSubscribed(topic: string, subscribers?: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * Delivered to every subscription after the transport may have dropped events
 * (a Redis reconnect): durable subscriptions then re-read their stream from
 * PostgreSQL, ephemeral ones ignore it.
 */
export const RESYNC = Symbol('resync');

/** Default events queued per subscription before a slow consumer is cut off (close code 4292). */
export const MAX_QUEUED_EVENTS = 1_000;

export class SubscriberOverflowError extends Error {
  constructor(limit = MAX_QUEUED_EVENTS) {
    super(`Subscriber fell more than ${limit} events behind`);
  }
}

type Listener = (payload: unknown) => void;

/** Local fan-out with a bounded queue per subscription; both buses use it. */
export class LocalFanout {
  readonly listeners = new Map<string, Set<Listener>>();
  /** Listeners that have pulled at least once (see EventBus.whenSubscribed). */
  private readonly pulling = new Map<string, Set<Listener>>();
  private readonly pullWaiters = new Set<{ topic: string; subscribers: number; resolve: () => void }>();

  constructor(
    private readonly hooks: { onFirst?: (topic: string) => void; onLast?: (topic: string) => void } = {},
    private readonly maxQueued = MAX_QUEUED_EVENTS,
  ) {}

  deliver(topic: string, payload: unknown): void {
    for (const listener of this.listeners.get(topic) ?? []) listener(payload);
  }

  resyncAll(): void {
    for (const set of this.listeners.values()) for (const listener of set) listener(RESYNC);
  }

  /** Resolves once `subscribers` listeners of `topic` have pulled (the local half of whenSubscribed). */
  whenPulling(topic: string, subscribers = 1): Promise<void> {
    if ((this.pulling.get(topic)?.size ?? 0) >= subscribers) return Promise.resolve();
    return new Promise((resolve) => this.pullWaiters.add({ topic, subscribers, resolve }));
  }

  private markPulling(topic: string, listener: Listener): void {
    let set = this.pulling.get(topic);
    if (!set) this.pulling.set(topic, (set = new Set()));
    set.add(listener);
    for (const waiter of this.pullWaiters) {
      if (waiter.topic === topic && set.size >= waiter.subscribers) {
        this.pullWaiters.delete(waiter);
        waiter.resolve();
      }
    }
  }

  private attach(topic: string, listener: Listener): void {
    if (!this.listeners.has(topic)) {
      this.listeners.set(topic, new Set());
      this.hooks.onFirst?.(topic);
    }
    this.listeners.get(topic)!.add(listener);
  }

  private detach(topic: string, listener: Listener): void {
    const set = this.listeners.get(topic);
    set?.delete(listener);
    const pulling = this.pulling.get(topic);
    pulling?.delete(listener);
    if (pulling?.size === 0) this.pulling.delete(topic);
    if (set?.size === 0) {
      this.listeners.delete(topic);
      this.hooks.onLast?.(topic);
    }
  }

  subscribe<T>(topic: string): AsyncIterableIterator<T | typeof RESYNC> {
    const queue: unknown[] = [];
    let waiting: ((result: IteratorResult<T | typeof RESYNC>) => void) | null = null;
    let failed: Error | null = null;
    let done = false;

    const listener: Listener = (payload) => {
      if (done) return;
      if (waiting) {
        const resolve = waiting;
        waiting = null;
        resolve({ value: payload as T, done: false });
      } else if (queue.length >= this.maxQueued) {
        failed = new SubscriberOverflowError(this.maxQueued);
        stop();
      } else {
        queue.push(payload);
      }
    };
    const stop = () => {
      if (done) return;
      done = true;
      this.detach(topic, listener);
    };
    this.attach(topic, listener);

    let counted = false;
    const pulled = () => {
      if (counted) return;
      counted = true;
      this.markPulling(topic, listener);
    };
    const iterator: AsyncIterableIterator<T | typeof RESYNC> = {
      next() {
        if (!done) pulled();
        if (queue.length > 0) return Promise.resolve({ value: queue.shift() as T, done: false });
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
  }
}

export function createInMemoryBus(maxQueued = MAX_QUEUED_EVENTS): EventBus {
  const fanout = new LocalFanout({}, maxQueued);
  return {
    publish: (topic, payload) => fanout.deliver(topic, payload),
    subscribe: <T>(topic: string) => fanout.subscribe<T>(topic),
    subscribed: async () => {},
    whenSubscribed: (topic, subscribers) => fanout.whenPulling(topic, subscribers),
    async close() {
      fanout.listeners.clear();
    },
  };
}
