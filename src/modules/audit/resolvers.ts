import { expectGlobalId, toGlobalId } from '../../lib/global-id.ts';
import type { Resolvers } from '../../graphql/resolvers.generated.ts';

// Who reads the log: audit/policy.ts (the SDL's @hasRole(ADMIN) gates the list).
export const auditResolvers: Resolvers = {
  Query: {
    auditEvents: (_, { userId, ...args }, { services }) =>
      services.audit.list({ ...args, userId: userId ? expectGlobalId(userId, 'User', 'userId') : null }),
  },

  AuditEvent: {
    id: (event) => toGlobalId('AuditEvent', event.id),
    type: (event) => event.type,
    actor: (event, _, { loaders }) => (event.actorId ? loaders.user.load(event.actorId) : null),
    targetUser: (event, _, { loaders }) => (event.targetUserId ? loaders.user.load(event.targetUserId) : null),
    details: (event) => JSON.stringify(event.data),
  },
};
