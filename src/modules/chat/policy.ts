import type { Conversation, ConversationMember, Message, Prisma } from '../../db/generated/client.ts';
import type { Db } from '../../db/prisma.ts';
import type { Viewer } from '../../auth/viewer.ts';

// Every chat rule: who may see a conversation or message, who may send,
// edit or delete, and who may administer a group. Non-members are told
// NOT_FOUND (they may not learn a conversation exists); members who lack a
// right are told FORBIDDEN or BAD_USER_INPUT by the caller.

/** The viewer's membership row of a conversation (the membership loader), or null. */
export type Membership = ConversationMember | null;

/** A conversation is visible to its members only. */
export function canSeeConversation(membership: Membership): membership is ConversationMember {
  return membership !== null;
}

/** A message is visible to the members of its conversation (tombstones included). */
export function canSeeMessage(membershipOfItsConversation: Membership): boolean {
  return canSeeConversation(membershipOfItsConversation);
}

/** Any member may send messages, mark read, type and follow its events. */
export function canParticipate(membership: Membership): membership is ConversationMember {
  return canSeeConversation(membership);
}

/** Only the sender may edit or delete a message. */
export function canChangeMessage(viewer: Pick<Viewer, 'id'> | null, message: Pick<Message, 'senderId'>): boolean {
  return viewer !== null && message.senderId === viewer.id;
}

/** A deleted message (tombstone) is never edited again. */
export function canEditMessageBody(message: Pick<Message, 'deletedAt'>): boolean {
  return message.deletedAt === null;
}

/** Only groups have a title, admins and member changes; direct conversations are fixed. */
export function hasAdministration(conversation: Pick<Conversation, 'kind'>): boolean {
  return conversation.kind === 'GROUP';
}

/** Renaming a group and changing its members or admins is for its admins. */
export function canAdministerGroup(conversation: Pick<Conversation, 'kind'>, membership: Membership): boolean {
  return hasAdministration(conversation) && membership?.isAdmin === true;
}

/** Members may leave groups; a direct conversation cannot be left. */
export function canLeave(conversation: Pick<Conversation, 'kind'>, membership: Membership): boolean {
  return hasAdministration(conversation) && membership !== null;
}

/** A direct conversation needs another user than the viewer. */
export function canStartDirectWith(viewer: Pick<Viewer, 'id'>, otherUserId: string): boolean {
  return viewer.id !== otherUserId;
}

/** SQL twin of canSeeConversation for lists: the conversations the viewer is a member of. */
export function conversationsVisibleWhere(viewer: Pick<Viewer, 'id'>): Prisma.ConversationWhereInput {
  return { members: { some: { userId: viewer.id } } };
}

/**
 * canSeeConversation with fresh data (no loader cache): live subscriptions
 * ask before every event whether the viewer is still a member.
 */
export async function isMemberNow(db: Db, viewer: Pick<Viewer, 'id'> | null, conversationId: string): Promise<boolean> {
  if (!viewer) return false;
  const row = await db.conversationMember.findUnique({ where: { conversationId_userId: { conversationId, userId: viewer.id } } });
  return canSeeConversation(row);
}

/**
 * The conversation's members now, by user id: one read a live event shares
 * among all its subscribers, each then asking canSeeConversation of their
 * own row in JS (isMemberNow's answer for every viewer at once).
 */
export async function membersNow(db: Db, conversationId: string): Promise<ReadonlyMap<string, ConversationMember>> {
  const rows = await db.conversationMember.findMany({ where: { conversationId } });
  return new Map(rows.map((row) => [row.userId, row]));
}
