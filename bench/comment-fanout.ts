// One post's `commentAdded` followed by N graphql-ws subscribers (spread over
// a few viewers of the same role): for each new comment, the SQL statements
// the server sends until every subscriber has it (the createComment mutation
// included, and reported apart), and server CPU per delivered message.
//
//   npx tsx bench/comment-fanout.ts [--subscribers 1000] [--viewers 20] [--comments 10]
//
// Needs the PostgreSQL of BENCH_DATABASE_URL (default 127.0.0.1:5432); makes
// and drops a database of its own. Prints one JSON line.
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import pg from 'pg';
import WebSocket from 'ws';
import { hasTaskset, pinSelf, startServer, type ServerHandle } from './harness.ts';

const { values } = parseArgs({
  options: {
    subscribers: { type: 'string', default: '1000' },
    viewers: { type: 'string', default: '20' },
    comments: { type: 'string', default: '10' },
  },
});
const N = Number(values.subscribers);
const VIEWERS = Number(values.viewers);
const COMMENTS = Number(values.comments);
const ADMIN_URL = process.env.BENCH_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

const SIGN_UP = 'mutation ($input: SignUpInput!) { signUp(input: $input) { accessToken } }';
const CREATE_POST = 'mutation ($input: CreatePostInput!) { createPost(input: $input) { post { id } } }';
const CREATE_COMMENT = 'mutation ($input: CreateCommentInput!) { createComment(input: $input) { comment { id } } }';
const SUBSCRIPTION = 'subscription ($postId: ID!) { commentAdded(postId: $postId) { cursor comment { id body author { username } } } }';

async function gql(server: ServerHandle, query: string, variables: unknown, token?: string): Promise<any> {
  const res = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const json = (await res.json()) as { data?: any; errors?: unknown; extensions?: { sqlStatements?: number } };
  if (json.errors) throw new Error(JSON.stringify(json.errors).slice(0, 300));
  return json;
}

/** A graphql-ws connection with one commentAdded subscription; counts the `next` messages it gets. */
function subscriber(url: string, token: string, postId: string, onNext: () => void): Promise<WebSocket> {
  const socket = new WebSocket(url, 'graphql-transport-ws');
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.once('close', (code, reason) => reject(new Error(`socket closed: ${code} ${reason}`)));
    socket.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
    socket.once('open', () => socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } })));
    socket.on('message', (data) => {
      const text = String(data);
      if (text.startsWith('{"type":"connection_ack"')) {
        socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: SUBSCRIPTION, variables: { postId } } }));
        return resolve(socket);
      }
      if (text.includes('"type":"ping"')) return socket.send('{"type":"pong"}');
      if (text.includes('"type":"next"') && !text.includes('"errors"')) onNext();
    });
  });
}

async function subscriptionsRunning(server: ServerHandle, token: string): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${token}` } })).text();
  const line = text.split('\n').find((l) => l.startsWith('agora_ws_subscriptions '));
  return line ? Number(line.split(' ')[1]) : 0;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  const name = `agora_bench_cf_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  const databaseUrl = Object.assign(new URL(ADMIN_URL), { pathname: `/${name}` }).toString();
  const metricsToken = randomBytes(16).toString('hex');
  if (hasTaskset) pinSelf(1);
  const server = await startServer('agora', {
    databaseUrl,
    poolSize: 10,
    cpu: hasTaskset ? 0 : null,
    env: { METRICS_TOKEN: metricsToken, WS_MAX_SOCKETS_PER_USER: '10000', JWT_SECRET: randomBytes(32).toString('hex') },
  });
  const sockets: WebSocket[] = [];
  try {
    const signUp = async (i: number) =>
      (
        await gql(server, SIGN_UP, {
          input: { email: `cf${i}@example.com`, username: `cf${i}`, password: 'correct horse battery', name: `cf ${i}` },
        })
      ).data.signUp.accessToken as string;
    const author = await signUp(0);
    const viewers = await Promise.all(Array.from({ length: VIEWERS }, (_, i) => signUp(i + 1)));
    const postId = (await gql(server, CREATE_POST, { input: { title: 'Busy post', body: 'bench', publish: true } }, author)).data.createPost
      .post.id;

    console.error(`signed up ${VIEWERS + 1}, post ${postId}`);
    let delivered = 0;
    const wsUrl = `${server.url.replace(/^http/, 'ws')}/graphql`;
    for (let i = 0; i < N; i += 250) {
      const batch = Array.from({ length: Math.min(250, N - i) }, (_, j) =>
        subscriber(wsUrl, viewers[(i + j) % VIEWERS]!, postId, () => delivered++),
      );
      sockets.push(...(await Promise.all(batch)));
    }
    console.error(`${sockets.length} sockets open`);
    for (let running = 0; running < N; running = await subscriptionsRunning(server, metricsToken)) await sleep(100);
    // The durable stream subscribes to the bus once its start is read: let every one settle.
    await sleep(1_000);

    const perComment: { statements: number; mutationStatements: number }[] = [];
    const cpu0 = server.cpuMs();
    const t0 = performance.now();
    for (let k = 0; k < COMMENTS; k++) {
      const before = (await server.stats()).statements;
      const target = delivered + N;
      const res = await gql(server, CREATE_COMMENT, { input: { postId, body: `comment ${k}` } }, viewers[k % VIEWERS]);
      const deadline = performance.now() + 30_000;
      while (delivered < target && performance.now() < deadline) await sleep(5);
      if (delivered < target) throw new Error(`comment ${k}: ${target - delivered} deliveries missing`);
      perComment.push({ statements: (await server.stats()).statements - before, mutationStatements: res.extensions?.sqlStatements ?? NaN });
    }
    const cpuMs = server.cpuMs() - cpu0;
    const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    console.log(
      JSON.stringify({
        subscribers: N,
        viewers: VIEWERS,
        comments: COMMENTS,
        delivered,
        sqlPerCommentMedian: median(perComment.map((c) => c.statements)),
        sqlPerCommentOutsideMutationMedian: median(perComment.map((c) => c.statements - c.mutationStatements)),
        serverCpuMsPerComment: cpuMs / COMMENTS,
        serverCpuUsPerDelivery: (cpuMs * 1000) / (COMMENTS * N),
        wallMsPerComment: (performance.now() - t0) / COMMENTS,
      }),
    );
  } finally {
    for (const s of sockets) s.terminate();
    await server.stop();
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.end();
  }
}

await main();
