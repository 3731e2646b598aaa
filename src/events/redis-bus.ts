import type { Logger } from '../lib/logger.ts';
import { LocalFanout, MAX_QUEUED_EVENTS, type EventBus } from './event-bus.ts';
import {
  closeRedis,
  connectionName,
  createRedis,
  DEFAULT_REDIS_COMMAND_TIMEOUT_MS,
  type RedisClient,
  type RedisTarget,
} from '../db/redis.ts';

/**
 * Plain pub/sub on one Redis; sharded pub/sub (SPUBLISH/SSUBSCRIBE) on a
 * cluster, so each channel lives on the shard that owns its slot and no
 * single node carries every message.
 */
interface PubSub {
  publish(channel: string, message: string): Promise<unknown>;
  subscribe(channel: string): Promise<unknown>;
  unsubscribe(channel: string): Promise<unknown>;
  messageEvent: 'message' | 'smessage';
}

function pubSubOf(target: RedisTarget, pub: RedisClient, sub: RedisClient): PubSub {
  if (target.kind === 'cluster') {
    return {
      publish: (channel, message) => pub.spublish(channel, message),
      subscribe: (channel) => sub.ssubscribe(channel),
      unsubscribe: (channel) => sub.sunsubscribe(channel),
      messageEvent: 'smessage',
    };
  }
  return {
    publish: (channel, message) => pub.publish(channel, message),
    subscribe: (channel) => sub.subscribe(channel),
    unsubscribe: (channel) => sub.unsubscribe(channel),
    messageEvent: 'message',
  };
}

/**
 * The event bus across instances: Redis pub/sub, one publishing and one
 * subscribing connection per instance, channels `<prefix>bus:<topic>`
 * subscribed only while a local subscription needs them. Redis pub/sub
 * drops messages while a connection is down; after every reconnect the bus
 * tells local subscriptions to resync, and durable ones catch up from
 * PostgreSQL by sequence number.
 */
export async function createRedisBus(
  target: RedisTarget,
  prefix: string,
  logger: Logger,
  maxQueued = MAX_QUEUED_EVENTS,
  commandTimeoutMs = DEFAULT_REDIS_COMMAND_TIMEOUT_MS,
): Promise<EventBus> {
  // Publishing fails fast while Redis is away (the outbox keeps the events
  // and the dispatcher retries); SUBSCRIBEs wait for the reconnect instead.
  const pub = createRedis(target, connectionName(prefix, 'bus-pub'), logger, { commandTimeoutMs });
  const sub = createRedis(target, connectionName(prefix, 'bus-sub'), logger, null);
  const pubsub = pubSubOf(target, pub, sub);
  const channel = (topic: string) => `${prefix}bus:${topic}`;
  const acks = new Map<string, Promise<void>>();
  const fanout = new LocalFanout(channelsOnDemand(pubsub, channel, acks, logger), maxQueued);
  let closing = false;
  resyncAfterReconnect(sub, fanout, () => closing);
  deliverMessages(sub, pubsub.messageEvent, `${prefix}bus:`, fanout);
  await Promise.all([pub.connect(), sub.connect()]);

  return {
    async publish(topic, payload) {
      await pubsub.publish(channel(topic), JSON.stringify(payload));
    },
    subscribe: <T>(topic: string) => fanout.subscribe<T>(topic),
    subscribed: async (topic) => {
      await acks.get(topic);
    },
    async whenSubscribed(topic, subscribers) {
      await fanout.whenPulling(topic, subscribers);
      await acks.get(topic);
    },
    async close() {
      closing = true;
      fanout.listeners.clear();
      await Promise.all([closeRedis(pub, commandTimeoutMs), closeRedis(sub, commandTimeoutMs)]);
    },
  };
}

/**
 * A Redis channel is subscribed while at least one local subscription
 * needs it; `acks` holds each SUBSCRIBE's acknowledgement.
 */
function channelsOnDemand(pubsub: PubSub, channel: (topic: string) => string, acks: Map<string, Promise<void>>, logger: Logger) {
  return {
    onFirst: (topic: string) => {
      const ack = pubsub.subscribe(channel(topic)).then(
        () => {},
        (e) => logger.warn('redis subscribe failed', { error: String(e) }),
      );
      acks.set(topic, ack);
    },
    onLast: (topic: string) => {
      acks.delete(topic);
      void pubsub.unsubscribe(channel(topic)).catch(() => {});
    },
  };
}

/** After every reconnect (not the first connect), local subscriptions are told to resync. */
function resyncAfterReconnect(sub: RedisClient, fanout: LocalFanout, closing: () => boolean): void {
  let wasReady = false;
  sub.on('ready', () => {
    // ioredis re-subscribes by itself right after 'ready'; what was published
    // meanwhile is gone. A PING queued behind those SUBSCRIBEs answers once
    // they are in force: only then may subscriptions re-read their streams.
    if (wasReady && !closing()) {
      setImmediate(() => {
        sub.ping().then(
          () => fanout.resyncAll(),
          () => fanout.resyncAll(),
        );
      });
    }
    wasReady = true;
  });
  // A cluster's sharded subscribers reconnect one master at a time, without
  // 'ready' on the cluster: ioredis announces each round of re-SSUBSCRIBEs.
  let subscribersStarted = false;
  sub.on('subscribersReady', () => {
    if (subscribersStarted && !closing()) setImmediate(() => fanout.resyncAll());
    subscribersStarted = true;
  });
}

/** Hands each message on a bus channel (`<channelPrefix><topic>`) to the topic's local subscriptions. */
function deliverMessages(sub: RedisClient, event: PubSub['messageEvent'], channelPrefix: string, fanout: LocalFanout): void {
  sub.on(event, (ch: string, message: string) => {
    if (!ch.startsWith(channelPrefix)) return;
    let payload: unknown;
    try {
      payload = JSON.parse(message);
    } catch {
      return; // not ours: every bus message is JSON
    }
    fanout.deliver(ch.slice(channelPrefix.length), payload);
  });
}
