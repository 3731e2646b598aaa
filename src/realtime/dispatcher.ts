import type pg from 'pg';
import type { Logger } from '../lib/logger.ts';
import type { EventBus } from './event-bus.ts';
import { streamTopic, type StreamEvent } from './outbox.ts';

const BATCH = 200;
const PRUNE_EVERY_MS = 10 * 60_000;

export interface Dispatcher {
  /** Publishes whatever is pending now (call after a commit that wrote events). */
  kick(): void;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Publishes committed outbox events to the bus, then marks them published.
 *
 * Why polling with FOR UPDATE SKIP LOCKED rather than LISTEN/NOTIFY: the
 * writer's own instance kicks the dispatcher right after commit, which gives
 * the low latency NOTIFY would; the poll is what recovers events whose
 * instance died between commit and publish, and NOTIFY cannot do that (it is
 * lost while nobody listens, and needs a dedicated connection per
 * instance). SKIP LOCKED lets every instance drain concurrently without
 * publishing the same batch twice. A crash after publish but before the
 * mark republishes a batch: subscribers drop sequence numbers they have
 * already seen, so delivery stays exactly once.
 */
export function createDispatcher(options: {
  pool: pg.Pool;
  bus: EventBus;
  logger: Logger;
  pollMs: number;
  /** Published events older than this are deleted; resuming from before them is refused. */
  retentionHours: number;
}): Dispatcher {
  const { pool, bus, logger, pollMs, retentionHours } = options;
  let lastPrune = 0;
  let running: Promise<void> | null = null;
  let again = false;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;

  async function batch(): Promise<number> {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      const { rows } = await client.query<{ id: string; stream: string; seq: number; type: string; payload: Record<string, unknown> }>(
        `SELECT id, stream, seq, type, payload FROM "Event" WHERE "publishedAt" IS NULL
         ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED`,
        [BATCH],
      );
      for (const row of rows) {
        const event: StreamEvent = { stream: row.stream, seq: row.seq, type: row.type, data: row.payload };
        await bus.publish(streamTopic(row.stream), event);
      }
      if (rows.length > 0) {
        await client.query(`UPDATE "Event" SET "publishedAt" = now() WHERE id = ANY($1::bigint[])`, [rows.map((r) => r.id)]);
      }
      await client.query('COMMIT');
      return rows.length;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      throw error;
    } finally {
      client.release();
    }
  }

  function drain(): Promise<void> {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      try {
        do {
          again = false;
          while ((await batch()) === BATCH && !stopped);
        } while (again && !stopped);
      } catch (error) {
        logger.error('outbox dispatch failed', { error: String(error) });
      } finally {
        running = null;
      }
    })();
    return running;
  }

  async function prune(): Promise<void> {
    if (Date.now() - lastPrune < PRUNE_EVERY_MS) return;
    lastPrune = Date.now();
    try {
      await pool.query(`DELETE FROM "Event" WHERE "publishedAt" < now() - make_interval(hours => $1)`, [retentionHours]);
    } catch (error) {
      logger.warn('outbox prune failed', { error: String(error) });
    }
  }

  function schedule(): void {
    if (stopped || pollMs <= 0) return;
    timer = setTimeout(() => void drain().then(prune).finally(schedule), pollMs);
    timer.unref();
  }

  return {
    kick() {
      if (!stopped) void drain();
    },
    async start() {
      stopped = false;
      await drain(); // events left pending by a crash are published first
      schedule();
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
