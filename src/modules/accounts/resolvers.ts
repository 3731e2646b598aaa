import { toGlobalId } from '../../lib/global-id.ts';
import type { Resolvers } from '../../graphql/resolvers.generated.ts';
import { signedInAs } from '../sessions/resolvers.ts';
import { canSeePrivateFields, canSeeSuspension } from './policy.ts';

export const accountResolvers: Resolvers = {
  Query: {
    me: (_, __, { services }) => services.users.me(),
    user: (_, args, { services }) => services.users.find(args),
    users: (_, args, { services }) => services.users.list(args),
  },

  Mutation: {
    signUp: async (_, { input }, context) => signedInAs(context, await context.services.accounts.signUp(input)),
    logIn: async (_, { input }, context) => signedInAs(context, await context.services.accounts.logIn(input)),
    changePassword: async (_, { input }, { services }) => ({ user: await services.accounts.changePassword(input) }),
    changeEmail: async (_, { input }, { services }) => ({ user: await services.accounts.changeEmail(input) }),
    deleteAccount: async (_, { input }, { services }) => ({
      deletedUserId: toGlobalId('User', await services.accounts.deleteAccount(input)),
    }),
  },

  User: {
    id: (user) => toGlobalId('User', user.id),
    // Private fields, wherever the user is reached (accounts/policy.ts).
    email: (user, _, context) => (canSeePrivateFields(context, user.id) ? user.email : null),
    suspendedAt: (user, _, { viewer }) => (canSeeSuspension(viewer, user.id) ? user.suspendedAt : null),
  },
};
