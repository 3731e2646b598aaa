import type { GraphQLError } from 'graphql';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import type { BudgetConfig } from '../config.ts';
import { AppError } from '../lib/errors.ts';
import type { OperationBudget } from './budgets.ts';
import { CLOSE_CODES } from './close-codes.ts';

/** What the bounds keep on each socket (graphql-ws `ctx.extra`). */
export type SocketBoundsState = {
  /** Set while this socket counts against the anonymous caps. */
  anonymousAddress?: string;
  /** Key of this socket in the operation-rate limiter. */
  rateKey?: string;
  /** Budgets spent by subscribe messages, until their context takes them. */
  budgets?: Map<string, OperationBudget>;
};

// A socket refused this many times its allowed rate within one second is
// closed rather than answered message by message.
const CLOSE_AFTER_RATE_MULTIPLE = 2;

export type SocketBounds = ReturnType<typeof createSocketBounds>;

/**
 * WebSocket bounds besides graphql-ws's own: anonymous socket caps (per
 * client address and per instance) and a per-socket rate of subscribe
 * messages. The cost limit and point budgets are the pipeline's, as on HTTP
 * (src/server/operation-pipeline.ts); what an operation spent waits here for
 * its context.
 */
export function createSocketBounds(config: BudgetConfig) {
  return {
    ...anonymousSocketCaps(config),
    throttle: subscribeRate(config),

    /** Keeps what subscribe message `id` spent (src/server/operation-pipeline.ts `admit`) until its context takes it. */
    keepBudget(state: SocketBoundsState, id: string, budget: OperationBudget): void {
      (state.budgets ??= new Map()).set(id, budget);
    },

    /** The budget spent for subscribe message `id`, handed to its GraphQL context once. */
    takeBudget(state: SocketBoundsState, id: string): OperationBudget | undefined {
      const budget = state.budgets?.get(id);
      state.budgets?.delete(id);
      return budget;
    },
  };
}

/** Anonymous sockets counted per client address and per instance. */
function anonymousSocketCaps(config: BudgetConfig) {
  const anonymousPerAddress = new Map<string, number>();
  let anonymous = 0;
  return {
    /** Counts an anonymous socket, or says how to close it when a cap is reached. */
    admitAnonymous(state: SocketBoundsState, address: string | null): { code: number; reason: string } | null {
      const key = address ?? 'unknown';
      if (config.wsMaxAnonymousSockets > 0 && anonymous >= config.wsMaxAnonymousSockets) {
        return { code: CLOSE_CODES.ANONYMOUS_CAPACITY, reason: 'Too many anonymous sockets on this server; sign in or try again later' };
      }
      const open = anonymousPerAddress.get(key) ?? 0;
      if (config.wsMaxAnonymousSocketsPerAddress > 0 && open >= config.wsMaxAnonymousSocketsPerAddress) {
        return { code: CLOSE_CODES.TOO_MANY_ANONYMOUS_SOCKETS, reason: 'Too many anonymous sockets from this address' };
      }
      anonymousPerAddress.set(key, open + 1);
      anonymous += 1;
      state.anonymousAddress = key;
      return null;
    },

    release(state: SocketBoundsState): void {
      const key = state.anonymousAddress;
      if (key === undefined) return;
      state.anonymousAddress = undefined;
      anonymous -= 1;
      const open = (anonymousPerAddress.get(key) ?? 1) - 1;
      if (open > 0) anonymousPerAddress.set(key, open);
      else anonymousPerAddress.delete(key);
    },
  };
}

/**
 * Counts a subscribe message against the socket's rate: over it, that
 * operation gets RATE_LIMITED; far over it, the socket is closed (4294).
 */
function subscribeRate(config: BudgetConfig) {
  let sockets = 0;
  const rate =
    config.wsOperationsPerSecond > 0
      ? new RateLimiterMemory({ keyPrefix: 'ws-ops', points: config.wsOperationsPerSecond, duration: 1 })
      : null;
  return async (state: SocketBoundsState, close: (code: number, reason: string) => void): Promise<GraphQLError[] | null> => {
    if (!rate) return null;
    state.rateKey ??= String((sockets += 1));
    try {
      await rate.consume(state.rateKey);
      return null;
    } catch (error) {
      if (!(error instanceof RateLimiterRes)) throw error;
      if (error.consumedPoints > CLOSE_AFTER_RATE_MULTIPLE * config.wsOperationsPerSecond) {
        close(CLOSE_CODES.TOO_MANY_OPERATIONS, 'Too many operations on this socket');
      }
      const retryAfterSeconds = Math.max(1, Math.ceil(error.msBeforeNext / 1000));
      return [
        new AppError('RATE_LIMITED', `More than ${config.wsOperationsPerSecond} operations per second on this socket`, {
          budget: 'socketOperations',
          retryAfterSeconds,
        }),
      ];
    }
  };
}
