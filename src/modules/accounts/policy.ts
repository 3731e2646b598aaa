import { hasRole, type Viewer } from '../../auth/viewer.ts';

// Who sees what of an account. The SDL directives only say whether a field
// needs a signed-in viewer or a role; the rules about whose account it is live here.

/**
 * Who an operation reads for: its viewer, plus the account a sign-in in the
 * same operation just proved (signUp/logIn payloads show that account's own fields).
 */
export interface AccountReader {
  viewer: Viewer | null;
  signedIn?: { userId: string } | null;
}

/** The reader is the account itself. */
export function isAccountOwner(reader: AccountReader, userId: string): boolean {
  return reader.signedIn?.userId === userId || reader.viewer?.id === userId;
}

/** Email, sessions and API keys: the account itself and admins. */
export function canSeePrivateFields(reader: AccountReader, userId: string): boolean {
  return isAccountOwner(reader, userId) || hasRole(reader.viewer, 'ADMIN');
}

/** Whether (and since when) an account is suspended: the account itself and staff. */
export function canSeeSuspension(viewer: Viewer | null, userId: string): boolean {
  return viewer?.id === userId || hasRole(viewer, 'MODERATOR');
}

/**
 * Account fields the same for every viewer of one role and credential kind
 * (see postRoleScopedFields). Not `email` or `suspendedAt` (the account
 * itself sees them), nor anything about the viewer's follows.
 */
export const accountRoleScopedFields = {
  User: ['id', 'username', 'name', 'bio', 'role', 'createdAt'],
} as const;

/** `user` (by id or username) reads no viewer: the same for every viewer of one class (src/server/response-cache.ts). */
export const accountSharedQueryFields = {
  Query: ['user'],
} as const;
