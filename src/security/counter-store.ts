import type { Redis } from 'ioredis';

/** Fixed-window counters: in process for one instance, in Redis for many. */
export interface CounterStore {
  /** Adds one to `key` and returns the count and seconds left in its window. */
  increment(key: string, windowSeconds: number): Promise<{ count: number; ttlSeconds: number }>;
  peek(key: string): Promise<{ count: number; ttlSeconds: number }>;
  reset(key: string): Promise<void>;
}

export function createMemoryCounterStore(now: () => number = Date.now): CounterStore {
  const counters = new Map<string, { count: number; expiresAt: number }>();
  const live = (key: string) => {
    const entry = counters.get(key);
    if (entry && entry.expiresAt <= now()) {
      counters.delete(key);
      return undefined;
    }
    return entry;
  };
  const view = (entry: { count: number; expiresAt: number } | undefined) => ({
    count: entry?.count ?? 0,
    ttlSeconds: entry ? Math.ceil((entry.expiresAt - now()) / 1000) : 0,
  });
  return {
    async increment(key, windowSeconds) {
      const entry = live(key) ?? { count: 0, expiresAt: now() + windowSeconds * 1000 };
      entry.count += 1;
      counters.set(key, entry);
      if (counters.size > 100_000) for (const k of counters.keys()) live(k); // sweep expired
      return view(entry);
    },
    async peek(key) {
      return view(live(key));
    },
    async reset(key) {
      counters.delete(key);
    },
  };
}

export function createRedisCounterStore(redis: Redis, prefix: string): CounterStore {
  return {
    async increment(key, windowSeconds) {
      const k = prefix + key;
      // The window starts at the first failure (NX keeps it from sliding).
      const result = await redis.multi().incr(k).expire(k, windowSeconds, 'NX').ttl(k).exec();
      return { count: Number(result?.[0]?.[1] ?? 0), ttlSeconds: Math.max(0, Number(result?.[2]?.[1] ?? 0)) };
    },
    async peek(key) {
      const k = prefix + key;
      const [count, ttl] = await Promise.all([redis.get(k), redis.ttl(k)]);
      return { count: Number(count ?? 0), ttlSeconds: Math.max(0, ttl) };
    },
    async reset(key) {
      await redis.del(prefix + key);
    },
  };
}
