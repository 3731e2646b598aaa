import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGroup, ok, send } from './helpers/chat.ts';
import { rawId } from './helpers/fixtures.ts';
import { onlyError, signUp, startTestServer, type TestServer, type TestUser } from './helpers/server.ts';

const DIRECT = `mutation ($input: CreateDirectConversationInput!) { createDirectConversation(input: $input) { conversation { id kind members { user { username } isAdmin } } } }`;
const SEND = `mutation ($input: SendMessageInput!) { sendMessage(input: $input) { message { id seq body replyTo { id } } } }`;
const MESSAGES = `query ($id: ID!, $first: Int, $after: String, $last: Int, $before: String) {
  conversation(id: $id) { messages(first: $first, after: $after, last: $last, before: $before) {
    edges { cursor node { body seq } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } totalCount } }
}`;

describe('chat', () => {
  let server: TestServer;
  let alice: TestUser;
  let bob: TestUser;
  let carol: TestUser;

  beforeAll(async () => {
    server = await startTestServer();
    [alice, bob, carol] = await Promise.all([signUp(server, 'alice'), signUp(server, 'bob'), signUp(server, 'carol')]);
  });
  afterAll(() => server.stop());

  it('creates one direct conversation per pair, idempotently, from either side', async () => {
    const a = await ok(server, DIRECT, { input: { userId: bob.id } }, alice.token);
    const b = await ok(server, DIRECT, { input: { userId: alice.id } }, bob.token);
    const again = await ok(server, DIRECT, { input: { userId: bob.id } }, alice.token);
    expect(a.createDirectConversation.conversation.id).toBe(b.createDirectConversation.conversation.id);
    expect(again.createDirectConversation.conversation.id).toBe(a.createDirectConversation.conversation.id);
    expect(a.createDirectConversation.conversation.kind).toBe('DIRECT');
    expect(a.createDirectConversation.conversation.members).toHaveLength(2);
    const self = onlyError(await server.gql(DIRECT, { input: { userId: alice.id } }, alice.token));
    expect(self.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.userId' });
  });

  it('orders messages by a server sequence and pages both ways', async () => {
    const id = await createGroup(server, alice, [bob], 'Paging');
    for (let i = 1; i <= 5; i++) await send(server, i % 2 ? alice : bob, id, `m${i}`);
    const first = (await ok(server, MESSAGES, { id, first: 2 }, bob.token)).conversation.messages;
    expect(first.edges.map((e: any) => e.node.body)).toEqual(['m1', 'm2']);
    expect(first.pageInfo.hasNextPage).toBe(true);
    expect(first.totalCount).toBe(5);
    const next = (await ok(server, MESSAGES, { id, first: 10, after: first.pageInfo.endCursor }, bob.token)).conversation.messages;
    expect(next.edges.map((e: any) => e.node.body)).toEqual(['m3', 'm4', 'm5']);
    const seqs = [...first.edges, ...next.edges].map((e: any) => e.node.seq);
    expect([...seqs].sort((x, y) => x - y)).toEqual(seqs);
    const last = (await ok(server, MESSAGES, { id, last: 2 }, bob.token)).conversation.messages;
    expect(last.edges.map((e: any) => e.node.body)).toEqual(['m4', 'm5']);
    expect(last.pageInfo.hasPreviousPage).toBe(true);
    const before = (await ok(server, MESSAGES, { id, last: 2, before: last.pageInfo.startCursor }, bob.token)).conversation.messages;
    expect(before.edges.map((e: any) => e.node.body)).toEqual(['m2', 'm3']);
  });

  it('edits (sender only, marked edited), deletes as a tombstone, and replies', async () => {
    const id = await createGroup(server, alice, [bob], 'Edits');
    const original = await send(server, alice, id, 'hello');
    const reply = await ok(
      server,
      SEND,
      { input: { conversationId: id, body: 'hi back', replyToId: original.id, idempotencyKey: 'reply-1' } },
      bob.token,
    );
    expect(reply.sendMessage.message.replyTo.id).toBe(original.id);

    const EDIT = `mutation ($input: EditMessageInput!) { editMessage(input: $input) { message { body edited editedAt } } }`;
    const notMine = onlyError(await server.gql(EDIT, { input: { messageId: original.id, body: 'hacked' } }, bob.token));
    expect(notMine.extensions.code).toBe('FORBIDDEN');
    const edited = await ok(server, EDIT, { input: { messageId: original.id, body: 'hello!' } }, alice.token);
    expect(edited.editMessage.message).toMatchObject({ body: 'hello!', edited: true });

    const DELETE = `mutation ($input: DeleteMessageInput!) { deleteMessage(input: $input) { message { body deleted } } }`;
    const deleted = await ok(server, DELETE, { input: { messageId: original.id } }, alice.token);
    expect(deleted.deleteMessage.message).toEqual({ body: '', deleted: true });
    const page = (await ok(server, MESSAGES, { id, first: 10 }, bob.token)).conversation.messages;
    expect(page.edges.map((e: any) => e.node.body)).toEqual(['', 'hi back']);
  });

  it('sendMessage is idempotent by key; reusing a key for another message is IDEMPOTENCY_KEY_REUSED', async () => {
    const id = await createGroup(server, alice, [bob], 'Idempotency');
    const input = { conversationId: id, body: 'once', idempotencyKey: 'same-key' };
    const [a, b] = await Promise.all([ok(server, SEND, { input }, alice.token), ok(server, SEND, { input }, alice.token)]);
    const c = await ok(server, SEND, { input }, alice.token);
    expect(b.sendMessage.message.id).toBe(a.sendMessage.message.id);
    expect(c.sendMessage.message.id).toBe(a.sendMessage.message.id);
    expect(await server.db.message.count({ where: { conversationId: rawId(id) } })).toBe(1);

    const reused = onlyError(await server.gql(SEND, { input: { ...input, body: 'different' } }, alice.token));
    expect(reused.extensions).toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED', field: 'input.idempotencyKey' });
    // Keys are per sender: bob may use the same key.
    const bobs = await ok(server, SEND, { input }, bob.token);
    expect(bobs.sendMessage.message.id).not.toBe(a.sendMessage.message.id);
    // A late retry after the sender edited the message still returns it.
    await ok(
      server,
      `mutation ($input: EditMessageInput!) { editMessage(input: $input) { message { id } } }`,
      { input: { messageId: a.sendMessage.message.id, body: 'edited' } },
      alice.token,
    );
    const late = await ok(server, SEND, { input }, alice.token);
    expect(late.sendMessage.message).toMatchObject({ id: a.sendMessage.message.id, body: 'edited' });
    const elsewhere = await createGroup(server, alice, [bob], 'Elsewhere');
    const moved = onlyError(await server.gql(SEND, { input: { ...input, conversationId: elsewhere } }, alice.token));
    expect(moved.extensions.code).toBe('IDEMPOTENCY_KEY_REUSED');
  });

  it('hides conversations from non-members (NOT_FOUND) and refuses their writes', async () => {
    const id = await createGroup(server, alice, [bob], 'Private');
    const read = await server.gql(`query ($id: ID!) { conversation(id: $id) { id } node(id: $id) { id } }`, { id }, carol.token);
    expect(read.body.data).toEqual({ conversation: null, node: null });
    const write = onlyError(await server.gql(SEND, { input: { conversationId: id, body: 'let me in', idempotencyKey: 'x' } }, carol.token));
    expect(write.extensions).toMatchObject({ code: 'NOT_FOUND', field: 'input.conversationId' });
  });

  it('counts unread messages from read markers, in one statement for a list of conversations', async () => {
    const ids = [await createGroup(server, bob, [carol], 'U1'), await createGroup(server, bob, [carol], 'U2')];
    await send(server, bob, ids[0]!, 'one');
    const two = await send(server, bob, ids[0]!, 'two');
    await send(server, bob, ids[1]!, 'three');
    await send(server, carol, ids[1]!, 'mine do not count');
    const LIST = `{ conversations(first: 10) { nodes { id title unreadCount lastMessage { body } } } }`;
    const res = await server.gql(LIST, {}, carol.token);
    const byTitle = Object.fromEntries(res.body.data!.conversations.nodes.map((c: any) => [c.title, c]));
    expect(byTitle.U1.unreadCount).toBe(2);
    expect(byTitle.U2.unreadCount).toBe(1);
    expect(byTitle.U2.lastMessage.body).toBe('mine do not count');
    // the viewer's session check, conversations, unread counts (one grouped
    // statement), last messages
    expect(res.body.extensions!.sqlStatements).toBe(4);

    const MARK = `mutation ($input: MarkConversationReadInput!) { markConversationRead(input: $input) { conversation { unreadCount viewerLastReadSeq } } }`;
    const partly = await ok(server, MARK, { input: { conversationId: ids[0], upTo: await firstMessageId(ids[0]!) } }, carol.token);
    expect(partly.markConversationRead.conversation.unreadCount).toBe(1);
    const all = await ok(server, MARK, { input: { conversationId: ids[0] } }, carol.token);
    expect(all.markConversationRead.conversation).toEqual({ unreadCount: 0, viewerLastReadSeq: two.seq });
    // The marker never moves back.
    const back = await ok(server, MARK, { input: { conversationId: ids[0], upTo: await firstMessageId(ids[0]!) } }, carol.token);
    expect(back.markConversationRead.conversation.viewerLastReadSeq).toBe(two.seq);
  });

  it('manages groups: admins add, remove and promote; members leave; admin passes on', async () => {
    const id = await createGroup(server, alice, [bob], 'Admin');
    const ADD = `mutation ($input: AddConversationMembersInput!) { addConversationMembers(input: $input) { conversation { members { user { username } isAdmin } } } }`;
    const denied = onlyError(await server.gql(ADD, { input: { conversationId: id, userIds: [carol.id] } }, bob.token));
    expect(denied.extensions.code).toBe('FORBIDDEN');
    const added = await ok(server, ADD, { input: { conversationId: id, userIds: [carol.id, bob.id] } }, alice.token);
    expect(added.addConversationMembers.conversation.members).toHaveLength(3);

    const RENAME = `mutation ($input: UpdateConversationInput!) { updateConversation(input: $input) { conversation { title } } }`;
    expect(
      (await ok(server, RENAME, { input: { conversationId: id, title: 'Renamed' } }, alice.token)).updateConversation.conversation.title,
    ).toBe('Renamed');

    const REMOVE = `mutation ($input: RemoveConversationMemberInput!) { removeConversationMember(input: $input) { conversation { members { user { username } } } } }`;
    const removed = await ok(server, REMOVE, { input: { conversationId: id, userId: carol.id } }, alice.token);
    expect(removed.removeConversationMember.conversation.members.map((m: any) => m.user.username)).not.toContain(carol.username);

    const LEAVE = `mutation ($input: ConversationIdInput!) { leaveConversation(input: $input) { conversationId } }`;
    expect((await ok(server, LEAVE, { input: { conversationId: id } }, alice.token)).leaveConversation.conversationId).toBe(id);
    const view = await ok(
      server,
      `query ($id: ID!) { conversation(id: $id) { viewerIsAdmin members { user { username } } } }`,
      { id },
      bob.token,
    );
    expect(view.conversation).toEqual({ viewerIsAdmin: true, members: [{ user: { username: bob.username } }] });
  });

  it('lists conversations with nested pages of messages without N+1', async () => {
    const dave = await signUp(server, 'dave');
    const NESTED = `query ($n: Int!) { conversations(first: $n) { nodes { title unreadCount members { user { username } }
      messages(last: 3) { totalCount nodes { body sender { username } replyTo { body } } } } } }`;
    for (let i = 0; i < 6; i++) {
      const id = await createGroup(server, i % 2 ? alice : bob, [dave, carol], `N${i}`);
      for (let j = 0; j < 4; j++) await send(server, j % 2 ? carol : dave, id, `n${i}.${j}`);
    }
    const small = await server.gql(NESTED, { n: 2 }, dave.token);
    const large = await server.gql(NESTED, { n: 6 }, dave.token);
    expect(large.body.errors).toBeUndefined();
    expect(large.body.data!.conversations.nodes).toHaveLength(6);
    expect(large.body.data!.conversations.nodes[0].messages.nodes).toHaveLength(3);
    // the viewer's session check, conversations, unread counts, members,
    // message pages (one windowed statement), message counts, users: 7, or 8
    // when member and sender users load in two batches (their parents finish
    // at different times). Never more with size.
    for (const res of [small, large]) expect(res.body.extensions!.sqlStatements).toBeLessThanOrEqual(8);
  });

  async function firstMessageId(conversationId: string): Promise<string> {
    const page = await ok(
      server,
      `query ($id: ID!) { conversation(id: $id) { messages(first: 1) { nodes { id } } } }`,
      { id: conversationId },
      bob.token,
    );
    return page.conversation.messages.nodes[0].id;
  }
});
