import type { ApiScope, Role } from '../db/generated/client.ts';

/** How the request proved who it is. */
type CredentialKind = 'session' | 'apiKey' | 'external';

export const ALL_SCOPES: ReadonlySet<ApiScope> = new Set<ApiScope>(['READ', 'WRITE']);

export interface Viewer {
  id: string;
  role: Role;
  credential: CredentialKind;
  /** The session of a session access token; null for API keys and external tokens. */
  sessionId: string | null;
  /** The API key of an API-key credential (so its revocation can close the sockets opened with it). */
  apiKeyId?: string;
  /** What the credential may do: API keys carry their scopes, other credentials all. */
  scopes: ReadonlySet<ApiScope>;
  /** When the credential stops being valid, if it expires. */
  expiresAt: Date | null;
}

const RANK: Record<Role, number> = { USER: 0, MODERATOR: 1, ADMIN: 2 };

export function hasRole(viewer: Pick<Viewer, 'role'> | null, role: Role): boolean {
  return viewer !== null && RANK[viewer.role] >= RANK[role];
}
