import { randomUUID } from 'node:crypto';
import type { SqlStats } from './db/prisma.ts';
import { createLoaders, type Loaders } from './loaders/index.ts';
import type { AppDeps, RequestInfo, Viewer } from './services/deps.ts';
import { createServices, type Services } from './services/index.ts';

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
  /** Set for WebSocket operations: lets a subscription close its socket (slow consumer, 4292). */
  connection?: { close(code: number, reason: string): void };
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
  return { requestId, deps, sqlStats, request, viewer, signedIn: null, loaders, services: createServices({ ...deps, viewer, loaders, request }) };
}

/** Gives a long-lived context (a subscription's) fresh loaders and services. */
export function renewContext(context: GraphQLContext): void {
  const { deps, viewer, request } = context;
  context.loaders = createLoaders(deps.db, viewer);
  context.services = createServices({ ...deps, viewer, loaders: context.loaders, request });
}
