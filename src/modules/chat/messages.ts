import type { Conversation, Message } from '../../db/generated/client.ts';
import { isUniqueViolation } from '../../lib/db-errors.ts';
import { AppError, badInput, InputChecker } from '../../lib/errors.ts';
import { expectGlobalId } from '../../lib/global-id.ts';
import { parsePageArgs, type Connection, type PageArgs } from '../../lib/pagination.ts';
import { sorts } from '../../lib/sorts.ts';
import * as validate from '../../lib/validation.ts';
import { nextSeq, streams, type Outbox, type Tx } from '../../events/outbox.ts';
import { requireViewer } from '../../auth/guards.ts';
import type { RequestScope } from '../scope.ts';
import { notify } from '../notifications/service.ts';
import { asMember, asSender, messageIn } from './access.ts';
import { emitConversationEvent, emitMessageEvent } from './events.ts';
import { canEditMessageBody, canSeeMessage } from './policy.ts';
import { memberIds, writeWithEvents } from './write.ts';

const MAX_BODY = 4_000;
// Runs over a body already checked to be at most MAX_BODY characters; linear:
// no nested quantifier, and each '@' is followed by at most 31 characters.
const MENTION = /(?:^|[^a-z0-9_])@([a-z0-9_]{3,30})(?![a-z0-9_])/gi;

function mentionedUsernames(body: string): string[] {
  return [...new Set([...body.matchAll(MENTION)].map((m) => m[1]!.toLowerCase()))];
}

export interface SendInput {
  conversationId: string;
  body: string;
  replyToId?: string | null;
  idempotencyKey: string;
}

/** A new message as checked before writing. */
interface Draft {
  senderId: string;
  conversation: Conversation;
  body: string;
  replyToId: string | null;
  idempotencyKey: string;
}

/** The message if the viewer may see it; null otherwise. */
export async function messageById(scope: RequestScope, globalId: string): Promise<Message | null> {
  if (!scope.viewer) return null;
  const message = await scope.loaders.message.load(expectGlobalId(globalId, 'Message', 'id'));
  return message && canSeeMessage(await scope.loaders.membership.load(message.conversationId)) ? message : null;
}

/** A page of a conversation's messages (the caller resolved the conversation, so the viewer is a member). */
export function messagesOf(scope: RequestScope, conversationId: string, args: PageArgs): Promise<Connection<Message>> {
  return scope.loaders.conversationMessages.load({ parentId: conversationId, page: parsePageArgs(args, sorts.messages) });
}

async function readDraft(scope: RequestScope, input: SendInput): Promise<Draft> {
  const me = requireViewer(scope);
  const checker = new InputChecker();
  const body = validate.text(checker, 'input.body', input.body, 1, MAX_BODY);
  checker.check(
    input.idempotencyKey.length >= 1 && input.idempotencyKey.length <= 100,
    'input.idempotencyKey',
    'Must be 1 to 100 characters',
  );
  checker.throwIfAny();
  const { conversation } = await asMember(scope, input.conversationId, 'input.conversationId');
  const replyToId = input.replyToId == null ? null : (await messageIn(scope, conversation.id, input.replyToId, 'input.replyToId')).id;
  return { senderId: me.id, conversation, body, replyToId, idempotencyKey: input.idempotencyKey };
}

/** The message an earlier send with the same idempotency key created; IDEMPOTENCY_KEY_REUSED if it was a different one. */
async function earlierSend(scope: RequestScope, draft: Draft): Promise<Message | null> {
  const existing = await scope.db.message.findUnique({
    where: { senderId_idempotencyKey: { senderId: draft.senderId, idempotencyKey: draft.idempotencyKey } },
  });
  if (!existing) return null;
  // After an edit or delete the original body is gone: only the target is compared then.
  const bodyKnown = existing.editedAt === null && existing.deletedAt === null;
  if (
    existing.conversationId !== draft.conversation.id ||
    existing.replyToId !== draft.replyToId ||
    (bodyKnown && existing.body !== draft.body)
  ) {
    throw new AppError('IDEMPOTENCY_KEY_REUSED', 'This idempotency key was already used for a different message', {
      field: 'input.idempotencyKey',
    });
  }
  return existing;
}

/** Notifies the members a message mentions as @username. */
async function notifyMentions(tx: Tx, outbox: Outbox, message: Message, members: string[]): Promise<void> {
  const usernames = mentionedUsernames(message.body);
  if (usernames.length === 0) return;
  const mentioned = await tx.user.findMany({ where: { username: { in: usernames }, id: { in: members } }, select: { id: true } });
  for (const u of mentioned) {
    const ids = { conversationId: message.conversationId, messageId: message.id };
    await notify(tx, outbox, { recipientId: u.id, kind: 'MENTION', actorId: message.senderId, ...ids });
  }
}

async function insertMessage(scope: RequestScope, draft: Draft): Promise<Message> {
  const { conversation, senderId, body, replyToId, idempotencyKey } = draft;
  return writeWithEvents(scope, async (tx, outbox) => {
    const seq = await nextSeq(tx, streams.conversation(conversation.id));
    const message = await tx.message.create({ data: { conversationId: conversation.id, seq, senderId, body, replyToId, idempotencyKey } });
    await tx.conversation.update({ where: { id: conversation.id }, data: { lastActivityAt: message.createdAt } });
    emitMessageEvent(outbox, conversation.id, 'CREATED', message.id, seq);
    const members = await memberIds(tx, conversation.id);
    emitConversationEvent(outbox, members, { kind: 'NEW_MESSAGE', conversationId: conversation.id, messageId: message.id });
    await notifyMentions(tx, outbox, message, members);
    return message;
  });
}

/** Sends a message, exactly once per idempotency key. */
export async function sendMessage(scope: RequestScope, input: SendInput): Promise<Message> {
  const draft = await readDraft(scope, input);
  const earlier = await earlierSend(scope, draft);
  if (earlier) return earlier;
  try {
    return await insertMessage(scope, draft);
  } catch (error) {
    // A concurrent retry with the same key won the race.
    if (isUniqueViolation(error)) {
      const winner = await earlierSend(scope, draft);
      if (winner) return winner;
    }
    throw error;
  }
}

/** The sender edits their message. */
export async function editMessage(scope: RequestScope, input: { messageId: string; body: string }): Promise<Message> {
  const checker = new InputChecker();
  const body = validate.text(checker, 'input.body', input.body, 1, MAX_BODY);
  checker.throwIfAny();
  const message = await asSender(scope, input.messageId, 'input.messageId');
  if (!canEditMessageBody(message)) throw badInput('input.messageId', 'Deleted messages cannot be edited');
  return writeWithEvents(scope, async (tx, outbox) => {
    const updated = await tx.message.update({ where: { id: message.id }, data: { body, editedAt: new Date() } });
    emitMessageEvent(outbox, message.conversationId, 'EDITED', message.id);
    return updated;
  });
}

/** The sender deletes their message: it stays as a tombstone. */
export async function deleteMessage(scope: RequestScope, globalId: string): Promise<Message> {
  const message = await asSender(scope, globalId, 'input.messageId');
  if (message.deletedAt) return message;
  return writeWithEvents(scope, async (tx, outbox) => {
    const updated = await tx.message.update({ where: { id: message.id }, data: { body: '', deletedAt: new Date() } });
    emitMessageEvent(outbox, message.conversationId, 'DELETED', message.id);
    return updated;
  });
}

/** Moves the viewer's read marker forward (to `upTo`, or the latest message). */
export async function markConversationRead(
  scope: RequestScope,
  input: { conversationId: string; upTo?: string | null },
): Promise<Conversation> {
  const { db, loaders } = scope;
  const me = requireViewer(scope);
  const { conversation } = await asMember(scope, input.conversationId, 'input.conversationId');
  const seq =
    input.upTo != null
      ? (await messageIn(scope, conversation.id, input.upTo, 'input.upTo')).seq
      : ((await db.message.aggregate({ where: { conversationId: conversation.id }, _max: { seq: true } }))._max.seq ?? 0);
  await db.$executeRaw`
    UPDATE "ConversationMember" SET "lastReadSeq" = GREATEST("lastReadSeq", ${seq})
    WHERE "conversationId" = ${conversation.id}::uuid AND "userId" = ${me.id}::uuid`;
  loaders.membership.clear(conversation.id);
  loaders.unreadCount.clear(conversation.id);
  loaders.conversationMembers.clear(conversation.id);
  return conversation;
}
