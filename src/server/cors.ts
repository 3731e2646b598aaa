import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ExposureConfig } from '../config.ts';

/**
 * Which browser origins may use the API: one allow-list for CORS on HTTP and
 * for the WebSocket upgrade (a page on another site opening a socket with the
 * user's cookies or stored token is cross-site WebSocket hijacking; browsers
 * always send Origin on upgrades, so checking it stops that).
 *
 * Origins are compared exactly after `new URL` parsing: no pattern is ever
 * run over the header.
 */
export interface OriginPolicy {
  /** 'absent': no Origin header (not a browser, or a same-origin GET); the others are verdicts. */
  check(req: IncomingMessage): 'absent' | 'allowed' | 'denied';
  readonly maxAgeSeconds: number;
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

// What browsers may send cross-origin: the credential, JSON bodies, and the
// headers that satisfy Apollo's CSRF prevention. Nothing else is needed by a
// GraphQL client; extend deliberately.
const CORS_ALLOWED_HEADERS = 'authorization, content-type, apollo-require-preflight, x-apollo-operation-name';
const CORS_ALLOWED_METHODS = 'GET, POST, OPTIONS';
// Readable by scripts on allowed origins: for support tickets and backing off.
const CORS_EXPOSED_HEADERS = 'x-request-id, retry-after';

/** The Origin header as a URL, or null when it is not exactly a web origin ("null", paths, junk). */
function parseOrigin(value: string): URL | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  return url.origin === value ? url : null;
}

/** The request's own origin (same host and port as the Host header) is always allowed. */
function isSameOrigin(origin: URL, host: string | undefined): boolean {
  if (!host) return false;
  try {
    return new URL(`${origin.protocol}//${host}`).host === origin.host;
  } catch {
    return false;
  }
}

export function createOriginPolicy(config: Pick<ExposureConfig, 'corsOrigins' | 'corsAllowLoopback' | 'corsMaxAgeSeconds'>): OriginPolicy {
  const allowed = new Set(config.corsOrigins);
  return {
    maxAgeSeconds: config.corsMaxAgeSeconds,
    check(req) {
      const header = req.headers.origin;
      if (header === undefined) return 'absent';
      const origin = parseOrigin(header);
      if (!origin) return 'denied';
      if (allowed.has(origin.origin)) return 'allowed';
      if (config.corsAllowLoopback && origin.protocol === 'http:' && LOOPBACK_HOSTS.has(origin.hostname)) return 'allowed';
      return isSameOrigin(origin, req.headers.host) ? 'allowed' : 'denied';
    },
  };
}

/**
 * CORS for one request to the GraphQL endpoint. Returns true when the
 * request was answered here (a preflight, or a refused one); otherwise the
 * response carries the CORS headers the origin is entitled to and the
 * request goes on to GraphQL. Disallowed origins get no CORS headers: the
 * browser then keeps the response from the page.
 */
export function handleCors(req: IncomingMessage, res: ServerResponse, policy: OriginPolicy): boolean {
  // Whether a response may be shared depends on Origin: caches must key on it.
  res.setHeader('vary', 'Origin');
  const verdict = policy.check(req);
  if (req.method === 'OPTIONS') {
    if (verdict === 'denied') {
      res.writeHead(403, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify({ errors: [{ message: 'Origin not allowed', extensions: { code: 'FORBIDDEN' } }] }));
      return true;
    }
    if (verdict === 'allowed') {
      res.setHeader('access-control-allow-origin', req.headers.origin!);
      res.setHeader('access-control-allow-credentials', 'true');
      res.setHeader('access-control-allow-methods', CORS_ALLOWED_METHODS);
      res.setHeader('access-control-allow-headers', CORS_ALLOWED_HEADERS);
      res.setHeader('access-control-max-age', String(policy.maxAgeSeconds));
    }
    res.setHeader('allow', CORS_ALLOWED_METHODS);
    res.writeHead(204);
    res.end();
    return true;
  }
  if (verdict === 'allowed') {
    res.setHeader('access-control-allow-origin', req.headers.origin!);
    res.setHeader('access-control-allow-credentials', 'true');
    res.setHeader('access-control-expose-headers', CORS_EXPOSED_HEADERS);
  }
  return false;
}
