import type { Viewer } from '../../auth/viewer.ts';
import type { PresenceState } from '../../events/presence-store.ts';

// Presence is public, like the profile it belongs to: anyone, signed in or
// not, may see whether a user is online and when they were last seen, and
// follow it live (the watch list is bounded in service.ts, an input limit).

/** Who may see whose presence: everyone may see everyone's. */
export function canSeePresence(_viewer: Pick<Viewer, 'id'> | null, _userId: string): boolean {
  return true;
}

/** What a viewer who may not see a user's presence is shown instead: offline, never seen. */
export function hiddenPresence(userId: string): PresenceState {
  return { userId, online: false, lastSeenAt: null };
}
