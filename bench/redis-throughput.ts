/**
 * Events per second through Agora's own Redis event bus (src/events/redis-bus.ts)
 * on one Redis node: one publishing bus and N subscribing buses (each one
 * instance's subscriber connection), all in this process. Reports published
 * and delivered events per second and the Redis server's CPU over the window
 * (INFO cpu deltas), so the capacity of one Redis (one shard of a cluster)
 * follows from measured CPU per event rather than from this process's speed.
 *
 *   npm run bench:redis                      # private redis-server on a free port
 *   npm run bench:redis -- --seconds 10 --instances 1,4 --topics 1,100 --in-flight 1,64
 *
 * `--in-flight 1` is how the outbox dispatcher publishes (one awaited publish
 * at a time, one dispatcher at a time across instances); `64` is many
 * publishers at once (instances publishing postPublished, typing, presence).
 * Without redis-server on PATH it uses BENCH_REDIS_URL or REDIS_URL, whose
 * INFO cpu then also counts other clients' work.
 *
 *   npm run bench:redis -- --outbox 20000    # and the outbox dispatcher's drain rate
 *
 * `--outbox N` also measures the real dispatcher (src/events/dispatcher.ts):
 * N committed events over 100 streams, pending in a scratch database
 * (BENCH_DATABASE_URL, else the local PostgreSQL), drained through the same
 * Redis to one subscribing instance.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import pg from 'pg';
import { ensureDatabase } from '../src/db/embedded.ts';
import { migrate } from '../src/db/migrate.ts';
import { createDispatcher } from '../src/events/dispatcher.ts';
import type { EventBus } from '../src/events/event-bus.ts';
import { createRedisBus } from '../src/events/redis-bus.ts';
import { createLogger } from '../src/lib/logger.ts';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '5' },
    instances: { type: 'string', default: '1,4' },
    topics: { type: 'string', default: '1,100' },
    'in-flight': { type: 'string', default: '1,64' },
    outbox: { type: 'string', default: '0' },
  },
});
const list = (s: string) => s.split(',').map(Number);
const seconds = Number(values.seconds);
const logger = createLogger('warn');

/** A commentAdded outbox event as the dispatcher publishes it (~330 bytes of JSON). */
const PAYLOAD = {
  stream: `post:${randomBytes(16).toString('hex')}`,
  seq: 1,
  type: 'commentAdded',
  data: {
    commentId: randomBytes(16).toString('hex'),
    postId: randomBytes(16).toString('hex'),
    authorId: randomBytes(16).toString('hex'),
    parentId: null,
    body: 'A comment of a typical length, a sentence or two about the post it answers.',
    createdAt: new Date().toISOString(),
  },
};

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function startRedis(): Promise<{ url: string; child: ChildProcess | null }> {
  const port = await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const started = await new Promise<boolean>((resolve) => {
    child.once('error', () => resolve(false));
    child.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('Ready to accept') && resolve(true));
  });
  if (started) return { url: `redis://127.0.0.1:${port}`, child };
  const url = process.env.BENCH_REDIS_URL ?? process.env.REDIS_URL;
  if (!url) throw new Error('no redis-server on PATH and no BENCH_REDIS_URL / REDIS_URL');
  console.log(`redis-server not found: using ${url} (its CPU figures include other clients)`);
  return { url, child: null };
}

/** Redis server CPU seconds (user + sys, all its threads) so far. */
async function redisCpu(admin: Redis): Promise<number> {
  const info = await admin.info('cpu');
  const field = (name: string) =>
    Number(
      info
        .split('\n')
        .find((l) => l.startsWith(`${name}:`))!
        .split(':')[1],
    );
  return field('used_cpu_user') + field('used_cpu_sys');
}

interface Case {
  instances: number;
  topics: number;
  inFlight: number;
}

/** Subscribes every bus to every topic and counts what arrives. */
async function subscribeAll(buses: EventBus[], topics: string[]) {
  const counter = { delivered: 0 };
  const iterators = buses.flatMap((bus) => topics.map((topic) => bus.subscribe(topic)));
  for (const it of iterators) {
    void (async () => {
      for await (const _ of it) counter.delivered += 1;
    })();
  }
  await Promise.all(buses.flatMap((bus) => topics.map((topic) => bus.subscribed(topic))));
  return { counter, stop: () => Promise.all(iterators.map((it) => it.return?.())) };
}

async function publishFor(bus: EventBus, topics: string[], inFlight: number, ms: number): Promise<number> {
  let published = 0;
  const end = Date.now() + ms;
  const lane = async () => {
    while (Date.now() < end) {
      await bus.publish(topics[published % topics.length]!, PAYLOAD);
      published += 1;
    }
  };
  await Promise.all(Array.from({ length: inFlight }, lane));
  return published;
}

async function untilDelivered(counter: { delivered: number }, expected: number): Promise<void> {
  const giveUp = Date.now() + 30_000;
  while (counter.delivered < expected && Date.now() < giveUp) await new Promise((r) => setTimeout(r, 5));
}

async function measure(url: string, admin: Redis, c: Case) {
  const prefix = `agora-bench-${randomBytes(3).toString('hex')}:`;
  const target = { kind: 'url' as const, url };
  const publisher = await createRedisBus(target, prefix, logger, 1e7);
  const subscribers = await Promise.all(Array.from({ length: c.instances }, () => createRedisBus(target, prefix, logger, 1e7)));
  const topics = Array.from({ length: c.topics }, (_, i) => `bench:${i}`);
  const { counter, stop } = await subscribeAll(subscribers, topics);
  const warmUp = await publishFor(publisher, topics, c.inFlight, 500);
  await untilDelivered(counter, warmUp * c.instances);
  const base = counter.delivered;
  const [cpu0, node0, t0] = [await redisCpu(admin), process.cpuUsage(), performance.now()];
  const published = await publishFor(publisher, topics, c.inFlight, seconds * 1000);
  const publishMs = performance.now() - t0;
  await untilDelivered(counter, base + published * c.instances);
  const wallMs = performance.now() - t0;
  const redisCpuS = (await redisCpu(admin)) - cpu0;
  const node = process.cpuUsage(node0);
  const delivered = counter.delivered - base;
  await stop();
  await Promise.all([publisher, ...subscribers].map((bus) => bus.close()));
  return {
    ...c,
    publishedPerS: Math.round(published / (publishMs / 1000)),
    deliveredPerS: Math.round(delivered / (wallMs / 1000)),
    lost: published * c.instances - delivered,
    redisCpuPct: Math.round((redisCpuS / (wallMs / 1000)) * 100),
    redisUsPerPublish: Math.round(((redisCpuS * 1e6) / published) * 10) / 10,
    redisUsPerDelivered: Math.round(((redisCpuS * 1e6) / delivered) * 10) / 10,
    // One Redis runs commands on one thread: published events/s at 100 % of it.
    ceilingPublishesPerS: Math.round(published / redisCpuS),
    benchCpuPct: Math.round(((node.user + node.system) / 1000 / wallMs) * 100),
  };
}

/** Events per second the outbox dispatcher drains: `pending` events inserted as committed, then start() until all are delivered. */
async function measureOutbox(url: string, admin: Redis, pending: number) {
  const adminUrl = process.env.BENCH_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
  const databaseUrl = await ensureDatabase(adminUrl, 'agora_bench_outbox');
  await migrate(databaseUrl, logger);
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 2 });
  await pool.query('TRUNCATE "Event"');
  await pool.query(
    `INSERT INTO "Event" (stream, seq, type, payload)
     SELECT 'post:' || (i % 100), i / 100 + 1, $2, $3::jsonb FROM generate_series(0, $1 - 1) AS i ORDER BY i`,
    [pending, PAYLOAD.type, JSON.stringify(PAYLOAD.data)],
  );
  const prefix = `agora-bench-${randomBytes(3).toString('hex')}:`;
  const target = { kind: 'url' as const, url };
  const [publisher, subscriber] = await Promise.all([
    createRedisBus(target, prefix, logger, 1e7),
    createRedisBus(target, prefix, logger, 1e7),
  ]);
  const topics = Array.from({ length: 100 }, (_, i) => `stream:post:${i}`);
  const { counter, stop } = await subscribeAll([subscriber], topics);
  const dispatcher = createDispatcher({ pool, bus: publisher, logger, pollMs: 0, retentionHours: 24 });
  const [cpu0, t0] = [await redisCpu(admin), performance.now()];
  await dispatcher.start();
  await untilDelivered(counter, pending);
  const wallMs = performance.now() - t0;
  const redisCpuS = (await redisCpu(admin)) - cpu0;
  await dispatcher.stop();
  await stop();
  await Promise.all([publisher.close(), subscriber.close(), pool.end()]);
  console.log(
    `\noutbox dispatcher: ${pending} pending events over 100 streams drained and delivered in ${Math.round(wallMs)} ms: ` +
      `${Math.round(pending / (wallMs / 1000))} events/s, ${counter.delivered} delivered, ` +
      `Redis ${Math.round(((redisCpuS * 1e6) / pending) * 10) / 10} µs CPU per event`,
  );
}

async function main(): Promise<void> {
  const redis = await startRedis();
  const admin = new Redis(redis.url);
  const version = (await admin.info('server')).match(/redis_version:(\S+)/)?.[1];
  console.log(`Redis ${version} at ${redis.url}; ${seconds} s per case; payload ${JSON.stringify(PAYLOAD).length} bytes of JSON\n`);
  console.log(
    '| subscribing instances | topics | publishes in flight | published/s | delivered/s | lost | Redis CPU % | Redis µs/publish | Redis µs/delivered | publishes/s at 100 % Redis CPU | bench process CPU % |',
  );
  console.log('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  try {
    for (const inFlight of list(values['in-flight']))
      for (const instances of list(values.instances))
        for (const topics of list(values.topics)) {
          const r = await measure(redis.url, admin, { instances, topics, inFlight });
          console.log(
            `| ${r.instances} | ${r.topics} | ${r.inFlight} | ${r.publishedPerS} | ${r.deliveredPerS} | ${r.lost} | ${r.redisCpuPct} | ${r.redisUsPerPublish} | ${r.redisUsPerDelivered} | ${r.ceilingPublishesPerS} | ${r.benchCpuPct} |`,
          );
        }
    if (Number(values.outbox) > 0) await measureOutbox(redis.url, admin, Number(values.outbox));
  } finally {
    admin.disconnect();
    redis.child?.kill();
  }
}

await main();
