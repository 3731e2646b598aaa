import type { Logger } from '../lib/logger.ts';
import type { EventBus } from './event-bus.ts';

/**
 * Credentials ended by logOut, revokeSession, a password change, refresh-token
 * reuse, suspension or account deletion. Every instance closes the sockets
 * that were opened with them, at once rather than at token expiry.
 */
export const CREDENTIALS_REVOKED = 'auth:credentials-revoked';

export interface CredentialsRevoked {
  userId: string;
  /** These sessions ended. */
  sessionIds?: string[];
  /** Every credential of the account ended (suspension, deletion). */
  wholeAccount?: boolean;
}

/** Announces a revocation after its transaction committed; a lost announcement only delays the close to token expiry. */
export function announceRevoked(bus: EventBus, logger: Logger, event: CredentialsRevoked): void {
  if (!event.wholeAccount && !event.sessionIds?.length) return;
  void Promise.resolve(bus.publish(CREDENTIALS_REVOKED, event)).catch((error) =>
    logger.warn('could not announce revoked credentials', { error: String(error) }),
  );
}
