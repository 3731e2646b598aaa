import type { Conversation, ConversationMember, Message, User } from '../../db/generated/client.ts';
import { isUniqueViolation } from '../../lib/db-errors.ts';
import { AppError, badInput, forbidden, InputChecker, notFound } from '../../lib/errors.ts';
import { expectGlobalId } from '../../lib/global-id.ts';
import { keysetWhere, parsePageArgs, readDirection, toConnection, type Connection, type PageArgs } from '../../lib/pagination.ts';
import { sorts } from '../../lib/sorts.ts';
import * as validate from '../../lib/validation.ts';
import { nextSeq, Outbox, streams, type Tx } from '../../events/outbox.ts';
import type { RequestScope } from '../scope.ts';
import { notify } from '../notifications/service.ts';
import { requireViewer } from '../../auth/guards.ts';

export const MAX_GROUP_MEMBERS = 256;
const MAX_BODY = 4_000;
const MENTION = /(?:^|[^a-z0-9_])@([a-z0-9_]{3,30})(?![a-z0-9_])/gi;

/** Event types on `conversation:<id>` streams. */
export const MessageEventType = { CREATED: 'MESSAGE_CREATED', EDITED: 'MESSAGE_EDITED', DELETED: 'MESSAGE_DELETED' } as const;
export const MEMBERS_CHANGED = 'MEMBERS_CHANGED';
/** Event type on `user:<id>` streams for `conversationEvents`; data.kind is the GraphQL kind. */
export const CONVERSATION_EVENT = 'CONVERSATION';

export function mentionedUsernames(body: string): string[] {
  return [...new Set([...body.matchAll(MENTION)].map((m) => m[1]!.toLowerCase()))];
}

export function createChatService(scope: RequestScope) {
  const { db, loaders, realtime } = scope;

  /** The conversation if the viewer is a member; NOT_FOUND otherwise (non-members may not know it exists). */
  async function asMember(globalId: string, field: string): Promise<{ conversation: Conversation; member: ConversationMember }> {
    requireViewer(scope);
    const id = expectGlobalId(globalId, 'Conversation', field);
    const [member, conversation] = await Promise.all([loaders.membership.load(id), loaders.conversation.load(id)]);
    if (!member || !conversation) throw notFound('Conversation', field);
    return { conversation, member };
  }

  async function asGroupAdmin(globalId: string, field: string) {
    const found = await asMember(globalId, field);
    if (found.conversation.kind !== 'GROUP') throw badInput(field, 'Direct conversations have no admins or member changes');
    if (!found.member.isAdmin) throw forbidden('Only an admin of this group may do this');
    return found;
  }

  async function usersByIds(globalIds: readonly string[], field: string): Promise<User[]> {
    const ids = globalIds.map((g, i) => expectGlobalId(g, 'User', `${field}.${i}`));
    const users = await loaders.user.loadMany(ids);
    users.forEach((u, i) => {
      if (!u || u instanceof Error) throw notFound('User', `${field}.${i}`);
    });
    return [...new Map((users as User[]).map((u) => [u.id, u])).values()];
  }

  /** Runs `work` in a transaction with an outbox, then dispatches its events. */
  async function write<T>(work: (tx: Tx, outbox: Outbox) => Promise<T>): Promise<T> {
    const result = await db.$transaction(async (tx) => {
      const outbox = new Outbox();
      const value = await work(tx, outbox);
      await outbox.flush(tx);
      return value;
    });
    realtime.kick();
    return result;
  }

  function conversationEvent(outbox: Outbox, userIds: Iterable<string>, kind: 'ADDED' | 'REMOVED' | 'UPDATED' | 'NEW_MESSAGE', conversationId: string, extra: Record<string, unknown> = {}) {
    for (const userId of userIds) outbox.emit(streams.user(userId), CONVERSATION_EVENT, { kind, conversationId, ...extra });
  }

  async function memberIds(tx: Tx, conversationId: string): Promise<string[]> {
    const rows = await tx.conversationMember.findMany({ where: { conversationId }, select: { userId: true } });
    return rows.map((r) => r.userId);
  }

  async function ownMessage(globalId: string, field: string): Promise<Message> {
    const me = requireViewer(scope);
    const message = await loaders.message.load(expectGlobalId(globalId, 'Message', field));
    const member = message && (await loaders.membership.load(message.conversationId));
    if (!message || !member) throw notFound('Message', field);
    if (message.senderId !== me.id) throw forbidden('Only the sender may change this message');
    return message;
  }

  return {
    asMember,

    /** True when the viewer is (still) a member; reads fresh data, no loader cache. */
    async isMember(conversationId: string): Promise<boolean> {
      if (!scope.viewer) return false;
      const row = await db.conversationMember.findUnique({
        where: { conversationId_userId: { conversationId, userId: scope.viewer.id } },
        select: { userId: true },
      });
      return row !== null;
    },

    async byId(globalId: string): Promise<Conversation | null> {
      try {
        return (await asMember(globalId, 'id')).conversation;
      } catch (error) {
        if (error instanceof AppError && ['NOT_FOUND', 'UNAUTHENTICATED'].includes(String(error.extensions.code))) return null;
        throw error;
      }
    },

    async messageById(globalId: string): Promise<Message | null> {
      if (!scope.viewer) return null;
      const message = await loaders.message.load(expectGlobalId(globalId, 'Message', 'id'));
      return message && (await loaders.membership.load(message.conversationId)) ? message : null;
    },

    async list(args: PageArgs): Promise<Connection<Conversation>> {
      const me = requireViewer(scope);
      const page = parsePageArgs(args, sorts.conversations);
      const read = readDirection(sorts.conversations, page);
      const where = { members: { some: { userId: me.id } } };
      const rows = await db.conversation.findMany({
        where: { AND: [where, keysetWhere('lastActivityAt', 'id', page.cursor, read)] },
        orderBy: [{ lastActivityAt: read }, { id: read }],
        take: page.limit + 1,
      });
      for (const c of rows) loaders.conversation.prime(c.id, c);
      return toConnection(rows, page, sorts.conversations, (c) => ({ key: c.lastActivityAt, id: c.id }), () =>
        db.conversation.count({ where }),
      );
    },

    messages(conversationId: string, args: PageArgs): Promise<Connection<Message>> {
      return loaders.conversationMessages.load({ parentId: conversationId, page: parsePageArgs(args, sorts.messages) });
    },

    async createDirect(userGlobalId: string): Promise<Conversation> {
      const me = requireViewer(scope);
      const otherId = expectGlobalId(userGlobalId, 'User', 'input.userId');
      if (otherId === me.id) throw badInput('input.userId', 'A direct conversation needs another user');
      if (!(await loaders.user.load(otherId))) throw notFound('User', 'input.userId');
      const directKey = [me.id, otherId].sort().join(':');
      const existing = await db.conversation.findUnique({ where: { directKey } });
      if (existing) return existing;
      try {
        return await write(async (tx, outbox) => {
          const conversation = await tx.conversation.create({
            data: {
              kind: 'DIRECT',
              directKey,
              createdById: me.id,
              members: { create: [{ userId: me.id }, { userId: otherId }] },
            },
          });
          conversationEvent(outbox, [me.id, otherId], 'ADDED', conversation.id);
          return conversation;
        });
      } catch (error) {
        // Both users opened it at once: the other transaction won, same result.
        if (isUniqueViolation(error)) return (await db.conversation.findUnique({ where: { directKey } }))!;
        throw error;
      }
    },

    async createGroup(input: { title: string; memberIds: readonly string[] }): Promise<Conversation> {
      const me = requireViewer(scope);
      const checker = new InputChecker();
      const title = validate.text(checker, 'input.title', input.title, 1, 100);
      checker.check(input.memberIds.length < MAX_GROUP_MEMBERS, 'input.memberIds', `At most ${MAX_GROUP_MEMBERS - 1} members besides you`);
      checker.throwIfAny();
      const others = (await usersByIds(input.memberIds, 'input.memberIds')).filter((u) => u.id !== me.id);
      return write(async (tx, outbox) => {
        const conversation = await tx.conversation.create({
          data: {
            kind: 'GROUP',
            title,
            createdById: me.id,
            members: { create: [{ userId: me.id, isAdmin: true }, ...others.map((u) => ({ userId: u.id }))] },
          },
        });
        conversationEvent(outbox, [me.id, ...others.map((u) => u.id)], 'ADDED', conversation.id);
        for (const u of others) {
          await notify(tx, outbox, { recipientId: u.id, kind: 'ADDED_TO_CONVERSATION', actorId: me.id, conversationId: conversation.id });
        }
        return conversation;
      });
    },

    async update(input: { conversationId: string; title: string }): Promise<Conversation> {
      const checker = new InputChecker();
      const title = validate.text(checker, 'input.title', input.title, 1, 100);
      checker.throwIfAny();
      const { conversation } = await asGroupAdmin(input.conversationId, 'input.conversationId');
      return write(async (tx, outbox) => {
        const updated = await tx.conversation.update({ where: { id: conversation.id }, data: { title } });
        outbox.emit(streams.conversation(conversation.id), MEMBERS_CHANGED, {});
        conversationEvent(outbox, await memberIds(tx, conversation.id), 'UPDATED', conversation.id);
        return updated;
      });
    },

    async addMembers(input: { conversationId: string; userIds: readonly string[] }): Promise<Conversation> {
      const me = requireViewer(scope);
      const { conversation } = await asGroupAdmin(input.conversationId, 'input.conversationId');
      const users = await usersByIds(input.userIds, 'input.userIds');
      return write(async (tx, outbox) => {
        const current = new Set(await memberIds(tx, conversation.id));
        const added = users.filter((u) => !current.has(u.id)).map((u) => u.id);
        if (current.size + added.length > MAX_GROUP_MEMBERS) throw badInput('input.userIds', `A group has at most ${MAX_GROUP_MEMBERS} members`);
        if (added.length === 0) return conversation;
        await tx.conversationMember.createMany({ data: added.map((userId) => ({ conversationId: conversation.id, userId })) });
        outbox.emit(streams.conversation(conversation.id), MEMBERS_CHANGED, { added });
        conversationEvent(outbox, added, 'ADDED', conversation.id);
        conversationEvent(outbox, current, 'UPDATED', conversation.id);
        for (const userId of added) {
          await notify(tx, outbox, { recipientId: userId, kind: 'ADDED_TO_CONVERSATION', actorId: me.id, conversationId: conversation.id });
        }
        return conversation;
      });
    },

    async removeMember(input: { conversationId: string; userId: string }): Promise<Conversation> {
      const { conversation } = await asGroupAdmin(input.conversationId, 'input.conversationId');
      const userId = expectGlobalId(input.userId, 'User', 'input.userId');
      return write(async (tx, outbox) => {
        const removed = await tx.conversationMember.deleteMany({ where: { conversationId: conversation.id, userId } });
        if (removed.count === 0) throw notFound('Member', 'input.userId');
        await ensureAdmin(tx, conversation.id);
        outbox.emit(streams.conversation(conversation.id), MEMBERS_CHANGED, { removed: [userId] });
        conversationEvent(outbox, [userId], 'REMOVED', conversation.id);
        conversationEvent(outbox, await memberIds(tx, conversation.id), 'UPDATED', conversation.id);
        return conversation;
      });
    },

    async setAdmin(input: { conversationId: string; userId: string; isAdmin: boolean }): Promise<Conversation> {
      const { conversation } = await asGroupAdmin(input.conversationId, 'input.conversationId');
      const userId = expectGlobalId(input.userId, 'User', 'input.userId');
      return write(async (tx, outbox) => {
        const changed = await tx.conversationMember.updateMany({ where: { conversationId: conversation.id, userId }, data: { isAdmin: input.isAdmin } });
        if (changed.count === 0) throw notFound('Member', 'input.userId');
        await ensureAdmin(tx, conversation.id);
        outbox.emit(streams.conversation(conversation.id), MEMBERS_CHANGED, {});
        conversationEvent(outbox, await memberIds(tx, conversation.id), 'UPDATED', conversation.id);
        return conversation;
      });
    },

    async leave(globalId: string): Promise<string> {
      const me = requireViewer(scope);
      const { conversation } = await asMember(globalId, 'input.conversationId');
      if (conversation.kind !== 'GROUP') throw badInput('input.conversationId', 'You cannot leave a direct conversation');
      await write(async (tx, outbox) => {
        await tx.conversationMember.deleteMany({ where: { conversationId: conversation.id, userId: me.id } });
        await ensureAdmin(tx, conversation.id);
        outbox.emit(streams.conversation(conversation.id), MEMBERS_CHANGED, { removed: [me.id] });
        conversationEvent(outbox, [me.id], 'REMOVED', conversation.id);
        conversationEvent(outbox, await memberIds(tx, conversation.id), 'UPDATED', conversation.id);
      });
      return conversation.id;
    },

    async send(input: { conversationId: string; body: string; replyToId?: string | null; idempotencyKey: string }): Promise<Message> {
      const me = requireViewer(scope);
      const checker = new InputChecker();
      const body = validate.text(checker, 'input.body', input.body, 1, MAX_BODY);
      checker.check(input.idempotencyKey.length >= 1 && input.idempotencyKey.length <= 100, 'input.idempotencyKey', 'Must be 1 to 100 characters');
      checker.throwIfAny();
      const { conversation } = await asMember(input.conversationId, 'input.conversationId');
      let replyToId: string | null = null;
      if (input.replyToId != null) {
        const replyTo = await loaders.message.load(expectGlobalId(input.replyToId, 'Message', 'input.replyToId'));
        if (!replyTo || replyTo.conversationId !== conversation.id) throw notFound('Message', 'input.replyToId');
        replyToId = replyTo.id;
      }
      const key = input.idempotencyKey;
      const replay = async (): Promise<Message | null> => {
        const existing = await db.message.findUnique({ where: { senderId_idempotencyKey: { senderId: me.id, idempotencyKey: key } } });
        if (!existing) return null;
        // After an edit or delete the original body is gone: only the target is compared then.
        const bodyKnown = existing.editedAt === null && existing.deletedAt === null;
        if (existing.conversationId !== conversation.id || existing.replyToId !== replyToId || (bodyKnown && existing.body !== body)) {
          throw new AppError('IDEMPOTENCY_KEY_REUSED', 'This idempotency key was already used for a different message', {
            field: 'input.idempotencyKey',
          });
        }
        return existing;
      };
      const earlier = await replay();
      if (earlier) return earlier;
      try {
        return await write(async (tx, outbox) => {
          const stream = streams.conversation(conversation.id);
          const seq = await nextSeq(tx, stream);
          const message = await tx.message.create({
            data: { conversationId: conversation.id, seq, senderId: me.id, body, replyToId, idempotencyKey: key },
          });
          await tx.conversation.update({ where: { id: conversation.id }, data: { lastActivityAt: message.createdAt } });
          outbox.emit(stream, MessageEventType.CREATED, { messageId: message.id }, seq);
          const members = await memberIds(tx, conversation.id);
          conversationEvent(outbox, members, 'NEW_MESSAGE', conversation.id, { messageId: message.id });
          const usernames = mentionedUsernames(body);
          if (usernames.length > 0) {
            const mentioned = await tx.user.findMany({ where: { username: { in: usernames }, id: { in: members } }, select: { id: true } });
            for (const u of mentioned) {
              await notify(tx, outbox, { recipientId: u.id, kind: 'MENTION', actorId: me.id, conversationId: conversation.id, messageId: message.id });
            }
          }
          return message;
        });
      } catch (error) {
        // A concurrent retry with the same key won the race.
        if (isUniqueViolation(error)) {
          const winner = await replay();
          if (winner) return winner;
        }
        throw error;
      }
    },

    async edit(input: { messageId: string; body: string }): Promise<Message> {
      const checker = new InputChecker();
      const body = validate.text(checker, 'input.body', input.body, 1, MAX_BODY);
      checker.throwIfAny();
      const message = await ownMessage(input.messageId, 'input.messageId');
      if (message.deletedAt) throw badInput('input.messageId', 'Deleted messages cannot be edited');
      return write(async (tx, outbox) => {
        const updated = await tx.message.update({ where: { id: message.id }, data: { body, editedAt: new Date() } });
        outbox.emit(streams.conversation(message.conversationId), MessageEventType.EDITED, { messageId: message.id });
        return updated;
      });
    },

    async remove(globalId: string): Promise<Message> {
      const message = await ownMessage(globalId, 'input.messageId');
      if (message.deletedAt) return message;
      return write(async (tx, outbox) => {
        const updated = await tx.message.update({ where: { id: message.id }, data: { body: '', deletedAt: new Date() } });
        outbox.emit(streams.conversation(message.conversationId), MessageEventType.DELETED, { messageId: message.id });
        return updated;
      });
    },

    async markRead(input: { conversationId: string; upTo?: string | null }): Promise<Conversation> {
      const me = requireViewer(scope);
      const { conversation } = await asMember(input.conversationId, 'input.conversationId');
      let seq: number;
      if (input.upTo != null) {
        const message = await loaders.message.load(expectGlobalId(input.upTo, 'Message', 'input.upTo'));
        if (!message || message.conversationId !== conversation.id) throw notFound('Message', 'input.upTo');
        seq = message.seq;
      } else {
        const latest = await db.message.aggregate({ where: { conversationId: conversation.id }, _max: { seq: true } });
        seq = latest._max.seq ?? 0;
      }
      await db.$executeRaw`
        UPDATE "ConversationMember" SET "lastReadSeq" = GREATEST("lastReadSeq", ${seq})
        WHERE "conversationId" = ${conversation.id}::uuid AND "userId" = ${me.id}::uuid`;
      loaders.membership.clear(conversation.id);
      loaders.unreadCount.clear(conversation.id);
      loaders.conversationMembers.clear(conversation.id);
      return conversation;
    },
  };
}

/** A group always keeps an admin while it has members: the longest-standing member takes over. */
async function ensureAdmin(tx: Tx, conversationId: string): Promise<void> {
  await tx.$executeRaw`
    UPDATE "ConversationMember" SET "isAdmin" = true
    WHERE "conversationId" = ${conversationId}::uuid
      AND NOT EXISTS (SELECT 1 FROM "ConversationMember" WHERE "conversationId" = ${conversationId}::uuid AND "isAdmin")
      AND "userId" = (SELECT "userId" FROM "ConversationMember" WHERE "conversationId" = ${conversationId}::uuid ORDER BY "joinedAt", "userId" LIMIT 1)`;
}
