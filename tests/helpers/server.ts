import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { expect, inject } from 'vitest';
import { buildApp, type App } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { createDatabase, type Database } from '../../src/db/prisma.ts';
import { createLogger } from '../../src/lib/logger.ts';
import { withDatabase } from './global-setup.ts';

export interface GraphQLResponse<T = Record<string, any>> {
  status: number;
  headers: Headers;
  body: {
    data?: T | null;
    errors?: { message: string; path?: (string | number)[]; extensions: Record<string, any> }[];
    extensions?: Record<string, any>;
  };
}

export interface TestServer {
  app: App;
  url: string;
  /** Direct database access, for arranging data and asserting effects. */
  db: Database['prisma'];
  databaseUrl: string;
  gql<T = Record<string, any>>(query: string, variables?: Record<string, unknown>, token?: string): Promise<GraphQLResponse<T>>;
  /**
   * Resolves once `subscribers` subscriptions of the bus `topic` are in force
   * (App.whenSubscribed): what is published after this reaches them. Topic
   * names come from `topics` in ./fixtures.ts. Rejects after `timeoutMs`
   * (a failure bound, never a delay).
   */
  whenSubscribed(topic: string, subscribers?: number, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/** Rejects with `message` if `promise` has not settled within `ms` (failure bound only). */
export function within<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${message} (not within ${ms} ms)`)), ms);
  });
  return Promise.race([promise, bound]).finally(() => clearTimeout(timer));
}

/** A fresh database cloned from the migrated template. */
export async function createTestDatabase(): Promise<string> {
  const adminUrl = inject('pgAdminUrl');
  const template = inject('templateDatabase');
  const name = `${template}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}" TEMPLATE "${template}"`);
  } finally {
    await admin.end();
  }
  return withDatabase(adminUrl, name);
}

/** Starts a real server on a random port over its own fresh database. */
export async function startTestServer(env: Record<string, string> = {}, databaseUrl?: string): Promise<TestServer> {
  const dbUrl = databaseUrl ?? (await createTestDatabase());
  const config = loadConfig({ NODE_ENV: 'test', PORT: '0', DATABASE_URL: dbUrl, SQL_STATS: '1', LOG_LEVEL: 'silent', ...env });
  const app = buildApp(config, createLogger('silent'));
  await app.start();
  const database = createDatabase(dbUrl, 2, createLogger('silent'));
  const url = app.url;
  return {
    app,
    url,
    db: database.prisma,
    databaseUrl: dbUrl,
    async gql(query, variables, token) {
      const res = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify({ query, variables }),
      });
      return { status: res.status, headers: res.headers, body: (await res.json()) as GraphQLResponse<any>['body'] };
    },
    whenSubscribed(topic, subscribers = 1, timeoutMs = 10_000) {
      return within(app.whenSubscribed(topic, subscribers), timeoutMs, `${subscribers} subscription(s) of ${topic}`);
    },
    async stop() {
      await database.close();
      await app.stop();
    },
  };
}

let counter = 0;
/** A unique suffix so tests never collide on usernames or emails. */
export function unique(prefix = 'u'): string {
  counter += 1;
  return `${prefix}${process.pid}_${counter}_${randomBytes(2).toString('hex')}`.toLowerCase();
}

export interface TestUser {
  id: string;
  username: string;
  email: string;
  password: string;
  token: string;
}

const SIGN_UP = `mutation ($input: SignUpInput!) { signUp(input: $input) { accessToken user { id username } } }`;

export async function signUp(server: TestServer, prefix = 'user'): Promise<TestUser> {
  const username = unique(prefix).slice(0, 30);
  const email = `${username}@example.com`;
  const password = 'correct horse battery';
  const res = await server.gql(SIGN_UP, { input: { email, username, password, name: `Test ${prefix}` } });
  if (!res.body.data?.signUp) throw new Error(`signUp failed: ${JSON.stringify(res.body.errors)}`);
  const { accessToken, user } = res.body.data.signUp;
  return { id: user.id, username, email, password, token: accessToken };
}

/** Asserts the response carries exactly one error and returns it. */
export function onlyError(res: GraphQLResponse) {
  if (res.body.errors?.length !== 1) {
    throw new Error(`expected exactly one error, got ${JSON.stringify(res.body)}`);
  }
  return res.body.errors[0]!;
}

/**
 * After an attack: the server still answers liveness and a normal query
 * (as `token`'s viewer when given), without errors.
 */
export async function expectHealthy(server: TestServer, token?: string): Promise<void> {
  expect((await fetch(`${server.url}/health`)).status).toBe(200);
  const res = await server.gql('{ me { id } posts(first: 1) { totalCount } }', {}, token);
  expect(res.status).toBe(200);
  expect(res.body.errors).toBeUndefined();
  expect(res.body.data!.posts.totalCount).toBeGreaterThanOrEqual(0);
  if (token) expect(res.body.data!.me).not.toBeNull();
}

/**
 * Two instances of one deployment: the same fresh database, the machine's Redis
 * (REDIS_URL) under a key prefix of their own, and one JWT secret, so each
 * accepts the others' tokens.
 */
export async function startPairOnRedis(env: Record<string, string> = {}): Promise<[TestServer, TestServer]> {
  const redisUrl = process.env.REDIS_URL;
  if (!redisUrl) throw new Error('startPairOnRedis needs REDIS_URL (guard the suite with describe.skipIf)');
  const databaseUrl = await createTestDatabase();
  const shared = {
    REDIS_URL: redisUrl,
    REDIS_KEY_PREFIX: `agora-test-${randomBytes(4).toString('hex')}:`,
    JWT_SECRET: randomBytes(32).toString('hex'),
    ...env,
  };
  return [await startTestServer(shared, databaseUrl), await startTestServer(shared, databaseUrl)];
}
