import { hasRole, type Viewer } from '../../auth/viewer.ts';
import type { User } from '../../db/generated/client.ts';

// Whom moderation may be applied to. Who may moderate at all is the SDL's
// @hasRole gate (MODERATOR for content and suspensions, ADMIN for roles);
// role ordering USER < MODERATOR < ADMIN is auth/viewer.ts `hasRole`.

/** Hiding and restoring content: moderators and admins. */
export function canModerateContent(viewer: Viewer | null): boolean {
  return hasRole(viewer, 'MODERATOR');
}

/** Moderators act on members; only admins act on staff (suspend, unsuspend). */
export function canActOnAccount(viewer: Viewer, target: Pick<User, 'role'>): boolean {
  return target.role === 'USER' || hasRole(viewer, 'ADMIN');
}

/** Nobody suspends themselves or changes their own role. */
export function isSelf(viewer: Viewer, target: Pick<User, 'id'>): boolean {
  return viewer.id === target.id;
}

/** Setting roles: admins only. */
export function canSetRoles(viewer: Viewer | null): boolean {
  return hasRole(viewer, 'ADMIN');
}
