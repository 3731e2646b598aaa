import { print } from 'graphql';
import { API_URL } from './config.ts';
import type { AuthFieldsFragment } from './gql/graphql.ts';
import { REFRESH_SESSION } from './operations.ts';

/**
 * The signed-in session. The access token lives in memory only; the refresh
 * token is kept in localStorage so a reload stays signed in. Tokens rotate on
 * every refresh (each refresh token works once), so all refreshes go through
 * one in-flight promise.
 */
export interface Viewer {
  id: string;
  username: string;
  name: string;
}

interface Session {
  accessToken: string;
  /** When to refresh: a minute before expiry, or halfway through a shorter lifetime. */
  refreshAt: number;
  viewer: Viewer;
}

const REFRESH_KEY = 'agora.refreshToken';
// Refresh this long before the access token expires (at most), so requests
// and the socket never carry an expired token. Short lifetimes refresh
// halfway: a busy server or network still has time to answer.
const REFRESH_MARGIN_MS = 60_000;

type Listener = (session: Session | null, reason: 'signed-in' | 'refreshed' | 'signed-out') => void;

let session: Session | null = null;
/** Why the last session ended, when the user did not choose to (shown on the sign-in form). */
let notice: string | null = null;
let inFlight: Promise<string | null> | null = null;
let timer: ReturnType<typeof setTimeout> | undefined;
const listeners = new Set<Listener>();

function emit(reason: Parameters<Listener>[1]): void {
  for (const listener of listeners) listener(session, reason);
}

function schedule(): void {
  clearTimeout(timer);
  if (!session) return;
  timer = setTimeout(() => void refresh(), Math.max(session.refreshAt - Date.now(), 1_000));
}

function accept(payload: AuthFieldsFragment, reason: 'signed-in' | 'refreshed'): void {
  localStorage.setItem(REFRESH_KEY, payload.refreshToken);
  const expiresAt = Date.parse(payload.accessTokenExpiresAt);
  const lifetime = Math.max(expiresAt - Date.now(), 0);
  session = {
    accessToken: payload.accessToken,
    refreshAt: expiresAt - Math.min(REFRESH_MARGIN_MS, lifetime * 0.5),
    viewer: payload.user,
  };
  schedule();
  emit(reason);
}

export const auth = {
  get viewer(): Viewer | null {
    return session?.viewer ?? null;
  },

  hasRefreshToken(): boolean {
    return localStorage.getItem(REFRESH_KEY) !== null;
  },

  get notice(): string | null {
    return notice;
  },

  signedIn(payload: AuthFieldsFragment): void {
    notice = null;
    accept(payload, 'signed-in');
  },

  /**
   * Forgets the session locally (the server side is ended by the logOut
   * mutation); `why` is shown on the sign-in form when the user did not ask.
   */
  signOut(why?: string): void {
    notice = why ?? null;
    clearTimeout(timer);
    localStorage.removeItem(REFRESH_KEY);
    const wasSignedIn = session !== null;
    session = null;
    if (wasSignedIn) emit('signed-out');
  },

  /** A current access token: refreshed first when it is about to expire; null when signed out. */
  async accessToken(): Promise<string | null> {
    if (inFlight) return inFlight;
    if (session && Date.now() < session.refreshAt) return session.accessToken;
    if (!session && !auth.hasRefreshToken()) return null;
    return refresh();
  },

  refresh,

  subscribe(listener: Listener): () => void {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
};

/**
 * Rotates the session with the stored refresh token (one request at a time).
 * Resolves to the new access token, or null (and signs out) when the refresh
 * token is no longer accepted.
 */
function refresh(): Promise<string | null> {
  inFlight ??= requestRefresh().finally(() => {
    inFlight = null;
  });
  return inFlight;
}

async function requestRefresh(): Promise<string | null> {
  const refreshToken = localStorage.getItem(REFRESH_KEY);
  if (!refreshToken) {
    auth.signOut();
    return null;
  }
  // A plain request: going through Apollo would loop through its auth links.
  let response: Response;
  try {
    response = await fetch(API_URL, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: print(REFRESH_SESSION), variables: { input: { refreshToken } } }),
    });
  } catch {
    // Offline or server down: keep the session, a later request retries.
    return session?.accessToken ?? null;
  }
  const body = (await response.json().catch(() => null)) as { data?: { refreshSession?: AuthFieldsFragment } | null } | null;
  const payload = body?.data?.refreshSession;
  if (!payload) {
    auth.signOut('Your session has expired. Please sign in again.');
    return null;
  }
  accept(payload, 'refreshed');
  return payload.accessToken;
}
