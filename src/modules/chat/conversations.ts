import type { Conversation, Prisma } from '../../db/generated/client.ts';
import { isUniqueViolation } from '../../lib/db-errors.ts';
import { AppError, badInput, InputChecker, notFound } from '../../lib/errors.ts';
import { expectGlobalId } from '../../lib/global-id.ts';
import { keysetPage, type Connection, type PageArgs } from '../../lib/pagination.ts';
import { sorts } from '../../lib/sorts.ts';
import * as validate from '../../lib/validation.ts';
import { streams } from '../../events/outbox.ts';
import { requireViewer } from '../../auth/guards.ts';
import type { RequestScope } from '../scope.ts';
import { notify } from '../notifications/service.ts';
import { asGroupAdmin, asMember, usersByIds } from './access.ts';
import { emitConversationEvent, MEMBERS_CHANGED } from './events.ts';
import { canStartDirectWith, conversationsVisibleWhere } from './policy.ts';
import { memberIds, writeWithEvents } from './write.ts';

export const MAX_GROUP_MEMBERS = 256;

/** The conversation if the viewer may see it; null otherwise (or when signed out). */
export async function conversationById(scope: RequestScope, globalId: string): Promise<Conversation | null> {
  try {
    return (await asMember(scope, globalId, 'id')).conversation;
  } catch (error) {
    if (error instanceof AppError && ['NOT_FOUND', 'UNAUTHENTICATED'].includes(String(error.extensions.code))) return null;
    throw error;
  }
}

/** The viewer's conversations, most recently active first. */
export async function listConversations(scope: RequestScope, args: PageArgs): Promise<Connection<Conversation>> {
  const { db, loaders } = scope;
  const where = conversationsVisibleWhere(requireViewer(scope));
  return keysetPage<Conversation>({
    args,
    sort: sorts.conversations,
    sortField: 'lastActivityAt',
    where,
    find: (q) => db.conversation.findMany(q as Prisma.ConversationFindManyArgs),
    count: () => db.conversation.count({ where }),
    prime: (c) => loaders.conversation.prime(c.id, c),
  });
}

/** The one direct conversation of the viewer and another user, created on first use. */
export async function createDirectConversation(scope: RequestScope, userGlobalId: string): Promise<Conversation> {
  const me = requireViewer(scope);
  const otherId = expectGlobalId(userGlobalId, 'User', 'input.userId');
  if (!canStartDirectWith(me, otherId)) throw badInput('input.userId', 'A direct conversation needs another user');
  if (!(await scope.loaders.user.load(otherId))) throw notFound('User', 'input.userId');
  const directKey = [me.id, otherId].sort().join(':');
  const existing = await scope.db.conversation.findUnique({ where: { directKey } });
  if (existing) return existing;
  try {
    return await writeWithEvents(scope, async (tx, outbox) => {
      const conversation = await tx.conversation.create({
        data: { kind: 'DIRECT', directKey, createdById: me.id, members: { create: [{ userId: me.id }, { userId: otherId }] } },
      });
      emitConversationEvent(outbox, [me.id, otherId], { kind: 'ADDED', conversationId: conversation.id });
      return conversation;
    });
  } catch (error) {
    // Both users opened it at once: the other transaction won, same result.
    if (isUniqueViolation(error)) return (await scope.db.conversation.findUnique({ where: { directKey } }))!;
    throw error;
  }
}

/** A group with the viewer as its first admin. */
export async function createGroupConversation(
  scope: RequestScope,
  input: { title: string; memberIds: readonly string[] },
): Promise<Conversation> {
  const me = requireViewer(scope);
  const checker = new InputChecker();
  const title = validate.text(checker, 'input.title', input.title, 1, 100);
  checker.check(input.memberIds.length < MAX_GROUP_MEMBERS, 'input.memberIds', `At most ${MAX_GROUP_MEMBERS - 1} members besides you`);
  checker.throwIfAny();
  const others = (await usersByIds(scope, input.memberIds, 'input.memberIds')).filter((u) => u.id !== me.id);
  return writeWithEvents(scope, async (tx, outbox) => {
    const conversation = await tx.conversation.create({
      data: {
        kind: 'GROUP',
        title,
        createdById: me.id,
        members: { create: [{ userId: me.id, isAdmin: true }, ...others.map((u) => ({ userId: u.id }))] },
      },
    });
    emitConversationEvent(outbox, [me.id, ...others.map((u) => u.id)], { kind: 'ADDED', conversationId: conversation.id });
    for (const u of others) {
      await notify(tx, outbox, { recipientId: u.id, kind: 'ADDED_TO_CONVERSATION', actorId: me.id, conversationId: conversation.id });
    }
    return conversation;
  });
}

/** Renames a group (admins only). */
export async function renameGroup(scope: RequestScope, input: { conversationId: string; title: string }): Promise<Conversation> {
  const checker = new InputChecker();
  const title = validate.text(checker, 'input.title', input.title, 1, 100);
  checker.throwIfAny();
  const { conversation } = await asGroupAdmin(scope, input.conversationId, 'input.conversationId');
  return writeWithEvents(scope, async (tx, outbox) => {
    const updated = await tx.conversation.update({ where: { id: conversation.id }, data: { title } });
    outbox.emit(streams.conversation(conversation.id), MEMBERS_CHANGED, {});
    emitConversationEvent(outbox, await memberIds(tx, conversation.id), { kind: 'UPDATED', conversationId: conversation.id });
    return updated;
  });
}
