import type { RedisClient } from '../db/redis.ts';
import { Kind, type DocumentNode, type OperationDefinitionNode, type SelectionSetNode } from 'graphql';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, RLWrapperTimeouts } from 'rate-limiter-flexible';
import type { BudgetConfig } from '../config.ts';
import { AppError } from '../lib/errors.ts';
import type { Logger } from '../lib/logger.ts';

/** What one operation spent, as clients see it in `extensions.cost` and `rateLimit`. */
export interface OperationBudget {
  /** Static cost of the operation (at least 1). */
  cost: number;
  /** Points per window; null when point budgets are off. */
  limit: number | null;
  /** Points left in the current window after this operation; null when off. */
  remaining: number | null;
  /** When the current window ends and the budget is full again; null when off. */
  resetAt: Date | null;
}

/** Who pays: the signed-in user, else the client address. */
export interface Payer {
  viewerId: string | null;
  address: string | null;
}

/** Mutations that write rows others receive; each call counts against the writes budget. */
const COSTLY_WRITES = new Set(['sendMessage', 'createPost', 'createComment']);

export type BudgetName = 'points' | 'writes' | 'signUps';

/** RATE_LIMITED for an exhausted budget; `retryAfterSeconds` says when to retry. */
export class BudgetExceeded extends AppError {
  constructor(
    readonly budget: BudgetName,
    readonly retryAfterSeconds: number,
    readonly state: OperationBudget,
  ) {
    super('RATE_LIMITED', `Rate limit exceeded (${budget}); try again in ${retryAfterSeconds} s`, { budget, retryAfterSeconds });
  }
}

/** The JSON shape of `extensions.cost`. */
export function costExtension(budget: OperationBudget) {
  return {
    requested: budget.cost,
    limit: budget.limit,
    remaining: budget.remaining,
    resetAt: budget.resetAt?.toISOString() ?? null,
  };
}

/**
 * Names of the root fields an operation selects, once per selection (so two
 * aliases of `createPost` count twice), through root-level fragments.
 */
export function rootFieldNames(document: DocumentNode, operation: OperationDefinitionNode): string[] {
  const fragments = new Map(
    document.definitions.flatMap((d) => (d.kind === Kind.FRAGMENT_DEFINITION ? [[d.name.value, d.selectionSet] as const] : [])),
  );
  const names: string[] = [];
  const visit = (set: SelectionSetNode, seen: Set<string>) => {
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) names.push(selection.name.value);
      else if (selection.kind === Kind.INLINE_FRAGMENT) visit(selection.selectionSet, seen);
      else if (!seen.has(selection.name.value)) {
        const fragment = fragments.get(selection.name.value);
        if (fragment) visit(fragment, new Set(seen).add(selection.name.value));
      }
    }
  };
  visit(operation.selectionSet, new Set());
  return names;
}

type Limiter = { consume(key: string, points: number): Promise<RateLimiterRes> } | null;

/**
 * Point budgets (rate-limiter-flexible): every operation spends its static
 * cost from its payer's budget, and costly mutations also spend from a
 * writes budget (per viewer) or, for signUp, a per-address budget. With Redis
 * the counters are shared by every instance; when Redis is not ready, a
 * command fails or takes longer than `redisTimeoutMs`, each instance counts
 * locally (the insurance limiter) instead of hanging or failing the request.
 */
export class Budgets {
  private readonly points: Limiter;
  private readonly writes: Limiter;
  private readonly signUps: Limiter;

  constructor(
    private readonly config: BudgetConfig,
    redis: RedisClient | null,
    keyPrefix: string,
    private readonly logger: Logger,
  ) {
    const make = (name: string, points: number, duration: number): Limiter => {
      if (points === 0) return null;
      const insuranceLimiter = new RateLimiterMemory({ keyPrefix: name, points, duration });
      if (!redis) return insuranceLimiter;
      const shared = new RateLimiterRedis({
        storeClient: redis,
        keyPrefix: `${keyPrefix}budget:${name}`,
        points,
        duration,
        rejectIfRedisNotReady: true,
        insuranceLimiter,
      });
      return new RLWrapperTimeouts({ limiter: shared, timeoutMs: config.redisTimeoutMs, insuranceLimiter });
    };
    this.points = make('points', config.points, config.windowSeconds);
    this.writes = make('writes', config.writes, config.writesWindowSeconds);
    this.signUps = make('signups', config.signUps, config.signUpsWindowSeconds);
  }

  /**
   * Spends `cost` points (and write/sign-up allowances for the root fields
   * given) for `payer`. Throws BudgetExceeded when a budget is exhausted.
   */
  async spend(payer: Payer, cost: number, rootFields: readonly string[] = []): Promise<OperationBudget> {
    const key = payer.viewerId ? `user:${payer.viewerId}` : `addr:${payer.address ?? 'unknown'}`;
    const writes = rootFields.filter((name) => COSTLY_WRITES.has(name)).length;
    const signUps = rootFields.filter((name) => name === 'signUp').length;
    const off: OperationBudget = { cost, limit: null, remaining: null, resetAt: null };

    if (writes > 0) await this.take(this.writes, 'writes', key, writes, off);
    if (signUps > 0) await this.take(this.signUps, 'signUps', `addr:${payer.address ?? 'unknown'}`, signUps, off);
    if (!this.points) return off;
    const res = await this.take(this.points, 'points', key, cost, off, true);
    return res ? this.state(cost, res) : off;
  }

  private state(cost: number, res: RateLimiterRes): OperationBudget {
    return {
      cost,
      limit: this.config.points,
      remaining: Math.max(0, res.remainingPoints),
      resetAt: new Date(Date.now() + res.msBeforeNext),
    };
  }

  private async take(
    limiter: Limiter,
    budget: BudgetName,
    key: string,
    amount: number,
    off: OperationBudget,
    isPoints = false,
  ): Promise<RateLimiterRes | null> {
    if (!limiter) return null;
    try {
      return await limiter.consume(key, amount);
    } catch (error) {
      if (!(error instanceof RateLimiterRes)) {
        // Both Redis and the local fallback failed: let the operation through
        // rather than refuse everyone because counting broke.
        this.logger.warn('budget check failed', { budget, error: String(error) });
        return null;
      }
      const retryAfterSeconds = Math.max(1, Math.ceil(error.msBeforeNext / 1000));
      throw new BudgetExceeded(budget, retryAfterSeconds, isPoints ? this.state(off.cost, error) : off);
    }
  }
}
