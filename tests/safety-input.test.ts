import {
  getNamedType,
  isEnumType,
  isInputObjectType,
  isLeafType,
  isListType,
  isNonNullType,
  isScalarType,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLObjectType,
} from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSchema } from '../src/graphql/schema.ts';
import { signUp, startTestServer, type GraphQLResponse, type TestServer, type TestUser, expectHealthy } from './helpers/server.ts';
import { wsClient } from './helpers/ws.ts';

const NUL_TEXT = 'a\u0000b';
const schema = buildSchema();

/** A value GraphQL accepts for `type` (required parts only); `target` puts the NUL text at one path. */
function sample(type: GraphQLInputType, target: string[] | null): unknown {
  if (isNonNullType(type)) return sample(type.ofType, target);
  if (isListType(type)) return target ? [sample(type.ofType, target.slice(1))] : [];
  if (isInputObjectType(type)) {
    const value: Record<string, unknown> = {};
    for (const field of Object.values(type.getFields())) {
      const onPath = target?.[0] === field.name;
      if (onPath || (isNonNullType(field.type) && field.defaultValue === undefined)) {
        value[field.name] = sample(field.type, onPath ? target!.slice(1) : null);
      }
    }
    return value;
  }
  if (target) return NUL_TEXT;
  if (isEnumType(type)) return type.getValues()[0]!.value;
  switch (type.name) {
    case 'Int':
    case 'Float':
      return 1;
    case 'Boolean':
      return false;
    case 'DateTime':
      return new Date().toISOString();
    default:
      return 'x';
  }
}

/** Every path to a String/ID leaf under `type` (list items as index 0), input types followed 3 deep. */
function stringPaths(type: GraphQLInputType, depth = 0): string[][] {
  if (isNonNullType(type)) return stringPaths(type.ofType, depth);
  if (isListType(type)) return stringPaths(type.ofType, depth).map((p) => ['0', ...p]);
  if (isInputObjectType(type)) {
    if (depth >= 3) return [];
    return Object.values(type.getFields()).flatMap((f) => stringPaths(f.type, depth + 1).map((p) => [f.name, ...p]));
  }
  return isScalarType(type) && (type.name === 'String' || type.name === 'ID') ? [[]] : [];
}

interface Case {
  operation: 'query' | 'mutation' | 'subscription';
  field: string;
  path: string;
  document: string;
  variables: Record<string, unknown>;
}

/** One request per string input of every root field: the NUL in one place, everything else valid. */
function nulCases(operation: Case['operation'], root: GraphQLObjectType | null | undefined): Case[] {
  if (!root) return [];
  return Object.values(root.getFields()).flatMap((field: GraphQLField<unknown, unknown>) =>
    field.args.flatMap((arg) =>
      stringPaths(arg.type).map((target) => {
        const variables: Record<string, unknown> = {};
        const definitions: string[] = [];
        const uses: string[] = [];
        for (const other of field.args) {
          const onPath = other === arg;
          if (!onPath && !isNonNullType(other.type)) continue;
          variables[other.name] = sample(other.type, onPath ? target : null);
          definitions.push(`$${other.name}: ${String(other.type)}`);
          uses.push(`${other.name}: $${other.name}`);
        }
        const selection = isLeafType(getNamedType(field.type)) ? '' : ' { __typename }';
        const document = `${operation} (${definitions.join(', ')}) { ${field.name}(${uses.join(', ')})${selection} }`;
        return { operation, field: field.name, path: [arg.name, ...target].join('.'), document, variables };
      }),
    ),
  );
}

const httpCases = [...nulCases('query', schema.getQueryType()), ...nulCases('mutation', schema.getMutationType())];
const wsCases = nulCases('subscription', schema.getSubscriptionType());

/** Everything stored, as one fingerprint per table: any insert, update or delete changes it. */
async function fingerprint(server: TestServer): Promise<Record<string, string>> {
  const tables = await server.db.$queryRaw<{ name: string }[]>`
    SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1`;
  const result: Record<string, string> = {};
  for (const { name } of tables) {
    const [row] = await server.db.$queryRawUnsafe<{ digest: string | null; count: number }[]>(
      `SELECT md5(string_agg(t::text, '|' ORDER BY t::text)) AS digest, count(*)::int AS count FROM "${name.replaceAll('"', '""')}" t`,
    );
    result[name] = `${row!.count}:${row!.digest}`;
  }
  return result;
}

describe('NUL characters in any string input are BAD_USER_INPUT naming the field', () => {
  let server: TestServer;
  let user: TestUser;
  beforeAll(async () => {
    server = await startTestServer();
    user = await signUp(server, 'nul');
  });
  afterAll(() => server.stop());

  it('covers every text input of the schema (found by walking it, so new inputs are covered)', () => {
    // The inputs of the report, among others.
    const paths = httpCases.map((c) => `${c.field}:${c.path}`);
    for (const expected of [
      'signUp:input.name',
      'createPost:input.title',
      'createPost:input.body',
      'createComment:input.body',
      'sendMessage:input.body',
      'logIn:input.login',
    ]) {
      expect(paths).toContain(expected);
    }
    expect(httpCases.length).toBeGreaterThan(40);
    expect(wsCases.length).toBeGreaterThan(3);
  });

  it('over HTTP: every query and mutation argument, as the signed-in user; nothing is written', async () => {
    const before = await fingerprint(server);
    const failures: string[] = [];
    for (const c of httpCases) {
      const res: GraphQLResponse = await server.gql(c.document, c.variables, user.token);
      const error = res.body.errors?.[0];
      const ok =
        res.status !== 500 &&
        res.body.errors?.length === 1 &&
        error!.extensions.code === 'BAD_USER_INPUT' &&
        error!.extensions.field === c.path;
      if (!ok) failures.push(`${c.field} ${c.path}: ${res.status} ${JSON.stringify(res.body)}`);
    }
    expect(failures).toEqual([]);
    expect(await fingerprint(server)).toEqual(before);
    await expectHealthy(server, user.token);
  });

  it('inline in the document too (a literal "\\u0000"), anonymously', async () => {
    const res = await server.gql('mutation { logIn(input: { login: "al\\u0000ice", password: "whatever password" }) { accessToken } }');
    expect(res.body.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.login' });
    expect(await server.db.auditEvent.count({ where: { type: 'LOGIN_FAILED' } })).toBe(0);
  });

  it('over WebSocket: every subscription argument', async () => {
    const ws = wsClient(server.url, user.token);
    try {
      for (const c of wsCases) {
        const result = await ws.subscribe(c.document, c.variables).next();
        expect(result.errors?.[0]?.extensions, `${c.field} ${c.path}`).toMatchObject({ code: 'BAD_USER_INPUT', field: c.path });
      }
    } finally {
      await ws.dispose();
    }
    await expectHealthy(server, user.token);
  });
});

describe('forged cursors and ids are BAD_USER_INPUT or NOT_FOUND, never a database error', () => {
  let server: TestServer;
  let user: TestUser;
  let postId: string;
  beforeAll(async () => {
    server = await startTestServer();
    user = await signUp(server, 'cursor');
    const created = await server.gql(
      'mutation { createPost(input: { title: "Cursor target", body: "body", publish: true }) { post { id } } }',
      {},
      user.token,
    );
    postId = created.body.data!.createPost.post.id;
    await server.gql(
      'mutation ($id: ID!) { createComment(input: { postId: $id, body: "first" }) { comment { id } } }',
      { id: postId },
      user.token,
    );
  });
  afterAll(() => server.stop());

  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const decode = (cursor: string) => JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [string, string, string];

  /** Genuine cursors from root and nested (windowed) connections, by date and by text key. */
  const connections = [
    {
      name: 'posts by date',
      page: (after?: string) => ['query ($after: String) { posts(first: 1, after: $after) { edges { cursor } } }', after] as const,
      edges: (d: any) => d.posts.edges,
    },
    {
      name: 'posts by title',
      page: (after?: string) =>
        [
          'query ($after: String) { posts(first: 1, after: $after, orderBy: { field: TITLE, direction: ASC }) { edges { cursor } } }',
          after,
        ] as const,
      edges: (d: any) => d.posts.edges,
    },
    {
      name: 'users',
      page: (after?: string) => ['query ($after: String) { users(first: 1, after: $after) { edges { cursor } } }', after] as const,
      edges: (d: any) => d.users.edges,
    },
  ];

  it('tampered keys and ids inside real cursors are refused on the cursor argument', async () => {
    const nested = (after?: string) =>
      server.gql(
        'query ($id: ID!, $after: String) { post(id: $id) { comments(first: 1, after: $after) { edges { cursor } } } }',
        { id: postId, after },
        user.token,
      );
    const genuine: { name: string; cursor: string; send: (after: string) => Promise<GraphQLResponse> }[] = [];
    for (const c of connections) {
      const res = await server.gql(c.page()[0], {}, user.token);
      expect(res.body.errors, `${c.name}: ${JSON.stringify(res.body.errors)}`).toBeUndefined();
      genuine.push({
        name: c.name,
        cursor: c.edges(res.body.data)[0].cursor,
        send: (after) => server.gql(c.page(after)[0], { after }, user.token),
      });
    }
    const comment = await nested();
    genuine.push({ name: 'nested comments', cursor: comment.body.data!.post.comments.edges[0].cursor, send: nested });

    for (const { name, cursor, send } of genuine) {
      expect((await send(cursor)).body.errors, `${name} genuine`).toBeUndefined();
      const [sort, key, id] = decode(cursor);
      const dateKey = !Number.isNaN(Date.parse(key));
      const forged = [
        encode([sort, key, '-'.repeat(36)]),
        encode([sort, key, 'not-a-uuid']),
        encode([sort, key, 'ffffffff-ffff-ffff-ffff-ffffffffffff\u0000']),
        encode([sort, dateKey ? '-271821-04-20T00:00:00.000Z' : 'a\u0000b', id]),
        encode([sort, dateKey ? '+275760-09-13T00:00:00.000Z' : 'x'.repeat(5000), id]),
        encode([sort, dateKey ? 'not a date' : 7, id]),
        '-'.repeat(36),
        'x'.repeat(10_000),
      ];
      for (const after of forged) {
        const res = await send(after);
        expect(res.status, `${name} ${after.slice(0, 60)}`).not.toBe(500);
        expect(res.body.errors?.[0]?.extensions, `${name} ${after.slice(0, 60)}`).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
      }
    }
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
  });

  it('a non-uuid inside a global id is NOT_FOUND or BAD_USER_INPUT on every ID argument', async () => {
    const forgedIds = ['Post:not-a-uuid', `Post:${'-'.repeat(36)}`, 'User:zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz', 'Comment:'].map((raw) =>
      Buffer.from(raw).toString('base64url'),
    );
    const failures: string[] = [];
    const roots = [
      ['query', schema.getQueryType()!],
      ['mutation', schema.getMutationType()!],
    ] as const;
    for (const [operation, root] of roots) {
      for (const field of Object.values(root.getFields())) {
        for (const arg of field.args) {
          const idPaths = stringPaths(arg.type).filter((p) => {
            let type: GraphQLInputType = arg.type;
            for (const step of p) {
              const named = getNamedType(type);
              if (isInputObjectType(named)) type = named.getFields()[step]!.type;
            }
            return getNamedType(type).name === 'ID';
          });
          for (const target of idPaths) {
            for (const forged of forgedIds) {
              const variables: Record<string, unknown> = {};
              const definitions: string[] = [];
              const uses: string[] = [];
              for (const other of field.args) {
                if (other !== arg && !isNonNullType(other.type)) continue;
                variables[other.name] = JSON.parse(
                  JSON.stringify(sample(other.type, other === arg ? target : null)).replaceAll(
                    JSON.stringify(NUL_TEXT),
                    JSON.stringify(forged),
                  ),
                );
                definitions.push(`$${other.name}: ${String(other.type)}`);
                uses.push(`${other.name}: $${other.name}`);
              }
              const selection = isLeafType(getNamedType(field.type)) ? '' : ' { __typename }';
              const res = await server.gql(
                `${operation} (${definitions.join(', ')}) { ${field.name}(${uses.join(', ')})${selection} }`,
                variables,
                user.token,
              );
              const codes = (res.body.errors ?? []).map((e) => e.extensions.code);
              if (res.status === 500 || codes.includes('INTERNAL_SERVER_ERROR'))
                failures.push(`${field.name} ${[arg.name, ...target].join('.')}: ${JSON.stringify(res.body)}`);
            }
          }
        }
      }
    }
    expect(failures).toEqual([]);
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
  });
});
