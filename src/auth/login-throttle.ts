import type { RedisClient } from '../db/redis.ts';
import { createHash } from 'node:crypto';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, RLWrapperTimeouts, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { AppConfig } from '../config.ts';
import { AppError } from '../lib/errors.ts';

export type LoginThrottlePolicy = AppConfig['loginThrottle'];

/**
 * Who a login attempt is about: the account's id when the login names one,
 * the normalized login otherwise, so `alice`, `ALICE` and alice's email
 * share one count and unknown logins are counted exactly like known ones.
 */
type LoginSubject = { userId: string } | { login: string };

/**
 * One login attempt's reservations: the address slot is taken first (before
 * the account is even looked up, so a blocked address costs no query), then
 * the account slots; `succeeded()` gives them back after a correct password.
 */
export interface LoginAttempt {
  /** Reserves the per-account+address and per-account slots, or throws RATE_LIMITED. */
  forAccount(subject: LoginSubject): Promise<void>;
  succeeded(): Promise<void>;
}

interface Limiters {
  /** Consecutive failures of one account from one address: the strict limit. */
  byAccountAndIp: RateLimiterAbstract;
  /** Failures from one address, whatever the account (credential stuffing). */
  byIp: RateLimiterAbstract;
  /** Failures of one account from every address: high, so one address cannot lock the owner out. */
  byAccount: RateLimiterAbstract;
}

const hashed = (value: string) => createHash('sha256').update(value).digest('hex');

function subjectKey(subject: LoginSubject): string {
  return 'userId' in subject ? `user:${subject.userId}` : `login:${hashed(subject.login.trim().toLowerCase())}`;
}

function rateLimited(rejection: RateLimiterRes): AppError {
  const retryAfterSeconds = Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
  return new AppError('RATE_LIMITED', 'Too many failed logins; try again later', { retryAfterSeconds });
}

/**
 * Slows password guessing (rate-limiter-flexible's login-protection recipe,
 * with the counters taken before the password is checked).
 *
 * Every attempt reserves a point in each limiter before the password is
 * verified, each `consume` being one atomic increment, so a burst of
 * parallel attempts cannot all pass a check made before any was counted. A
 * correct password gives the points back and clears the account+address
 * count. The limiters are consumed one after another (address, then
 * account+address, then account) and the first refusal stops: attempts
 * refused at the account+address limit never reach the per-account count,
 * so one address cannot spend the budget that protects the owner's logins
 * from elsewhere.
 */
export class LoginThrottle {
  constructor(private readonly limiters: Limiters) {}

  /** Reserves the address's slot for one attempt, or throws RATE_LIMITED with `retryAfterSeconds`. */
  async begin(ip: string | null): Promise<LoginAttempt> {
    const { byIp, byAccountAndIp, byAccount } = this.limiters;
    const address = ip ?? 'unknown';
    await consume(byIp, address);
    let account: string | null = null;
    return {
      async forAccount(subject) {
        const key = subjectKey(subject);
        await consume(byAccountAndIp, `${key}|${address}`);
        await consume(byAccount, key);
        account = key;
      },
      async succeeded() {
        await Promise.all([
          byIp.reward(address),
          account && byAccountAndIp.delete(`${account}|${address}`),
          account && byAccount.reward(account),
        ]);
      },
    };
  }
}

async function consume(limiter: RateLimiterAbstract, key: string): Promise<void> {
  try {
    await limiter.consume(key);
  } catch (error) {
    if (error instanceof RateLimiterRes) throw rateLimited(error);
    throw error;
  }
}

function limiterOptions(policy: LoginThrottlePolicy) {
  const window = { duration: policy.windowSeconds, blockDuration: policy.windowSeconds };
  return {
    byAccountAndIp: { ...window, keyPrefix: 'login-fail-account-ip', points: policy.maxFailuresPerLogin },
    byIp: { ...window, keyPrefix: 'login-fail-ip', points: policy.maxFailuresPerIp },
    byAccount: { ...window, keyPrefix: 'login-fail-account', points: policy.maxFailuresPerAccount },
  };
}

/** Counters in this process: right for a single instance. */
export function createMemoryLoginThrottle(policy: LoginThrottlePolicy): LoginThrottle {
  const options = limiterOptions(policy);
  return new LoginThrottle({
    byAccountAndIp: new RateLimiterMemory(options.byAccountAndIp),
    byIp: new RateLimiterMemory(options.byIp),
    byAccount: new RateLimiterMemory(options.byAccount),
  });
}

/**
 * Counters in Redis, shared by every instance. When Redis is not connected,
 * or does not answer within `redisTimeoutMs`, each limiter falls back to an
 * in-process one (its insurance), so an outage degrades to per-instance
 * counting instead of hanging or refusing every login.
 */
export function createRedisLoginThrottle(redis: RedisClient, prefix: string, policy: LoginThrottlePolicy): LoginThrottle {
  const options = limiterOptions(policy);
  const shared = (opts: (typeof options)[keyof typeof options]) =>
    new RLWrapperTimeouts({
      limiter: new RateLimiterRedis({
        ...opts,
        keyPrefix: `${prefix}${opts.keyPrefix}`,
        storeClient: redis,
        rejectIfRedisNotReady: true,
        insuranceLimiter: new RateLimiterMemory(opts),
      }),
      timeoutMs: policy.redisTimeoutMs,
      // The wrapper hands its own blockDuration to the insurance it adopts.
      blockDuration: opts.blockDuration,
    });
  return new LoginThrottle({
    byAccountAndIp: shared(options.byAccountAndIp),
    byIp: shared(options.byIp),
    byAccount: shared(options.byAccount),
  });
}
