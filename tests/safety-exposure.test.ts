import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { buildApp, type App } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { createLogger, withRequestId } from '../src/lib/logger.ts';
import { ideCsp, JSON_CSP } from '../src/server/security-headers.ts';
import pg from 'pg';
import { createTestDatabase, signUp, startTestServer, unique, type TestServer, type TestUser, expectHealthy } from './helpers/server.ts';

// What a production server exposes beyond GraphQL: no IDE page, security
// headers on every response, CORS and the WebSocket Origin check from one
// allow-list, and /metrics only for the scraper holding the token.

const APP_ORIGIN = 'https://app.example.com';
const METRICS_TOKEN = randomBytes(16).toString('hex');
const REDIS_URL = process.env.REDIS_URL;

const PRODUCTION_ENV: Record<string, string> = {
  NODE_ENV: 'production',
  JWT_SECRET: randomBytes(32).toString('hex'),
  CORS_ORIGINS: `${APP_ORIGIN},http://127.0.0.1:5173`,
  METRICS_TOKEN,
  TRUST_PROXY: '1',
  ...(REDIS_URL ? { REDIS_URL, REDIS_KEY_PREFIX: `${unique('exposure')}:` } : {}),
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function expectSecurityHeaders(headers: Headers, csp = JSON_CSP): void {
  expect(headers.get('x-content-type-options')).toBe('nosniff');
  expect(headers.get('referrer-policy')).toBe('no-referrer');
  expect(headers.get('content-security-policy')).toBe(csp);
  expect(headers.get('cross-origin-resource-policy')).toBe(csp === JSON_CSP ? 'cross-origin' : 'same-origin');
  expect(headers.get('x-request-id')).toMatch(UUID);
}

const QUERY = JSON.stringify({ query: 'query ExposureProbe { me { id } }' });

function post(url: string, headers: Record<string, string> = {}, body = QUERY) {
  return fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
}

function preflight(url: string, origin: string | undefined) {
  return fetch(`${url}/graphql`, {
    method: 'OPTIONS',
    headers: {
      ...(origin ? { origin } : {}),
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'authorization, content-type',
    },
  });
}

/** Opens a raw graphql-ws socket with the given Origin; resolves with the HTTP status of a refused upgrade, or the open socket. */
function openSocket(url: string, origin?: string): Promise<{ socket: WebSocket } | { refused: number }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`${url.replace('http', 'ws')}/graphql`, 'graphql-transport-ws', origin ? { origin } : {});
    socket.once('open', () => resolve({ socket }));
    socket.once('unexpected-response', (_req, res) => {
      resolve({ refused: res.statusCode ?? 0 });
      res.resume();
      socket.terminate();
    });
    socket.once('error', (error) => reject(error));
  });
}

/** The next graphql-ws message of the given type (rejects when the socket closes first). */
function nextMessage(socket: WebSocket, type: string): Promise<any> {
  return new Promise((resolve, reject) => {
    const onMessage = (data: WebSocket.RawData) => {
      const message = JSON.parse(String(data));
      if (message.type !== type) return;
      socket.off('message', onMessage);
      resolve(message);
    };
    socket.on('message', onMessage);
    socket.once('close', (code) => reject(new Error(`socket closed with ${code} before ${type}`)));
  });
}

async function connect(socket: WebSocket): Promise<void> {
  const ack = nextMessage(socket, 'connection_ack');
  socket.send(JSON.stringify({ type: 'connection_init', payload: {} }));
  await ack;
}

describe('production exposure', () => {
  let server: TestServer;
  let user: TestUser;
  const sockets: WebSocket[] = [];

  beforeAll(async () => {
    server = await startTestServer(PRODUCTION_ENV);
    user = await signUp(server, 'exposure');
  });
  afterAll(async () => {
    for (const socket of sockets) socket.terminate();
    await server.stop();
  });

  it('serves no IDE landing page', async () => {
    const res = await fetch(`${server.url}/graphql`, { headers: { accept: 'text/html' } });
    const body = await res.text();
    expect(res.headers.get('content-type') ?? '').not.toContain('text/html');
    expect(body).not.toContain('apollographql.com');
    expect(body).not.toContain('<html');
  });

  it('puts the security headers on GraphQL, health, unknown paths and errors answered before GraphQL', async () => {
    const answers = [
      await post(server.url),
      await fetch(`${server.url}/health`),
      await fetch(`${server.url}/nothing-here`),
      await post(server.url, {}, '{"query": '), // bad JSON: refused before Apollo
      await fetch(`${server.url}/graphql`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: QUERY }), // CSRF refusal
      await fetch(`${server.url}/metrics`),
    ];
    expect(answers.map((res) => res.status)).toEqual([200, 200, 404, 400, 400, 401]);
    for (const res of answers) {
      expectSecurityHeaders(res.headers);
      expect(res.headers.get('strict-transport-security')).toBeNull(); // plain HTTP, no proxy said https
    }
  });

  it('sends HSTS only when a trusted proxy says the client used https', async () => {
    const viaTls = await post(server.url, { 'x-forwarded-proto': 'https' });
    expect(viaTls.headers.get('strict-transport-security')).toBe('max-age=15552000');
    const viaPlain = await post(server.url, { 'x-forwarded-proto': 'http' });
    expect(viaPlain.headers.get('strict-transport-security')).toBeNull();
  });

  it('answers an allowed preflight with 204 and the CORS contract', async () => {
    const res = await preflight(server.url, APP_ORIGIN);
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe(APP_ORIGIN);
    expect(res.headers.get('access-control-allow-credentials')).toBe('true');
    expect(res.headers.get('access-control-allow-methods')).toBe('GET, POST, OPTIONS');
    expect(res.headers.get('access-control-allow-headers')).toBe(
      'authorization, content-type, apollo-require-preflight, x-apollo-operation-name',
    );
    expect(res.headers.get('access-control-max-age')).toBe('600');
    expect(res.headers.get('vary')).toBe('Origin');
    expectSecurityHeaders(res.headers);
  });

  it('refuses preflights from origins not on the list (403, no CORS headers)', async () => {
    const refused = [
      'https://evil.example.com',
      'https://app.example.com.evil.com',
      'http://app.example.com', // scheme differs
      'https://app.example.com:8443', // port differs
      'https://app.example.com/', // not an origin
      'null',
      'http://localhost:5173', // loopback is a development default only
      'not a url',
    ];
    for (const origin of refused) {
      const res = await preflight(server.url, origin);
      expect(res.status, origin).toBe(403);
      expect(res.headers.get('access-control-allow-origin'), origin).toBeNull();
      expect(res.headers.get('access-control-allow-credentials'), origin).toBeNull();
      expect(((await res.json()) as any).errors[0].extensions.code).toBe('FORBIDDEN');
    }
    await expectHealthy(server);
  });

  it('shares responses with allowed origins only, and keeps CSRF prevention', async () => {
    const allowed = await post(server.url, { origin: APP_ORIGIN });
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(APP_ORIGIN);
    expect(allowed.headers.get('access-control-allow-credentials')).toBe('true');
    expect(allowed.headers.get('access-control-expose-headers')).toBe('x-request-id, retry-after');
    expect(allowed.headers.get('vary')).toBe('Origin');

    const other = await post(server.url, { origin: 'https://evil.example.com' });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    expect(other.headers.get('access-control-expose-headers')).toBeNull();

    // A "simple" cross-site request (no preflight) is still refused by Apollo's CSRF prevention.
    const simple = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { origin: APP_ORIGIN, 'content-type': 'text/plain' },
      body: QUERY,
    });
    expect(simple.status).toBe(400);
    expect(await simple.text()).toContain('CSRF');
  });

  it('refuses a WebSocket upgrade from a disallowed browser origin with 403, before the handshake', async () => {
    for (const origin of ['https://evil.example.com', 'null', 'http://localhost:5173']) {
      expect(await openSocket(server.url, origin), origin).toEqual({ refused: 403 });
    }
    await expectHealthy(server);
  });

  it('accepts WebSocket upgrades from allowed origins, its own origin, and non-browser clients', async () => {
    for (const origin of [APP_ORIGIN, 'http://127.0.0.1:5173', server.url, undefined]) {
      const opened = await openSocket(server.url, origin);
      expect('socket' in opened, String(origin)).toBe(true);
      const { socket } = opened as { socket: WebSocket };
      sockets.push(socket);
      await connect(socket);
    }
  });

  it('serves /metrics to the bearer of METRICS_TOKEN only', async () => {
    expect((await fetch(`${server.url}/metrics`)).status).toBe(401);
    expect((await fetch(`${server.url}/metrics`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    expect((await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}x` } })).status).toBe(401);
  });

  it('reports operations, errors, sockets, subscriptions, outbox, pool, Redis and the process', async () => {
    // HTTP: two named operations, one validation failure.
    await post(server.url);
    await post(server.url);
    await post(server.url, {}, JSON.stringify({ query: 'query Broken { nope }' }));
    // WS: a subscription that stays open, a query, and an operation refused at validation.
    const { socket } = (await openSocket(server.url)) as { socket: WebSocket };
    sockets.push(socket);
    await connect(socket);
    const firstPresence = nextMessage(socket, 'next');
    socket.send(
      JSON.stringify({
        id: 's1',
        type: 'subscribe',
        payload: { query: 'subscription Watch($ids: [ID!]!) { presenceChanged(userIds: $ids) { online } }', variables: { ids: [user.id] } },
      }),
    );
    await firstPresence;
    const queried = nextMessage(socket, 'complete');
    socket.send(JSON.stringify({ id: 'q1', type: 'subscribe', payload: { query: 'query WsProbe { me { id } }' } }));
    await queried;
    const refused = nextMessage(socket, 'error');
    socket.send(JSON.stringify({ id: 'q2', type: 'subscribe', payload: { query: '{ nope }' } }));
    expect((await refused).payload[0].extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');

    const res = await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    const value = (series: string) => {
      const line = text.split('\n').find((l) => l.startsWith(`${series} `));
      return line === undefined ? undefined : Number(line.slice(series.length + 1));
    };

    expect(value('agora_graphql_operations_total{transport="http",operation="ExposureProbe",outcome="ok"}')).toBeGreaterThanOrEqual(2);
    expect(value('agora_graphql_operations_total{transport="http",operation="unknown",outcome="GRAPHQL_VALIDATION_FAILED"}')).toBe(1);
    expect(value('agora_graphql_operations_total{transport="ws",operation="Watch",outcome="ok"}')).toBe(1);
    expect(value('agora_graphql_operations_total{transport="ws",operation="WsProbe",outcome="ok"}')).toBe(1);
    expect(value('agora_graphql_operations_total{transport="ws",operation="unknown",outcome="GRAPHQL_VALIDATION_FAILED"}')).toBe(1);
    expect(value('agora_graphql_errors_total{transport="http",code="GRAPHQL_VALIDATION_FAILED"}')).toBe(1);
    expect(value('agora_graphql_errors_total{transport="ws",code="GRAPHQL_VALIDATION_FAILED"}')).toBe(1);
    expect(value('agora_http_responses_total{route="/graphql",status="200"}')).toBeGreaterThanOrEqual(2);
    expect(value('agora_http_request_duration_seconds_count{route="/graphql"}')).toBeGreaterThanOrEqual(3);
    // Five sockets opened by the test before this one are still open.
    expect(value('agora_ws_connections')).toBe(5);
    expect(value('agora_ws_subscriptions')).toBe(1);
    expect(value('agora_outbox_backlog')).toBeGreaterThanOrEqual(0);
    expect(value('agora_outbox_lag_seconds')).toBeGreaterThanOrEqual(0);
    // The pool holds a connection (idle, or in use by the collection itself:
    // which one depends on timing, so their sum is what is asserted).
    const poolConnections = value('agora_db_pool_connections{state="in_use"}')! + value('agora_db_pool_connections{state="idle"}')!;
    expect(poolConnections).toBeGreaterThanOrEqual(1);
    expect(value('agora_db_pool_waiting')).toBeGreaterThanOrEqual(0); // the dispatcher may be polling
    if (REDIS_URL) expect(value('agora_redis_connected')).toBe(1);
    expect(value('nodejs_eventloop_lag_seconds')).toBeGreaterThanOrEqual(0);
    expect(value('process_resident_memory_bytes')).toBeGreaterThan(0);

    // Closing the subscription shows at once on the next scrape.
    const completed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.close(1000);
    await completed;
    const after = await (await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).text();
    expect(after).toMatch(/^agora_ws_subscriptions 0$/m);
    await expectHealthy(server);
  });
});

describe('development exposure', () => {
  let server: TestServer;
  beforeAll(async () => {
    // No dispatcher: an outbox event stays pending for the metrics to see.
    server = await startTestServer({ NODE_ENV: 'development', JWT_SECRET: randomBytes(32).toString('hex'), OUTBOX_DISPATCH: 'off' });
  });
  afterAll(() => server.stop());

  it('keeps the IDE page, with a policy that forbids framing it', async () => {
    const res = await fetch(`${server.url}/graphql`, { headers: { accept: 'text/html' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    const nonce = (await res.text()).split('<script nonce="')[1]?.split('"')[0] ?? '';
    expect(nonce.length).toBeGreaterThanOrEqual(16);
    expectSecurityHeaders(res.headers, ideCsp(nonce));
    expect(ideCsp(nonce)).toContain("frame-ancestors 'none'");
  });

  it('puts the JSON security headers on API responses, and no HSTS without TRUST_PROXY', async () => {
    const res = await post(server.url, { 'x-forwarded-proto': 'https' });
    expectSecurityHeaders(res.headers);
    expect(res.headers.get('strict-transport-security')).toBeNull();
  });

  it('allows any loopback origin by default, and nothing else', async () => {
    for (const origin of ['http://localhost:5173', 'http://127.0.0.1:3000', 'http://[::1]:8080']) {
      const res = await preflight(server.url, origin);
      expect(res.status, origin).toBe(204);
      expect(res.headers.get('access-control-allow-origin'), origin).toBe(origin);
      const opened = await openSocket(server.url, origin);
      expect('socket' in opened, origin).toBe(true);
      (opened as { socket: WebSocket }).socket.terminate();
    }
    for (const origin of ['http://localhost.evil.com:5173', 'https://evil.example.com', 'http://127.0.0.2:5173']) {
      expect((await preflight(server.url, origin)).status, origin).toBe(403);
      expect(await openSocket(server.url, origin), origin).toEqual({ refused: 403 });
    }
  });

  it('serves /metrics without a token outside production, with the outbox backlog and lag', async () => {
    await server.db.event.create({
      data: { stream: unique('metrics'), seq: 1, type: 'probe', payload: {}, createdAt: new Date(Date.now() - 120_000) },
    });
    const res = await fetch(`${server.url}/metrics`);
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toMatch(/^agora_outbox_backlog 1$/m);
    const lag = Number(/^agora_outbox_lag_seconds (\S+)$/m.exec(text)?.[1]);
    expect(lag).toBeGreaterThanOrEqual(120);
    expect(lag).toBeLessThan(600);
  });
});

describe('exposure settings', () => {
  const base = { NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(32) };

  it('keeps /metrics off and CORS closed in production unless configured', () => {
    const config = loadConfig(base);
    expect(config.exposure).toMatchObject({ metricsEnabled: false, metricsToken: null, corsOrigins: [], corsAllowLoopback: false });
    expect(loadConfig({ ...base, METRICS_ENABLED: '1' }).exposure.metricsEnabled).toBe(true);
    expect(loadConfig({ ...base, METRICS_TOKEN: 't'.repeat(16) }).exposure.metricsEnabled).toBe(true);
  });

  it('serves the IDE outside production only, unless IDE_ENABLED says otherwise', () => {
    expect(loadConfig(base).exposure.ideEnabled).toBe(false);
    expect(loadConfig({ ...base, IDE_ENABLED: '1' }).exposure.ideEnabled).toBe(true);
    expect(loadConfig({ ...base, NODE_ENV: 'development' }).exposure.ideEnabled).toBe(true);
    expect(loadConfig({ ...base, NODE_ENV: 'development', IDE_ENABLED: '0' }).exposure.ideEnabled).toBe(false);
    expect(() => loadConfig({ ...base, IDE_ENABLED: 'yes' })).toThrow(/IDE_ENABLED must be one of 0, 1/);
  });

  it('answers /metrics with 404 on a production server started without metrics settings', async () => {
    const server = await startTestServer({ NODE_ENV: 'production', JWT_SECRET: randomBytes(32).toString('hex') });
    try {
      const res = await fetch(`${server.url}/metrics`);
      expect(res.status).toBe(404);
      expect(await res.text()).not.toContain('agora_');
      expectSecurityHeaders(res.headers);
    } finally {
      await server.stop();
    }
  });

  it('refuses "*", paths and non-web schemes in CORS_ORIGINS, and short metrics tokens', () => {
    expect(() => loadConfig({ ...base, CORS_ORIGINS: '*' })).toThrow(/CORS_ORIGINS cannot be "\*"/);
    expect(() => loadConfig({ ...base, CORS_ORIGINS: 'https://app.example.com/' })).toThrow(/did you mean "https:\/\/app.example.com"/);
    expect(() => loadConfig({ ...base, CORS_ORIGINS: 'ftp://files.example.com' })).toThrow(/CORS_ORIGINS/);
    expect(() => loadConfig({ ...base, METRICS_TOKEN: 'short' })).toThrow(/METRICS_TOKEN/);
    expect(loadConfig({ ...base, CORS_ORIGINS: 'https://a.example.com, http://127.0.0.1:5173' }).exposure.corsOrigins).toEqual([
      'https://a.example.com',
      'http://127.0.0.1:5173',
    ]);
  });
});

describe('request ids in logs', () => {
  let app: App;
  let databaseUrl: string;
  const lines: Record<string, any>[] = [];
  // Every log line the server writes, parsed (pino writes whole lines).
  const destination = { write: (line: string) => void lines.push(JSON.parse(line)) };

  beforeAll(async () => {
    databaseUrl = await createTestDatabase();
    const config = loadConfig({ NODE_ENV: 'test', PORT: '0', DATABASE_URL: databaseUrl, LOG_LEVEL: 'error' });
    app = buildApp(config, createLogger('error', {}, destination));
    await app.start();
    // A real fault in this test's own database: queries on posts now fail unexpectedly.
    const admin = new pg.Client({ connectionString: databaseUrl });
    await admin.connect();
    await admin.query('DROP TABLE "Post" CASCADE');
    await admin.end();
  });
  afterAll(() => app?.stop());

  const FAILING = 'query Failing { posts(first: 1) { totalCount } }';

  it('logs an unexpected HTTP error with the x-request-id the client received', async () => {
    const res = await post(app.url, {}, JSON.stringify({ query: FAILING }));
    const body = (await res.json()) as any;
    expect(body.errors[0].extensions.code).toBe('INTERNAL_SERVER_ERROR');
    const requestId = res.headers.get('x-request-id');
    expect(requestId).toMatch(UUID);
    const logged = lines.filter((line) => line.requestId === requestId);
    expect(logged.length).toBeGreaterThan(0);
    expect(logged.every((line) => line.level === 'error' && typeof line.time === 'string')).toBe(true);
  });

  it("logs an unexpected WebSocket error with the operation's request id", async () => {
    const before = lines.length;
    const { socket } = (await openSocket(app.url)) as { socket: WebSocket };
    try {
      await connect(socket);
      const answered = nextMessage(socket, 'next');
      socket.send(JSON.stringify({ id: 'f1', type: 'subscribe', payload: { query: FAILING } }));
      expect((await answered).payload.errors[0].extensions.code).toBe('INTERNAL_SERVER_ERROR');
    } finally {
      socket.terminate();
    }
    const logged = lines.slice(before).filter((line) => line.msg === 'unexpected error');
    expect(logged.length).toBeGreaterThan(0);
    for (const line of logged) expect(line.requestId).toMatch(UUID);
  });
});

describe('logger', () => {
  it('adds the current request id to every line written inside a request, across awaits', async () => {
    const lines: Record<string, any>[] = [];
    const logger = createLogger('info', {}, { write: (line: string) => void lines.push(JSON.parse(line)) });
    await withRequestId('req-1', async () => {
      await Promise.resolve();
      logger.warn('inside', { detail: 1 });
    });
    logger.info('outside');
    logger.debug('below the level');
    expect(lines).toEqual([
      { level: 'warn', time: expect.any(String), requestId: 'req-1', detail: 1, msg: 'inside' },
      { level: 'info', time: expect.any(String), msg: 'outside' },
    ]);
  });
});
