import type { Conversation } from '../../db/generated/client.ts';
import { badInput, notFound } from '../../lib/errors.ts';
import { expectGlobalId } from '../../lib/global-id.ts';
import { streams, type Outbox, type Tx } from '../../events/outbox.ts';
import { requireViewer } from '../../auth/guards.ts';
import type { RequestScope } from '../scope.ts';
import { notify } from '../notifications/service.ts';
import { asGroupAdmin, asMember, usersByIds } from './access.ts';
import { MAX_GROUP_MEMBERS } from './conversations.ts';
import { emitConversationEvent, MEMBERS_CHANGED } from './events.ts';
import { canLeave } from './policy.ts';
import { memberIds, writeWithEvents } from './write.ts';

/** A group always keeps an admin while it has members: the longest-standing member takes over. */
async function ensureAdmin(tx: Tx, conversationId: string): Promise<void> {
  await tx.$executeRaw`
    UPDATE "ConversationMember" SET "isAdmin" = true
    WHERE "conversationId" = ${conversationId}::uuid
      AND NOT EXISTS (SELECT 1 FROM "ConversationMember" WHERE "conversationId" = ${conversationId}::uuid AND "isAdmin")
      AND "userId" = (SELECT "userId" FROM "ConversationMember" WHERE "conversationId" = ${conversationId}::uuid ORDER BY "joinedAt", "userId" LIMIT 1)`;
}

/** After members left or lost admin: keep an admin, tell live subscribers and the remaining members. */
async function afterMembersChanged(tx: Tx, outbox: Outbox, conversationId: string, removed: string[]): Promise<void> {
  await ensureAdmin(tx, conversationId);
  outbox.emit(streams.conversation(conversationId), MEMBERS_CHANGED, removed.length > 0 ? { removed } : {});
  emitConversationEvent(outbox, removed, { kind: 'REMOVED', conversationId });
  emitConversationEvent(outbox, await memberIds(tx, conversationId), { kind: 'UPDATED', conversationId });
}

/** Adds users to a group (admins only); users already in it are ignored. */
export async function addMembers(
  scope: RequestScope,
  input: { conversationId: string; userIds: readonly string[] },
): Promise<Conversation> {
  const me = requireViewer(scope);
  const { conversation } = await asGroupAdmin(scope, input.conversationId, 'input.conversationId');
  const users = await usersByIds(scope, input.userIds, 'input.userIds');
  return writeWithEvents(scope, async (tx, outbox) => {
    const current = new Set(await memberIds(tx, conversation.id));
    const added = users.filter((u) => !current.has(u.id)).map((u) => u.id);
    if (current.size + added.length > MAX_GROUP_MEMBERS)
      throw badInput('input.userIds', `A group has at most ${MAX_GROUP_MEMBERS} members`);
    if (added.length === 0) return conversation;
    await tx.conversationMember.createMany({ data: added.map((userId) => ({ conversationId: conversation.id, userId })) });
    outbox.emit(streams.conversation(conversation.id), MEMBERS_CHANGED, { added });
    emitConversationEvent(outbox, added, { kind: 'ADDED', conversationId: conversation.id });
    emitConversationEvent(outbox, current, { kind: 'UPDATED', conversationId: conversation.id });
    for (const userId of added) {
      await notify(tx, outbox, { recipientId: userId, kind: 'ADDED_TO_CONVERSATION', actorId: me.id, conversationId: conversation.id });
    }
    return conversation;
  });
}

/** Removes a member from a group (admins only). */
export async function removeMember(scope: RequestScope, input: { conversationId: string; userId: string }): Promise<Conversation> {
  const { conversation } = await asGroupAdmin(scope, input.conversationId, 'input.conversationId');
  const userId = expectGlobalId(input.userId, 'User', 'input.userId');
  return writeWithEvents(scope, async (tx, outbox) => {
    const removed = await tx.conversationMember.deleteMany({ where: { conversationId: conversation.id, userId } });
    if (removed.count === 0) throw notFound('Member', 'input.userId');
    await afterMembersChanged(tx, outbox, conversation.id, [userId]);
    return conversation;
  });
}

/** Grants or revokes a member's admin right (admins only); the group keeps at least one admin. */
export async function setAdmin(
  scope: RequestScope,
  input: { conversationId: string; userId: string; isAdmin: boolean },
): Promise<Conversation> {
  const { conversation } = await asGroupAdmin(scope, input.conversationId, 'input.conversationId');
  const userId = expectGlobalId(input.userId, 'User', 'input.userId');
  return writeWithEvents(scope, async (tx, outbox) => {
    const changed = await tx.conversationMember.updateMany({
      where: { conversationId: conversation.id, userId },
      data: { isAdmin: input.isAdmin },
    });
    if (changed.count === 0) throw notFound('Member', 'input.userId');
    await afterMembersChanged(tx, outbox, conversation.id, []);
    return conversation;
  });
}

/** The viewer leaves a group; returns its id. */
export async function leaveConversation(scope: RequestScope, globalId: string): Promise<string> {
  const me = requireViewer(scope);
  const { conversation, member } = await asMember(scope, globalId, 'input.conversationId');
  if (!canLeave(conversation, member)) throw badInput('input.conversationId', 'You cannot leave a direct conversation');
  await writeWithEvents(scope, async (tx, outbox) => {
    await tx.conversationMember.deleteMany({ where: { conversationId: conversation.id, userId: me.id } });
    await afterMembersChanged(tx, outbox, conversation.id, [me.id]);
  });
  return conversation.id;
}
