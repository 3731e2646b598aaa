import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { createDatabase } from '../src/db/prisma.ts';
import { DEMO_LOGIN } from '../src/db/seed.ts';
import { createLogger } from '../src/lib/logger.ts';
import { freePort } from './helpers/private-services.ts';
import { createTestDatabase, unique } from './helpers/server.ts';
import { eventually, wsClient } from './helpers/ws.ts';

const ROOT = path.resolve(import.meta.dirname, '..');

interface ServerProcess {
  child: ChildProcess;
  url: string;
  logs: { msg: string; [key: string]: unknown }[];
  /** Resolves with the first log line matching `msg` (already written or to come). */
  logged(msg: string): Promise<Record<string, unknown>>;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** The real server process, started the way production starts it. */
async function spawnServer(env: Record<string, string>): Promise<ServerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, NODE_ENV: 'test', PORT: '0', LOG_LEVEL: 'info', SEED: 'never', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: ServerProcess['logs'] = [];
  const waiters: { msg: string; resolve: (line: Record<string, unknown>) => void }[] = [];
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    let nl: number;
    while ((nl = stderr.indexOf('\n')) >= 0) {
      const line = stderr.slice(0, nl);
      stderr = stderr.slice(nl + 1);
      try {
        const entry = JSON.parse(line) as ServerProcess['logs'][number];
        logs.push(entry);
        for (const w of waiters.filter((w) => w.msg === entry.msg)) w.resolve(entry);
      } catch {
        logs.push({ msg: line });
      }
    }
  });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /at (http:\/\/[^\s]+)\/graphql/.exec(out);
      if (match) resolve(match[1]!);
    });
    void exit.then(({ code }) => reject(new Error(`server exited (${code}) before listening: ${logs.map((l) => l.msg).join(' | ')}`)));
  });
  return {
    child,
    url,
    logs,
    exit,
    logged(msg) {
      const seen = logs.find((l) => l.msg === msg);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve) => waiters.push({ msg, resolve }));
    },
  };
}

async function gql(url: string, query: string, variables: Record<string, unknown> = {}, token?: string) {
  const res = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  return (await res.json()) as { data?: any; errors?: unknown[] };
}

/**
 * A POST whose body arrives in two halves. `accepted` resolves once the
 * server has read the headers (it answered 100-continue: the request is in
 * flight); `finish()` sends the rest; `response` is the complete answer.
 */
function slowPost(url: string, body: string, token: string) {
  const bytes = Buffer.from(body);
  const half = Math.floor(bytes.length / 2);
  let accepted!: () => void;
  const acceptedP = new Promise<void>((r) => (accepted = r));
  const req = request(`${url}/graphql`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'content-length': bytes.length,
      authorization: `Bearer ${token}`,
      expect: '100-continue',
    },
  });
  const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
    req.once('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.once('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      res.once('error', reject);
    });
    req.once('error', reject);
  });
  req.once('continue', () => {
    req.write(bytes.subarray(0, half), () => accepted());
  });
  req.flushHeaders();
  return { accepted: acceptedP, finish: () => req.end(bytes.subarray(half)), response };
}

const SIGN_UP = `mutation ($input: SignUpInput!) { signUp(input: $input) { accessToken user { id } } }`;
const SEND = `mutation ($input: SendMessageInput!) { sendMessage(input: $input) { message { id seq body } } }`;

describe('shutdown drains (SIGTERM/SIGINT on the real process)', () => {
  const children: ChildProcess[] = [];
  afterAll(() => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  });

  it('SIGTERM with 20 requests still uploading and a WS mutation executing: every one gets its complete answer, sockets close 1001 after it, the outbox is flushed, exit code 0, in order', async () => {
    const databaseUrl = await createTestDatabase();
    const server = await spawnServer({ DATABASE_URL: databaseUrl });
    children.push(server.child);

    const users = [];
    for (const who of ['alice', 'bob']) {
      const name = unique(who).slice(0, 30);
      const res = await gql(server.url, SIGN_UP, {
        input: { email: `${name}@example.com`, username: name, password: 'correct horse battery', name: who },
      });
      users.push(res.data.signUp as { accessToken: string; user: { id: string } });
    }
    const [alice, bob] = users as [(typeof users)[number], (typeof users)[number]];
    const group = await gql(
      server.url,
      `mutation ($input: CreateGroupConversationInput!) { createGroupConversation(input: $input) { conversation { id } } }`,
      { input: { title: 'drain', memberIds: [bob.user.id] } },
      alice.accessToken,
    );
    const conversationId = group.data.createGroupConversation.conversation.id as string;

    // A subscriber whose socket must close with 1001 "going away".
    const ws = wsClient(server.url, bob.accessToken);

    // A mutation over WebSocket is still executing after the HTTP requests
    // are done: it waits on another conversation's event stream row, held
    // by a transaction of the test.
    const other = await gql(
      server.url,
      `mutation ($input: CreateGroupConversationInput!) { createGroupConversation(input: $input) { conversation { id } } }`,
      { input: { title: 'held', memberIds: [bob.user.id] } },
      alice.accessToken,
    );
    const otherId = other.data.createGroupConversation.conversation.id as string;
    await gql(
      server.url,
      SEND,
      { input: { conversationId: otherId, body: 'warm-up', idempotencyKey: `warm-${unique()}` } },
      alice.accessToken,
    );
    const otherStream = `conversation:${Buffer.from(otherId, 'base64url').toString('utf8').split(':')[1]}`;
    const blocker = new pg.Client({ connectionString: databaseUrl });
    await blocker.connect();
    await blocker.query('BEGIN');
    expect((await blocker.query(`SELECT * FROM "EventStream" WHERE stream = $1 FOR UPDATE`, [otherStream])).rowCount).toBe(1);
    const aliceWs = wsClient(server.url, alice.accessToken);
    const wsMutation = aliceWs.subscribe(SEND, {
      input: { conversationId: otherId, body: 'over the socket', idempotencyKey: `ws-${unique()}` },
    });
    const database = new URL(databaseUrl).pathname.slice(1);
    await eventually(async () => {
      const monitor = new pg.Client({ connectionString: databaseUrl });
      await monitor.connect();
      try {
        const { rows } = await monitor.query(`SELECT 1 FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock'`, [database]);
        return rows.length === 1;
      } finally {
        await monitor.end();
      }
    });

    const posts = Array.from({ length: 20 }, (_, i) =>
      slowPost(
        server.url,
        JSON.stringify({
          query: SEND,
          variables: { input: { conversationId, body: `in flight ${i}`, idempotencyKey: `drain-${i}-${unique()}` } },
        }),
        alice.accessToken,
      ),
    );
    await Promise.all(posts.map((p) => p.accepted));

    server.child.kill('SIGTERM');
    const stopped = await server.logged('shutdown: stopped accepting connections');
    expect(stopped.inFlight).toBe(20);
    // New connections are refused from now on.
    await expect(fetch(`${server.url}/health`)).rejects.toThrow();

    for (const p of posts) p.finish();
    const responses = await Promise.all(posts.map((p) => p.response));
    // HTTP is drained; the socket with the executing mutation stays open until it answers.
    await server.logged('shutdown: in-flight requests finished');
    await blocker.query('COMMIT');
    await blocker.end();
    for (const [i, res] of responses.entries()) {
      expect(res.status).toBe(200);
      expect(JSON.parse(res.body)).toEqual({
        data: { sendMessage: { message: { id: expect.any(String), seq: expect.any(Number), body: `in flight ${i}` } } },
        extensions: { cost: expect.any(Object) },
      });
    }
    expect(await wsMutation.next()).toEqual({
      data: { sendMessage: { message: { id: expect.any(String), seq: expect.any(Number), body: 'over the socket' } } },
      extensions: { cost: expect.any(Object) },
    });
    expect((await aliceWs.closed).code).toBe(1001);
    expect((await ws.closed).code).toBe(1001);

    const { code, signal } = await server.exit;
    expect({ code, signal }).toEqual({ code: 0, signal: null });
    const order = server.logs.map((l) => l.msg).filter((m) => m.startsWith('shut'));
    expect(order).toEqual([
      'shutting down',
      'shutdown: stopped accepting connections',
      'shutdown: in-flight requests finished',
      'shutdown: sockets closed',
      'shutdown: outbox dispatcher flushed',
      'shutdown: event bus closed',
      'shutdown: database pool closed',
      'shutdown complete',
    ]);

    // Every message committed, and every event published before the pool closed.
    const db = createDatabase(databaseUrl, 1, createLogger('silent'));
    try {
      expect(await db.prisma.message.count({ where: { body: { startsWith: 'in flight ' } } })).toBe(20);
      expect(await db.prisma.message.count({ where: { body: 'over the socket' } })).toBe(1);
      expect(await db.prisma.event.count({ where: { publishedAt: null } })).toBe(0);
    } finally {
      await db.close();
    }
  });

  it('SIGINT drains the same way; a repeat of it at once is the same request (Ctrl-C under npm arrives several times); a second signal during the drain forces the exit', async () => {
    const databaseUrl = await createTestDatabase();
    const server = await spawnServer({ DATABASE_URL: databaseUrl, SHUTDOWN_GRACE_MS: '60000' });
    children.push(server.child);
    const name = unique('carol').slice(0, 30);
    const signedUp = await gql(server.url, SIGN_UP, {
      input: { email: `${name}@example.com`, username: name, password: 'correct horse battery', name: 'c' },
    });
    const token = signedUp.data.signUp.accessToken as string;

    // One request stays in flight (its body never completes), so the drain waits.
    const stuck = slowPost(server.url, JSON.stringify({ query: '{ me { id } }' }), token);
    const outcome = stuck.response.then(
      () => 'answered',
      () => 'reset',
    );
    await stuck.accepted;
    server.child.kill('SIGINT');
    await server.logged('shutdown: stopped accepting connections');
    expect(server.logs.find((l) => l.msg === 'shutting down')?.signal).toBe('SIGINT');
    server.child.kill('SIGINT');
    server.child.kill('SIGTERM');
    const { code } = await server.exit;
    expect(code).toBe(1);
    // The repeated SIGINT was ignored; the SIGTERM forced the exit.
    expect(server.logs.filter((l) => l.msg === 'second signal: exiting now').map((l) => l.signal)).toEqual(['SIGTERM']);
    expect(await outcome).toBe('reset'); // cut off by the forced exit
  });

  it('with the embedded PostgreSQL (no DATABASE_URL), its exit hook does not pre-empt the drain: the request in flight completes, PostgreSQL stops last, exit 0', async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'agora-drain-embedded-'));
    try {
      const server = await spawnServer({ DATA_DIR: dataDir, EMBEDDED_PG_PORT: String(await freePort()), SEED: 'auto' });
      children.push(server.child);
      // The seeded demo account signs in; its request is then left uploading.
      const login = await gql(server.url, `mutation ($input: LogInInput!) { logIn(input: $input) { accessToken } }`, {
        input: { login: DEMO_LOGIN.username, password: DEMO_LOGIN.password },
      });
      const token = login.data?.logIn?.accessToken as string | undefined;
      expect(token).toEqual(expect.any(String));
      const post = slowPost(server.url, JSON.stringify({ query: '{ me { username } }' }), token!);
      await post.accepted;
      server.child.kill('SIGTERM');
      await server.logged('shutdown: stopped accepting connections');
      post.finish();
      const res = await post.response;
      expect(res.status).toBe(200);
      expect(JSON.parse(res.body)).toEqual({ data: { me: { username: DEMO_LOGIN.username } }, extensions: { cost: expect.any(Object) } });
      expect(await server.exit).toEqual({ code: 0, signal: null });
      const order = server.logs.map((l) => l.msg).filter((m) => m.startsWith('shutdown'));
      expect(order.slice(-3)).toEqual(['shutdown: database pool closed', 'shutdown: embedded PostgreSQL stopped', 'shutdown complete']);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 180_000);
});
