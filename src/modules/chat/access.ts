import type { Conversation, ConversationMember, Message, User } from '../../db/generated/client.ts';
import { badInput, forbidden, notFound } from '../../lib/errors.ts';
import { expectGlobalId } from '../../lib/global-id.ts';
import { requireViewer } from '../../auth/guards.ts';
import type { RequestScope } from '../scope.ts';
import { canAdministerGroup, canChangeMessage, canParticipate, canSeeMessage, hasAdministration } from './policy.ts';

// Guards the chat operations start with: each asks policy.ts and turns a
// refusal into the error the API documents.

interface MemberAccess {
  conversation: Conversation;
  member: ConversationMember;
}

/** The conversation if the viewer is a member; NOT_FOUND otherwise (non-members may not know it exists). */
export async function asMember(scope: RequestScope, globalId: string, field: string): Promise<MemberAccess> {
  requireViewer(scope);
  const id = expectGlobalId(globalId, 'Conversation', field);
  const [member, conversation] = await Promise.all([scope.loaders.membership.load(id), scope.loaders.conversation.load(id)]);
  if (!conversation || !canParticipate(member)) throw notFound('Conversation', field);
  return { conversation, member };
}

/** As asMember, and the viewer administers this group. */
export async function asGroupAdmin(scope: RequestScope, globalId: string, field: string): Promise<MemberAccess> {
  const found = await asMember(scope, globalId, field);
  if (!hasAdministration(found.conversation)) throw badInput(field, 'Direct conversations have no admins or member changes');
  if (!canAdministerGroup(found.conversation, found.member)) throw forbidden('Only an admin of this group may do this');
  return found;
}

/** A message the viewer sent, in a conversation they are still a member of. */
export async function asSender(scope: RequestScope, globalId: string, field: string): Promise<Message> {
  const me = requireViewer(scope);
  const message = await scope.loaders.message.load(expectGlobalId(globalId, 'Message', field));
  const member = message && (await scope.loaders.membership.load(message.conversationId));
  if (!message || !canSeeMessage(member ?? null)) throw notFound('Message', field);
  if (!canChangeMessage(me, message)) throw forbidden('Only the sender may change this message');
  return message;
}

/** A message of `conversationId` named by the client (reply target, read marker); NOT_FOUND if it is elsewhere. */
export async function messageIn(scope: RequestScope, conversationId: string, globalId: string, field: string): Promise<Message> {
  const message = await scope.loaders.message.load(expectGlobalId(globalId, 'Message', field));
  if (!message || message.conversationId !== conversationId) throw notFound('Message', field);
  return message;
}

/** Users by global id, deduplicated; NOT_FOUND names the first unknown one. */
export async function usersByIds(scope: RequestScope, globalIds: readonly string[], field: string): Promise<User[]> {
  const ids = globalIds.map((g, i) => expectGlobalId(g, 'User', `${field}.${i}`));
  const users = await scope.loaders.user.loadMany(ids);
  const found = users.map((u, i) => {
    if (!u || u instanceof Error) throw notFound('User', `${field}.${i}`);
    return u;
  });
  return [...new Map(found.map((u) => [u.id, u])).values()];
}
