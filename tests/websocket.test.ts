import { createClient, type Client } from 'graphql-ws';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createPost, topics } from './helpers/fixtures.ts';
import { signUp, startTestServer, type TestServer, type TestUser } from './helpers/server.ts';
import { wsClient } from './helpers/ws.ts';

describe('GraphQL over WebSocket (graphql-ws)', () => {
  let server: TestServer;
  let wsUrl: string;
  let alice: TestUser;
  let bob: TestUser;
  const clients: Client[] = [];
  beforeAll(async () => {
    server = await startTestServer();
    wsUrl = `${server.url.replace(/^http/, 'ws')}/graphql`;
    [alice, bob] = await Promise.all([signUp(server, 'alice'), signUp(server, 'bob')]);
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.dispose()));
  });
  afterAll(() => server.stop());

  function client(authorization?: string, extra: Partial<Parameters<typeof createClient>[0]> = {}) {
    const c = createClient({
      url: wsUrl,
      webSocketImpl: WebSocket,
      retryAttempts: 0,
      connectionParams: authorization === undefined ? undefined : { authorization },
      ...extra,
    });
    clients.push(c);
    return c;
  }

  /** Runs one operation to completion and returns its results. */
  async function run(c: Client, query: string, variables?: Record<string, unknown>) {
    const results: any[] = [];
    for await (const result of c.iterate({ query, variables })) results.push(result);
    return results;
  }

  it('runs a query as the viewer of connectionParams.authorization', async () => {
    const results = await run(client(`Bearer ${alice.token}`), '{ me { id username email } }');
    expect(results).toEqual([
      {
        data: { me: { id: alice.id, username: alice.username, email: alice.email } },
        extensions: { cost: expect.objectContaining({ requested: 1 }), sqlStatements: expect.any(Number) },
      },
    ]);
  });

  it('runs anonymously without credentials', async () => {
    expect(await run(client(), '{ me { id } }')).toEqual([
      { data: { me: null }, extensions: { cost: expect.objectContaining({ requested: 1 }), sqlStatements: 0 } },
    ]);
  });

  it('delivers postPublished for the subscribed author after a createPost over HTTP', async () => {
    const c = wsClient(server.url, bob.token);
    try {
      const sub = c.subscribe('subscription ($a: ID!) { postPublished(authorId: $a) { id title status author { id } } }', { a: alice.id });
      await server.whenSubscribed(topics.postPublished(alice.id));
      // In order: a post by someone else and a draft are not announced, a
      // published post is, then publishing the draft is.
      await createPost(server, bob, { title: 'not alice', publish: true });
      const draft = await createPost(server, alice, { title: 'draft first' });
      const published = await createPost(server, alice, { title: 'published', publish: true });
      const res = await server.gql(
        'mutation ($input: PostIdInput!) { publishPost(input: $input) { post { id } } }',
        { input: { id: draft.id } },
        alice.token,
      );
      expect(res.body.errors).toBeUndefined();
      const first = await sub.next();
      expect(first.errors).toBeUndefined();
      expect(first.data!.postPublished).toEqual({ id: published.id, title: 'published', status: 'PUBLISHED', author: { id: alice.id } });
      expect((await sub.next()).data!.postPublished).toMatchObject({ id: draft.id, title: 'draft first', status: 'PUBLISHED' });
    } finally {
      await c.dispose();
    }
  });

  it('refuses a subscription to a non-user id with BAD_USER_INPUT', async () => {
    const results = await run(client(), 'subscription ($a: ID!) { postPublished(authorId: $a) { id } }', { a: 'garbage' }).catch((e) => e);
    const errors = Array.isArray(results) ? results.flatMap((r: any) => r.errors ?? []) : (results as unknown[]);
    expect(errors).toHaveLength(1);
    expect((errors[0] as { extensions: Record<string, unknown> }).extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'authorId' });
  });

  it.each([
    ['a syntax error', '{ me { id }', {}, 'GRAPHQL_PARSE_FAILED', undefined],
    ['an unknown field', '{ me { password } }', {}, 'GRAPHQL_VALIDATION_FAILED', undefined],
    ['a variable of the wrong type', 'query ($n: Int) { posts(first: $n) { totalCount } }', { n: 'ten' }, 'BAD_USER_INPUT', 'n'],
    [
      'a missing input field',
      'mutation ($i: CreatePostInput!) { createPost(input: $i) { post { id } } }',
      { i: { title: 't' } },
      'BAD_USER_INPUT',
      'i.body',
    ],
    ['a page size out of range', 'query ($n: Int) { posts(first: $n) { totalCount } }', { n: 0 }, 'BAD_USER_INPUT', 'first'],
  ])('reports %s with the same code as HTTP', async (_label, query, variables, code, field) => {
    const c = client(`Bearer ${alice.token}`);
    const outcome = await run(c, query, variables).then(
      (results) => results.flatMap((r) => r.errors ?? []),
      (errors) => errors,
    );
    expect(Array.isArray(outcome), JSON.stringify(outcome)).toBe(true);
    expect(outcome).toHaveLength(1);
    expect(outcome[0].extensions.code).toBe(code);
    expect(outcome[0].extensions.field).toBe(field);
    const http = await server.gql(query, variables, alice.token);
    expect(http.body.errors![0]!.extensions.code).toBe(code);
    expect(http.body.errors![0]!.extensions.field).toBe(field);
    // The socket survives a bad operation.
    expect(await run(c, '{ me { id } }')).toEqual([
      {
        data: { me: { id: alice.id } },
        extensions: { cost: expect.objectContaining({ requested: 1 }), sqlStatements: expect.any(Number) },
      },
    ]);
  });

  it('closes the socket with 1009 when a message exceeds the WebSocket payload limit (WS_MAX_PAYLOAD_BYTES)', async () => {
    const closed = new Promise<{ code: number }>((resolve) => {
      const c = client(`Bearer ${alice.token}`, {
        lazy: false,
        on: { closed: (event) => resolve(event as { code: number }) },
        onNonLazyError: () => {},
      });
      // Just over the default WS_MAX_PAYLOAD_BYTES (64 KiB); the HTTP body cap is tested in http-protocol.
      c.subscribe(
        { query: '{ me { id } }', variables: { pad: 'x'.repeat(65_536) } },
        { next: () => {}, error: () => {}, complete: () => {} },
      );
    });
    expect((await closed).code).toBe(1009); // message too big
  });

  it.each([
    ['a garbage token', 'Bearer nope'],
    ['a non-Bearer value', 'Token abc'],
  ])('closes the socket with 4403 on %s', async (_label, authorization) => {
    const closed = new Promise<{ code: number }>((resolve) => {
      client(authorization, { lazy: false, on: { closed: (event) => resolve(event as { code: number }) }, onNonLazyError: () => {} });
    });
    expect((await closed).code).toBe(4403);
  });
});
