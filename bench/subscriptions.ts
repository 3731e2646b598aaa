// W5: subscription fan-out over graphql-ws. N clients (one connection and one
// `postPublished(authorId)` subscription each) spread over T topics (authors);
// posts are published through the public API at a fixed rate, round-robin
// over the topics, and every delivery is timed from the publish request.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import WebSocket from 'ws';
import type { ServerHandle } from './harness.ts';

export interface FanoutResult {
  /** Which event bus the server ran with. */
  bus?: 'memory' | 'redis';
  subscribers: number;
  topics: number;
  publishRatePerSec: number;
  published: number;
  /** Publish mutations that failed (their deliveries are not expected). */
  publishErrors: number;
  /** Messages that were not a `next` with a known title (errors, unknown payloads). */
  badMessages: number;
  expected: number;
  delivered: number;
  deliveredPerSec: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Server CPU time per delivered message (µs), publishes included: robust to other load on the machine. */
  serverCpuUsPerDelivery: number;
  /**
   * The load generator's CPU (this process: 5k clients parsing what they
   * receive) over the publish window and the wait for the last delivery, as
   * % of one core: near 100 % the latencies would include its own queueing.
   */
  loadGenCpuPct?: number;
  /** The same CPU per delivered message (µs), beside the server's. */
  loadGenCpuUsPerDelivery?: number;
  /** Event-loop delay during that window (ms, p99 / max): the server's, and the load generator's own. */
  serverLoopDelayP99Ms?: number;
  serverLoopDelayMaxMs?: number;
  loadGenLoopDelayP99Ms?: number;
  /** Server memory growth per idle, subscribed connection (after a GC). */
  rssKiBPerConnection?: number;
  heapKiBPerConnection?: number;
  connectSeconds?: number;
}

export interface FanoutOptions {
  subscriberCounts: number[];
  topicCounts: number[];
  ratePerSec: number;
  publishSeconds: number;
  /** Access tokens and global ids of the authors that serve as topics (>= max topics). */
  authors: { token: string; gid: string }[];
}

const SUBSCRIPTION = `subscription W5($authorId: ID!) { postPublished(authorId: $authorId) { id title } }`;
const PUBLISH = `mutation Publish($input: CreatePostInput!) { createPost(input: $input) { post { id } } }`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export async function runFanout(server: ServerHandle, options: FanoutOptions, log: (s: string) => void): Promise<FanoutResult[]> {
  const wsUrl = `${server.url.replace(/^http/, 'ws')}/graphql`;
  const results: FanoutResult[] = [];
  let runId = 0;
  for (const n of options.subscriberCounts) {
    const base = await server.stats(true);
    const started = Date.now();
    const clients: Subscriber[] = [];
    // Connect in batches so the handshake burst stays bounded.
    for (let i = 0; i < n; i += 250) {
      const batch = Array.from({ length: Math.min(250, n - i) }, () => new Subscriber(wsUrl));
      await Promise.all(batch.map((c) => c.ready));
      clients.push(...batch);
    }
    const connectSeconds = (Date.now() - started) / 1000;
    log(`W5: ${n} connections open in ${connectSeconds.toFixed(1)} s`);

    for (const [ti, topics] of options.topicCounts.entries()) {
      runId += 1;
      const sentAt = new Map<string, number>();
      const latencies: number[] = [];
      let delivered = 0;
      let subscribed = 0;
      let lastDelivery = 0;
      const prefix = `bench-w5 r${runId} `;
      let badMessages = 0;
      const onMessage = (title: string | null) => {
        const sent = title === null ? undefined : sentAt.get(title);
        if (sent === undefined) {
          badMessages += 1;
          return;
        }
        const now = performance.now();
        latencies.push(now - sent);
        delivered += 1;
        lastDelivery = now;
      };
      const unsubscribes = clients.map((client, i) =>
        client.subscribe(SUBSCRIPTION, { authorId: options.authors[i % topics]!.gid }, onMessage),
      );
      // graphql-ws has no "subscribed" ack: give the server time to register every subscription.
      subscribed = unsubscribes.length;
      await sleep(Math.min(5_000, 500 + n / 2));
      let rssKiBPerConnection: number | undefined;
      let heapKiBPerConnection: number | undefined;
      if (ti === 0) {
        const idle = await server.stats(true);
        rssKiBPerConnection = (idle.rssBytes - base.rssBytes) / 1024 / n;
        heapKiBPerConnection = (idle.heapUsedBytes - base.heapUsedBytes) / 1024 / n;
      }

      const total = Math.round(options.ratePerSec * options.publishSeconds);
      const pending: Promise<void>[] = [];
      let publishErrors = 0;
      await server.stats(false, true);
      const ownLoopDelay = monitorEventLoopDelay({ resolution: 2 });
      ownLoopDelay.enable();
      const t0 = performance.now();
      const cpu0 = process.cpuUsage();
      const serverCpu0 = server.cpuMs();
      for (let k = 0; k < total; k++) {
        const due = t0 + (k * 1000) / options.ratePerSec;
        const wait = due - performance.now();
        if (wait > 0) await sleep(wait);
        const author = options.authors[k % topics]!;
        const title = `${prefix}${k}`;
        sentAt.set(title, performance.now());
        pending.push(
          fetch(`${server.url}/graphql`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${author.token}` },
            body: JSON.stringify({ query: PUBLISH, variables: { input: { title, body: 'bench', publish: true } } }),
          })
            .then(async (res) => {
              const json = (await res.json()) as any;
              if (json.errors) throw new Error(JSON.stringify(json.errors).slice(0, 200));
            })
            .catch(() => {
              publishErrors += 1;
            }),
        );
      }
      await Promise.all(pending);
      const expected = (total - publishErrors) * (n / topics);
      const deadline = performance.now() + 10_000;
      while (delivered < expected && performance.now() < deadline) await sleep(50);
      const serverCpuMs = server.cpuMs() - serverCpu0;
      const cpu = process.cpuUsage(cpu0);
      const loadGenCpuMs = (cpu.user + cpu.system) / 1000;
      const loadGenCpu = loadGenCpuMs / (performance.now() - t0);
      ownLoopDelay.disable();
      const serverLoopDelay = (await server.stats()).loopDelay;
      for (const unsubscribe of unsubscribes) unsubscribe();
      latencies.sort((a, b) => a - b);
      const span = Math.max(1, (lastDelivery || performance.now()) - t0) / 1000;
      const result: FanoutResult = {
        subscribers: subscribed,
        topics,
        publishRatePerSec: options.ratePerSec,
        published: total,
        publishErrors,
        badMessages,
        expected,
        delivered,
        deliveredPerSec: delivered / span,
        p50Ms: percentile(latencies, 50),
        p99Ms: percentile(latencies, 99),
        maxMs: latencies.at(-1) ?? NaN,
        serverCpuUsPerDelivery: delivered ? (serverCpuMs * 1000) / delivered : NaN,
        loadGenCpuPct: loadGenCpu * 100,
        loadGenCpuUsPerDelivery: delivered ? (loadGenCpuMs * 1000) / delivered : NaN,
        serverLoopDelayP99Ms: serverLoopDelay?.p99Ms,
        serverLoopDelayMaxMs: serverLoopDelay?.maxMs,
        loadGenLoopDelayP99Ms: ownLoopDelay.percentile(99) / 1e6,
        rssKiBPerConnection,
        heapKiBPerConnection,
        connectSeconds: ti === 0 ? connectSeconds : undefined,
      };
      log(
        `W5: ${n} subs / ${topics} topics: ${delivered}/${expected} delivered (${publishErrors} publish errors, ${badMessages} bad messages), ${result.deliveredPerSec.toFixed(0)} msg/s, ` +
          `p50 ${result.p50Ms.toFixed(1)} ms, p99 ${result.p99Ms.toFixed(1)} ms, server ${result.serverCpuUsPerDelivery.toFixed(0)} µs CPU/msg` +
          `, load generator CPU ${(loadGenCpu * 100).toFixed(0)} % (${result.loadGenCpuUsPerDelivery?.toFixed(0)} µs/msg)` +
          `, loop delay p99/max server ${result.serverLoopDelayP99Ms?.toFixed(0)}/${result.serverLoopDelayMaxMs?.toFixed(0)} ms, load generator p99 ${result.loadGenLoopDelayP99Ms?.toFixed(0)} ms` +
          (rssKiBPerConnection !== undefined
            ? `, ${rssKiBPerConnection.toFixed(1)} KiB RSS/conn, ${heapKiBPerConnection!.toFixed(1)} KiB heap/conn`
            : ''),
      );
      results.push(result);
      await sleep(300);
    }
    await Promise.all(clients.map((c) => c.close()));
    await sleep(1_000);
  }
  return results;
}

/**
 * A minimal graphql-transport-ws client: one socket, one subscription at a
 * time. Lighter than graphql-ws's client (no full parse and validation of every
 * message), so 5k of them in the load generator do not become the bottleneck.
 * A `next` message is read for its `title`; anything else counts as bad.
 */
class Subscriber {
  readonly ready: Promise<void>;
  private readonly socket: WebSocket;
  private onTitle: ((title: string | null) => void) | null = null;
  private nextId = 0;

  constructor(url: string) {
    this.socket = new WebSocket(url, 'graphql-transport-ws');
    this.ready = new Promise((resolve, reject) => {
      this.socket.once('error', reject);
      this.socket.once('open', () => this.socket.send('{"type":"connection_init","payload":{}}'));
      this.socket.on('message', (data) => {
        const text = String(data);
        if (text.startsWith('{"type":"connection_ack"')) return resolve();
        if (text.includes('"type":"ping"')) return this.socket.send('{"type":"pong"}');
        if (!this.onTitle) return;
        const at = text.indexOf('"title":"');
        const ok = text.includes('"type":"next"') && !text.includes('"errors"') && at >= 0;
        this.onTitle(ok ? text.slice(at + 9, text.indexOf('"', at + 9)) : null);
      });
    });
  }

  /** Subscribes; the returned function completes the subscription. */
  subscribe(query: string, variables: Record<string, unknown>, onTitle: (title: string | null) => void): () => void {
    const id = String(++this.nextId);
    this.onTitle = onTitle;
    this.socket.send(JSON.stringify({ id, type: 'subscribe', payload: { query, variables } }));
    return () => {
      this.onTitle = null;
      if (this.socket.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify({ id, type: 'complete' }));
    };
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.socket.readyState === WebSocket.CLOSED) return resolve();
      this.socket.once('close', () => resolve());
      this.socket.close(1000);
    });
  }
}
