import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGroup, MESSAGE_EVENTS, ok, send } from './helpers/chat.ts';
import { signUp, startTestServer, type TestServer, type TestUser } from './helpers/server.ts';
import { fixtures, topics } from './helpers/fixtures.ts';
import { eventually, wsClient, type WsClient } from './helpers/ws.ts';

describe('subscriptions over graphql-ws (single instance, in-process bus)', () => {
  let server: TestServer;
  let alice: TestUser;
  let bob: TestUser;
  let carol: TestUser;
  const clients: WsClient[] = [];
  const client = (token?: string) => {
    const c = wsClient(server.url, token);
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    server = await startTestServer();
    [alice, bob, carol] = await Promise.all([signUp(server, 'alice'), signUp(server, 'bob'), signUp(server, 'carol')]);
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.dispose()));
    await server.stop();
  });

  it('delivers created, edited and deleted messages live, in order, with cursors', async () => {
    const id = await createGroup(server, alice, [bob]);
    const sub = client(bob.token).subscribe(MESSAGE_EVENTS, { conversationId: id });
    await server.whenSubscribed(topics.conversation(id));
    const m1 = await send(server, alice, id, 'one');
    const m2 = await send(server, alice, id, 'two');
    await ok(
      server,
      `mutation ($input: EditMessageInput!) { editMessage(input: $input) { message { id } } }`,
      { input: { messageId: m1.id, body: 'one!' } },
      alice.token,
    );
    await ok(
      server,
      `mutation ($input: DeleteMessageInput!) { deleteMessage(input: $input) { message { id } } }`,
      { input: { messageId: m2.id } },
      alice.token,
    );
    const events = [await sub.next(), await sub.next(), await sub.next(), await sub.next()].map((r) => r.data!.messageEvents);
    expect(events.map((e) => [e.kind, e.message.id])).toEqual([
      ['CREATED', m1.id],
      ['CREATED', m2.id],
      ['EDITED', m1.id],
      ['DELETED', m2.id],
    ]);
    // Each event resolves fresh: the CREATED event of m1 already shows its later edit.
    expect(events[2].message).toMatchObject({ body: 'one!', edited: true });
    expect(events[3].message).toMatchObject({ body: '', deleted: true });
    expect(new Set(events.map((e) => e.cursor)).size).toBe(4);
  });

  it('resumes from a cursor: replays what was missed, then continues live, with no gap and no duplicate', async () => {
    const id = await createGroup(server, alice, [bob]);
    const first = client(bob.token);
    const sub = first.subscribe(MESSAGE_EVENTS, { conversationId: id });
    await server.whenSubscribed(topics.conversation(id));
    await send(server, alice, id, 'a1');
    const seen = (await sub.next()).data!.messageEvents;
    sub.unsubscribe();
    for (let i = 2; i <= 6; i++) await send(server, alice, id, `a${i}`);

    const resumed = client(bob.token).subscribe(MESSAGE_EVENTS, { conversationId: id, after: seen.cursor });
    // Events keep arriving while the replay runs.
    const racing = (async () => {
      for (let i = 7; i <= 12; i++) await send(server, alice, id, `a${i}`);
    })();
    const bodies: string[] = [];
    for (let i = 2; i <= 12; i++) bodies.push((await resumed.next()).data!.messageEvents.message.body);
    await racing;
    expect(bodies).toEqual(Array.from({ length: 11 }, (_, i) => `a${i + 2}`));
    // No duplicate follows: the next event is the one sent after all of them.
    await send(server, alice, id, 'marker');
    expect((await resumed.next()).data!.messageEvents.message.body).toBe('marker');
  });

  it('refuses a bad cursor with BAD_USER_INPUT on `after`', async () => {
    const id = await createGroup(server, alice, [bob]);
    const sub = client(bob.token).subscribe(MESSAGE_EVENTS, { conversationId: id, after: 'not-a-cursor' });
    const result = await sub.next();
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
  });

  it('non-members cannot subscribe (NOT_FOUND), nor anonymous sockets', async () => {
    const id = await createGroup(server, alice, [bob]);
    const sub = client(carol.token).subscribe(MESSAGE_EVENTS, { conversationId: id });
    expect((await sub.next()).errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const anonymous = client().subscribe(MESSAGE_EVENTS, { conversationId: id });
    expect((await anonymous.next()).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('a member removed mid-stream receives nothing after the removal', async () => {
    const id = await createGroup(server, alice, [bob, carol]);
    const sub = client(carol.token).subscribe(MESSAGE_EVENTS, { conversationId: id });
    await server.whenSubscribed(topics.conversation(id));
    await send(server, alice, id, 'before');
    expect((await sub.next()).data!.messageEvents.message.body).toBe('before');
    await ok(
      server,
      `mutation ($input: RemoveConversationMemberInput!) { removeConversationMember(input: $input) { conversation { id } } }`,
      { input: { conversationId: id, userId: carol.id } },
      alice.token,
    );
    await send(server, alice, id, 'after');
    await send(server, bob, id, 'after 2');
    // The removal ends the subscription; nothing was delivered before the end.
    await sub.ended();
    expect(sub.completed).toBe(true);
    expect(sub.pending).toEqual([]);
  });

  it('typing: throttled, shown to the other members only, and expires', async () => {
    const id = await createGroup(server, alice, [bob]);
    const TYPING = `subscription ($id: ID!) { typing(conversationId: $id) { conversationId typing expiresAt user { username } } }`;
    const bobSees = client(bob.token).subscribe(TYPING, { id });
    const aliceSees = client(alice.token).subscribe(TYPING, { id });
    await server.whenSubscribed(topics.typing(id), 2);
    const SET = `mutation ($input: SetTypingInput!) { setTyping(input: $input) { accepted } }`;
    expect((await ok(server, SET, { input: { conversationId: id, typing: true } }, alice.token)).setTyping.accepted).toBe(true);
    expect((await ok(server, SET, { input: { conversationId: id, typing: true } }, alice.token)).setTyping.accepted).toBe(false);
    const on = (await bobSees.next()).data!.typing;
    expect(on).toMatchObject({ conversationId: id, typing: true, user: { username: alice.username } });
    expect(new Date(on.expiresAt).getTime()).toBeGreaterThan(Date.now());
    expect((await ok(server, SET, { input: { conversationId: id, typing: false } }, alice.token)).setTyping.accepted).toBe(true);
    expect((await bobSees.next()).data!.typing).toMatchObject({ typing: false, expiresAt: null });
    // Not one's own: the first signal Alice sees is Bob's, sent after both of hers.
    expect((await ok(server, SET, { input: { conversationId: id, typing: true } }, bob.token)).setTyping.accepted).toBe(true);
    expect((await aliceSees.next()).data!.typing).toMatchObject({ typing: true, user: { username: bob.username } });
  });

  it('conversationEvents tell a user about added conversations and new messages', async () => {
    const sub = client(carol.token).subscribe(
      `subscription { conversationEvents { cursor kind conversationId conversation { title unreadCount } } }`,
    );
    await server.whenSubscribed(topics.user(carol.id));
    const id = await createGroup(server, alice, [carol], 'Hello Carol');
    const added = (await sub.next()).data!.conversationEvents;
    expect(added).toMatchObject({ kind: 'ADDED', conversationId: id, conversation: { title: 'Hello Carol', unreadCount: 0 } });
    await send(server, alice, id, 'hi');
    expect((await sub.next()).data!.conversationEvents).toMatchObject({ kind: 'NEW_MESSAGE', conversation: { unreadCount: 1 } });
    await ok(
      server,
      `mutation ($input: ConversationIdInput!) { leaveConversation(input: $input) { conversationId } }`,
      { input: { conversationId: id } },
      carol.token,
    );
    expect((await sub.next()).data!.conversationEvents).toMatchObject({ kind: 'REMOVED', conversationId: id, conversation: null });
  });

  it('commentAdded delivers new comments of a post', async () => {
    const make = fixtures(server);
    const postId = (await make.post(alice, { title: 'T', body: 'B' })).id;
    const sub = client().subscribe(
      `subscription ($postId: ID!) { commentAdded(postId: $postId) { cursor comment { body author { username } } } }`,
      { postId },
    );
    await server.whenSubscribed(topics.post(postId));
    await make.comment(bob, postId, 'Nice');
    expect((await sub.next()).data!.commentAdded.comment).toEqual({ body: 'Nice', author: { username: bob.username } });
  });

  it('presence: online while a socket is open, last seen after', async () => {
    const carol = await signUp(server, 'dave'); // no socket open yet
    const PRESENCE = `query ($id: ID!) { user(id: $id) { presence { online lastSeenAt } } }`;
    const watcher = client(alice.token).subscribe(
      `subscription ($ids: [ID!]!) { presenceChanged(userIds: $ids) { online lastSeenAt user { username } } }`,
      { ids: [carol.id] },
    );
    const initial = await watcher.next();
    expect(initial.data!.presenceChanged, JSON.stringify(initial)).toMatchObject({ user: { username: carol.username } });
    const carolSocket = wsClient(server.url, carol.token);
    await eventually(async () => (await server.gql(PRESENCE, { id: carol.id })).body.data!.user.presence.online === true);
    expect((await watcher.next()).data!.presenceChanged.online).toBe(true);
    await carolSocket.dispose();
    const offline = (await watcher.next()).data!.presenceChanged;
    expect(offline.online).toBe(false);
    expect(offline.lastSeenAt).not.toBeNull();
  });
});
