import type { CredentialResolver } from '../../auth/credentials.ts';
import type { Viewer } from '../../auth/viewer.ts';
import { AppError } from '../../lib/errors.ts';
import type { Logger } from '../../lib/logger.ts';
import type { EventBus } from '../../events/event-bus.ts';

/**
 * Credentials ended by logOut, revokeSession, a password change, refresh-token
 * reuse, suspension, account deletion or API key revocation, and role changes. Every instance closes the sockets
 * that were opened with them, at once rather than at token expiry.
 */
export const CREDENTIALS_REVOKED = 'auth:credentials-revoked';

export interface CredentialsRevoked {
  userId: string;
  /** These sessions ended. */
  sessionIds?: string[];
  /** Every credential of the account ended (suspension, deletion). */
  wholeAccount?: boolean;
  /** These API keys were revoked. */
  apiKeyIds?: string[];
  /**
   * The account's role changed: its sockets close, so every operation and
   * subscription is authorized again under the new role (a demoted moderator
   * keeps no moderator power, nor sight of hidden content, on an open socket).
   */
  roleChanged?: boolean;
}

/** Whether a socket opened with `viewer`'s credential must close for this announcement. */
export function revokes(event: CredentialsRevoked, viewer: Pick<Viewer, 'id' | 'sessionId' | 'apiKeyId'>): boolean {
  if (viewer.id !== event.userId) return false;
  if (event.wholeAccount || event.roleChanged) return true;
  if (viewer.sessionId && event.sessionIds?.includes(viewer.sessionId)) return true;
  return Boolean(viewer.apiKeyId && event.apiKeyIds?.includes(viewer.apiKeyId));
}

/** Announces a revocation after its transaction committed; a lost announcement only delays the close to token expiry. */
export function announceRevoked(bus: EventBus, logger: Logger, event: CredentialsRevoked): void {
  if (!event.wholeAccount && !event.roleChanged && !event.sessionIds?.length && !event.apiKeyIds?.length) return;
  void Promise.resolve(bus.publish(CREDENTIALS_REVOKED, event)).catch((error) =>
    logger.warn('could not announce revoked credentials', { error: String(error) }),
  );
}

/**
 * Resolves a socket's credential again before each of its operations, as HTTP
 * does for every request: a revoked key or session, a suspension or a role
 * change applies at once on every instance, even if its announcement was lost.
 * Stores the fresh viewer and returns null, or calls `refuse` (which closes
 * the socket with 4403) and returns the operation's UNAUTHENTICATED error.
 */
export async function recheckViewer(
  deps: { credentials: Pick<CredentialResolver, 'resolve'> },
  state: { viewer?: Viewer | null; authorization?: unknown },
  refuse: () => void,
): Promise<AppError[] | null> {
  const before = state.viewer;
  if (!before) return null; // anonymous: nothing can be revoked
  let viewer: Viewer | null;
  try {
    viewer = await deps.credentials.resolve(state.authorization);
  } catch (error) {
    if (!(error instanceof AppError && error.extensions.code === 'UNAUTHENTICATED')) throw error;
    viewer = null;
  }
  if (!viewer || viewer.id !== before.id) {
    refuse();
    return [new AppError('UNAUTHENTICATED', 'Invalid or expired credentials')];
  }
  state.viewer = viewer;
  return null;
}
