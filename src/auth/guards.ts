import { forbidden, unauthenticated } from '../lib/errors.ts';
import type { RequestScope, Viewer } from '../modules/scope.ts';
import { canManageCredentials } from '../modules/sessions/policy.ts';

export function requireViewer(scope: Pick<RequestScope, 'viewer'>): Viewer {
  if (!scope.viewer) throw unauthenticated();
  return scope.viewer;
}

/** For actions that manage the account itself: a signed-in session, not an API key or external token. */
export function requireSession(scope: Pick<RequestScope, 'viewer'>): Viewer & { sessionId: string } {
  const viewer = requireViewer(scope);
  if (!canManageCredentials(viewer)) throw forbidden('This needs a signed-in session, not an API key or external token');
  return viewer;
}
