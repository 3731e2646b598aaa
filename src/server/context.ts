import { randomUUID } from 'node:crypto';
import type { SqlStats } from '../db/prisma.ts';
import type { EventBus } from '../events/event-bus.ts';
import { createLoaders, type Loaders } from '../modules/loaders.ts';
import type { AppDeps, RequestInfo, Viewer } from '../modules/scope.ts';
import { createServices, type Services } from '../modules/services.ts';
import type { OperationBudget } from './budgets.ts';
import type { NextSender } from './shared-subscribe.ts';

export interface GraphQLContext {
  requestId: string;
  deps: AppDeps;
  sqlStats: SqlStats;
  request: RequestInfo;
  viewer: Viewer | null;
  /** Set by signUp/logIn/refreshSession: the account the payload describes. */
  signedIn: { userId: string; sessionId: string } | null;
  loaders: Loaders;
  services: Services;
  /**
   * Set for WebSocket operations: lets a subscription close its socket (slow
   * consumer, 4292) and send its shared `next` payloads (src/server/shared-subscribe.ts).
   */
  connection?: { close(code: number, reason: string): void } & NextSender;
  /** What this operation spent from its payer's point budget (src/server/budgets.ts). */
  budget?: OperationBudget;
  /** Ends every bus subscription this operation made (called when a subscription completes). */
  dispose(): void;
}

/**
 * The bus as one operation sees it: its subscriptions are remembered, so that
 * completing a GraphQL subscription ends them at once. (An async generator
 * waiting on a bus event only runs its cleanup when the next event arrives;
 * ending the bus iterator underneath wakes it now.)
 */
function trackingBus(bus: EventBus, subscriptions: Set<AsyncIterator<unknown>>): EventBus {
  return {
    publish: (topic, payload) => bus.publish(topic, payload),
    subscribed: (topic) => bus.subscribed(topic),
    whenSubscribed: (topic, subscribers) => bus.whenSubscribed(topic, subscribers),
    close: () => bus.close(),
    subscribe<T>(topic: string) {
      const iterator = bus.subscribe<T>(topic);
      subscriptions.add(iterator);
      return iterator;
    },
  };
}

/**
 * The one context factory for HTTP requests, WebSocket operations and each
 * subscription event: same viewer rules, fresh loaders every time. The
 * viewer comes from `deps.credentials.resolve(authorization)`.
 */
export function createContext(
  deps: AppDeps,
  viewer: Viewer | null,
  request: RequestInfo,
  sqlStats: SqlStats = { statements: 0 },
  requestId = randomUUID(),
): GraphQLContext {
  const loaders = createLoaders(deps.db, viewer);
  const subscriptions = new Set<AsyncIterator<unknown>>();
  const operationDeps = { ...deps, bus: trackingBus(deps.bus, subscriptions) };
  return {
    requestId,
    deps: operationDeps,
    sqlStats,
    request,
    viewer,
    signedIn: null,
    loaders,
    services: createServices({ ...operationDeps, viewer, loaders, request }),
    dispose() {
      for (const iterator of subscriptions) void iterator.return?.();
      subscriptions.clear();
    },
  };
}

/** Gives a long-lived context (a subscription's) fresh loaders and services. */
export function renewContext(context: GraphQLContext): void {
  const { deps, viewer, request } = context;
  context.loaders = createLoaders(deps.db, viewer);
  context.services = createServices({ ...deps, viewer, loaders: context.loaders, request });
}
