import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { ExposureConfig } from '../config.ts';

// API responses are data, never a document: nothing may load, run or frame.
export const JSON_CSP = "default-src 'none'; frame-ancestors 'none'";
// The IDE page loads its own scripts and styles (today Apollo's from its CDN
// in development only), so only what no IDE needs is shut: framing
// (clickjacking), plugins, <base> hijacking, and forms posting elsewhere.
export const HTML_CSP = "frame-ancestors 'none'; object-src 'none'; base-uri 'none'; form-action 'self'";

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
 * JSON one; `useHtmlPolicyIfHtml` switches it when a page is served.
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

/** Call once the response's content type is known: an HTML page gets the page policy. */
export function useHtmlPolicyIfHtml(res: ServerResponse): void {
  const type = res.getHeader('content-type');
  if (typeof type === 'string' && type.toLowerCase().startsWith('text/html')) {
    res.setHeader('content-security-policy', HTML_CSP);
    res.setHeader('cross-origin-resource-policy', 'same-origin');
  }
}
