import type { QueryResolvers } from '../resolvers.generated.ts';

export const rateLimitQuery: Pick<QueryResolvers, 'rateLimit'> = {
  // The budget was spent before execution (HTTP: src/server/budget-plugin.ts,
  // WebSocket: src/server/ws-server.ts); this reports it.
  rateLimit: (_, __, { budget }) => budget ?? { cost: 1, limit: null, remaining: null, resetAt: null },
};
