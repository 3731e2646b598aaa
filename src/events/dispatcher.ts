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
  /** Publishes what is pending (until `deadline`, epoch ms), then stops. */
  stop(deadline?: number): Promise<void>;
}

/** Session-level advisory lock key of the dispatch lane ("agora-outbox"). */
const DISPATCH_LOCK = 0x6f7574626f78;

/**
 * Publishes committed outbox events to the bus, then marks them published.
 *
 * No transaction is open while publishing: a batch is read (autocommit),
 * published, then marked in a second statement. If Redis is slow or down,
 * publishing fails within the command timeout and nothing sits "idle in
 * transaction" holding row locks. Instances take turns through a
 * session-level advisory lock (held on a connection, not in a
 * transaction; released by PostgreSQL if the holder dies), so two of them
 * never publish the same batch at once.
 *
 * Why polling rather than LISTEN/NOTIFY: the writer's own instance kicks
 * the dispatcher right after commit, which gives the low latency NOTIFY
 * would; the poll is what recovers events whose instance died between
 * commit and publish (or whose publish failed while Redis was away), and
 * NOTIFY cannot do that. A crash after publish but before the mark
 * republishes a batch: subscribers drop sequence numbers they have already
 * seen, so delivery stays exactly once.
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
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let deadline = Infinity;
  let stopping = false;
  const keepGoing = () => !stopped && Date.now() < deadline;
  const lane = createDrainLane(
    () => publishPending(pool, bus, keepGoing),
    keepGoing,
    logger,
    () => stopping,
  );
  const prune = createPruner(pool, retentionHours, logger);

  function schedule(): void {
    if (stopped || pollMs <= 0) return;
    timer = setTimeout(() => void lane.drain().then(prune).finally(schedule), pollMs);
    timer.unref();
  }

  return {
    kick() {
      if (!stopped) void lane.drain();
    },
    async start() {
      stopped = false;
      stopping = false;
      await lane.drain(); // events left pending by a crash are published first
      schedule();
    },
    async stop(until = Infinity) {
      deadline = until;
      stopping = true;
      clearTimeout(timer);
      // Flush: what the drained requests committed goes out before the bus closes.
      await lane.running;
      if (!stopped) await lane.drain();
      stopped = true;
      clearTimeout(timer);
      await lane.running;
    },
  };
}

/**
 * One drain at a time: a drain asked for while one runs makes the running
 * one go round again (so what was committed meanwhile is not left for the
 * next poll). Failures are logged once per outage, not once per poll.
 */
function createDrainLane(publish: () => Promise<void>, keepGoing: () => boolean, logger: Logger, stopping: () => boolean) {
  let running: Promise<void> | null = null;
  let again = false;
  let failing = false;

  async function run(): Promise<void> {
    try {
      do {
        again = false;
        await publish();
      } while (again && keepGoing());
      if (failing) logger.info('outbox dispatch recovered');
      failing = false;
    } catch (error) {
      // The poll retries. At shutdown (e.g. Ctrl-C also stopped the embedded
      // PostgreSQL) the events stay pending in the table: the next start
      // publishes them.
      if (stopping()) logger.warn('outbox flush at shutdown failed; pending events go out on the next start', { error: String(error) });
      else if (!failing) logger.error('outbox dispatch failed; retrying every poll', { error: String(error) });
      failing = true;
    } finally {
      running = null;
    }
  }

  return {
    get running(): Promise<void> | null {
      return running;
    },
    drain(): Promise<void> {
      if (running) {
        again = true;
        return running;
      }
      running = run();
      return running;
    },
  };
}

/** Publishes full batches until fewer than a batch are pending (or `keepGoing` says stop). */
async function publishPending(pool: pg.Pool, bus: EventBus, keepGoing: () => boolean): Promise<void> {
  while ((await publishBatch(pool, bus)) === BATCH && keepGoing());
}

/** Deletes published events past retention, at most once per PRUNE_EVERY_MS. */
function createPruner(pool: pg.Pool, retentionHours: number, logger: Logger): () => Promise<void> {
  let lastPrune = 0;
  return async () => {
    if (Date.now() - lastPrune < PRUNE_EVERY_MS) return;
    lastPrune = Date.now();
    try {
      await pool.query(`DELETE FROM "Event" WHERE "publishedAt" < now() - make_interval(hours => $1)`, [retentionHours]);
    } catch (error) {
      logger.warn('outbox prune failed', { error: String(error) });
    }
  };
}

/**
 * Publishes one batch of pending events, one instance at a time (advisory
 * lock), holding no transaction while it publishes; marks what went out.
 * Returns how many rows it read.
 */
async function publishBatch(pool: pg.Pool, bus: EventBus): Promise<number> {
  const client = await pool.connect();
  let healthy = true;
  try {
    await client.query('SELECT pg_advisory_lock($1)', [DISPATCH_LOCK]);
    try {
      const { rows } = await client.query<EventRow>(
        `SELECT id, stream, seq, type, payload FROM "Event" WHERE "publishedAt" IS NULL ORDER BY id LIMIT $1`,
        [BATCH],
      );
      const { published, failure } = await publishAll(bus, rows);
      // What went out is marked even when another publish failed.
      if (published.length > 0) {
        await client.query(`UPDATE "Event" SET "publishedAt" = now() WHERE id = ANY($1::bigint[])`, [published]);
      }
      if (failure) throw failure.reason;
      return rows.length;
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [DISPATCH_LOCK]).catch(() => {
        healthy = false; // the lock dies with the connection
      });
    }
  } catch (error) {
    healthy = healthy && !isConnectionError(error);
    throw error;
  } finally {
    client.release(!healthy);
  }
}

type EventRow = { id: string; stream: string; seq: number; type: string; payload: Record<string, unknown> };

/**
 * Sends a batch's publishes all at once rather than one round trip each:
 * one Redis connection (per cluster node) sends them in the order given,
 * and a stream is one channel, so each stream's events stay in order. If
 * one fails and a later one of its stream goes out, subscribers see the
 * jump and read the missing one from the table (durable-stream.ts); it
 * stays pending and is published again, and its repeat is dropped as seen.
 */
async function publishAll(bus: EventBus, rows: EventRow[]) {
  const outcomes = await Promise.allSettled(
    rows.map((row) =>
      bus.publish(streamTopic(row.stream), { stream: row.stream, seq: row.seq, type: row.type, data: row.payload } satisfies StreamEvent),
    ),
  );
  const published = rows.filter((_, i) => outcomes[i]!.status === 'fulfilled').map((row) => row.id);
  const failure = outcomes.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
  return { published, failure };
}

function isConnectionError(error: unknown): boolean {
  const message = (error as Error | undefined)?.message ?? '';
  return message.startsWith('Connection terminated') || (error as { code?: string } | undefined)?.code === 'ECONNRESET';
}
