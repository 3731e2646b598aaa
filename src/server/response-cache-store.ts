import type { RedisClient } from '../db/redis.ts';
import type { Logger } from '../lib/logger.ts';

/** What a lookup found: the entry (or null), and the invalidation epoch to store a fill under. */
interface Lookup {
  value: string | null;
  epoch: string;
}

/**
 * Where cached responses live. `store` keeps an entry only if no
 * invalidation happened since the lookup that returned `epoch`: a query that
 * read the old rows while a mutation committed must not put them back.
 */
export interface ResponseStore {
  lookup(key: string): Promise<Lookup>;
  store(key: string, value: string, tags: readonly string[], ttlSeconds: number, epoch: string): Promise<void>;
  /** Drops every entry carrying one of `tags`; `all` drops everything. */
  invalidate(tags: readonly string[] | 'all'): Promise<void>;
}

interface Entry {
  value: string;
  tags: readonly string[];
  expiresAt: number;
}

/** In this process: a least-recently-used map bounded by entries and bytes, with a tag index. */
export function createInProcessStore(limits: { maxEntries: number; maxBytes: number }, now = Date.now): ResponseStore {
  const entries = new Map<string, Entry>();
  const byTag = new Map<string, Set<string>>();
  let bytes = 0;
  let epoch = 0;
  const drop = (key: string) => {
    const entry = entries.get(key);
    if (!entry) return;
    entries.delete(key);
    bytes -= entry.value.length;
    for (const tag of entry.tags) byTag.get(tag)?.delete(key);
  };
  return {
    async lookup(key) {
      const entry = entries.get(key);
      if (entry && entry.expiresAt <= now()) drop(key);
      const live = entries.get(key);
      if (live) {
        entries.delete(key); // re-inserted: the most recently used go last
        entries.set(key, live);
      }
      return { value: live?.value ?? null, epoch: String(epoch) };
    },
    async store(key, value, tags, ttlSeconds, expected) {
      if (String(epoch) !== expected || value.length > limits.maxBytes) return;
      drop(key);
      entries.set(key, { value, tags, expiresAt: now() + ttlSeconds * 1000 });
      bytes += value.length;
      for (const tag of tags) byTag.set(tag, (byTag.get(tag) ?? new Set()).add(key));
      for (const oldest of entries.keys()) {
        if (entries.size <= limits.maxEntries && bytes <= limits.maxBytes) break;
        drop(oldest);
      }
    },
    async invalidate(tags) {
      epoch += 1;
      if (tags === 'all') {
        entries.clear();
        byTag.clear();
        bytes = 0;
        return;
      }
      for (const tag of tags) {
        for (const key of byTag.get(tag) ?? []) drop(key);
        byTag.delete(tag);
      }
    },
  };
}

// Every key shares the hash tag `{<prefix>rc}`: the scripts below touch an entry, its
// tag sets and the counters together, which a Redis Cluster allows in one slot only.
const STORE_SCRIPT = `
if (redis.call('GET', KEYS[1]) or '0') ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[2], ARGV[2], 'EX', ARGV[3])
for i = 3, #KEYS do
  redis.call('SADD', KEYS[i], KEYS[2])
  if redis.call('TTL', KEYS[i]) < tonumber(ARGV[3]) then redis.call('EXPIRE', KEYS[i], ARGV[3]) end
end
return 1`;

// Bumping the epoch first discards every fill still in flight.
const INVALIDATE_SCRIPT = `
redis.call('INCR', KEYS[1])
for i = 2, #KEYS do
  local members = redis.call('SMEMBERS', KEYS[i])
  for _, key in ipairs(members) do redis.call('DEL', key) end
  redis.call('DEL', KEYS[i])
end
return 1`;

// Dropping everything: a new generation; entries of older ones read as misses and expire.
const FLUSH_SCRIPT = `redis.call('INCR', KEYS[1]) redis.call('INCR', KEYS[2]) return 1`;

/**
 * Shared by every instance through Redis. An entry's value starts with the
 * generation it was stored in. A failing Redis makes lookups misses and
 * skips fills (logged): the cache never answers for the database.
 */
export function createRedisStore(redis: RedisClient, prefix: string, logger: Logger): ResponseStore {
  const base = `{${prefix}rc}:`;
  const epochKey = `${base}epoch`;
  const generationKey = `${base}generation`;
  const entryKey = (key: string) => `${base}e:${key}`;
  const tagKey = (tag: string) => `${base}t:${tag}`;
  const failed = (what: string) => (error: unknown) => logger.warn(`response cache ${what} failed`, { error: String(error) });
  return {
    async lookup(key) {
      try {
        const [raw, epoch, generation] = await redis.mget(entryKey(key), epochKey, generationKey);
        const head = `${generation ?? '0'}\n`;
        return { value: raw?.startsWith(head) ? raw.slice(head.length) : null, epoch: epoch ?? '0' };
      } catch (error) {
        failed('lookup')(error);
        return { value: null, epoch: 'unavailable' };
      }
    },
    async store(key, value, tags, ttlSeconds, epoch) {
      if (epoch === 'unavailable') return;
      const generation = (await redis.get(generationKey).catch(() => null)) ?? '0';
      const keys = [epochKey, entryKey(key), ...tags.map(tagKey)];
      await redis.eval(STORE_SCRIPT, keys.length, ...keys, epoch, `${generation}\n${value}`, String(ttlSeconds)).catch(failed('store'));
    },
    async invalidate(tags) {
      if (tags === 'all') {
        await redis.eval(FLUSH_SCRIPT, 2, epochKey, generationKey).catch(failed('flush'));
        return;
      }
      const keys = [epochKey, ...tags.map(tagKey)];
      await redis.eval(INVALIDATE_SCRIPT, keys.length, ...keys).catch(failed('invalidation'));
    },
  };
}
