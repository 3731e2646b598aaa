import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGroup, ok, send } from './helpers/chat.ts';
import { onlyError, signUp, startTestServer, type TestServer, type TestUser } from './helpers/server.ts';
import { fixtures, topics } from './helpers/fixtures.ts';
import { wsClient } from './helpers/ws.ts';

const LIST = `{ unreadNotificationCount notifications(first: 20) { totalCount nodes { id kind count read actor { username } post { title } comment { body } conversation { title } message { body } } } }`;

describe('notifications', () => {
  let server: TestServer;
  let author: TestUser;
  let fan: TestUser;
  let other: TestUser;

  beforeAll(async () => {
    server = await startTestServer();
    [author, fan, other] = await Promise.all([signUp(server, 'author'), signUp(server, 'fan'), signUp(server, 'other')]);
  });
  afterAll(() => server.stop());

  it('are created for follows, comments, replies, aggregated reactions, mentions and being added to a conversation', async () => {
    const live = wsClient(server.url, author.token);
    const sub = live.subscribe(`subscription { notificationAdded { cursor notification { kind count } } }`);
    await server.whenSubscribed(topics.user(author.id));

    await ok(
      server,
      `mutation ($input: FollowInput!) { followUser(input: $input) { user { id } } }`,
      { input: { userId: author.id } },
      fan.token,
    );
    // Following again is idempotent: no second notification.
    await ok(
      server,
      `mutation ($input: FollowInput!) { followUser(input: $input) { user { id } } }`,
      { input: { userId: author.id } },
      fan.token,
    );
    const make = fixtures(server);
    const post = (await make.post(author, { title: 'Mine' })).id;
    const mine = (await make.comment(author, post, 'my own comment')).id;
    await make.comment(fan, post, 'great post');
    await make.comment(other, post, 'a reply', mine);
    const REACT = `mutation ($input: ReactionInput!) { addReaction(input: $input) { post { id } } }`;
    await ok(server, REACT, { input: { postId: post, kind: 'LIKE' } }, fan.token);
    await ok(server, REACT, { input: { postId: post, kind: 'LOVE' } }, fan.token);
    await ok(server, REACT, { input: { postId: post, kind: 'LIKE' } }, other.token);
    await ok(server, REACT, { input: { postId: post, kind: 'LIKE' } }, author.token); // own: nothing
    const group = await createGroup(server, fan, [author, other], 'Fans');
    await send(server, other, group, `hey @${author.username}, and @nobody_here`);

    const res = await ok(server, LIST, {}, author.token);
    const kinds = res.notifications.nodes.map((n: any) => n.kind);
    expect(kinds.sort()).toEqual([
      'ADDED_TO_CONVERSATION',
      'COMMENT_ON_POST',
      'MENTION',
      'NEW_FOLLOWER',
      'REACTIONS_ON_POST',
      'REPLY_TO_COMMENT',
    ]);
    expect(res.unreadNotificationCount).toBe(6);
    const byKind = Object.fromEntries(res.notifications.nodes.map((n: any) => [n.kind, n]));
    expect(byKind.REACTIONS_ON_POST).toMatchObject({ count: 3, actor: { username: other.username }, post: { title: 'Mine' } });
    expect(byKind.REPLY_TO_COMMENT).toMatchObject({ actor: { username: other.username }, comment: { body: 'a reply' } });
    expect(byKind.COMMENT_ON_POST).toMatchObject({ actor: { username: fan.username }, comment: { body: 'great post' } });
    expect(byKind.MENTION).toMatchObject({
      conversation: { title: 'Fans' },
      message: { body: `hey @${author.username}, and @nobody_here` },
    });
    expect(byKind.ADDED_TO_CONVERSATION).toMatchObject({ actor: { username: fan.username }, conversation: { title: 'Fans' } });

    // Live: one event per notification change (the aggregated one bumps three times).
    const live8 = [];
    for (let i = 0; i < 8; i++) live8.push((await sub.next()).data!.notificationAdded.notification.kind);
    expect(live8.filter((k) => k === 'REACTIONS_ON_POST')).toHaveLength(3);
    // Exactly eight: the next event is the one a fourth reaction causes (the aggregate at 4).
    await ok(server, REACT, { input: { postId: post, kind: 'LOVE' } }, other.token);
    expect((await sub.next()).data!.notificationAdded.notification).toEqual({ kind: 'REACTIONS_ON_POST', count: 4 });
    await live.dispose();

    // Read: one, then all; a reaction after reading re-opens the aggregate at 1.
    const READ = `mutation ($input: NotificationIdInput!) { markNotificationRead(input: $input) { notification { read } } }`;
    expect((await ok(server, READ, { input: { id: byKind.NEW_FOLLOWER.id } }, author.token)).markNotificationRead.notification.read).toBe(
      true,
    );
    expect((await ok(server, LIST, {}, author.token)).unreadNotificationCount).toBe(5);
    const notYours = onlyError(await server.gql(READ, { input: { id: byKind.MENTION.id } }, fan.token));
    expect(notYours.extensions).toMatchObject({ code: 'NOT_FOUND', field: 'input.id' });
    const all = await ok(server, `mutation { markAllNotificationsRead { unreadCount } }`, {}, author.token);
    expect(all.markAllNotificationsRead.unreadCount).toBe(0);
    await ok(server, REACT, { input: { postId: post, kind: 'WOW' } }, fan.token);
    const after = await ok(server, LIST, {}, author.token);
    expect(after.unreadNotificationCount).toBe(1);
    expect(after.notifications.nodes[0]).toMatchObject({ kind: 'REACTIONS_ON_POST', count: 1, read: false });
  });

  it('needs a viewer', async () => {
    const res = await server.gql(`{ notifications { totalCount } }`);
    expect(onlyError(res).extensions.code).toBe('UNAUTHENTICATED');
  });
});
