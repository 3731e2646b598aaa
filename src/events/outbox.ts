import { Prisma } from '../db/generated/client.ts';
import type { Db } from '../db/prisma.ts';
import { badInput } from '../lib/errors.ts';

/**
 * The transactional outbox. Every durable event belongs to a stream
 * (`conversation:<id>`, `user:<id>`, `post:<id>`) and gets that stream's next
 * sequence number from `EventStream`. Bumping the counter row-locks it until
 * the transaction ends, so a stream's numbers commit in order and without
 * gaps: a subscriber that has seen seq N and finds N+2 knows N+1 exists and
 * reads it from the table. That is what makes resume and gap repair exact.
 */
export type Tx = Prisma.TransactionClient;

export interface StreamEvent<T = Record<string, unknown>> {
  stream: string;
  seq: number;
  type: string;
  data: T;
}

interface PendingEvent {
  stream: string;
  seq?: number;
  type: string;
  data: Record<string, unknown>;
}

export const streams = {
  conversation: (id: string) => `conversation:${id}`,
  user: (id: string) => `user:${id}`,
  post: (id: string) => `post:${id}`,
};

/** Bus topic that carries a stream's events after commit. */
export const streamTopic = (stream: string) => `stream:${stream}`;

/** Takes the next sequence number of one stream (locks it until commit). */
export async function nextSeq(tx: Tx, stream: string): Promise<number> {
  const [row] = await tx.$queryRaw<{ lastSeq: number }[]>`
    INSERT INTO "EventStream" (stream, "lastSeq") VALUES (${stream}, 1)
    ON CONFLICT (stream) DO UPDATE SET "lastSeq" = "EventStream"."lastSeq" + 1
    RETURNING "lastSeq"`;
  return row!.lastSeq;
}

/**
 * Collects the events of one transaction; `flush(tx)` numbers and inserts
 * them just before commit. Streams are locked in name order in one
 * statement, so concurrent transactions never deadlock on each other's
 * counters (a stream numbered early with `nextSeq` must sort first:
 * `conversation:` and `post:` come before `user:`).
 */
export class Outbox {
  private readonly events: PendingEvent[] = [];

  emit(stream: string, type: string, data: Record<string, unknown>, seq?: number): void {
    this.events.push({ stream, type, data, seq });
  }

  get size(): number {
    return this.events.length;
  }

  async flush(tx: Tx): Promise<void> {
    if (this.events.length === 0) return;
    const counts = new Map<string, number>();
    for (const e of this.events) if (e.seq === undefined) counts.set(e.stream, (counts.get(e.stream) ?? 0) + 1);
    const names = [...counts.keys()].sort();
    const next = new Map<string, number>();
    if (names.length > 0) {
      const rows = await tx.$queryRaw<{ stream: string; lastSeq: number }[]>`
        INSERT INTO "EventStream" (stream, "lastSeq")
        SELECT s, n FROM unnest(${names}::text[], ${names.map((n) => counts.get(n)!)}::int[]) AS t(s, n) ORDER BY s
        ON CONFLICT (stream) DO UPDATE SET "lastSeq" = "EventStream"."lastSeq" + EXCLUDED."lastSeq"
        RETURNING stream, "lastSeq"`;
      for (const r of rows) next.set(r.stream, r.lastSeq - counts.get(r.stream)! + 1);
    }
    for (const e of this.events) {
      if (e.seq === undefined) {
        e.seq = next.get(e.stream)!;
        next.set(e.stream, e.seq + 1);
      }
    }
    await tx.$executeRaw`
      INSERT INTO "Event" (stream, seq, type, payload)
      SELECT * FROM unnest(
        ${this.events.map((e) => e.stream)}::text[],
        ${this.events.map((e) => e.seq!)}::int[],
        ${this.events.map((e) => e.type)}::text[],
        ${this.events.map((e) => JSON.stringify(e.data))}::jsonb[])`;
    this.events.length = 0;
  }

  /**
   * The same writes as `flush`, as CTEs to follow `WITH` in a caller's own
   * statement (names `outbox_*`): a write and its events then take one round
   * trip and, one statement being atomic, commit together without an explicit
   * transaction. Streams are still bumped in name order by one INSERT, and
   * events are numbered and inserted in emit order. Takes the queued events;
   * those numbered early with `nextSeq` need `flush`.
   */
  takeAsCtes(): Prisma.Sql {
    if (this.events.some((e) => e.seq !== undefined)) throw new Error('Outbox.takeAsCtes: events numbered with nextSeq need flush');
    const events = this.events.splice(0);
    return Prisma.sql`
      outbox_pending AS (
        SELECT * FROM unnest(
          ${events.map((e) => e.stream)}::text[],
          ${events.map((e) => e.type)}::text[],
          ${events.map((e) => JSON.stringify(e.data))}::jsonb[]) WITH ORDINALITY AS e(stream, type, payload, ord)
      ),
      outbox_numbered AS (
        INSERT INTO "EventStream" (stream, "lastSeq")
        SELECT stream, count(*) FROM outbox_pending GROUP BY stream ORDER BY stream
        ON CONFLICT (stream) DO UPDATE SET "lastSeq" = "EventStream"."lastSeq" + EXCLUDED."lastSeq"
        RETURNING stream, "lastSeq"
      ),
      outbox_events AS (
        INSERT INTO "Event" (stream, seq, type, payload)
        SELECT e.stream,
          n."lastSeq" - count(*) OVER (PARTITION BY e.stream) + row_number() OVER (PARTITION BY e.stream ORDER BY e.ord),
          e.type, e.payload
        FROM outbox_pending e JOIN outbox_numbered n USING (stream)
        ORDER BY e.ord
      )`;
  }
}

/** Committed events of a stream after `afterSeq`, in order. */
export async function readStream(db: Db, stream: string, afterSeq: number, limit = 500): Promise<StreamEvent[]> {
  const rows = await db.$queryRaw<{ seq: number; type: string; payload: Record<string, unknown> }[]>`
    SELECT seq, type, payload FROM "Event" WHERE stream = ${stream} AND seq > ${afterSeq}
    ORDER BY seq LIMIT ${limit}`;
  return rows.map((r) => ({ stream, seq: r.seq, type: r.type, data: r.payload }));
}

/**
 * Refuses a cursor whose following events were already pruned by the
 * retention (stream numbers have no holes, so a missing successor means pruned).
 */
export async function assertResumable(db: Db, stream: string, afterSeq: number, field = 'after'): Promise<void> {
  const rows = await db.$queryRaw<{ first: number | null }[]>`SELECT min(seq) AS first FROM "Event" WHERE stream = ${stream}`;
  const head = await streamHead(db, stream);
  const first = rows[0]?.first ?? head + 1;
  if (afterSeq > head) throw badInput(field, 'Invalid cursor for this subscription');
  if (afterSeq + 1 < first) {
    throw badInput(field, 'This cursor is older than the event retention: reload the data, then subscribe without `after`');
  }
}

/** The last committed sequence number of a stream (0 when it has none). */
export async function streamHead(db: Db, stream: string): Promise<number> {
  const rows = await db.$queryRaw<{ lastSeq: number }[]>`SELECT "lastSeq" FROM "EventStream" WHERE stream = ${stream}`;
  return rows[0]?.lastSeq ?? 0;
}
