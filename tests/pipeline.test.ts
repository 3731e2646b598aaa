import { createClient, type Client } from 'graphql-ws';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { buildApp, type App } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { createLogger } from '../src/lib/logger.ts';
import { createTestDatabase } from './helpers/server.ts';

// One operation pipeline (src/server/operation-pipeline.ts) serves HTTP and
// WebSocket: the same operation gets the same statement count, the same
// error shape and code, and the same logging with a request id on both.

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const SIGN_UP = `mutation ($input: SignUpInput!) { signUp(input: $input) { accessToken } }`;
const CREATE_POST = `mutation ($input: CreatePostInput!) { createPost(input: $input) { post { id } } }`;
const NESTED = `query Nested($posts: Int!) { posts(first: $posts) { edges { node { title author { username } comments(first: 3) { edges { node { body } } } } } } }`;

type Result = {
  data?: any;
  errors?: { message: string; path?: unknown; locations?: unknown; extensions: Record<string, any> }[];
  extensions?: Record<string, any>;
};

describe('one operation pipeline for HTTP and WebSocket', () => {
  let app: App;
  let databaseUrl: string;
  let token: string;
  const clients: Client[] = [];
  const lines: Record<string, any>[] = [];
  // Every log line the server writes, parsed (pino writes whole lines).
  const destination = { write: (line: string) => void lines.push(JSON.parse(line)) };

  async function overHttp(
    query: string,
    variables?: Record<string, unknown>,
    bearer?: string,
  ): Promise<Result & { requestId: string | null }> {
    const res = await fetch(`${app.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(bearer ? { authorization: `Bearer ${bearer}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
    return { ...((await res.json()) as Result), requestId: res.headers.get('x-request-id') };
  }

  async function overWs(query: string, variables?: Record<string, unknown>, bearer?: string): Promise<Result> {
    const client = createClient({
      url: `${app.url.replace(/^http/, 'ws')}/graphql`,
      webSocketImpl: WebSocket,
      retryAttempts: 0,
      connectionParams: bearer ? { authorization: `Bearer ${bearer}` } : {},
    });
    clients.push(client);
    const results: Result[] = [];
    try {
      for await (const result of client.iterate({ query, variables })) results.push(result as Result);
    } catch (errors) {
      // graphql-ws answers an operation refused before execution with an `error` message: its errors.
      if (!Array.isArray(errors)) throw errors;
      return { errors } as Result;
    }
    expect(results).toHaveLength(1);
    return results[0]!;
  }

  beforeAll(async () => {
    databaseUrl = await createTestDatabase();
    const config = loadConfig({ NODE_ENV: 'test', PORT: '0', DATABASE_URL: databaseUrl, SQL_STATS: '1', LOG_LEVEL: 'error' });
    app = buildApp(config, createLogger('error', {}, destination));
    await app.start();
    const signedUp = await overHttp(SIGN_UP, {
      input: { email: 'pipe@example.com', username: 'pipeline_user', password: 'correct horse battery', name: 'Pipe' },
    });
    token = signedUp.data.signUp.accessToken;
    for (let i = 0; i < 3; i++) {
      const created = await overHttp(CREATE_POST, { input: { title: `Post ${i}`, body: 'Body', publish: true } }, token);
      expect(created.errors).toBeUndefined();
    }
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.dispose()));
    await app?.stop();
  });

  it('counts the same SQL statements for the same query over HTTP and WebSocket', async () => {
    for (const bearer of [undefined, token]) {
      const http = await overHttp(NESTED, { posts: 3 }, bearer);
      const ws = await overWs(NESTED, { posts: 3 }, bearer);
      expect(http.errors).toBeUndefined();
      expect(http.data.posts.edges).toHaveLength(3);
      expect(ws.data).toEqual(http.data);
      expect(http.extensions!.sqlStatements).toBeGreaterThan(0);
      expect(ws.extensions!.sqlStatements).toBe(http.extensions!.sqlStatements);
      // The cost extension comes from the same admission step.
      expect(ws.extensions!.cost.requested).toBe(http.extensions!.cost.requested);
    }
  });

  it.each([
    ['a syntax error', '{ me { id ', undefined],
    ['an unknown field', '{ me { nope } }', undefined],
    ['a variable of the wrong type', NESTED, { posts: 'three' }],
    ['a page size out of range', NESTED, { posts: 100_000 }],
    [
      'an operation over the depth limit',
      '{ me { followers { edges { node { followers { edges { node { followers { edges { node { id } } } } } } } } } } }',
      undefined,
    ],
  ])('answers %s with the same error shape and code over both', async (_name, query, variables) => {
    const http = await overHttp(query, variables);
    const ws = await overWs(query, variables);
    expect(http.errors).toHaveLength(1);
    const { message, extensions } = http.errors![0]!;
    expect(ws.errors).toEqual([expect.objectContaining({ message, extensions })]);
    expect(typeof extensions.code).toBe('string');
    // The server is unharmed: a normal query still answers on both.
    expect((await overHttp('{ me { id } }')).data).toEqual({ me: null });
    expect((await overWs('{ me { id } }')).data).toEqual({ me: null });
  });

  it('logs an unexpected WebSocket error with a request id, as HTTP does', async () => {
    // A real fault in this test's own database: queries on posts now fail unexpectedly.
    const admin = new pg.Client({ connectionString: databaseUrl });
    await admin.connect();
    await admin.query('DROP TABLE "Comment" CASCADE');
    await admin.end();
    const before = lines.length;
    const http = await overHttp(NESTED, { posts: 3 });
    expect(http.errors![0]!.extensions.code).toBe('INTERNAL_SERVER_ERROR');
    const httpLogged = lines.slice(before).filter((line) => line.msg === 'unexpected error');
    expect(httpLogged.map((line) => line.requestId)).toContain(http.requestId);

    const wsBefore = lines.length;
    const ws = await overWs(NESTED, { posts: 3 });
    expect(ws.errors![0]!.extensions.code).toBe('INTERNAL_SERVER_ERROR');
    expect(ws.errors![0]!.message).toBe('Internal server error');
    const wsLogged = lines.slice(wsBefore).filter((line) => line.msg === 'unexpected error');
    expect(wsLogged.length).toBeGreaterThan(0);
    for (const line of wsLogged) {
      expect(line.requestId).toMatch(UUID);
      expect(line.transport).toBe('ws');
    }
  });
});
