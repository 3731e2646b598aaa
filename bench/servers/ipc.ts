// The small protocol between the bench (parent) and a server child process:
// the child says `ready` with its URL; the parent may ask for `stats`
// (statements issued so far, memory after an optional GC).
import pg from 'pg';

export interface ChildStats {
  type: 'stats';
  statements: number;
  rssBytes: number;
  heapUsedBytes: number;
}

let statements = 0;

/**
 * Counts every statement any pg client in this process sends, at the wire
 * (Client#query), whoever issues it: Prisma's adapter, PostGraphile or plain pg.
 * The bench divides the count's growth over a run by the requests served.
 */
export function countStatements(): void {
  const query = pg.Client.prototype.query as (...args: unknown[]) => unknown;
  (pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown }).query = function (this: unknown, ...args: unknown[]) {
    statements += 1;
    return query.apply(this, args);
  };
}

export function announceReady(url: string, onStop: () => Promise<void>): void {
  process.on('message', (message: { type: string; gc?: boolean }) => {
    if (message.type === 'stats') {
      if (message.gc) (globalThis as { gc?: () => void }).gc?.();
      const memory = process.memoryUsage();
      const reply: ChildStats = { type: 'stats', statements, rssBytes: memory.rss, heapUsedBytes: memory.heapUsed };
      process.send?.(reply);
    } else if (message.type === 'stop') {
      void onStop().finally(() => process.exit(0));
    }
  });
  process.on('disconnect', () => process.exit(0));
  process.send?.({ type: 'ready', url });
}
