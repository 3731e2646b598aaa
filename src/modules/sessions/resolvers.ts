import type { GraphQLContext } from '../../server/context.ts';
import { toGlobalId } from '../../lib/global-id.ts';
import type { Resolvers } from '../../graphql/resolvers.generated.ts';
import { canSeePrivateFields } from '../accounts/policy.ts';
import type { AuthResult } from './service.ts';

const globalSessionId = (id: string) => toGlobalId('Session', id);

/**
 * The payload of a sign-in may show the account's own private fields (its
 * email, `current` on the new session). Only reads of that account widen:
 * the operation's viewer, and so what else it may do, stays as it was.
 */
export function signedInAs(context: GraphQLContext, result: AuthResult): AuthResult {
  context.signedIn = { userId: result.user.id, sessionId: result.session.id };
  return result;
}

export const sessionResolvers: Resolvers = {
  Mutation: {
    refreshSession: async (_, { input }, context) => signedInAs(context, await context.services.sessions.refresh(input.refreshToken)),
    logOut: async (_, __, { services }) => ({ sessionId: globalSessionId(await services.sessions.logOut()) }),
    logOutEverywhere: async (_, __, { services }) => ({ revokedSessionCount: await services.sessions.logOutEverywhere() }),
    revokeSession: async (_, { input }, { services }) => ({ sessionId: globalSessionId(await services.sessions.revoke(input.id)) }),
    createApiKey: (_, { input }, { services }) => services.apiKeys.create(input),
    revokeApiKey: async (_, { input }, { services }) => ({ apiKey: await services.apiKeys.revoke(input.id) }),
  },

  User: {
    // A user's credentials are private fields (accounts/policy.ts).
    sessions: (user, args, context) => (canSeePrivateFields(context, user.id) ? context.services.sessions.list(user.id, args) : null),
    apiKeys: (user, _, context) => (canSeePrivateFields(context, user.id) ? context.services.apiKeys.list(user.id) : null),
  },

  Session: {
    id: (session) => globalSessionId(session.id),
    current: (session, _, { viewer, signedIn }) => (signedIn?.sessionId ?? viewer?.sessionId) === session.id,
  },

  ApiKey: {
    id: (key) => toGlobalId('ApiKey', key.id),
  },
};
