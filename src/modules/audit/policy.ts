import { hasRole, type Viewer } from '../../auth/viewer.ts';

/** The audit log is read by admins only (node(id) included; the SDL gates the `auditEvents` list the same way). */
export function canReadAuditLog(viewer: Viewer | null): boolean {
  return hasRole(viewer, 'ADMIN');
}
