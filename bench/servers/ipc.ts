// The small protocol between the bench (parent) and a server child process:
// the child says `ready` with its URL; the parent may ask for `stats`
// (statements issued so far, memory after an optional GC), and to start and
// stop a CPU profile (the inspector's Profiler domain, in this process).
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import pg from 'pg';

export interface ChildStats {
  type: 'stats';
  statements: number;
  rssBytes: number;
  heapUsedBytes: number;
  /** Event-loop delay since the last `resetLoopDelay` (ms): how long ready work waited for the loop. */
  loopDelay?: { p50Ms: number; p99Ms: number; maxMs: number };
}

// Samples every 2 ms: W5's bursts last tens of ms, the 10 ms default would blur them.
const loopDelay = monitorEventLoopDelay({ resolution: 2 });
const NS_PER_MS = 1e6;

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

let profiler: Session | null = null;

/** Starts sampling (every `intervalUs`), or writes what was sampled since to `file` as a .cpuprofile. */
async function profile(message: { action: 'start'; intervalUs: number } | { action: 'stop'; file: string }): Promise<void> {
  if (message.action === 'start') {
    profiler = new Session();
    profiler.connect();
    await profiler.post('Profiler.enable');
    await profiler.post('Profiler.setSamplingInterval', { interval: message.intervalUs });
    await profiler.post('Profiler.start');
  } else {
    const { profile } = await profiler!.post('Profiler.stop');
    profiler!.disconnect();
    profiler = null;
    writeFileSync(message.file, JSON.stringify(profile));
  }
}

export function announceReady(url: string, onStop: () => Promise<void>): void {
  loopDelay.enable();
  process.on(
    'message',
    (message: { type: string; gc?: boolean; resetLoopDelay?: boolean; action?: 'start' | 'stop'; intervalUs?: number; file?: string }) => {
      if (message.type === 'profile') {
        void profile(message as Parameters<typeof profile>[0]).then(
          () => process.send?.({ type: 'profiled' }),
          (error: Error) => process.send?.({ type: 'profiled', error: error.message }),
        );
      } else if (message.type === 'stats') {
        if (message.gc) (globalThis as { gc?: () => void }).gc?.();
        const memory = process.memoryUsage();
        const delay = {
          p50Ms: loopDelay.percentile(50) / NS_PER_MS,
          p99Ms: loopDelay.percentile(99) / NS_PER_MS,
          maxMs: loopDelay.max / NS_PER_MS,
        };
        if (message.resetLoopDelay) loopDelay.reset();
        const reply: ChildStats = { type: 'stats', statements, rssBytes: memory.rss, heapUsedBytes: memory.heapUsed, loopDelay: delay };
        process.send?.(reply);
      } else if (message.type === 'stop') {
        void onStop().finally(() => process.exit(0));
      }
    },
  );
  process.on('disconnect', () => process.exit(0));
  process.send?.({ type: 'ready', url });
}
