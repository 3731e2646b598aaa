import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGroup, MESSAGE_EVENTS, send } from './helpers/chat.ts';
import { commentGid, createPost, expectError, ok, rawId } from './helpers/fixtures.ts';
import { signUp, startTestServer, type TestServer, type TestUser, expectHealthy } from './helpers/server.ts';
import { eventually, openSocket, runOnce, wsClient, type Received, type Subscription } from './helpers/ws.ts';

// Authorization follows state on open sockets, and one visibility rule holds
// on every path (README, "Security model").

const CREATE_POST = 'mutation ($t: String!) { createPost(input: { title: $t, body: "b", publish: true }) { post { id } } }';
const HIDE_POST = 'mutation ($id: ID!) { hidePost(input: { id: $id }) { post { id isHidden } } }';
const HIDE_COMMENT = 'mutation ($id: ID!) { hideComment(input: { id: $id }) { comment { id isHidden } } }';
const COMMENT =
  'mutation ($p: ID!, $b: String!, $parent: ID) { createComment(input: { postId: $p, body: $b, parentId: $parent }) { comment { id body parent { body } } } }';
const COMMENT_ADDED = 'subscription ($p: ID!, $after: String) { commentAdded(postId: $p, after: $after) { cursor comment { id body } } }';

async function promote(server: TestServer, user: TestUser, role: 'MODERATOR' | 'ADMIN'): Promise<void> {
  await server.db.user.update({ where: { id: rawId(user.id) }, data: { role } });
}

async function apiKey(server: TestServer, user: TestUser, scopes = '[READ, WRITE]'): Promise<{ id: string; secret: string }> {
  const res = await server.gql(
    `mutation { createApiKey(input: { name: "bot", scopes: ${scopes} }) { apiKey { id } secret } }`,
    {},
    user.token,
  );
  const { apiKey: key, secret } = ok(res).createApiKey;
  return { id: key.id, secret };
}

/**
 * A signed-in socket that has finished its handshake. A running subscription
 * keeps it open (the client closes an idle socket by itself).
 */
/**
 * Waits until a subscription is live: pokes (each poke makes one event and
 * returns its id) until one arrives, then pokes once more and reads up to
 * that marker, so nothing from the probing is left pending. Returns the marker's result.
 */
async function whenLive(sub: Subscription, poke: () => Promise<string>, idOf: (r: Received) => string): Promise<Received> {
  for (let attempt = 0; ; attempt++) {
    await poke();
    try {
      await sub.next(250);
      break;
    } catch (error) {
      if (attempt > 40) throw error;
    }
  }
  const marker = await poke();
  for (;;) {
    const result = await sub.next();
    if (idOf(result) === marker) return result;
  }
}

const newComment = async (server: TestServer, postId: string, body: string, as: TestUser): Promise<string> =>
  ok(await server.gql(COMMENT, { p: postId, b: body }, as.token)).createComment.comment.id;

const postCount = (server: TestServer, authorId: string) => server.db.post.count({ where: { authorId: rawId(authorId) } });

describe('authorization that follows state on open sockets', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.stop());

  it('revokeApiKey closes the sockets opened with that key (4403), and the key writes nothing afterwards', async () => {
    const user = await signUp(server, 'keyrev');
    const key = await apiKey(server, user);
    const ws = await openSocket(server.url, key.secret);
    const viaSession = await openSocket(server.url, user.token);
    expect(
      ok(await server.gql('mutation ($id: ID!) { revokeApiKey(input: { id: $id }) { apiKey { revokedAt } } }', { id: key.id }, user.token))
        .revokeApiKey.apiKey.revokedAt,
    ).toBeTruthy();
    expect(await ws.closed).toEqual({ code: 4403, reason: 'Credentials revoked' });
    // HTTP refuses the key too; the account's session socket is untouched.
    expectError(await server.gql(CREATE_POST, { t: 'via http' }, key.secret), 'UNAUTHENTICATED');
    expect((await runOnce(viaSession, '{ me { id } }')).data.me.id).toBe(user.id);
    expect(await postCount(server, user.id)).toBe(0);
    await viaSession.dispose();
    await expectHealthy(server);
  });

  it('an operation on an open socket re-checks its credential: a key revoked without any announcement writes nothing', async () => {
    const user = await signUp(server, 'keyop');
    const key = await apiKey(server, user);
    const ws = await openSocket(server.url, key.secret);
    // Revoked behind the server's back (as if the announcement were lost): only the per-operation check can catch it.
    await server.db.apiKey.update({ where: { id: rawId(key.id) }, data: { revokedAt: new Date() } });
    const started = Date.now();
    const outcome = await runOnce(ws, CREATE_POST, { t: 'after revocation' });
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(outcome.data).toBeUndefined();
    expect(outcome.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect((await ws.closed).code).toBe(4403);
    expect(await postCount(server, user.id)).toBe(0);
    await expectHealthy(server);
  });

  it('a moderator demoted with setUserRole loses hidePost on the open socket at once (socket closes 4403)', async () => {
    const [admin, moderator, author] = await Promise.all([signUp(server, 'adm'), signUp(server, 'demod'), signUp(server, 'auth')]);
    await promote(server, admin, 'ADMIN');
    await promote(server, moderator, 'MODERATOR');
    const post = await createPost(server, author, { publish: true });
    const ws = await openSocket(server.url, moderator.token);
    const setRole = ok(
      await server.gql(
        'mutation ($id: ID!) { setUserRole(input: { userId: $id, role: USER }) { user { role } } }',
        { id: moderator.id },
        admin.token,
      ),
    );
    expect(setRole.setUserRole.user.role).toBe('USER');
    expect(await ws.closed).toEqual({ code: 4403, reason: 'Credentials revoked' });
    // Reconnecting with the same (still valid) token gets the new role.
    const again = await openSocket(server.url, moderator.token);
    const outcome = await runOnce(again, HIDE_POST, { id: post.id });
    expect(outcome.data ?? null).toBeNull();
    expect(outcome.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect((await server.db.post.findUniqueOrThrow({ where: { id: post.raw } })).hiddenAt).toBeNull();
    await again.dispose();
    await expectHealthy(server);
  });

  it('a role lowered without any announcement is seen by the next operation on the socket', async () => {
    const [moderator, author] = await Promise.all([signUp(server, 'demod2'), signUp(server, 'auth2')]);
    await promote(server, moderator, 'MODERATOR');
    const post = await createPost(server, author, { publish: true });
    const ws = await openSocket(server.url, moderator.token);
    await server.db.user.update({ where: { id: rawId(moderator.id) }, data: { role: 'USER' } });
    const outcome = await runOnce(ws, HIDE_POST, { id: post.id });
    expect(outcome.data ?? null).toBeNull();
    expect(outcome.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect((await server.db.post.findUniqueOrThrow({ where: { id: post.raw } })).hiddenAt).toBeNull();
    // The session itself is still good: the socket stays open and answers.
    expect((await runOnce(ws, '{ me { role } }')).data.me.role).toBe('USER');
    await ws.dispose();
  });

  it("suspension and session revocation behind the server's back are refused on the next socket operation", async () => {
    const user = await signUp(server, 'suspop');
    const ws = await openSocket(server.url, user.token);
    await server.db.user.update({ where: { id: rawId(user.id) }, data: { suspendedAt: new Date() } });
    const outcome = await runOnce(ws, CREATE_POST, { t: 'while suspended' });
    expect(outcome.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect((await ws.closed).code).toBe(4403);

    const other = await signUp(server, 'sessop');
    const ws2 = await openSocket(server.url, other.token);
    await server.db.session.updateMany({ where: { userId: rawId(other.id) }, data: { revokedAt: new Date() } });
    expect((await runOnce(ws2, CREATE_POST, { t: 'revoked session' })).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect((await ws2.closed).code).toBe(4403);
    expect(await postCount(server, user.id)).toBe(0);
    expect(await postCount(server, other.id)).toBe(0);
    await expectHealthy(server);
  });

  it("a demoted moderator's running subscription to a hidden post ends with the socket", async () => {
    const [admin, moderator, author] = await Promise.all([signUp(server, 'adm3'), signUp(server, 'mod3'), signUp(server, 'auth3')]);
    await promote(server, admin, 'ADMIN');
    await promote(server, moderator, 'MODERATOR');
    const post = await createPost(server, author, { publish: true });
    ok(await server.gql(HIDE_POST, { id: post.id }, moderator.token));
    const ws = wsClient(server.url, moderator.token);
    const sub = ws.subscribe(COMMENT_ADDED, { p: post.id });
    const seen = await whenLive(
      sub,
      () => newComment(server, post.id, 'seen by moderators', author),
      (r) => r.data.commentAdded.comment.id,
    );
    expect(seen.data.commentAdded.comment.body).toBe('seen by moderators');
    ok(
      await server.gql(
        'mutation ($id: ID!) { setUserRole(input: { userId: $id, role: USER }) { user { role } } }',
        { id: moderator.id },
        admin.token,
      ),
    );
    expect((await ws.closed).code).toBe(4403);
    expect(sub.pending).toEqual([]);
  });
});

describe('one visibility rule on every path', () => {
  let server: TestServer;
  let author: TestUser;
  let commenter: TestUser;
  let moderator: TestUser;
  beforeAll(async () => {
    server = await startTestServer();
    [author, commenter, moderator] = await Promise.all([signUp(server, 'vauth'), signUp(server, 'vcomm'), signUp(server, 'vmod')]);
    await promote(server, moderator, 'MODERATOR');
  });
  afterAll(() => server.stop());

  /** A published post with a top-level comment (then hidden) and a visible reply to it. */
  async function hiddenThread() {
    const post = await createPost(server, author, { publish: true });
    const parent = ok(await server.gql(COMMENT, { p: post.id, b: 'secret parent body' }, commenter.token)).createComment.comment;
    const reply = ok(await server.gql(COMMENT, { p: post.id, b: 'a reply', parent: parent.id }, author.token)).createComment.comment;
    ok(await server.gql(HIDE_COMMENT, { id: parent.id }, moderator.token));
    return { post, parent, reply };
  }

  it("a reply's parent is null for whoever may not see the hidden parent, anonymous included, on node and nodes", async () => {
    const { parent, reply } = await hiddenThread();
    const query = 'query ($ids: [ID!]!) { nodes(ids: $ids) { ... on Comment { id body parent { body } } } }';
    const anonymous = ok(await server.gql(query, { ids: [reply.id, parent.id] })).nodes;
    expect(anonymous).toEqual([{ id: reply.id, body: 'a reply', parent: null }, null]);
    const stranger = await signUp(server, 'vstr');
    expect(ok(await server.gql(query, { ids: [reply.id] }, stranger.token)).nodes[0].parent).toBeNull();
    // Its author and moderators still see it: the rule, not a blanket drop.
    expect(ok(await server.gql(query, { ids: [reply.id] }, commenter.token)).nodes[0].parent).toEqual({ body: 'secret parent body' });
    expect(ok(await server.gql(query, { ids: [reply.id] }, moderator.token)).nodes[0].parent).toEqual({ body: 'secret parent body' });
    await expectHealthy(server);
  });

  it('createComment with a hidden parentId answers NOT_FOUND on input.parentId exactly as for a missing id, and writes nothing', async () => {
    const { post, parent } = await hiddenThread();
    const replier = await signUp(server, 'vrep');
    const before = await server.db.comment.count({ where: { postId: post.raw } });
    const hidden = await server.gql(COMMENT, { p: post.id, b: 'echo?', parent: parent.id }, replier.token);
    const missing = await server.gql(COMMENT, { p: post.id, b: 'echo?', parent: commentGid(randomUUID()) }, replier.token);
    const error = expectError(hidden, 'NOT_FOUND', 'input.parentId');
    expect(JSON.stringify(hidden.body)).not.toContain('secret parent body');
    expect(error.message).toBe(expectError(missing, 'NOT_FOUND', 'input.parentId').message);
    expect(await server.db.comment.count({ where: { postId: post.raw } })).toBe(before);
    // Same over WebSocket.
    const ws = wsClient(server.url, replier.token);
    const viaWs = await runOnce(ws, COMMENT, { p: post.id, b: 'echo?', parent: parent.id });
    expect(viaWs.errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND', field: 'input.parentId' });
    await ws.dispose();
    expect(await server.db.comment.count({ where: { postId: post.raw } })).toBe(before);
    await expectHealthy(server);
  });

  it('commentCount, comment lists and notifications do not reveal hidden comments', async () => {
    const { post } = await hiddenThread();
    const query = 'query ($id: ID!) { node(id: $id) { ... on Post { commentCount comments(first: 10) { totalCount nodes { id } } } } }';
    const anonymous = ok(await server.gql(query, { id: post.id })).node;
    expect(anonymous).toEqual({ commentCount: 1, comments: { totalCount: 0, nodes: [] } }); // the reply only; the hidden parent is not counted
    expect(ok(await server.gql(query, { id: post.id }, moderator.token)).node.commentCount).toBe(2);
    // The post's author was notified of the comment: the notification stays, its comment reads as gone.
    const notifications = ok(
      await server.gql('{ notifications(first: 50) { nodes { kind post { id } comment { id body } } } }', {}, author.token),
    ).notifications.nodes;
    const about = notifications.filter((n: any) => n.kind === 'COMMENT_ON_POST' && n.post?.id === post.id);
    expect(about).toEqual([{ kind: 'COMMENT_ON_POST', post: { id: post.id }, comment: null }]);
    expect(JSON.stringify(notifications)).not.toContain('secret parent body');
  });

  it('search and lists leave out a hidden post for others, not for moderators', async () => {
    const word = `zebrafinch${Date.now()}`;
    const post = await createPost(server, author, { publish: true, title: `About ${word}` });
    ok(await server.gql(HIDE_POST, { id: post.id }, moderator.token));
    const search = 'query ($q: String!) { posts(first: 5, filter: { search: $q }) { totalCount nodes { id } } }';
    expect(ok(await server.gql(search, { q: word })).posts).toEqual({ totalCount: 0, nodes: [] });
    expect(ok(await server.gql(search, { q: word }, moderator.token)).posts.nodes).toEqual([{ id: post.id }]);
    expect(ok(await server.gql('query ($id: ID!) { node(id: $id) { id } }', { id: post.id })).node).toBeNull();
  });

  it('commentAdded refuses a forged cursor (BAD_USER_INPUT on `after`) instead of replaying hidden comments', async () => {
    const { post } = await hiddenThread();
    const ws = wsClient(server.url);
    const forged = [
      Buffer.from(JSON.stringify([`post:${post.raw}`, 0])).toString('base64url'), // the reported repro
      `${Buffer.from(JSON.stringify([`post:${post.raw}`, 0])).toString('base64url')}.AAAAAAAAAAAAAAAAAAAAAA`,
      `${Buffer.from(JSON.stringify([`post:${post.raw}`, 1])).toString('base64url')}.${'A'.repeat(22)}`,
    ];
    for (const after of forged) {
      const started = Date.now();
      const outcome = await runOnce(ws, COMMENT_ADDED, { p: post.id, after });
      expect(Date.now() - started).toBeLessThan(2_000);
      expect(outcome.data).toBeUndefined();
      expect(outcome.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
      expect(JSON.stringify(outcome)).not.toContain('secret parent body');
    }
    // A real cursor of another post's stream is refused too.
    const other = await createPost(server, author, { publish: true });
    const sub = ws.subscribe(COMMENT_ADDED, { p: other.id });
    const foreign = (
      await whenLive(
        sub,
        () => newComment(server, other.id, 'elsewhere', commenter),
        (r) => r.data.commentAdded.comment.id,
      )
    ).data.commentAdded.cursor;
    expect((await runOnce(ws, COMMENT_ADDED, { p: post.id, after: foreign })).errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'after',
    });
    await ws.dispose();
    await expectHealthy(server);
  });

  it('a replay from a real cursor skips comments hidden since, for the anonymous; moderators still get them', async () => {
    const post = await createPost(server, author, { publish: true });
    const ws = wsClient(server.url);
    const live = ws.subscribe(COMMENT_ADDED, { p: post.id });
    const first = (
      await whenLive(
        live,
        () => newComment(server, post.id, 'one', commenter),
        (r) => r.data.commentAdded.comment.id,
      )
    ).data.commentAdded;
    expect(first.comment.body).toBe('one');
    live.unsubscribe();
    const two = ok(await server.gql(COMMENT, { p: post.id, b: 'two, hidden later' }, commenter.token)).createComment.comment;
    ok(await server.gql(COMMENT, { p: post.id, b: 'three' }, commenter.token));
    ok(await server.gql(HIDE_COMMENT, { id: two.id }, moderator.token));

    const resumed = ws.subscribe(COMMENT_ADDED, { p: post.id, after: first.cursor });
    expect((await resumed.next()).data.commentAdded.comment.body).toBe('three');
    ok(await server.gql(COMMENT, { p: post.id, b: 'four' }, commenter.token));
    expect((await resumed.next()).data.commentAdded.comment.body).toBe('four');

    const mod = wsClient(server.url, moderator.token);
    const modResumed = mod.subscribe(COMMENT_ADDED, { p: post.id, after: first.cursor });
    expect((await modResumed.next()).data.commentAdded.comment.body).toBe('two, hidden later');
    expect((await modResumed.next()).data.commentAdded.comment.body).toBe('three');
    await ws.dispose();
    await mod.dispose();
  });

  it('a hidden post republished by its author is not announced to anonymous postPublished subscribers', async () => {
    const post = await createPost(server, author, { publish: true, title: 'hidden and republished' });
    ok(await server.gql(HIDE_POST, { id: post.id }, moderator.token));
    ok(await server.gql('mutation ($id: ID!) { archivePost(input: { id: $id }) { post { status } } }', { id: post.id }, author.token));

    const query = 'subscription ($a: ID!) { postPublished(authorId: $a) { id title } }';
    const anonymous = wsClient(server.url);
    const anonSub = anonymous.subscribe(query, { a: author.id });
    const mod = wsClient(server.url, moderator.token);
    const modSub = mod.subscribe(query, { a: author.id });
    const probe = async () => (await createPost(server, author, { publish: true, title: 'probe' })).id;
    await whenLive(anonSub, probe, (r) => r.data.postPublished.id);
    await whenLive(modSub, probe, (r) => r.data.postPublished.id);
    // Either may still have the other's probes queued: read both up to a marker.
    const marker = await probe();
    while ((await anonSub.next()).data.postPublished.id !== marker);
    while ((await modSub.next()).data.postPublished.id !== marker);

    ok(await server.gql('mutation ($id: ID!) { publishPost(input: { id: $id }) { post { status } } }', { id: post.id }, author.token));
    const after = await createPost(server, author, { publish: true, title: 'after' });
    // Events arrive in order: the anonymous subscriber's next one is the later post.
    expect((await anonSub.next()).data.postPublished).toEqual({ id: after.id, title: 'after' });
    expect((await modSub.next()).data.postPublished).toEqual({ id: post.id, title: 'hidden and republished' });
    expect((await modSub.next()).data.postPublished.id).toBe(after.id);
    await anonymous.dispose();
    await mod.dispose();
    await expectHealthy(server);
  });

  it('a removed chat member: the open messageEvents and typing subscriptions end, and a resume by cursor is refused (NOT_FOUND)', async () => {
    const [owner, member] = await Promise.all([signUp(server, 'cown'), signUp(server, 'cmem')]);
    const id = await createGroup(server, owner, [member]);
    const ws = wsClient(server.url, member.token);
    const events = ws.subscribe(MESSAGE_EVENTS, { conversationId: id });
    const typing = ws.subscribe('subscription ($id: ID!) { typing(conversationId: $id) { typing } }', { id });
    const seen = await whenLive(
      events,
      async () => (await send(server, owner, id, 'before')).id,
      (r) => r.data.messageEvents.message.id,
    );
    // Typing is live once a signal reaches it (`typing: false` is never throttled).
    const stopTyping = () =>
      server.gql(
        'mutation ($i: SetTypingInput!) { setTyping(input: $i) { accepted } }',
        { i: { conversationId: id, typing: false } },
        owner.token,
      );
    await eventually(async () => {
      await stopTyping();
      return typing.pending.length > 0;
    });

    ok(
      await server.gql(
        'mutation ($i: RemoveConversationMemberInput!) { removeConversationMember(input: $i) { conversation { id } } }',
        { i: { conversationId: id, userId: member.id } },
        owner.token,
      ),
    );
    await send(server, owner, id, 'after removal: secret');
    await stopTyping();
    await eventually(() => events.completed && typing.completed);
    expect(events.pending.map((r) => r.data?.messageEvents?.message?.body)).not.toContain('after removal: secret');

    const resumed = await runOnce(ws, MESSAGE_EVENTS, { conversationId: id, after: seen.data.messageEvents.cursor });
    expect(resumed.data ?? null).toBeNull();
    expect(resumed.errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND', field: 'conversationId' });
    expect(JSON.stringify(resumed)).not.toContain('secret');
    await ws.dispose();
    await expectHealthy(server);
  });
});
