import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commentGid, expectError, insertPosts, insertUser, ok, postGid, rawId, walk, type Page } from './helpers/fixtures.ts';
import { signUp, startTestServer, type TestServer } from './helpers/server.ts';

const PAGE = `totalCount edges { cursor node { id } } nodes { id } pageInfo { hasNextPage hasPreviousPage startCursor endCursor }`;

const POSTS = `query ($first: Int, $after: String, $last: Int, $before: String, $filter: PostFilter, $orderBy: PostOrder) {
  posts(first: $first, after: $after, last: $last, before: $before, filter: $filter, orderBy: $orderBy) { ${PAGE} }
}`;
const USERS = `query ($first: Int, $after: String, $last: Int, $before: String, $filter: UserFilter, $orderBy: UserOrder) {
  users(first: $first, after: $after, last: $last, before: $before, filter: $filter, orderBy: $orderBy) { ${PAGE} }
}`;
const FEED = `query ($first: Int, $after: String, $last: Int, $before: String) {
  feed(first: $first, after: $after, last: $last, before: $before) { ${PAGE} }
}`;
const POST_COMMENTS = `query ($id: ID!, $first: Int, $after: String, $last: Int, $before: String) {
  post(id: $id) { comments(first: $first, after: $after, last: $last, before: $before) { ${PAGE} } }
}`;
const COMMENT_REPLIES = `query ($id: ID!, $first: Int, $after: String, $last: Int, $before: String) {
  node(id: $id) { ... on Comment { replies(first: $first, after: $after, last: $last, before: $before) { ${PAGE} } } }
}`;
const USER_CONNECTIONS = (
  field: 'posts' | 'followers' | 'following',
) => `query ($id: ID!, $first: Int, $after: String, $last: Int, $before: String) {
  user(id: $id) { ${field}(first: $first, after: $after, last: $last, before: $before) { ${PAGE} } }
}`;

type Vars = Record<string, unknown>;
const ids = (page: Page<{ id: string }>) => page.edges.map((e) => e.node.id);

describe('pagination', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.stop());

  async function page(query: string, vars: Vars, pick: (data: any) => Page<{ id: string }>, token?: string) {
    const data = ok(await server.gql(query, vars, token));
    const p = pick(data);
    // `nodes` always mirrors `edges`.
    expect(p.nodes!.map((n) => n.id)).toEqual(ids(p));
    return p;
  }
  const postsPage = (vars: Vars, token?: string) => page(POSTS, vars, (d) => d.posts, token);

  /** A fresh author with `n` published posts "Post 000".."Post n-1", created a minute apart. */
  async function authorWithPosts(n: number) {
    const author = await insertUser(server, 'pa');
    const posts = await insertPosts(server, author.id, n);
    return { author, gids: posts.map((p) => postGid(p.id)) };
  }

  describe('root posts', () => {
    it('pages forward across an exact boundary: 10 rows, first 5 twice, then an empty page', async () => {
      const { author, gids } = await authorWithPosts(10);
      const newestFirst = [...gids].reverse();
      const filter = { authorId: author.gid };

      const p1 = await postsPage({ filter, first: 5 });
      expect(ids(p1)).toEqual(newestFirst.slice(0, 5));
      expect(p1.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
      expect(p1.pageInfo.startCursor).toBe(p1.edges[0]!.cursor);
      expect(p1.pageInfo.endCursor).toBe(p1.edges[4]!.cursor);
      expect(p1.totalCount).toBe(10);

      const p2 = await postsPage({ filter, first: 5, after: p1.pageInfo.endCursor });
      expect(ids(p2)).toEqual(newestFirst.slice(5, 10));
      expect(p2.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: true });
      expect(p2.totalCount).toBe(10);

      const p3 = await postsPage({ filter, first: 5, after: p2.pageInfo.endCursor });
      expect(p3.edges).toEqual([]);
      expect(p3.pageInfo).toEqual({ hasNextPage: false, hasPreviousPage: true, startCursor: null, endCursor: null });
      expect(p3.totalCount).toBe(10);
    });

    it('pages backward with last/before', async () => {
      const { author, gids } = await authorWithPosts(10);
      const newestFirst = [...gids].reverse();
      const filter = { authorId: author.gid };

      const p1 = await postsPage({ filter, last: 4 });
      expect(ids(p1)).toEqual(newestFirst.slice(6, 10));
      expect(p1.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: true });

      const p2 = await postsPage({ filter, last: 4, before: p1.pageInfo.startCursor });
      expect(ids(p2)).toEqual(newestFirst.slice(2, 6));
      expect(p2.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: true });

      const p3 = await postsPage({ filter, last: 4, before: p2.pageInfo.startCursor });
      expect(ids(p3)).toEqual(newestFirst.slice(0, 2));
      expect(p3.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });

      // A forward page after the middle page's end cursor continues where it stopped.
      const p4 = await postsPage({ filter, first: 3, after: p2.pageInfo.endCursor });
      expect(ids(p4)).toEqual(newestFirst.slice(6, 9));
    });

    it('answers an empty connection with empty edges and null cursors', async () => {
      const author = await insertUser(server, 'empty');
      for (const vars of [{ first: 5 }, { last: 5 }, {}]) {
        const p = await postsPage({ ...vars, filter: { authorId: author.gid } });
        expect(p.edges).toEqual([]);
        expect(p.nodes).toEqual([]);
        expect(p.totalCount).toBe(0);
        expect(p.pageInfo).toEqual({ hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null });
      }
    });

    it('defaults to 20 per page and counts the whole connection', async () => {
      const { author, gids } = await authorWithPosts(25);
      const p = await postsPage({ filter: { authorId: author.gid } });
      expect(ids(p)).toEqual([...gids].reverse().slice(0, 20));
      expect(p.pageInfo.hasNextPage).toBe(true);
      expect(p.totalCount).toBe(25);
    });

    it.each([
      ['TITLE', 'ASC'],
      ['TITLE', 'DESC'],
      ['CREATED_AT', 'ASC'],
      ['CREATED_AT', 'DESC'],
    ])('never skips or repeats rows with tied sort keys (%s %s), walking both ways', async (field, direction) => {
      const author = await insertUser(server, 'tie');
      const sameTime = new Date('2026-03-01T12:00:00.123Z');
      const posts = await insertPosts(server, author.id, 13, () => ({ title: 'Same title', createdAt: sameTime }));
      const all = posts.map((p) => postGid(p.id)).sort();
      const vars = { filter: { authorId: author.gid }, orderBy: { field, direction } };
      for (const size of [1, 4, 5]) {
        const forward = await walk((v) => postsPage({ ...vars, ...v }), 'forward', size);
        const backward = await walk((v) => postsPage({ ...vars, ...v }), 'backward', size);
        const fwd = forward.nodes.map((n) => n.id);
        expect(new Set(fwd).size).toBe(13);
        expect([...fwd].sort()).toEqual(all);
        expect(backward.nodes.map((n) => n.id)).toEqual(fwd);
        expect(forward.pages).toHaveLength(Math.ceil(13 / size));
      }
    });

    it('orders by title, ties broken consistently, and ASC is the reverse of DESC', async () => {
      const author = await insertUser(server, 'ttl');
      await insertPosts(server, author.id, 9, (i) => ({ title: ['b', 'a', 'c'][i % 3]! }));
      const get = async (direction: string) =>
        (
          await walk((v) => postsPage({ ...v, filter: { authorId: author.gid }, orderBy: { field: 'TITLE', direction } }), 'forward', 2)
        ).nodes.map((n) => n.id);
      const asc = await get('ASC');
      const desc = await get('DESC');
      expect(asc).toHaveLength(9);
      expect(desc).toEqual([...asc].reverse());
      const titles = await server.db.post.findMany({ where: { authorId: author.id }, select: { id: true, title: true } });
      const titleOf = new Map(titles.map((t) => [postGid(t.id), t.title]));
      expect(asc.map((id) => titleOf.get(id))).toEqual(['a', 'a', 'a', 'b', 'b', 'b', 'c', 'c', 'c']);
    });

    it('does not repeat or skip rows when rows are inserted between page fetches', async () => {
      const { author, gids } = await authorWithPosts(10);
      const newestFirst = [...gids].reverse();
      let inserted = 0;
      // Newer than everything (lands before the cursor) and same-key ties of the rows already seen.
      const between = async () => {
        inserted += 1;
        await server.db.post.create({
          data: { authorId: author.id, title: 'late', body: 'x', status: 'PUBLISHED', createdAt: new Date(), publishedAt: new Date() },
        });
      };
      const { nodes } = await walk((v) => postsPage({ ...v, filter: { authorId: author.gid } }), 'forward', 3, between);
      expect(inserted).toBeGreaterThan(0);
      expect(nodes.map((n) => n.id)).toEqual(newestFirst);

      // By title, ascending: inserts on both sides of the cursor; originals appear once each, in order.
      const seen: string[] = [];
      const byTitle = await walk(
        (v) => postsPage({ ...v, filter: { authorId: author.gid }, orderBy: { field: 'TITLE', direction: 'ASC' } }),
        'forward',
        4,
        async (i) => {
          await insertPosts(server, author.id, 1, () => ({ title: `Post 00${i}b` })); // just after a row already passed or upcoming
          await insertPosts(server, author.id, 1, () => ({ title: 'AAA first' })); // before the cursor: never shown
          await insertPosts(server, author.id, 1, () => ({ title: `Post 999 ${i}` })); // after the cursor: shown later
        },
      );
      for (const n of byTitle.nodes) seen.push(n.id);
      expect(new Set(seen).size).toBe(seen.length);
      const originals = seen.filter((id) => gids.includes(id));
      expect(originals).toEqual(gids); // titles "Post 000".."Post 009" ascending
    });

    it('does not repeat or skip rows when rows are inserted while walking backward', async () => {
      const { author, gids } = await authorWithPosts(10);
      const newestFirst = [...gids].reverse();
      let n = 0;
      const { nodes } = await walk(
        (v) => postsPage({ ...v, filter: { authorId: author.gid } }),
        'backward',
        3,
        async () => {
          n += 1;
          // Older than everything: behind the cursor of a backward walk, never shown.
          await insertPosts(server, author.id, 1, () => ({ createdAt: new Date(Date.UTC(2020, 0, 1, 0, n)) }));
          // A tie with the oldest original row: also behind the cursor.
          await insertPosts(server, author.id, 1, () => ({ createdAt: new Date(Date.UTC(2026, 0, 1)) }));
        },
      );
      expect(n).toBeGreaterThan(0);
      const ids = nodes.map((x) => x.id);
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids.filter((id) => gids.includes(id))).toEqual(newestFirst);
    });

    it.each([
      [{ first: 0 }, 'first'],
      [{ first: 101 }, 'first'],
      [{ first: -1 }, 'first'],
      [{ last: 0 }, 'last'],
      [{ last: 101 }, 'last'],
      [{ first: 5, last: 5 }, 'last'],
    ])('refuses page size %j with BAD_USER_INPUT on %s', async (vars, field) => {
      const res = await server.gql(POSTS, vars);
      expectError(res, 'BAD_USER_INPUT', field);
      expect(res.body.data).toBeNull();
    });

    it.each([
      [{ first: 1, before: 'x' }, 'before'],
      [{ last: 1, after: 'x' }, 'after'],
      [{ after: 'x', before: 'y' }, 'before'],
    ])('refuses mixed directions %j with BAD_USER_INPUT on %s', async (vars, field) => {
      const error = expectError(await server.gql(POSTS, vars), 'BAD_USER_INPUT', field);
      expect(
        (error.extensions.fieldErrors as { message: string }[]).some((e) => /first\/after|either after or before/.test(e.message)),
      ).toBe(true);
    });

    it('accepts the page size limits 1 and 100', async () => {
      ok(await server.gql(POSTS, { first: 1 }));
      ok(await server.gql(POSTS, { last: 100 }));
    });

    it('refuses garbage cursors and cursors from another ordering, naming after/before', async () => {
      const { author } = await authorWithPosts(3);
      const filter = { authorId: author.gid };
      expectError(await server.gql(POSTS, { filter, first: 2, after: 'garbage' }), 'BAD_USER_INPUT', 'after');
      expectError(await server.gql(POSTS, { filter, last: 2, before: 'garbage' }), 'BAD_USER_INPUT', 'before');
      expectError(await server.gql(POSTS, { filter, first: 2, after: '' }), 'BAD_USER_INPUT', 'after');

      const byTitle = await postsPage({ filter, first: 1, orderBy: { field: 'TITLE', direction: 'ASC' } });
      const titleCursor = byTitle.pageInfo.endCursor!;
      expectError(await server.gql(POSTS, { filter, first: 2, after: titleCursor }), 'BAD_USER_INPUT', 'after');
      expectError(await server.gql(POSTS, { filter, last: 2, before: titleCursor }), 'BAD_USER_INPUT', 'before');
      // Same field, other direction.
      expectError(
        await server.gql(POSTS, { filter, first: 2, after: titleCursor, orderBy: { field: 'TITLE', direction: 'DESC' } }),
        'BAD_USER_INPUT',
        'after',
      );
      // A cursor of another connection.
      const users = await page(USERS, { first: 1 }, (d) => d.users);
      expectError(await server.gql(POSTS, { filter, first: 2, after: users.pageInfo.endCursor }), 'BAD_USER_INPUT', 'after');
      // The title cursor still works where it belongs.
      const next = await postsPage({ filter, first: 5, after: titleCursor, orderBy: { field: 'TITLE', direction: 'ASC' } });
      expect(next.edges).toHaveLength(2);
    });
  });

  describe('root users', () => {
    /** 7 users whose names share a fresh marker, created a minute apart. */
    async function markedUsers(n = 7) {
      const marker = `mk${Math.random().toString(36).slice(2, 8)}`;
      const users = [];
      for (let i = 0; i < n; i++) {
        users.push(await insertUser(server, 'pu', { name: `${marker} ${i}`, createdAt: new Date(Date.UTC(2025, 0, 1, 0, i)) }));
      }
      return { marker, gids: users.map((u) => u.gid), users };
    }
    const usersPage = (vars: Vars) => page(USERS, vars, (d) => d.users);

    it('pages newest first both ways, with totalCount', async () => {
      const { marker, gids } = await markedUsers();
      const newestFirst = [...gids].reverse();
      const filter = { search: marker };
      const p1 = await usersPage({ filter, first: 3 });
      expect(ids(p1)).toEqual(newestFirst.slice(0, 3));
      expect(p1.totalCount).toBe(7);
      const fwd = await walk((v) => usersPage({ ...v, filter }), 'forward', 3);
      expect(fwd.nodes.map((n) => n.id)).toEqual(newestFirst);
      expect(fwd.pages.map((p) => p.edges.length)).toEqual([3, 3, 1]);
      const back = await walk((v) => usersPage({ ...v, filter }), 'backward', 3);
      expect(back.nodes.map((n) => n.id)).toEqual(newestFirst);
    });

    it('pages by username and refuses bad page arguments', async () => {
      const { marker, users } = await markedUsers(5);
      const byName = [...users].sort((a, b) => (a.username < b.username ? -1 : 1)).map((u) => u.gid);
      const orderBy = { field: 'USERNAME', direction: 'ASC' };
      const fwd = await walk((v) => usersPage({ ...v, filter: { search: marker }, orderBy }), 'forward', 2);
      expect(fwd.nodes.map((n) => n.id)).toEqual(byName);
      const back = await walk(
        (v) => usersPage({ ...v, filter: { search: marker }, orderBy: { field: 'USERNAME', direction: 'DESC' } }),
        'backward',
        2,
      );
      expect(back.nodes.map((n) => n.id)).toEqual([...byName].reverse());

      expectError(await server.gql(USERS, { first: 0 }), 'BAD_USER_INPUT', 'first');
      expectError(await server.gql(USERS, { last: 101 }), 'BAD_USER_INPUT', 'last');
      expectError(await server.gql(USERS, { first: 1, last: 1 }), 'BAD_USER_INPUT', 'last');
      expectError(await server.gql(USERS, { first: 1, after: 'nope' }), 'BAD_USER_INPUT', 'after');
      const p = await usersPage({ first: 1, filter: { search: marker }, orderBy });
      expectError(await server.gql(USERS, { first: 1, after: p.pageInfo.endCursor }), 'BAD_USER_INPUT', 'after');
    });

    it('filters by role, and searches usernames and names case-insensitively with % and _ taken literally', async () => {
      const marker = `Mk${Math.random().toString(36).slice(2, 8)}`;
      const sale = await insertUser(server, 'pu', { name: `${marker} 50%_off` });
      const near = await insertUser(server, 'pu', { name: `${marker} 50xxoff`, role: 'MODERATOR' });
      const searched = (search: string, role?: string) => usersPage({ filter: { search, role } }).then(ids);
      expect(await searched(`${marker.toLowerCase()} 50%_`)).toEqual([sale.gid]);
      expect(await searched(marker.toUpperCase())).toEqual([near.gid, sale.gid]);
      expect(await searched(marker, 'MODERATOR')).toEqual([near.gid]);
      expect(await searched(sale.username.toUpperCase())).toEqual([sale.gid]);
    });
  });

  describe('feed', () => {
    it('pages the followed authors’ published posts both ways', async () => {
      const viewer = await signUp(server, 'feeder');
      const a = await insertUser(server, 'fa');
      const b = await insertUser(server, 'fb');
      await server.db.follow.createMany({ data: [a, b].map((u) => ({ followerId: rawId(viewer.id), followeeId: u.id })) });
      const base = Date.UTC(2026, 5, 1);
      const posts = await insertPosts(server, a.id, 7, (i) => ({ publishedAt: new Date(base + i * 2 * 60_000) }));
      posts.push(...(await insertPosts(server, b.id, 6, (i) => ({ publishedAt: new Date(base + (i * 2 + 1) * 60_000) }))));
      const newestPublishedFirst = [...posts].sort((x, y) => y.publishedAt!.getTime() - x.publishedAt!.getTime()).map((p) => postGid(p.id));
      const feedPage = (v: Vars) => page(FEED, v, (d) => d.feed, viewer.token);
      const first = await feedPage({ first: 5 });
      expect(first.totalCount).toBe(13);
      const fwd = await walk(feedPage, 'forward', 5);
      expect(fwd.nodes.map((n) => n.id)).toEqual(newestPublishedFirst);
      const back = await walk(feedPage, 'backward', 4);
      expect(back.nodes.map((n) => n.id)).toEqual(newestPublishedFirst);
      expectError(await server.gql(FEED, { first: 101 }, viewer.token), 'BAD_USER_INPUT', 'first');
      expectError(await server.gql(FEED, { first: 1, after: 'x' }, viewer.token), 'BAD_USER_INPUT', 'after');
    });
  });

  describe('nested connections', () => {
    it('pages post.comments (oldest first) both ways, top-level only, ties included', async () => {
      const author = await insertUser(server, 'pc');
      const [post] = await insertPosts(server, author.id, 1);
      const t0 = Date.UTC(2026, 1, 1);
      const comments = [];
      for (let i = 0; i < 9; i++) {
        // Pairs share a timestamp: the id breaks the tie.
        comments.push(
          await server.db.comment.create({
            data: { postId: post!.id, authorId: author.id, body: `c${i}`, createdAt: new Date(t0 + Math.floor(i / 2) * 1000) },
          }),
        );
      }
      await server.db.comment.create({ data: { postId: post!.id, authorId: author.id, body: 'reply', parentId: comments[0]!.id } });
      const expected = [...comments]
        .sort((x, y) => x.createdAt.getTime() - y.createdAt.getTime() || (x.id < y.id ? -1 : 1))
        .map((c) => commentGid(c.id));
      const commentsPage = (v: Vars) => page(POST_COMMENTS, { id: postGid(post!.id), ...v }, (d) => d.post.comments);

      const first = await commentsPage({ first: 4 });
      expect(ids(first)).toEqual(expected.slice(0, 4));
      expect(first.totalCount).toBe(9);
      expect(first.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
      const last = await commentsPage({ last: 4 });
      expect(ids(last)).toEqual(expected.slice(5));
      expect(last.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: true });
      for (const size of [2, 3]) {
        expect((await walk(commentsPage, 'forward', size)).nodes.map((n) => n.id)).toEqual(expected);
        expect((await walk(commentsPage, 'backward', size)).nodes.map((n) => n.id)).toEqual(expected);
      }
      const exact = await walk(commentsPage, 'forward', 3);
      expect(exact.pages).toHaveLength(3);
      expect(exact.pages[2]!.pageInfo.hasNextPage).toBe(false);
      const after = await commentsPage({ first: 3, after: exact.pages[2]!.pageInfo.endCursor });
      expect(after.edges).toEqual([]);

      expectError(await server.gql(POST_COMMENTS, { id: postGid(post!.id), first: 0 }), 'BAD_USER_INPUT', 'first');
      expectError(await server.gql(POST_COMMENTS, { id: postGid(post!.id), first: 1, last: 1 }), 'BAD_USER_INPUT', 'last');
      expectError(await server.gql(POST_COMMENTS, { id: postGid(post!.id), last: 1, before: 'zzz' }), 'BAD_USER_INPUT', 'before');
    });

    it('pages comment.replies both ways; a reply has an empty replies connection', async () => {
      const author = await insertUser(server, 'pr');
      const [post] = await insertPosts(server, author.id, 1);
      const top = await server.db.comment.create({ data: { postId: post!.id, authorId: author.id, body: 'top' } });
      const t0 = Date.UTC(2026, 2, 1);
      const replies = [];
      for (let i = 0; i < 5; i++) {
        replies.push(
          await server.db.comment.create({
            data: { postId: post!.id, authorId: author.id, parentId: top.id, body: `r${i}`, createdAt: new Date(t0 + i * 1000) },
          }),
        );
      }
      const expected = replies.map((r) => commentGid(r.id));
      const repliesPage = (id: string) => (v: Vars) => page(COMMENT_REPLIES, { id, ...v }, (d) => d.node.replies);
      const p = await repliesPage(commentGid(top.id))({ first: 2 });
      expect(ids(p)).toEqual(expected.slice(0, 2));
      expect(p.totalCount).toBe(5);
      expect((await walk(repliesPage(commentGid(top.id)), 'forward', 2)).nodes.map((n) => n.id)).toEqual(expected);
      expect((await walk(repliesPage(commentGid(top.id)), 'backward', 2)).nodes.map((n) => n.id)).toEqual(expected);
      const ofReply = await repliesPage(expected[0]!)({ first: 5 });
      expect(ofReply.edges).toEqual([]);
      expect(ofReply.totalCount).toBe(0);
      expect(ofReply.pageInfo).toEqual({ hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null });
      expectError(await server.gql(COMMENT_REPLIES, { id: commentGid(top.id), first: 101 }), 'BAD_USER_INPUT', 'first');
    });

    it('pages user.posts newest first, drafts only for their author', async () => {
      const me = await signUp(server, 'up');
      const myId = rawId(me.id);
      const published = await insertPosts(server, myId, 5);
      const drafts = await insertPosts(server, myId, 2, (i) => ({ status: 'DRAFT', createdAt: new Date(Date.UTC(2027, 0, 1, 0, i)) }));
      const publicIds = published.map((p) => postGid(p.id)).reverse();
      const ownIds = [...drafts.map((p) => postGid(p.id)).reverse(), ...publicIds];
      const q = USER_CONNECTIONS('posts');
      const as = (token?: string) => (v: Vars) => page(q, { id: me.id, ...v }, (d) => d.user.posts, token);
      expect((await walk(as(), 'forward', 2)).nodes.map((n) => n.id)).toEqual(publicIds);
      expect((await walk(as(), 'backward', 2)).nodes.map((n) => n.id)).toEqual(publicIds);
      expect((await as()({ first: 1 })).totalCount).toBe(5);
      expect((await walk(as(me.token), 'forward', 3)).nodes.map((n) => n.id)).toEqual(ownIds);
      expect((await walk(as(me.token), 'backward', 3)).nodes.map((n) => n.id)).toEqual(ownIds);
      expect((await as(me.token)({ first: 1 })).totalCount).toBe(7);
      expectError(await server.gql(q, { id: me.id, last: 0 }), 'BAD_USER_INPUT', 'last');
    });

    it('pages user.followers and user.following, most recent follow first', async () => {
      const star = await insertUser(server, 'star');
      const fans = [];
      for (let i = 0; i < 6; i++) fans.push(await insertUser(server, 'fan'));
      const t0 = Date.UTC(2026, 4, 1);
      // Two follows share a timestamp.
      await server.db.follow.createMany({
        data: fans.map((f, i) => ({ followerId: f.id, followeeId: star.id, createdAt: new Date(t0 + Math.min(i, 4) * 1000) })),
      });
      const tied = [fans[4]!, fans[5]!].sort((x, y) => (x.id < y.id ? 1 : -1));
      const expectedFollowers = [...tied, ...fans.slice(0, 4).reverse()].map((f) => f.gid);
      const followersPage = (v: Vars) => page(USER_CONNECTIONS('followers'), { id: star.gid, ...v }, (d) => d.user.followers);
      expect((await followersPage({ first: 2 })).totalCount).toBe(6);
      expect((await walk(followersPage, 'forward', 2)).nodes.map((n) => n.id)).toEqual(expectedFollowers);
      expect((await walk(followersPage, 'backward', 4)).nodes.map((n) => n.id)).toEqual(expectedFollowers);

      // fans[0] follows everyone else, in order.
      const fan = fans[0]!;
      const targets = [star, ...fans.slice(1)];
      await server.db.follow.createMany({
        data: targets.slice(1).map((t, i) => ({ followerId: fan.id, followeeId: t.id, createdAt: new Date(t0 + (i + 10) * 1000) })),
      });
      const followingPage = (v: Vars) => page(USER_CONNECTIONS('following'), { id: fan.gid, ...v }, (d) => d.user.following);
      const expectedFollowing = [...targets.slice(1).reverse(), star].map((t) => t.gid);
      expect((await followingPage({ first: 1 })).totalCount).toBe(6);
      expect((await walk(followingPage, 'forward', 4)).nodes.map((n) => n.id)).toEqual(expectedFollowing);
      expect((await walk(followingPage, 'backward', 2)).nodes.map((n) => n.id)).toEqual(expectedFollowing);
      expectError(await server.gql(USER_CONNECTIONS('followers'), { id: star.gid, first: 2, after: 'bad' }), 'BAD_USER_INPUT', 'after');
      // A followers cursor is not a user.posts cursor.
      const f1 = await followersPage({ first: 1 });
      expectError(
        await server.gql(USER_CONNECTIONS('posts'), { id: star.gid, first: 2, after: f1.pageInfo.endCursor }),
        'BAD_USER_INPUT',
        'after',
      );
    });
  });
});
