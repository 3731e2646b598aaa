import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { within } from './server.ts';

export interface Received<T = any> {
  data?: T;
  errors?: { message: string; extensions?: Record<string, any> }[];
}

/** One subscription's results, pulled in order. */
export interface Subscription<T = any> {
  /** Next result (data or errors); rejects after `timeoutMs`. */
  next(timeoutMs?: number): Promise<Received<T>>;
  /** Resolves when the server ends the subscription (complete or error); rejects after `timeoutMs`. */
  ended(timeoutMs?: number): Promise<void>;
  /** Everything received so far and not yet pulled. */
  readonly pending: Received<T>[];
  readonly completed: boolean;
  readonly error: unknown;
  unsubscribe(): void;
}

export interface WsClient {
  client: Client;
  subscribe<T = any>(query: string, variables?: Record<string, unknown>): Subscription<T>;
  /** The close event of the underlying socket, once closed. */
  closed: Promise<{ code: number; reason: string }>;
  dispose(): Promise<void>;
}

/** A graphql-ws client to a test server (no retries, so closes are observable). */
export function wsClient(httpUrl: string, token?: string, extra: Record<string, unknown> = {}): WsClient {
  let resolveClosed!: (v: { code: number; reason: string }) => void;
  const closed = new Promise<{ code: number; reason: string }>((r) => (resolveClosed = r));
  const client = createClient({
    url: `${httpUrl.replace(/^http/, 'ws')}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: token ? { authorization: `Bearer ${token}`, ...extra } : extra,
    retryAttempts: 0,
    lazy: false,
    onNonLazyError: () => {},
    on: { closed: (event) => resolveClosed({ code: (event as any).code, reason: String((event as any).reason) }) },
  });
  return {
    client,
    closed,
    subscribe<T>(query: string, variables?: Record<string, unknown>): Subscription<T> {
      const pending: Received<T>[] = [];
      let waiter: ((r: Received<T>) => void) | null = null;
      let completed = false;
      let error: unknown;
      let markEnded!: () => void;
      const ended = new Promise<void>((resolve) => (markEnded = resolve));
      const push = (r: Received<T>) => {
        if (waiter) {
          const w = waiter;
          waiter = null;
          w(r);
        } else pending.push(r);
      };
      const unsubscribe = client.subscribe<T>(
        { query, variables },
        {
          next: (value) => push(value as Received<T>),
          error: (e) => {
            error = e;
            // graphql-ws reports subscribe-time GraphQL errors as an array of errors
            if (Array.isArray(e)) push({ errors: e as any });
            markEnded();
          },
          complete: () => {
            completed = true;
            markEnded();
          },
        },
      );
      return {
        pending,
        get completed() {
          return completed;
        },
        get error() {
          return error;
        },
        unsubscribe,
        next(timeoutMs = 5_000) {
          if (pending.length > 0) return Promise.resolve(pending.shift()!);
          return new Promise((resolve, reject) => {
            const timer = setTimeout(() => {
              waiter = null;
              reject(new Error(`no subscription result within ${timeoutMs} ms (completed=${completed}, error=${JSON.stringify(error)})`));
            }, timeoutMs);
            waiter = (r) => {
              clearTimeout(timer);
              resolve(r);
            };
          });
        },
        ended(timeoutMs = 5_000) {
          return within(ended, timeoutMs, 'subscription did not end');
        },
      };
    },
    async dispose() {
      await client.dispose();
    },
  };
}

/** A raw protocol socket: send/receive graphql-ws messages by hand. */
export async function rawSocket(httpUrl: string) {
  const socket = new WebSocket(`${httpUrl.replace(/^http/, 'ws')}/graphql`, 'graphql-transport-ws');
  const messages: any[] = [];
  let waiter: ((m: any) => void) | null = null;
  socket.on('message', (data) => {
    const message = JSON.parse(String(data));
    if (waiter) {
      const w = waiter;
      waiter = null;
      w(message);
    } else messages.push(message);
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    socket.on('close', (code, reason) => resolve({ code, reason: String(reason) })),
  );
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  return {
    socket,
    closed,
    send: (message: unknown) => socket.send(typeof message === 'string' ? message : JSON.stringify(message)),
    receive(timeoutMs = 5_000): Promise<any> {
      if (messages.length > 0) return Promise.resolve(messages.shift());
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no message')), timeoutMs);
        waiter = (m) => {
          clearTimeout(timer);
          resolve(m);
        };
      });
    },
    /** Messages received and not yet read. */
    pending: () => [...messages],
    close: () => socket.close(),
  };
}

/**
 * Resolves when the server decides to close a WebSocket with `code`, before
 * the client can see it (e.g. while the client has stopped reading). Test and
 * server share the `ws` module, so this observes the server's own call to
 * `close` (and still makes it); rejects after `timeoutMs` (a failure bound).
 */
export function serverCloses(code: number, timeoutMs = 10_000): Promise<void> {
  const original = WebSocket.prototype.close;
  let seen!: () => void;
  const closing = new Promise<void>((resolve) => (seen = resolve));
  WebSocket.prototype.close = function (this: WebSocket, ...args: Parameters<WebSocket['close']>) {
    if (args[0] === code) seen();
    return original.apply(this, args);
  };
  return within(closing, timeoutMs, `no close with ${code}`).finally(() => {
    WebSocket.prototype.close = original;
  });
}

/** Until `check` returns truthy (polls), or fails after `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T> | T, timeoutMs = 5_000, stepMs = 50): Promise<NonNullable<T>> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value as NonNullable<T>;
    } catch (error) {
      last = error;
    }
    if (Date.now() > until) throw new Error(`condition not met within ${timeoutMs} ms${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

export type Outcome = { data?: any; errors?: { message: string; extensions?: Record<string, any> }[] };

/** Runs one operation on an open socket: its first result or its error. */
export function runOnce(ws: WsClient, query: string, variables: Record<string, unknown> = {}): Promise<Outcome> {
  return new Promise((resolve) => {
    const dispose = ws.client.subscribe<any>(
      { query, variables },
      {
        next: (value) => {
          dispose();
          resolve(value as Outcome);
        },
        error: (error) =>
          resolve(Array.isArray(error) ? { errors: error } : { errors: [{ message: `socket error ${(error as any)?.code}` }] }),
        complete: () => {},
      },
    );
  });
}

/** A signed-in socket kept open by a running subscription, proven live by one query. */
export async function openSocket(httpUrl: string, token: string): Promise<WsClient> {
  const ws = wsClient(httpUrl, token);
  ws.subscribe('subscription { notificationAdded { cursor } }');
  const me = await runOnce(ws, '{ me { id } }');
  if (!me.data?.me?.id) throw new Error(`socket not signed in: ${JSON.stringify(me)}`);
  return ws;
}
