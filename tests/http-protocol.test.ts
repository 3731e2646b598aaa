import { MAX_BODY_BYTES } from '../src/server/http-handler.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unique, startTestServer, type TestServer } from './helpers/server.ts';

// GraphQL over HTTP: status codes and error shapes a client can rely on.
describe('GraphQL over HTTP', () => {
  let server: TestServer;
  let endpoint: string;
  beforeAll(async () => {
    server = await startTestServer();
    endpoint = `${server.url}/graphql`;
  });
  afterAll(() => server.stop());

  async function post(body: string, headers: Record<string, string> = {}) {
    const res = await fetch(endpoint, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
    const text = await res.text();
    return {
      status: res.status,
      headers: res.headers,
      text,
      json: JSON.parse(text) as { data?: any; errors?: { message: string; extensions: Record<string, any> }[] },
    };
  }
  const postJson = (payload: unknown) => post(JSON.stringify(payload));

  function onlyCode(json: any, code: string): { message: string; extensions: Record<string, any> } {
    expect(json.errors, JSON.stringify(json)).toHaveLength(1);
    const error = json.errors![0]!;
    expect(error.extensions.code).toBe(code);
    expect(error.extensions.stacktrace).toBeUndefined();
    return error;
  }

  it('answers a plain query with 200, JSON and a request id', async () => {
    const res = await postJson({ query: '{ me { id } }' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/(graphql-response\+)?json/);
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.json).toEqual({ data: { me: null }, extensions: expect.any(Object) });
  });

  it('answers a malformed JSON body with 400 BAD_REQUEST', async () => {
    const res = await post('{"query": "{ me { id } }"');
    expect(res.status).toBe(400);
    onlyCode(res.json, 'BAD_REQUEST');
  });

  it.each([
    ['an empty object', {}],
    ['variables only', { variables: { a: 1 } }],
    ['an empty query', { query: '' }],
  ])('answers a body without a query (%s) with 400 BAD_REQUEST', async (_label, payload) => {
    const res = await postJson(payload);
    expect(res.status).toBe(400);
    onlyCode(res.json, 'BAD_REQUEST');
  });

  it('answers a syntax error with 400 GRAPHQL_PARSE_FAILED', async () => {
    const res = await postJson({ query: '{ me { id }' });
    expect(res.status).toBe(400);
    const error = onlyCode(res.json, 'GRAPHQL_PARSE_FAILED');
    expect(error.message).toMatch(/Syntax Error/);
    expect(res.json.data).toBeUndefined();
  });

  it('answers an unknown field with 400 GRAPHQL_VALIDATION_FAILED', async () => {
    const res = await postJson({ query: '{ me { id password } }' });
    expect(res.status).toBe(400);
    const error = onlyCode(res.json, 'GRAPHQL_VALIDATION_FAILED');
    expect(error.message).toMatch(/password/);
  });

  it.each([
    ['a scalar variable of the wrong type', 'query ($first: Int) { posts(first: $first) { totalCount } }', { first: 'ten' }, 'first'],
    [
      'a nested input field of the wrong type',
      'mutation ($input: CreatePostInput!) { createPost(input: $input) { post { id } } }',
      { input: { title: 5, body: 'b' } },
      'input.title',
    ],
    [
      'a missing required input field',
      'mutation ($input: CreatePostInput!) { createPost(input: $input) { post { id } } }',
      { input: { title: 't' } },
      'input.body',
    ],
    [
      'an unknown input field',
      'mutation ($input: CreatePostInput!) { createPost(input: $input) { post { id } } }',
      { input: { title: 't', body: 'b', colour: 'red' } },
      'input.colour',
    ],
    ['a bad list element', 'query ($ids: [ID!]!) { nodes(ids: $ids) { id } }', { ids: ['a', null] }, 'ids.1'],
    ['a missing required variable', 'query ($id: ID!) { node(id: $id) { id } }', {}, 'id'],
    [
      'a bad enum value',
      'query ($o: PostOrder) { posts(orderBy: $o) { totalCount } }',
      { o: { field: 'LIKES', direction: 'ASC' } },
      'o.field',
    ],
  ])('answers %s with 400 BAD_USER_INPUT naming the variable path', async (_label, query, variables, field) => {
    const res = await postJson({ query, variables });
    expect(res.status).toBe(400);
    const error = onlyCode(res.json, 'BAD_USER_INPUT');
    expect(error.extensions.field).toBe(field);
  });

  it('serves queries over GET', async () => {
    const res = await fetch(
      `${endpoint}?query=${encodeURIComponent('query ($n: Int) { posts(first: $n) { totalCount } }')}&variables=${encodeURIComponent('{"n":1}')}`,
      {
        // Apollo's CSRF prevention wants a header a browser form cannot send.
        headers: { 'apollo-require-preflight': 'true' },
      },
    );
    expect(res.status).toBe(200);
    expect(((await res.json()) as any).data).toEqual({ posts: { totalCount: 0 } });
  });

  it('refuses a GET without a preflight-forcing header (CSRF prevention)', async () => {
    const res = await fetch(`${endpoint}?query=${encodeURIComponent('{ me { id } }')}`);
    expect(res.status).toBe(400);
    onlyCode(await res.json(), 'BAD_REQUEST');
  });

  it('refuses mutations over GET with 405 and changes nothing', async () => {
    const username = unique('get').slice(0, 30);
    const mutation = `mutation { signUp(input: { email: "${username}@example.com", username: "${username}", password: "long enough pw", name: "G" }) { accessToken } }`;
    const res = await fetch(`${endpoint}?query=${encodeURIComponent(mutation)}`, { headers: { 'apollo-require-preflight': 'true' } });
    expect(res.status).toBe(405);
    onlyCode(await res.json(), 'BAD_REQUEST');
    expect(res.headers.get('allow')).toMatch(/POST/);
    expect(await server.db.user.count({ where: { username } })).toBe(0);
  });

  it('answers unknown paths with 404', async () => {
    const res = await fetch(`${server.url}/graphq`);
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const res2 = await fetch(`${server.url}/`, { method: 'POST', body: '{}' });
    expect(res2.status).toBe(404);
  });

  it('answers /health with 200 JSON', async () => {
    const res = await fetch(`${server.url}/health`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('answers other methods with 405', async () => {
    const res = await fetch(endpoint, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ me { id } }' }),
    });
    expect(res.status).toBe(405);
  });

  it('refuses bodies over the cap (MAX_BODY_BYTES) with 413 BAD_REQUEST and stays healthy', async () => {
    const res = await postJson({ query: '{ me { id } }', variables: { pad: 'x'.repeat(MAX_BODY_BYTES) } });
    expect(res.status).toBe(413);
    onlyCode(res.json, 'BAD_REQUEST');
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
    const after = await postJson({ query: '{ me { id } }' });
    expect(after.status).toBe(200);
    expect(after.json.data).toEqual({ me: null });
  });
});

describe('unexpected errors', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.stop());

  it('are masked as INTERNAL_SERVER_ERROR without SQL, stack or driver details', async () => {
    const author = await server.db.user.create({
      data: { username: unique('mask').slice(0, 30), email: `${unique('mask')}@example.com`, name: 'M', passwordHash: 'x' },
    });
    await server.db.post.create({ data: { authorId: author.id, title: 'T', body: 'B', status: 'PUBLISHED', publishedAt: new Date() } });
    // Break the database under the running server: tags can no longer be read.
    await server.db.$executeRawUnsafe('ALTER TABLE "Tag" RENAME TO "Tag_gone"');
    const res = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ posts(first: 1) { nodes { title tags } } }' }),
    });
    const text = await res.text();
    const body = JSON.parse(text);
    expect(body.errors).toHaveLength(1);
    expect(body.errors[0]).toMatchObject({ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } });
    expect(Object.keys(body.errors[0].extensions)).toEqual(['code']);
    for (const leak of ['Tag', 'relation', 'SELECT', 'stacktrace', 'Prisma', 'postgres', '.ts']) expect(text).not.toContain(leak);
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });
});
