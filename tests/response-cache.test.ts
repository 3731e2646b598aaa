import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtures, ok, rawId } from './helpers/fixtures.ts';
import { startPairOnRedis, startTestServer, type TestServer, type TestUser } from './helpers/server.ts';
import { eventually, runOnce, wsClient } from './helpers/ws.ts';

const POST = 'query ($id: ID!) { post(id: $id) { id title author { id username } } }';
const POSTS = 'query { posts(first: 50) { totalCount nodes { id title } } }';
const UPDATE = 'mutation ($id: ID!, $title: String!) { updatePost(input: { id: $id, title: $title }) { post { id title } } }';
const HIDE = 'mutation ($id: ID!) { hidePost(input: { id: $id }) { post { id } } }';

const cacheOf = (res: { body: { extensions?: Record<string, any> } }) => res.body.extensions?.cache;

async function moderator(server: TestServer, user: TestUser): Promise<TestUser> {
  await server.db.user.update({ where: { id: rawId(user.id) }, data: { role: 'MODERATOR' } });
  return user;
}

describe('response cache (in-process store)', () => {
  let server: TestServer;
  let f: ReturnType<typeof fixtures>;
  beforeAll(async () => {
    server = await startTestServer({ RESPONSE_CACHE_TTL_SECONDS: '30' });
    f = fixtures(server);
  });
  afterAll(() => server?.stop());

  it('answers the same signed-out query MISS, then HIT with the same data', async () => {
    const author = await f.user('rcauthor');
    const post = await f.post(author, { title: 'Cached' });
    const first = await server.gql(POST, { id: post.id });
    const second = await server.gql(POST, { id: post.id });
    expect(cacheOf(first)).toBe('MISS');
    expect(cacheOf(second)).toBe('HIT');
    expect(second.body.data).toEqual(first.body.data);
    expect(first.body.data!.post.title).toBe('Cached');
    expect(second.headers.get('cache-control')).toBe('no-store'); // POST
  });

  it("never serves nor fills from a signed-in viewer's identical query", async () => {
    const author = await f.user('rcsigned');
    const post = await f.post(author, { title: 'Signed' });
    const signedIn = [await server.gql(POST, { id: post.id }, author.token), await server.gql(POST, { id: post.id }, author.token)];
    expect(signedIn.map(cacheOf)).toEqual([undefined, undefined]);
    expect(cacheOf(await server.gql(POST, { id: post.id }))).toBe('MISS');
    expect(cacheOf(await server.gql(POST, { id: post.id }, author.token))).toBeUndefined();
  });

  it('never caches a document selecting a per-viewer field', async () => {
    const user = await f.user('rcprivate');
    const query = 'query ($id: ID!) { user(id: $id) { id username email } }';
    const own = await server.gql(query, { id: user.id }, user.token);
    expect(own.body.data!.user.email).toBe(user.email);
    const anonymous = [await server.gql(query, { id: user.id }), await server.gql(query, { id: user.id })];
    for (const res of anonymous) {
      expect(cacheOf(res)).toBeUndefined();
      expect(res.body.data!.user.email).toBeNull();
    }
    const following = 'query ($id: ID!) { user(id: $id) { id viewerIsFollowing } }';
    expect(cacheOf(await server.gql(following, { id: user.id }))).toBeUndefined();
  });

  it('never caches a document leaving out `id` on an object that has one', async () => {
    const author = await f.user('rcnoid');
    const post = await f.post(author);
    const noId = 'query ($id: ID!) { post(id: $id) { title } }';
    expect(cacheOf(await server.gql(noId, { id: post.id }))).toBeUndefined();
    expect(cacheOf(await server.gql(noId, { id: post.id }))).toBeUndefined();
  });

  it("drops a post's entries when its author edits it, and a list's when a moderator hides one", async () => {
    const [author, mod] = [await f.user('rcedit'), await f.user('rcmod')];
    await moderator(server, mod);
    const post = await f.post(author, { title: 'Before' });
    await server.gql(POST, { id: post.id });
    expect(cacheOf(await server.gql(POSTS))).toBe('MISS');
    expect(cacheOf(await server.gql(POST, { id: post.id }))).toBe('HIT');
    ok(await server.gql(UPDATE, { id: post.id, title: 'After' }, author.token));
    const edited = await server.gql(POST, { id: post.id });
    expect([cacheOf(edited), edited.body.data!.post.title]).toEqual(['MISS', 'After']);
    expect(cacheOf(await server.gql(POSTS))).toBe('MISS');
    expect(cacheOf(await server.gql(POSTS))).toBe('HIT');
    ok(await server.gql(HIDE, { id: post.id }, mod.token));
    const hidden = await server.gql(POST, { id: post.id });
    expect([cacheOf(hidden), hidden.body.data!.post]).toEqual(['MISS', null]);
    const list = await server.gql(POSTS);
    expect(cacheOf(list)).toBe('MISS');
    expect(list.body.data!.posts.nodes.map((p: { id: string }) => p.id)).not.toContain(post.id);
  });

  it('a new post drops the lists, not the entries of other posts', async () => {
    const author = await f.user('rcnew');
    const post = await f.post(author, { title: 'Old one' });
    await server.gql(POST, { id: post.id });
    await server.gql(POSTS);
    expect(cacheOf(await server.gql(POSTS))).toBe('HIT');
    const fresh = await f.post(author, { title: 'New one' });
    const list = await server.gql(POSTS);
    expect(cacheOf(list)).toBe('MISS');
    expect(list.body.data!.posts.nodes.map((p: { id: string }) => p.id)).toContain(fresh.id);
    expect(cacheOf(await server.gql(POST, { id: post.id }))).toBe('HIT');
  });

  it('drops entries after a mutation sent over the WebSocket too', async () => {
    const author = await f.user('rcws');
    const post = await f.post(author, { title: 'Before socket' });
    await server.gql(POST, { id: post.id });
    expect(cacheOf(await server.gql(POST, { id: post.id }))).toBe('HIT');
    const ws = wsClient(server.url, author.token);
    try {
      const outcome = await runOnce(ws, UPDATE, { id: post.id, title: 'After socket' });
      expect(outcome.errors).toBeUndefined();
    } finally {
      await ws.dispose();
    }
    const after = await server.gql(POST, { id: post.id });
    expect([cacheOf(after), after.body.data!.post.title]).toEqual(['MISS', 'After socket']);
  });

  it('answers a GET with Cache-Control, an ETag, and 304 when it matches', async () => {
    const author = await f.user('rcget');
    const post = await f.post(author, { title: 'Over GET' });
    const url = `${server.url}/graphql?query=${encodeURIComponent(POST)}&variables=${encodeURIComponent(JSON.stringify({ id: post.id }))}`;
    const headers = { 'apollo-require-preflight': 'true' };
    const first = await fetch(url, { headers });
    expect(first.status).toBe(200);
    expect(first.headers.get('cache-control')).toBe('public, max-age=30');
    expect(first.headers.get('vary')?.toLowerCase()).toBe('origin, authorization');
    const etag = first.headers.get('etag');
    expect(etag).toMatch(/^W\/"/);
    const again = await fetch(url, { headers: { ...headers, 'if-none-match': etag! } });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe('');
    const signedIn = await fetch(url, { headers: { ...headers, authorization: `Bearer ${author.token}` } });
    expect(signedIn.headers.get('cache-control')).toBe('private, no-store');
    expect(signedIn.headers.get('etag')).toBeNull();
    const other = await fetch(url, { headers: { ...headers, 'if-none-match': 'W/"other"' } });
    expect(other.status).toBe(200);
    expect(((await other.json()) as any).extensions.cache).toBe('HIT');
  });
});

describe('response cache off (RESPONSE_CACHE_TTL_SECONDS=0, the test default)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server?.stop());

  it('marks nothing and caches nothing', async () => {
    const author = await fixtures(server).user('rcoff');
    const post = await fixtures(server).post(author);
    const runs = [await server.gql(POST, { id: post.id }), await server.gql(POST, { id: post.id })];
    expect(runs.map(cacheOf)).toEqual([undefined, undefined]);
  });
});

describe.skipIf(!process.env.REDIS_URL)('response cache shared through Redis (two instances)', () => {
  let a: TestServer;
  let b: TestServer;
  beforeAll(async () => {
    [a, b] = await startPairOnRedis({ RESPONSE_CACHE_TTL_SECONDS: '30' });
  });
  afterAll(async () => {
    await a?.stop();
    await b?.stop();
  });

  it('fills on one instance, hits on the other, and an edit or a hide on one is seen at once on the other', async () => {
    const f = fixtures(a);
    const [author, mod] = [await f.user('rcrauthor'), await f.user('rcrmod')];
    await moderator(a, mod);
    const post = await f.post(author, { title: 'Shared' });
    expect(cacheOf(await a.gql(POST, { id: post.id }))).toBe('MISS');
    const onB = await b.gql(POST, { id: post.id });
    expect([cacheOf(onB), onB.body.data!.post.title]).toEqual(['HIT', 'Shared']);
    ok(await a.gql(UPDATE, { id: post.id, title: 'Edited' }, author.token));
    const edited = await eventually(async () => {
      const res = await b.gql(POST, { id: post.id });
      return res.body.data!.post.title === 'Edited' ? res : null;
    }, 2_000);
    expect(cacheOf(edited)).toBe('MISS');
    expect(cacheOf(await b.gql(POST, { id: post.id }))).toBe('HIT');
    ok(await b.gql(HIDE, { id: post.id }, mod.token));
    const hidden = await eventually(async () => {
      const res = await a.gql(POST, { id: post.id });
      return res.body.data!.post === null ? res : null;
    }, 2_000);
    expect(cacheOf(hidden)).toBe('MISS');
  });
});
