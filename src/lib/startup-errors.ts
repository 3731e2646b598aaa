/**
 * Start-up failures an operator can fix, as one line that names the cause
 * and the setting to change (README, "If it doesn't start"). Anything else
 * is reported by its message alone: start-up never prints a stack trace,
 * whatever was thrown (libraries sometimes reject with `undefined`).
 */

/** A failure whose message is already the one line to print. */
export class StartupError extends Error {
  override name = 'StartupError';
}

/** `host:port` of a connection URL, never its user or password. */
export function endpointOf(url: string, defaultPort: number): string {
  try {
    const parsed = new URL(url);
    // A PostgreSQL URL may name a Unix socket directory in `?host=`.
    const host = parsed.searchParams.get('host') || parsed.hostname || 'localhost';
    return `${host}:${parsed.port || defaultPort}`;
  } catch {
    return 'an unparsable address';
  }
}

/** The reason a connection failed, short: an error code when there is one. */
export function reasonOf(error: unknown): string {
  if (typeof error !== 'object' || error === null) return String(error);
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return code;
  const text = typeof message === 'string' && message ? firstLine(message) : String(error);
  // AggregateError (e.g. ECONNREFUSED on both ::1 and 127.0.0.1) has no message of its own.
  const inner = (error as { errors?: unknown }).errors;
  if (!text && Array.isArray(inner) && inner.length > 0) return reasonOf(inner[0]);
  return typeof code === 'string' ? `${text} (${code})` : text;
}

/** An HTTP listen failure as a StartupError when its cause is known; otherwise `error` itself. */
export function listenFailure(error: unknown, host: string, port: number): unknown {
  const code = (error as { code?: unknown } | null)?.code;
  const where = `${host}:${port}`;
  if (code === 'EADDRINUSE') {
    return new StartupError(`PORT: ${where} is already in use (another Agora or another program?); set PORT to a free port`);
  }
  if (code === 'EACCES') {
    return new StartupError(`PORT: not allowed to listen on ${where} (ports below 1024 need privileges); set PORT to 1024 or above`);
  }
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return new StartupError(`HOST: cannot listen on ${where}: "${host}" is not an address of this machine (${code}); set HOST`);
  }
  return error;
}

/** Any thrown value as one line, for "Agora failed to start: <line>". */
export function describeStartupError(error: unknown): string {
  if (error instanceof StartupError) return error.message;
  if (error instanceof Error) return firstLine(error.message) || error.name;
  if (error === undefined || error === null) return `unknown error (${String(error)})`;
  return reasonOf(error);
}

function firstLine(text: string): string {
  return text.trim().split('\n', 1)[0]!.trim();
}
