import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALL_SCOPES, type Viewer } from '../src/auth/viewer.ts';
import * as chat from '../src/modules/chat/policy.ts';
import * as notifications from '../src/modules/notifications/policy.ts';
import * as presence from '../src/modules/presence/policy.ts';
import { ok } from './helpers/chat.ts';
import { fixtures, rawId } from './helpers/fixtures.ts';
import { startTestServer, type TestServer, type TestUser } from './helpers/server.ts';

// Each predicate of the chat, notification and presence policies, allowed
// and refused, for users signed up over GraphQL and rows as the server wrote them.

const DIRECT = `mutation ($input: CreateDirectConversationInput!) { createDirectConversation(input: $input) { conversation { id } } }`;
const LEAVE = `mutation ($input: ConversationIdInput!) { leaveConversation(input: $input) { conversationId } }`;
const DELETE = `mutation ($input: DeleteMessageInput!) { deleteMessage(input: $input) { message { id } } }`;
const ADD = `mutation ($input: AddConversationMembersInput!) { addConversationMembers(input: $input) { conversation { id } } }`;

describe('chat, notification and presence policies', () => {
  let server: TestServer;
  let alice: TestUser; // created the group: its admin
  let bob: TestUser; // member of the group
  let carol: TestUser; // outsider, later added to a second group
  let dave: TestUser; // member who leaves
  let groupGid: string;
  let group: string; // raw ids from here on
  let direct: string;
  let message: string;
  const viewers = new Map<string, Viewer>();

  /** The viewer the server builds for a signed-in user: their id and role, as stored. */
  async function viewerOf(user: TestUser): Promise<Viewer> {
    const row = await server.db.user.findUniqueOrThrow({ where: { id: rawId(user.id) } });
    return { id: row.id, role: row.role, credential: 'session', sessionId: null, scopes: ALL_SCOPES, expiresAt: null };
  }
  const as = (user: TestUser) => viewers.get(user.id)!;
  const membership = (user: TestUser, conversationId: string) =>
    server.db.conversationMember.findUnique({ where: { conversationId_userId: { conversationId, userId: rawId(user.id) } } });
  const conversation = (id: string) => server.db.conversation.findUniqueOrThrow({ where: { id } });

  beforeAll(async () => {
    server = await startTestServer();
    const make = fixtures(server);
    [alice, bob, carol, dave] = (await make.users('alice', 'bob', 'carol', 'dave')) as [TestUser, TestUser, TestUser, TestUser];
    for (const u of [alice, bob, carol, dave]) viewers.set(u.id, await viewerOf(u));
    groupGid = await make.conversation(alice, [bob, dave]);
    group = rawId(groupGid);
    direct = rawId((await ok(server, DIRECT, { input: { userId: bob.id } }, alice.token)).createDirectConversation.conversation.id);
    message = rawId((await make.message(bob, groupGid, 'hello')).id);
    await ok(server, LEAVE, { input: { conversationId: groupGid } }, dave.token);
  });
  afterAll(() => server.stop());

  describe('chat', () => {
    it('canSeeConversation, canParticipate, canSeeMessage: members only; outsiders and former members are refused', async () => {
      for (const allowed of [alice, bob]) {
        const m = await membership(allowed, group);
        expect(chat.canSeeConversation(m)).toBe(true);
        expect(chat.canParticipate(m)).toBe(true);
        expect(chat.canSeeMessage(m)).toBe(true);
      }
      for (const refused of [carol, dave]) {
        const m = await membership(refused, group);
        expect(m).toBeNull();
        expect(chat.canSeeConversation(m)).toBe(false);
        expect(chat.canParticipate(m)).toBe(false);
        expect(chat.canSeeMessage(m)).toBe(false);
      }
    });

    it('canChangeMessage: the sender only; another member and the signed-out are refused', async () => {
      const row = await server.db.message.findUniqueOrThrow({ where: { id: message } });
      expect(chat.canChangeMessage(as(bob), row)).toBe(true);
      expect(chat.canChangeMessage(as(alice), row)).toBe(false);
      expect(chat.canChangeMessage(null, row)).toBe(false);
    });

    it('canEditMessageBody: a live message yes, a tombstone no', async () => {
      const make = fixtures(server);
      const gid = (await make.message(alice, groupGid, 'to delete')).id;
      expect(chat.canEditMessageBody(await server.db.message.findUniqueOrThrow({ where: { id: rawId(gid) } }))).toBe(true);
      await ok(server, DELETE, { input: { messageId: gid } }, alice.token);
      expect(chat.canEditMessageBody(await server.db.message.findUniqueOrThrow({ where: { id: rawId(gid) } }))).toBe(false);
    });

    it('hasAdministration and canAdministerGroup: a group admin only; plain members, direct conversations and outsiders are refused', async () => {
      const [g, d] = await Promise.all([conversation(group), conversation(direct)]);
      expect(chat.hasAdministration(g)).toBe(true);
      expect(chat.hasAdministration(d)).toBe(false);
      expect(chat.canAdministerGroup(g, await membership(alice, group))).toBe(true);
      expect(chat.canAdministerGroup(g, await membership(bob, group))).toBe(false);
      expect(chat.canAdministerGroup(g, await membership(carol, group))).toBe(false);
      // Even a row marked admin administers nothing in a direct conversation.
      const aliceInDirect = (await membership(alice, direct))!;
      expect(chat.canAdministerGroup(d, { ...aliceInDirect, isAdmin: true })).toBe(false);
    });

    it('canLeave: members of a group; not a direct conversation, not outsiders', async () => {
      const [g, d] = await Promise.all([conversation(group), conversation(direct)]);
      expect(chat.canLeave(g, await membership(bob, group))).toBe(true);
      expect(chat.canLeave(d, await membership(bob, direct))).toBe(false);
      expect(chat.canLeave(g, await membership(carol, group))).toBe(false);
    });

    it('canStartDirectWith: another user yes, oneself no', () => {
      expect(chat.canStartDirectWith(as(alice), as(bob).id)).toBe(true);
      expect(chat.canStartDirectWith(as(alice), as(alice).id)).toBe(false);
    });

    it('conversationsVisibleWhere (SQL twin) lists exactly the conversations canSeeConversation allows', async () => {
      const ids = async (user: TestUser) =>
        (await server.db.conversation.findMany({ where: chat.conversationsVisibleWhere(as(user)), select: { id: true } }))
          .map((c) => c.id)
          .sort();
      expect(await ids(alice)).toEqual([group, direct].sort());
      expect(await ids(bob)).toEqual([group, direct].sort());
      expect(await ids(carol)).toEqual([]);
      expect(await ids(dave)).toEqual([]);
    });

    it('isMemberNow reads fresh rows: members yes; outsiders, former members and the signed-out no', async () => {
      expect(await chat.isMemberNow(server.db, as(alice), group)).toBe(true);
      expect(await chat.isMemberNow(server.db, as(carol), group)).toBe(false);
      expect(await chat.isMemberNow(server.db, as(dave), group)).toBe(false);
      expect(await chat.isMemberNow(server.db, null, group)).toBe(false);
    });
  });

  describe('notifications', () => {
    it('canSeeNotification, canMarkNotificationRead, ownNotificationsWhere: the recipient only', async () => {
      await ok(server, ADD, { input: { conversationId: groupGid, userIds: [carol.id] } }, alice.token);
      const row = await server.db.notification.findFirstOrThrow({ where: { recipientId: as(carol).id, kind: 'ADDED_TO_CONVERSATION' } });
      expect(row.actorId).toBe(as(alice).id);
      expect(notifications.canSeeNotification(as(carol), row)).toBe(true);
      expect(notifications.canMarkNotificationRead(as(carol), row)).toBe(true);
      for (const refused of [as(alice), as(bob), null]) {
        expect(notifications.canSeeNotification(refused, row)).toBe(false);
        expect(notifications.canMarkNotificationRead(refused, row)).toBe(false);
      }
      const listed = async (user: TestUser) =>
        (await server.db.notification.findMany({ where: notifications.ownNotificationsWhere(as(user)) })).map((n) => n.id);
      expect(await listed(carol)).toContain(row.id);
      expect(await listed(alice)).not.toContain(row.id);
      const all = await server.db.notification.findMany({ where: notifications.ownNotificationsWhere(as(bob)) });
      expect(all.every((n) => n.recipientId === as(bob).id)).toBe(true);
    });

    it('shouldNotify: others yes; nobody about their own action', () => {
      expect(notifications.shouldNotify({ recipientId: as(carol).id, actorId: as(alice).id })).toBe(true);
      expect(notifications.shouldNotify({ recipientId: as(alice).id, actorId: as(alice).id })).toBe(false);
    });
  });

  describe('presence', () => {
    // Presence is public by design: no viewer is refused (policy.ts says why);
    // what a refusal would show is fixed by hiddenPresence.
    it('canSeePresence: everyone, signed in or not, sees everyone', () => {
      expect(presence.canSeePresence(as(alice), as(bob).id)).toBe(true);
      expect(presence.canSeePresence(as(carol), as(carol).id)).toBe(true);
      expect(presence.canSeePresence(null, as(bob).id)).toBe(true);
      expect(presence.hiddenPresence(as(bob).id)).toEqual({ userId: as(bob).id, online: false, lastSeenAt: null });
    });
  });
});
