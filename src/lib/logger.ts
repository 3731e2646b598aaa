import { AsyncLocalStorage } from 'node:async_hooks';
import { pino, type DestinationStream } from 'pino';

/** Structured logs: one JSON line per event on stderr (pino), level-filtered. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

export interface Logger {
  debug(msg: string, data?: Record<string, unknown>): void;
  info(msg: string, data?: Record<string, unknown>): void;
  warn(msg: string, data?: Record<string, unknown>): void;
  error(msg: string, data?: Record<string, unknown>): void;
}

/**
 * The request (an HTTP request or one WebSocket operation) the current code
 * runs for. Every log line written inside it carries its `requestId`, so no
 * call site has to pass it along.
 */
const requestScope = new AsyncLocalStorage<{ requestId: string }>();

/** Runs `fn` (and everything it awaits) as part of request `requestId`. */
export function withRequestId<T>(requestId: string, fn: () => T): T {
  return requestScope.run({ requestId }, fn);
}

/** The current request's id, if any. */
function currentRequestId(): string | undefined {
  return requestScope.getStore()?.requestId;
}

/**
 * `destination` is for tests that read the lines back; by default lines go
 * to stderr synchronously, so nothing is lost when the process exits.
 */
export function createLogger(
  level: LogLevel,
  bindings: Record<string, unknown> = {},
  destination: DestinationStream = pino.destination({ dest: 2, sync: true }),
): Logger {
  const base = pino(
    {
      level,
      base: bindings,
      timestamp: pino.stdTimeFunctions.isoTime,
      // `"level":"info"` rather than pino's numbers, as the lines always had.
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
  const write = (at: Exclude<LogLevel, 'silent'>) => (msg: string, data?: Record<string, unknown>) => {
    if (!base.isLevelEnabled(at)) return;
    const requestId = currentRequestId();
    const fields = requestId !== undefined && data?.requestId === undefined ? { requestId, ...data } : (data ?? {});
    base[at](fields, msg);
  };
  return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') };
}
