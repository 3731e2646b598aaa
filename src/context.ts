import { randomUUID } from 'node:crypto';
import { AppError } from './lib/errors.ts';
import { createLoaders, type Loaders } from './loaders/index.ts';
import { createServices, type Services } from './services/index.ts';
import type { AppDeps, Viewer } from './services/deps.ts';
import type { SqlStats } from './db/prisma.ts';

export interface GraphQLContext {
  requestId: string;
  deps: AppDeps;
  sqlStats: SqlStats;
  viewer: Viewer | null;
  loaders: Loaders;
  services: Services;
  /** Set for WebSocket operations: lets a subscription close its socket (slow consumer, 4292). */
  connection?: { close(code: number, reason: string): void };
}

/**
 * The one context factory for HTTP requests, WebSocket operations and each
 * subscription event: same viewer rules, fresh loaders every time.
 */
export function createContext(
  deps: AppDeps,
  viewer: Viewer | null,
  sqlStats: SqlStats = { statements: 0 },
  requestId = randomUUID(),
): GraphQLContext {
  const loaders = createLoaders(deps.db, viewer?.id ?? null);
  return { requestId, deps, sqlStats, viewer, loaders, services: createServices({ ...deps, viewer, loaders }) };
}

/** Gives a long-lived context (a subscription's) fresh loaders and services. */
export function renewContext(context: GraphQLContext): void {
  const { deps } = context;
  context.loaders = createLoaders(deps.db, context.viewer?.id ?? null);
  context.services = createServices({ ...deps, viewer: context.viewer, loaders: context.loaders });
}

/**
 * Resolves the viewer from an `Authorization: Bearer` value (HTTP header or
 * WebSocket connectionParams). No credentials means anonymous; bad
 * credentials are an error, never silently anonymous.
 */
export function viewerFromAuthorization(deps: AppDeps, authorization: unknown): Viewer | null {
  if (authorization === undefined || authorization === null || authorization === '') return null;
  const match = typeof authorization === 'string' ? /^Bearer ([^\s]+)$/i.exec(authorization) : null;
  const claims = match ? deps.tokens.verifyAccessToken(match[1]!) : null;
  if (!claims) {
    throw new AppError('UNAUTHENTICATED', 'Invalid or expired access token', { http: { status: 401 } });
  }
  return { id: claims.userId };
}
