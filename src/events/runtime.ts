import type pg from 'pg';
import type { AppConfig } from '../config.ts';
import type { Logger } from '../lib/logger.ts';
import { createDispatcher, type Dispatcher } from './dispatcher.ts';
import { createInMemoryBus, type EventBus } from './event-bus.ts';
import { createInProcessPresence, createRedisPresence, type PresenceStore } from './presence-store.ts';
import type { RealtimeDeps } from './realtime-deps.ts';
import { closeRedis, connectionName, createRedis, type RedisClient } from '../db/redis.ts';
import { createRedisBus } from './redis-bus.ts';
import { createInProcessTypingThrottle, createRedisTypingThrottle, type TypingThrottle } from './typing-throttle.ts';

export interface RealtimeRuntime {
  bus: EventBus;
  /** The shared Redis command connection, when REDIS_URL is set (also used for login throttling). */
  redis: RedisClient | null;
  deps: RealtimeDeps;
  /** Publishes events left pending (e.g. by a crash), then keeps polling. */
  start(): Promise<void>;
  /** Flushes the outbox, then closes presence, Redis and the bus; `onStep` logs each stage. */
  stop(options?: { deadline?: number; onStep?: (msg: string) => void }): Promise<void>;
}

/**
 * The real-time layer: without REDIS_URL the bus, presence and typing
 * throttle live in this process; with it they go through Redis so any
 * number of instances share them.
 */
export async function startRealtime(config: AppConfig, pool: pg.Pool, logger: Logger): Promise<RealtimeRuntime> {
  const rt = config.realtime;
  let bus: EventBus;
  let presence: PresenceStore;
  let typing: TypingThrottle;
  const closers: (() => Promise<unknown>)[] = [];
  let redis: RedisClient | null = null;
  if (config.redis) {
    const commandTimeoutMs = config.faults.redisCommandTimeoutMs;
    bus = await createRedisBus(config.redis, config.redisKeyPrefix, logger, rt.subscriptionQueueLimit, commandTimeoutMs);
    presence = await createRedisPresence({
      target: config.redis,
      prefix: config.redisKeyPrefix,
      bus,
      logger,
      heartbeatMs: rt.presenceHeartbeatMs,
      ttlMs: rt.presenceTtlMs,
      commandTimeoutMs,
    });
    // Fail fast: login throttling and typing answer at once while Redis is away.
    const commands = createRedis(config.redis, connectionName(config.redisKeyPrefix, 'commands'), logger, { commandTimeoutMs });
    await commands.connect();
    typing = createRedisTypingThrottle(commands, config.redisKeyPrefix);
    redis = commands;
    closers.push(() => closeRedis(commands, commandTimeoutMs));
  } else {
    bus = createInMemoryBus(rt.subscriptionQueueLimit);
    presence = createInProcessPresence(bus);
    typing = createInProcessTypingThrottle();
  }
  const dispatcher: Dispatcher | null = rt.outboxDispatch
    ? createDispatcher({ pool, bus, logger, pollMs: rt.outboxPollMs, retentionHours: rt.outboxRetentionHours })
    : null;

  return {
    bus,
    redis,
    deps: { kick: () => dispatcher?.kick(), presence, typing },
    async start() {
      await dispatcher?.start();
    },
    async stop(options = {}) {
      const step = options.onStep ?? (() => {});
      if (dispatcher) {
        await dispatcher.stop(options.deadline);
        step('outbox dispatcher flushed');
      }
      await presence.close().catch((e) => logger.warn('presence close failed', { error: String(e) }));
      for (const close of closers) await close().catch(() => {});
      await bus.close();
      step(config.redis ? 'redis closed' : 'event bus closed');
    },
  };
}
