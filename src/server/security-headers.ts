import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { ExposureConfig } from '../config.ts';

// API responses are data, never a document: nothing may load, run or frame.
export const JSON_CSP = "default-src 'none'; frame-ancestors 'none'";
// The IDE page (src/server/ide.ts) runs only what Agora serves: its scripts
// from this origin plus the page's own inline ones carrying this response's
// nonce; it talks to this origin only ('self' covers ws: and wss: to the same
// host). Inline styles are allowed: the editor and its components inject them.
export function ideCsp(nonce: string): string {
  return [
    "default-src 'none'",
    `script-src 'self' 'nonce-${nonce}'`,
    "style-src 'self' 'unsafe-inline'",
    "font-src 'self' data:",
    "img-src 'self' data:",
    "connect-src 'self'",
    "worker-src 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
}
// The IDE's scripts, styles and workers: a worker runs under its own
// response's policy, and may load the bundle's other chunks from here.
const IDE_ASSET_CSP = "default-src 'none'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'";

/** Whether the client reached us over TLS: directly, or (TRUST_PROXY=1) at the proxy in front. */
function arrivedOverTls(req: IncomingMessage, trustProxy: boolean): boolean {
  if ((req.socket as TLSSocket).encrypted) return true;
  if (!trustProxy) return false;
  const forwarded = req.headers['x-forwarded-proto'];
  const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0];
  return first?.trim().toLowerCase() === 'https';
}

/**
 * Headers every HTTP response carries (set before routing, so errors answered
 * before GraphQL have them too). The content security policy starts as the
 * JSON one; the IDE routes switch it for the page and its assets.
 */
export function applySecurityHeaders(
  req: IncomingMessage,
  res: ServerResponse,
  config: Pick<ExposureConfig, 'trustProxy' | 'hstsMaxAgeSeconds'>,
): void {
  res.setHeader('x-content-type-options', 'nosniff');
  res.setHeader('referrer-policy', 'no-referrer');
  res.setHeader('content-security-policy', JSON_CSP);
  // Meant to be read from other origins (CORS decides who may); this only
  // concerns no-cors embedding such as <script src>, which nosniff and the
  // JSON content type already defeat.
  res.setHeader('cross-origin-resource-policy', 'cross-origin');
  if (config.hstsMaxAgeSeconds > 0 && arrivedOverTls(req, config.trustProxy)) {
    res.setHeader('strict-transport-security', `max-age=${config.hstsMaxAgeSeconds}`);
  }
}

/** The IDE page's policy (with this response's script nonce); the page is not for other sites to embed. */
export function applyIdePagePolicy(res: ServerResponse, nonce: string): void {
  res.setHeader('content-security-policy', ideCsp(nonce));
  res.setHeader('cross-origin-resource-policy', 'same-origin');
}

/** The IDE's static assets: only the IDE page (same origin) loads them. */
export function applyIdeAssetPolicy(res: ServerResponse): void {
  res.setHeader('content-security-policy', IDE_ASSET_CSP);
  res.setHeader('cross-origin-resource-policy', 'same-origin');
}
