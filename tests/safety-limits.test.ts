import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { getIntrospectionQuery } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ConfigError, loadConfig } from '../src/config.ts';
import { createDocumentCache } from '../src/server/document-cache.ts';
import { createOperationRules } from '../src/server/operation-rules.ts';
import { buildSchema } from '../src/graphql/schema.ts';
import { signUp, startTestServer, type TestServer, type TestUser, expectHealthy } from './helpers/server.ts';

// Static operation limits: the same refusals, with the same codes, on HTTP
// and WebSocket, before anything runs; the server keeps answering afterwards.

type GqlError = { message: string; extensions: Record<string, any>; locations?: unknown };
type HttpAnswer = { status: number; errors?: GqlError[]; data?: any; ms: number; bytes: number };

async function postGraphQL(url: string, payload: unknown): Promise<HttpAnswer> {
  const started = performance.now();
  const res = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(payload),
  });
  const text = await res.text();
  const json = JSON.parse(text) as { errors?: GqlError[]; data?: any };
  return { status: res.status, errors: json.errors, data: json.data, ms: performance.now() - started, bytes: text.length };
}

/**
 * A bare graphql-transport-ws socket: subscribe messages can be sent in bulk
 * and every answer is collected per id.
 */
async function operationSocket(url: string) {
  const socket = new WebSocket(`${url.replace(/^http/, 'ws')}/graphql`, 'graphql-transport-ws');
  const waiting = new Map<
    string,
    { resolve: (v: { errors?: GqlError[]; data?: any }) => void; reject: (e: Error) => void; results: any[] }
  >();
  const closed = new Promise<number>((resolve) =>
    socket.once('close', (code) => {
      // Whatever is still unanswered fails loudly instead of hanging.
      for (const entry of waiting.values()) entry.reject(new Error(`socket closed with ${code}`));
      resolve(code);
    }),
  );
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.once('open', () => socket.send(JSON.stringify({ type: 'connection_init', payload: {} })));
    socket.on('message', (raw) => {
      const message = JSON.parse(String(raw));
      if (message.type === 'connection_ack') return resolve();
      const entry = waiting.get(message.id);
      if (!entry) return;
      if (message.type === 'next') return entry.results.push(message.payload);
      waiting.delete(message.id);
      if (message.type === 'error') entry.resolve({ errors: message.payload });
      else if (message.type === 'complete') entry.resolve(entry.results[0] ?? {});
    });
  });
  let next = 0;
  return {
    closed,
    /** Sends a subscribe message; resolves with its errors (an `error` message) or its first result. */
    operation(query: string, variables?: Record<string, unknown>): Promise<{ errors?: GqlError[]; data?: any }> {
      const id = String(++next);
      const answer = new Promise<{ errors?: GqlError[]; data?: any }>((resolve, reject) =>
        waiting.set(id, { resolve, reject, results: [] }),
      );
      socket.send(JSON.stringify({ id, type: 'subscribe', payload: { query, variables } }));
      return answer;
    },
    get open() {
      return socket.readyState === WebSocket.OPEN;
    },
    close() {
      socket.close();
    },
  };
}

function expectLimit(errors: GqlError[] | undefined, limit: string, max: number) {
  expect(errors, JSON.stringify(errors)).toHaveLength(1);
  expect(errors![0]!.extensions).toMatchObject({ code: 'OPERATION_TOO_COMPLEX', limit, max });
  expect(errors![0]!.extensions.stacktrace).toBeUndefined();
  return errors![0]!;
}

/** `query Q<i> { a0:x a1:x … }` of at least `bytes` bytes, distinct per i (the WebSocket repro). */
function aliasFlood(i: number, bytes: number): string {
  const parts: string[] = [];
  let size = 0;
  for (let n = 0; size < bytes; n++) {
    const part = `a${n}:x`;
    parts.push(part);
    size += part.length + 1;
  }
  return `query Q${i} { ${parts.join(' ')} }`;
}

/** `posts { nodes { author { posts { … } } } }` with `levels` fields in all. */
function deepQuery(levels: number): string {
  const names = ['posts', 'nodes', 'author'];
  let query = 'id';
  for (let depth = levels - 1; depth >= 1; depth--) query = `${names[(depth - 1) % 3]} { ${query} }`;
  return `{ ${query} }`;
}

// Node's gc() for precise heap measurements, without a command-line flag.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

describe('operation limits (defaults, HTTP and WebSocket)', () => {
  let server: TestServer;
  let alice: TestUser;
  beforeAll(async () => {
    // The shape limits at their defaults; the cost limit and the per-socket
    // operation rate (tests/safety-budgets.test.ts) are lifted so each refusal
    // here is the shape limit's alone.
    server = await startTestServer({ MAX_OPERATION_COST: '100000000', WS_MAX_OPERATIONS_PER_SECOND: '0' });
    alice = await signUp(server, 'limits');
  });
  afterAll(() => server.stop());

  it('refuses a document over 32,768 bytes before parsing, on both transports', async () => {
    const query = aliasFlood(0, 60_000);
    const http = await postGraphQL(server.url, { query });
    expect(http.status).toBe(400);
    expect(expectLimit(http.errors, 'bytes', 32_768).extensions.actual).toBe(Buffer.byteLength(query));
    // The report's WebSocket repro: hundreds of distinct ~60 KB documents on one socket.
    const ws = await operationSocket(server.url);
    const answers = await Promise.all(Array.from({ length: 300 }, (_, i) => ws.operation(aliasFlood(i, 60_000))));
    for (const answer of answers) expectLimit(answer.errors, 'bytes', 32_768);
    expect(ws.open).toBe(true);
    expect(await ws.operation('{ posts(first: 1) { totalCount } }')).toMatchObject({ data: { posts: { totalCount: expect.any(Number) } } });
    ws.close();
    await expectHealthy(server);
  });

  it('refuses a document over 5,000 tokens with 400 (not 500), on both transports', async () => {
    const query = `{ ${'a '.repeat(6_000)}}`; // 12 KB, under the byte limit
    const http = await postGraphQL(server.url, { query });
    expect(http.status).toBe(400);
    expectLimit(http.errors, 'tokens', 5_000);
    expect(http.ms).toBeLessThan(2_000);
    const ws = await operationSocket(server.url);
    expectLimit((await ws.operation(query)).errors, 'tokens', 5_000);
    ws.close();
    // A syntax error under the limit keeps its own code.
    const syntax = await postGraphQL(server.url, { query: '{ posts { ' });
    expect(syntax.errors?.[0]?.extensions.code).toBe('GRAPHQL_PARSE_FAILED');
    await expectHealthy(server);
  });

  it('refuses 51 levels of depth, and the 4-level nested posts(first: 100) of the report, on both transports', async () => {
    const ws = await operationSocket(server.url);
    for (const query of [
      deepQuery(51),
      '{ posts(first: 100) { nodes { author { posts(first: 100) { nodes { author { posts(first: 100) { nodes { author { posts(first: 100) { nodes { id } } } } } } } } } } } }',
    ]) {
      const http = await postGraphQL(server.url, { query });
      expect(http.status).toBe(400);
      expectLimit(http.errors, 'depth', 10);
      expect(http.ms).toBeLessThan(2_000);
      expectLimit((await ws.operation(query)).errors, 'depth', 10);
    }
    // Ten levels pass, counting fields only: fragments add none.
    const ten = deepQuery(10);
    expect((await postGraphQL(server.url, { query: ten })).errors).toBeUndefined();
    const viaFragments = '{ posts { ...P } } fragment P on PostConnection { nodes { ...N } } fragment N on Post { author { id } }';
    expect((await postGraphQL(server.url, { query: viaFragments })).errors).toBeUndefined();
    expect(await ws.operation(ten)).toMatchObject({ data: expect.any(Object) });
    ws.close();
    await expectHealthy(server);
  });

  it('refuses 2,000 aliased posts(filter: {search}) and 16 aliases, on both transports', async () => {
    const flood = `{ ${Array.from({ length: 2_000 }, (_, i) => `p${i}: posts(filter: { search: "x" }) { totalCount }`).join(' ')} }`;
    const http = await postGraphQL(server.url, { query: flood });
    expect(http.status).toBe(400);
    expectLimit(http.errors, 'bytes', 32_768);
    expect(http.ms).toBeLessThan(2_000);

    const sixteen = `{ me { ${Array.from({ length: 16 }, (_, i) => `a${i}: id`).join(' ')} } }`;
    const refused = await postGraphQL(server.url, { query: sixteen });
    expect(refused.status).toBe(400);
    expectLimit(refused.errors, 'aliases', 15);
    const ws = await operationSocket(server.url);
    expectLimit((await ws.operation(sixteen)).errors, 'aliases', 15);
    const fifteen = `{ me { ${Array.from({ length: 15 }, (_, i) => `a${i}: id`).join(' ')} } }`;
    expect((await postGraphQL(server.url, { query: fifteen })).errors).toBeUndefined();
    ws.close();
    await expectHealthy(server);
  });

  it('refuses more than 20 root fields and more than 20 directives, on both transports', async () => {
    const rootFields = `{ ${'__typename '.repeat(21)}}`;
    const directives = `{ me { ${'... @include(if: true) { id } '.repeat(21)}} }`;
    const ws = await operationSocket(server.url);
    const root = await postGraphQL(server.url, { query: rootFields });
    expect(root.status).toBe(400);
    expect(expectLimit(root.errors, 'rootFields', 20).extensions.actual).toBe(21);
    expectLimit((await ws.operation(rootFields)).errors, 'rootFields', 20);
    const directive = await postGraphQL(server.url, { query: directives });
    expect(directive.status).toBe(400);
    expectLimit(directive.errors, 'directives', 20);
    expectLimit((await ws.operation(directives)).errors, 'directives', 20);
    ws.close();
    await expectHealthy(server);
  });

  it('lets an IDE introspect in development and test, on both transports', async () => {
    const query = getIntrospectionQuery();
    const http = await postGraphQL(server.url, { query });
    expect(http.errors).toBeUndefined();
    expect(http.data.__schema.queryType.name).toBe('Query');
    const ws = await operationSocket(server.url);
    expect((await ws.operation(query)).data.__schema.queryType.name).toBe('Query');
    ws.close();
    const suggested = await postGraphQL(server.url, { query: '{ postz { totalCount } }' });
    expect(suggested.errors?.[0]?.message).toContain('Did you mean "post" or "posts"?');
  });

  it('answers a 32,000-key object for an Int variable at once, naming the variable, on both transports', async () => {
    const huge = Object.fromEntries(Array.from({ length: 32_000 }, (_, i) => [`property_number_${i}_of_the_flood`, i]));
    const payload = { query: 'query($x: Int) { posts(first: $x) { totalCount } }', variables: { x: huge } };
    expect(JSON.stringify(payload).length).toBeGreaterThan(1_300_000); // the 1.36 MB request of the report
    const http = await postGraphQL(server.url, payload);
    expect(http.status).toBe(400);
    expect(http.errors).toHaveLength(1);
    expect(http.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'x' });
    expect(http.ms).toBeLessThan(2_000); // it took 50 s
    expect(http.bytes).toBeLessThan(2_000); // the value is not echoed back

    // WebSocket messages are capped at 64 KiB: as many keys as fit.
    const fits = Object.fromEntries(Array.from({ length: 4_000 }, (_, i) => [`k${i}`, i]));
    const ws = await operationSocket(server.url);
    const answer = await ws.operation('query($x: Int) { posts(first: $x) { totalCount } }', { x: fits });
    expect(answer.errors).toHaveLength(1);
    expect(answer.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'x' });
    ws.close();
    await expectHealthy(server);
  });

  it('answers 32,000 unknown input fields at once, lists at most 20, and creates nothing', async () => {
    const before = await server.db.post.count();
    const input: Record<string, unknown> = { title: 'flood', body: 'b' };
    for (let i = 0; i < 32_000; i++) input[`f${i}`] = i;
    const started = performance.now();
    const res = await server.gql(
      'mutation ($input: CreatePostInput!) { createPost(input: $input) { post { id } } }',
      { input },
      alice.token,
    );
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(res.status).toBe(400);
    const error = res.body.errors![0]!;
    expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.f0' });
    expect(error.extensions.fieldErrors).toHaveLength(20);
    expect(await server.db.post.count()).toBe(before);
    await expectHealthy(server);
  });

  it('names every kind of bad variable by its path, on both transports', async () => {
    const cases: [string, Record<string, unknown>, string][] = [
      ['mutation ($input: CreatePostInput!) { createPost(input: $input) { post { id } } }', { input: { title: 't' } }, 'input.body'],
      [
        'mutation ($input: CreatePostInput!) { createPost(input: $input) { post { id } } }',
        { input: { title: 't', body: 'b', colour: 'red' } },
        'input.colour',
      ],
      [
        'mutation ($input: CreatePostInput!) { createPost(input: $input) { post { id } } }',
        { input: { title: 5, body: 'b' } },
        'input.title',
      ],
      ['query ($ids: [ID!]!) { nodes(ids: $ids) { id } }', { ids: ['a', null] }, 'ids.1'],
      ['query ($id: ID!) { node(id: $id) { id } }', {}, 'id'],
      ['query ($o: PostOrder) { posts(orderBy: $o) { totalCount } }', { o: { field: 'LIKES', direction: 'ASC' } }, 'o.field'],
    ];
    const ws = await operationSocket(server.url);
    for (const [query, variables, field] of cases) {
      const http = await postGraphQL(server.url, { query, variables });
      expect(http.status).toBe(400);
      expect(http.errors?.[0]?.extensions, query).toMatchObject({ code: 'BAD_USER_INPUT', field });
      const answer = await ws.operation(query, variables);
      expect(answer.errors?.[0]?.extensions, query).toMatchObject({ code: 'BAD_USER_INPUT', field });
    }
    ws.close();
  });
});

describe('the WebSocket flood of distinct invalid documents (out-of-memory repro)', () => {
  let server: TestServer;
  beforeAll(async () => {
    // Limits loose enough that the ~60 KB documents are parsed and validated:
    // the path that used to cache every one of them.
    server = await startTestServer({ GRAPHQL_MAX_BYTES: '65536', GRAPHQL_MAX_TOKENS: '100000' });
  });
  afterAll(() => server.stop());

  it('refuses 40 distinct ~60 KB invalid documents on one socket and keeps no memory for them', { timeout: 180_000 }, async () => {
    const users = await server.db.user.count();
    const ws = await operationSocket(server.url);
    const warmup = await ws.operation(aliasFlood(1_000, 60_000));
    expectLimitAmong(warmup.errors, 'aliases');
    gc();
    const heapBefore = process.memoryUsage().heapUsed;
    const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => ws.operation(aliasFlood(i, 60_000))));
    for (const answer of answers) expectLimitAmong(answer.errors, 'aliases');
    gc();
    const grown = process.memoryUsage().heapUsed - heapBefore;
    // Caching them cost ~6.5 MB each (measured: 647 MB for 100; 4.3 GB for 750 in the report);
    // now they leave nothing behind (measured: ~1 MB).
    expect(grown).toBeLessThan(64 * 1024 * 1024);
    // The socket and the server still answer.
    expect(ws.open).toBe(true);
    expect(await ws.operation('{ posts(first: 1) { totalCount } }')).toMatchObject({ data: { posts: { totalCount: expect.any(Number) } } });
    ws.close();
    expect(await server.db.user.count()).toBe(users);
    await expectHealthy(server);
  });
});

function expectLimitAmong(errors: GqlError[] | undefined, limit: string) {
  expect(
    errors?.some((e) => e.extensions.code === 'OPERATION_TOO_COMPLEX' && e.extensions.limit === limit),
    JSON.stringify(errors?.slice(0, 2)),
  ).toBe(true);
}

describe('the WebSocket document cache', () => {
  const schema = buildSchema();
  const rules = createOperationRules(loadConfig({ NODE_ENV: 'test' }).operationLimits);

  it('stays within its byte bound and never keeps refused documents', () => {
    const cache = createDocumentCache(rules, { maxEntries: 1_000, maxBytes: 64 * 1024 });
    for (let i = 0; i < 200; i++) {
      expect(Array.isArray(cache.prepare(schema, `query Bad${i} { nope${i} }`))).toBe(true); // validation fails
      expect(Array.isArray(cache.prepare(schema, `query Broken${i} {`))).toBe(true); // parse fails
      expect(Array.isArray(cache.prepare(schema, aliasFlood(i, 40_000)))).toBe(true); // too large
    }
    expect(cache.stats()).toEqual({ entries: 0, bytes: 0 });

    const padding = ' '.repeat(1_000);
    for (let i = 0; i < 200; i++) {
      const document = cache.prepare(schema, `query Ok${i} { posts(first: 1) { totalCount } }${padding}`);
      expect(Array.isArray(document)).toBe(false);
      expect(cache.stats().bytes).toBeLessThanOrEqual(64 * 1024);
    }
    expect(cache.stats().entries).toBeGreaterThan(50);
    // The same text is served from the cache (the same AST).
    const again = `query Ok199 { posts(first: 1) { totalCount } }${padding}`;
    expect(cache.prepare(schema, again)).toBe(cache.prepare(schema, again));
  });

  it('stays within its entry bound', () => {
    const cache = createDocumentCache(rules, { maxEntries: 10, maxBytes: 1024 * 1024 });
    for (let i = 0; i < 50; i++) cache.prepare(schema, `query Ok${i} { me { id } }`);
    expect(cache.stats().entries).toBe(10);
  });
});

describe('production exposure', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ NODE_ENV: 'production', JWT_SECRET: 'a-production-secret-of-at-least-32-chars' });
  });
  afterAll(() => server.stop());

  it('refuses introspection on both transports', async () => {
    const ws = await operationSocket(server.url);
    for (const query of [getIntrospectionQuery(), '{ __type(name: "Post") { fields { name } } }']) {
      const http = await postGraphQL(server.url, { query });
      expect(http.status).toBe(400);
      expect(http.data).toBeUndefined();
      expect(http.errors!.every((e) => e.extensions.code === 'GRAPHQL_VALIDATION_FAILED')).toBe(true);
      expect(http.errors!.some((e) => /introspection/i.test(e.message))).toBe(true);
      const answer = await ws.operation(query);
      expect(answer.data).toBeUndefined();
      expect(answer.errors!.every((e) => e.extensions.code === 'GRAPHQL_VALIDATION_FAILED')).toBe(true);
    }
    // __typename is not introspection.
    expect((await postGraphQL(server.url, { query: '{ __typename }' })).data).toEqual({ __typename: 'Query' });
    ws.close();
    await expectHealthy(server);
  });

  it('gives no "Did you mean" hints, on both transports', async () => {
    const ws = await operationSocket(server.url);
    const cases: [string, Record<string, unknown> | undefined][] = [
      ['{ postz { totalCount } }', undefined],
      ['{ posts(frist: 1) { totalCount } }', undefined],
      ['query ($o: PostOrder) { posts(orderBy: $o) { totalCount } }', { o: { field: 'TITEL', direction: 'ASC' } }],
    ];
    for (const [query, variables] of cases) {
      const http = await postGraphQL(server.url, { query, variables });
      expect(http.status).toBe(400);
      const ws_ = await ws.operation(query, variables);
      for (const error of [...http.errors!, ...ws_.errors!]) {
        expect(error.message).not.toMatch(/did you mean/i);
        expect(JSON.stringify(error.extensions)).not.toMatch(/did you mean/i);
      }
    }
    ws.close();
  });
});

describe('operation limit settings', () => {
  it('has documented defaults and follows NODE_ENV for introspection and suggestions', () => {
    expect(loadConfig({ NODE_ENV: 'test' }).operationLimits).toEqual({
      maxBytes: 32_768,
      maxTokens: 5_000,
      maxDepth: 10,
      maxAliases: 15,
      maxRootFields: 20,
      maxDirectives: 20,
      introspection: true,
      suggestions: true,
    });
    const production = loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(32) }).operationLimits;
    expect(production).toMatchObject({ introspection: false, suggestions: false });
    expect(loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(32), GRAPHQL_INTROSPECTION: 'on' }).operationLimits).toMatchObject({
      introspection: true,
      suggestions: true,
    });
    expect(loadConfig({ NODE_ENV: 'test', GRAPHQL_SUGGESTIONS: 'off' }).operationLimits.suggestions).toBe(false);
  });

  it.each([
    ['GRAPHQL_MAX_DEPTH', 'ten'],
    ['GRAPHQL_MAX_DEPTH', '1'],
    ['GRAPHQL_MAX_ALIASES', '-1'],
    ['GRAPHQL_MAX_TOKENS', '1.5'],
    ['GRAPHQL_MAX_BYTES', '10'],
    ['GRAPHQL_MAX_ROOT_FIELDS', '0'],
    ['GRAPHQL_MAX_DIRECTIVES', 'many'],
    ['GRAPHQL_INTROSPECTION', 'yes'],
    ['GRAPHQL_SUGGESTIONS', 'true'],
  ])('refuses %s=%s with a message naming it', (name, value) => {
    expect(() => loadConfig({ NODE_ENV: 'test', [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ NODE_ENV: 'test', [name]: value })).toThrow(name);
  });
});
