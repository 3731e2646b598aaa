import type { Viewer } from '../../auth/viewer.ts';
import { canSeePrivateFields } from '../accounts/policy.ts';

// Sessions and API keys: who may see them, who may manage them.

/**
 * Managing the account's credentials (log out, revoke, create keys, change
 * password) needs a signed-in session: never an API key or external token.
 */
export function canManageCredentials(viewer: Viewer | null): viewer is Viewer & { sessionId: string } {
  return viewer !== null && viewer.sessionId !== null;
}

/** A session or API key is seen by its account and by admins (as the account's private fields are). */
export function canSeeCredential(viewer: Viewer | null, credential: { userId: string }): boolean {
  return canSeePrivateFields({ viewer }, credential.userId);
}

/** Only the account itself revokes its sessions and keys. */
export function canRevokeCredential(viewer: Viewer, credential: { userId: string }): boolean {
  return credential.userId === viewer.id;
}

/**
 * Prisma twin of canRevokeCredential: the rows (sessions or API keys) the viewer
 * may revoke. Someone else's row then reads as missing, not as forbidden.
 */
export function revocableWhere(viewer: Viewer): { userId: string } {
  return { userId: viewer.id };
}
