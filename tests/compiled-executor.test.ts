import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtures, topics } from './helpers/fixtures.ts';
import { signUp, startTestServer, type TestServer, type TestUser } from './helpers/server.ts';
import { runOnce, wsClient, type WsClient } from './helpers/ws.ts';

// Operations run compiled by graphql-jit (src/server/compiled-executor.ts),
// once per document, on both transports; what graphql-jit cannot run as
// graphql-js would goes to graphql-js, counted, and answers as before.

const COMPILATIONS = 'agora_executor_compilations_total';
const FALLBACKS = 'agora_executor_fallbacks_total';

describe('compiled executor', () => {
  let server: TestServer;
  let alice: TestUser;
  const sockets: WsClient[] = [];

  /** A counter or gauge from /metrics (0 when the series has no sample yet). */
  async function metric(name: string, labels = '', url = server.url): Promise<number> {
    const text = await (await fetch(`${url}/metrics`)).text();
    const series = labels ? `${name}{${labels}} ` : `${name} `;
    const line = text.split('\n').find((l) => l.startsWith(series));
    return line ? Number(line.slice(series.length)) : 0;
  }

  beforeAll(async () => {
    server = await startTestServer();
    alice = await signUp(server, 'alice');
    await fixtures(server).post(alice, { title: 'Compiled', body: 'Body' });
  });
  afterAll(async () => {
    await Promise.all(sockets.map((s) => s.dispose()));
    await server.stop();
  });

  it('compiles a query once over HTTP and reuses it', async () => {
    // A query text no other test sends: its first run compiles it.
    const query = `query CompiledOnce($n: Int) { posts(first: $n) { totalCount edges { node { title author { username } } } } }`;
    const [compilations, kept] = [await metric(COMPILATIONS), await metric('agora_executor_compiled_queries')];
    const first = await server.gql(query, { n: 5 });
    const second = await server.gql(query, { n: 1 });
    expect(first.body.errors).toBeUndefined();
    expect(first.body.data!.posts.edges[0].node).toEqual({ title: 'Compiled', author: { username: alice.username } });
    expect(second.body.data!.posts.edges).toHaveLength(1);
    expect(await metric(COMPILATIONS)).toBe(compilations + 1);
    expect(await metric('agora_executor_compiled_queries')).toBe(kept + 1);
    expect(await metric(FALLBACKS, 'reason="unsupported"')).toBe(0);
  });

  it('shapes errors of compiled operations as graphql-js did: path, locations, code, data', async () => {
    const res = await server.gql('{ me { id }\n  feed(first: 1) { totalCount } }');
    // Same keys in the same order as graphql-js's result: the body is byte-identical.
    expect(Object.keys(res.body)).toEqual(['errors', 'data', 'extensions']);
    expect(JSON.stringify({ errors: res.body.errors, data: res.body.data })).toBe(
      JSON.stringify({
        errors: [
          {
            message: 'You must be signed in to do this',
            locations: [{ line: 2, column: 3 }],
            path: ['feed'],
            extensions: { code: 'UNAUTHENTICATED' },
          },
        ],
        data: null,
      }),
    );
  });

  it("runs a null @include condition on graphql-js, counted, with graphql-js's answer", async () => {
    const query = `query Maybe($show: Boolean = false) { me @include(if: $show) { username } }`;
    const before = await metric(FALLBACKS, 'reason="null_condition"');
    const shown = await server.gql(query, { show: true }, alice.token);
    expect(shown.body.data).toEqual({ me: { username: alice.username } });
    const refused = await server.gql(query, { show: null }, alice.token);
    // graphql-js refuses the null (an error without a code, masked as before); graphql-jit would skip the field.
    expect(refused.body.data).toBeNull();
    expect(refused.body.errors?.map((e) => e.extensions.code)).toEqual(['INTERNAL_SERVER_ERROR']);
    expect(await metric(FALLBACKS, 'reason="null_condition"')).toBe(before + 1);
  });

  it('runs a document without a chosen operation on graphql-js, counted, with its error', async () => {
    const before = await metric(FALLBACKS, 'reason="no_operation"');
    const res = await server.gql('query A { me { id } } query B { me { id } }');
    expect(res.status).toBe(400);
    expect(res.body.errors?.map((e) => e.message)).toEqual(['Must provide operation name if query contains multiple operations.']);
    expect(await metric(FALLBACKS, 'reason="no_operation"')).toBe(before + 1);
  });

  it('compiles a document on its GRAPHQL_JIT_COMPILE_AFTER-th execution, graphql-js running it before', async () => {
    const later = await startTestServer({ GRAPHQL_JIT_COMPILE_AFTER: '3' });
    try {
      const query = `query Later { posts(first: 1) { totalCount } }`;
      const compilations = () => metric(COMPILATIONS, '', later.url);
      const answers = [];
      for (const expected of [0, 0, 1, 1]) {
        answers.push((await later.gql(query)).body.data);
        expect(await compilations()).toBe(expected);
      }
      // graphql-js's answers and the compiled ones are the same.
      expect(new Set(answers.map((a) => JSON.stringify(a))).size).toBe(1);
    } finally {
      await later.stop();
    }
  });

  it('compiles WebSocket queries and subscription events once, and reuses them', async () => {
    const socket = wsClient(server.url, alice.token);
    sockets.push(socket);
    const query = `query SocketOnce { me { username } }`;
    const compilations = await metric(COMPILATIONS);
    expect((await runOnce(socket, query)).data).toEqual({ me: { username: alice.username } });
    expect((await runOnce(socket, query)).data).toEqual({ me: { username: alice.username } });
    expect(await metric(COMPILATIONS)).toBe(compilations + 1);

    const sub = socket.subscribe(`subscription Published($author: ID!) { postPublished(authorId: $author) { title } }`, {
      author: alice.id,
    });
    await server.whenSubscribed(topics.postPublished(alice.id));
    const make = fixtures(server);
    await make.post(alice, { title: 'One', body: 'B' });
    expect((await sub.next()).data).toEqual({ postPublished: { title: 'One' } });
    await make.post(alice, { title: 'Two', body: 'B' });
    expect((await sub.next()).data).toEqual({ postPublished: { title: 'Two' } });
    expect(await metric(COMPILATIONS)).toBe(compilations + 2);
  });
});
