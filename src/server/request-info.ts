import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import type { RequestInfo } from '../modules/scope.ts';

/**
 * Who sent a request (HTTP or WebSocket upgrade), for per-address budgets,
 * socket caps, the login throttle and the audit log.
 *
 * Behind a load balancer every socket comes from the balancer, so with
 * TRUST_PROXY=1 the address is the last entry of X-Forwarded-For: the one the
 * proxy in front appended (entries before it are whatever the client sent,
 * and are ignored). Anything that is not an IP address falls back to the
 * socket's. Without TRUST_PROXY the header is never read: a client could set it.
 */
export function createRequestInfo(trustProxy: boolean): (req: IncomingMessage) => RequestInfo {
  return (req) => ({
    ip: (trustProxy ? forwardedFor(req) : null) ?? req.socket.remoteAddress ?? null,
    userAgent: String(req.headers['user-agent'] ?? ''),
  });
}

function forwardedFor(req: IncomingMessage): string | null {
  const header = req.headers['x-forwarded-for'];
  // Node joins repeated X-Forwarded-For headers with ", ": the last entry is the proxy's either way.
  const value = Array.isArray(header) ? header.join(',') : header;
  if (!value) return null;
  const last = value.slice(value.lastIndexOf(',') + 1).trim();
  return isIP(last) ? last : null;
}
