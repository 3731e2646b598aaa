import type { RedisClient } from '../db/redis.ts';

/** How long a typing signal lasts unless renewed. */
export const TYPING_TTL_MS = 6_000;
/** At most one accepted "typing: true" per user and conversation in this window. */
const TYPING_THROTTLE_MS = 2_000;

export const typingTopic = (conversationId: string) => `typing:${conversationId}`;

export interface TypingThrottle {
  /** True when this signal may be published now. */
  allow(conversationId: string, userId: string): Promise<boolean>;
}

export function createInProcessTypingThrottle(): TypingThrottle {
  const until = new Map<string, number>();
  return {
    async allow(conversationId, userId) {
      const key = `${conversationId}:${userId}`;
      const now = Date.now();
      if ((until.get(key) ?? 0) > now) return false;
      until.set(key, now + TYPING_THROTTLE_MS);
      if (until.size > 10_000) for (const [k, t] of until) if (t <= now) until.delete(k);
      return true;
    },
  };
}

/** Shared across instances: SET NX PX is the throttle window. Fails closed (signal dropped) when Redis is away. */
export function createRedisTypingThrottle(redis: RedisClient, prefix: string): TypingThrottle {
  return {
    async allow(conversationId, userId) {
      try {
        const ok = await redis.set(`${prefix}typing:${conversationId}:${userId}`, '1', 'PX', TYPING_THROTTLE_MS, 'NX');
        return ok === 'OK';
      } catch {
        return false; // Redis unreachable: the typing signal is dropped, never waited for
      }
    },
  };
}
