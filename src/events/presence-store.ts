import { randomUUID } from 'node:crypto';
import type { Logger } from '../lib/logger.ts';
import type { EventBus } from './event-bus.ts';
import {
  closeRedis,
  connectionName,
  createRedis,
  DEFAULT_REDIS_COMMAND_TIMEOUT_MS,
  hashTagged,
  type RedisClient,
  type RedisTarget,
} from '../db/redis.ts';

export interface PresenceState {
  userId: string;
  online: boolean;
  lastSeenAt: Date | null;
}

/**
 * Who is online: a user is online while at least one of their WebSockets is
 * open on any instance. Changes are announced on the bus topic
 * `presence:<userId>` (the payload only names the user; subscribers read the
 * current state).
 */
export interface PresenceStore {
  connect(userId: string): Promise<void>;
  disconnect(userId: string): Promise<void>;
  get(userIds: readonly string[]): Promise<Map<string, PresenceState>>;
  close(): Promise<void>;
}

export const presenceTopic = (userId: string) => `presence:${userId}`;

/** Counts sockets per user on this instance; shared by both stores. */
class LocalCounts {
  readonly counts = new Map<string, number>();
  /** True when the user's first socket opened. */
  up(userId: string): boolean {
    const n = (this.counts.get(userId) ?? 0) + 1;
    this.counts.set(userId, n);
    return n === 1;
  }
  /** True when the user's last socket closed. */
  down(userId: string): boolean {
    const n = (this.counts.get(userId) ?? 0) - 1;
    if (n > 0) {
      this.counts.set(userId, n);
      return false;
    }
    const had = this.counts.delete(userId);
    return had;
  }
}

export function createInProcessPresence(bus: EventBus): PresenceStore {
  const local = new LocalCounts();
  const lastSeen = new Map<string, Date>();
  return {
    async connect(userId) {
      if (local.up(userId)) await bus.publish(presenceTopic(userId), { userId });
    },
    async disconnect(userId) {
      if (local.down(userId)) {
        lastSeen.set(userId, new Date());
        await bus.publish(presenceTopic(userId), { userId });
      }
    },
    async get(userIds) {
      return new Map(
        userIds.map((userId) => {
          const online = local.counts.has(userId);
          return [userId, { userId, online, lastSeenAt: online ? null : (lastSeen.get(userId) ?? null) }];
        }),
      );
    },
    async close() {
      local.counts.clear();
    },
  };
}

/**
 * Presence across instances. Each instance keeps the set of users it has
 * sockets for under `<prefix>presence:inst:<id>` and heartbeats its id into
 * the sorted set `<prefix>presence:instances` (score = last beat). Only sets
 * of instances that beat within `ttlMs` count, so a dead instance stops
 * keeping users online after at most `ttlMs`; the first live instance to
 * notice (ZREM wins once) marks its users last-seen and announces them.
 */
export async function createRedisPresence(options: {
  target: RedisTarget;
  prefix: string;
  bus: EventBus;
  logger: Logger;
  heartbeatMs: number;
  ttlMs: number;
  commandTimeoutMs?: number;
}): Promise<PresenceStore & { instanceId: string }> {
  const { prefix, bus, logger, heartbeatMs, ttlMs } = options;
  // Fail fast: while Redis is away, presence reads answer "offline" at once
  // instead of hanging (see get()).
  const redis = createRedis(options.target, connectionName(prefix, 'presence'), logger, {
    commandTimeoutMs: options.commandTimeoutMs ?? DEFAULT_REDIS_COMMAND_TIMEOUT_MS,
  });
  await redis.connect();
  const keys = presenceKeys(hashTagged(options.target, `${prefix}presence`));
  const ctx: RedisPresenceContext = { redis, keys, instanceId: randomUUID(), ttlMs, bus, logger };
  const { instanceId } = ctx;
  const { instKey, lastSeenKey } = ctx.keys;
  const local = new LocalCounts();

  await beat(ctx, local);
  const timer = setInterval(
    () => void beat(ctx, local).catch((e) => logger.warn('presence heartbeat failed', { error: String(e) })),
    heartbeatMs,
  );
  timer.unref();

  return {
    instanceId,
    async connect(userId) {
      if (!local.up(userId)) return;
      await redis
        .multi()
        .sadd(instKey(instanceId), userId)
        .pexpire(instKey(instanceId), ttlMs * 3)
        .exec();
      await bus.publish(presenceTopic(userId), { userId });
    },
    async disconnect(userId) {
      if (!local.down(userId)) return;
      await redis.multi().srem(instKey(instanceId), userId).hset(lastSeenKey, userId, String(Date.now())).exec();
      await bus.publish(presenceTopic(userId), { userId });
    },
    get: (userIds) => readPresenceOrOffline(ctx, userIds),
    async close() {
      clearInterval(timer);
      const users = [...local.counts.keys()];
      local.counts.clear();
      try {
        await leave(ctx, users);
      } finally {
        await closeRedis(redis);
      }
    },
  };
}

type PresenceKeys = ReturnType<typeof presenceKeys>;

/** What the Redis presence store's steps share. */
interface RedisPresenceContext {
  redis: RedisClient;
  keys: PresenceKeys;
  instanceId: string;
  ttlMs: number;
  bus: EventBus;
  logger: Logger;
}

/**
 * Heartbeat: this instance's beat and user set, then a sweep for dead
 * instances. The set is rewritten from the local counts on every beat, so
 * changes that failed to reach Redis during an outage are repaired once it
 * is back.
 */
async function beat(ctx: RedisPresenceContext, local: LocalCounts): Promise<void> {
  const { redis, instanceId, ttlMs } = ctx;
  const { instancesKey, instKey } = ctx.keys;
  const now = Date.now();
  const multi = redis.multi().zadd(instancesKey, now, instanceId).del(instKey(instanceId));
  if (local.counts.size > 0) multi.sadd(instKey(instanceId), ...local.counts.keys());
  multi.pexpire(instKey(instanceId), ttlMs * 3);
  await multi.exec();
  await sweepDeadInstances(ctx, now);
}

/** Presence of `userIds`; a degraded answer (all offline) while Redis is unreachable. */
async function readPresenceOrOffline(ctx: RedisPresenceContext, userIds: readonly string[]): Promise<Map<string, PresenceState>> {
  try {
    return await readPresence(ctx.redis, ctx.keys, ctx.ttlMs, userIds);
  } catch (error) {
    // Presence unknown, shown as offline.
    ctx.logger.warn('presence unavailable, answering offline', { error: String(error) });
    return new Map(userIds.map((userId) => [userId, { userId, online: false, lastSeenAt: null }]));
  }
}

/** On close: this instance leaves the cluster, its users are marked last-seen and announced. */
async function leave(ctx: RedisPresenceContext, users: readonly string[]): Promise<void> {
  const { redis, instanceId, bus } = ctx;
  const { instancesKey, instKey, lastSeenKey } = ctx.keys;
  const multi = redis.multi().zrem(instancesKey, instanceId).del(instKey(instanceId));
  if (users.length > 0) multi.hset(lastSeenKey, Object.fromEntries(users.map((u) => [u, String(Date.now())])));
  await multi.exec();
  for (const userId of users) await bus.publish(presenceTopic(userId), { userId });
}

/**
 * Every presence key starts with `base` (`<prefix>presence`, hash-tagged in a
 * cluster: the MULTIs and pipelines here touch several of them at once).
 */
function presenceKeys(base: string) {
  return {
    instancesKey: `${base}:instances`,
    instKey: (id: string) => `${base}:inst:${id}`,
    lastSeenKey: `${base}:lastseen`,
  };
}

/** The first live instance to notice a dead one marks its users last-seen and announces them. */
async function sweepDeadInstances(ctx: RedisPresenceContext, now: number): Promise<void> {
  const { redis, keys, instanceId, ttlMs, bus, logger } = ctx;
  const { instancesKey, instKey, lastSeenKey } = keys;
  const dead = await redis.zrangebyscore(instancesKey, '-inf', now - ttlMs);
  for (const id of dead) {
    if (id === instanceId) continue;
    if ((await redis.zrem(instancesKey, id)) !== 1) continue; // another instance swept it
    const users = await redis.smembers(instKey(id));
    await redis.del(instKey(id));
    if (users.length > 0) {
      await redis.hset(lastSeenKey, Object.fromEntries(users.map((u) => [u, String(now)])));
      for (const userId of users) await bus.publish(presenceTopic(userId), { userId });
    }
    logger.warn('presence: removed dead instance', { instance: id, users: users.length });
  }
}

/** Online: in the set of any instance that beat within `ttlMs`; else the last time seen. */
async function readPresence(
  redis: RedisClient,
  keys: PresenceKeys,
  ttlMs: number,
  userIds: readonly string[],
): Promise<Map<string, PresenceState>> {
  const { instancesKey, instKey, lastSeenKey } = keys;
  const result = new Map<string, PresenceState>();
  if (userIds.length === 0) return result;
  const live = await redis.zrangebyscore(instancesKey, Date.now() - ttlMs, '+inf');
  const pipeline = redis.pipeline();
  for (const id of live) pipeline.smismember(instKey(id), ...userIds);
  pipeline.hmget(lastSeenKey, ...userIds);
  const replies = (await pipeline.exec()) ?? [];
  const lastSeen = (replies.at(-1)?.[1] ?? []) as (string | null)[];
  userIds.forEach((userId, i) => {
    const online = replies.slice(0, live.length).some(([, flags]) => (flags as number[] | null)?.[i] === 1);
    const seen = lastSeen[i];
    result.set(userId, { userId, online, lastSeenAt: online || !seen ? null : new Date(Number(seen)) });
  });
  return result;
}
