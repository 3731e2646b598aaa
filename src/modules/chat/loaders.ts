import DataLoader from 'dataloader';
import { Prisma, type Conversation, type ConversationMember, type Message } from '../../db/generated/client.ts';
import type { Db } from '../../db/prisma.ts';
import { sorts } from '../../lib/sorts.ts';
import { byIds, childPages, grouped, listsBy } from '../../db/batch-loaders.ts';

const NO_VIEWER = '00000000-0000-0000-0000-000000000000';

type Deps = { db: Db; viewerId: string | null };

/**
 * Chat loaders, as factories (createLoaders builds each on first use). They
 * read data; what the viewer may see is decided by policy.ts before they run
 * (a conversation's nested lists load only under a conversation the policy
 * let through) or on what they return (membership).
 */
export const chatLoaderFactories = {
  conversation: ({ db }: Deps) => byIds<Conversation>((ids) => db.conversation.findMany({ where: { id: { in: ids } } })),
  message: ({ db }: Deps) => byIds<Message>((ids) => db.message.findMany({ where: { id: { in: ids } } })),

  /** The viewer's membership per conversation id (null: not a member); policy.ts decides what it allows. */
  membership: ({ db, viewerId }: Deps) =>
    new DataLoader<string, ConversationMember | null>(async (ids) => {
      const rows = viewerId ? await db.conversationMember.findMany({ where: { userId: viewerId, conversationId: { in: [...ids] } } }) : [];
      const map = new Map(rows.map((r) => [r.conversationId, r]));
      return ids.map((id) => map.get(id) ?? null);
    }),

  conversationMembers: ({ db }: Deps) =>
    grouped(
      async (ids) => {
        const rows = await db.conversationMember.findMany({
          where: { conversationId: { in: ids } },
          orderBy: [{ isAdmin: 'desc' }, { joinedAt: 'asc' }, { userId: 'asc' }],
        });
        return listsBy(
          rows,
          (r) => r.conversationId,
          (r) => r,
        );
      },
      () => [] as ConversationMember[],
    ),

  /** Unread messages per conversation for the viewer: one grouped statement for any number of conversations. */
  unreadCount: ({ db, viewerId }: Deps) =>
    grouped(
      async (ids) => {
        const rows = await db.$queryRaw<{ conversationId: string; count: number }[]>`
      SELECT m."conversationId", count(*)::int AS count
      FROM "Message" m
      JOIN "ConversationMember" cm ON cm."conversationId" = m."conversationId" AND cm."userId" = ${viewerId ?? NO_VIEWER}::uuid
      WHERE m."conversationId" = ANY(${ids}::uuid[]) AND m.seq > cm."lastReadSeq"
        AND m."senderId" <> ${viewerId ?? NO_VIEWER}::uuid AND m."deletedAt" IS NULL
      GROUP BY 1`;
        return new Map(rows.map((r) => [r.conversationId, r.count]));
      },
      () => 0,
    ),

  lastMessage: ({ db }: Deps) =>
    grouped(
      async (ids) => {
        const rows = await db.$queryRaw<Message[]>`
      SELECT DISTINCT ON ("conversationId") * FROM "Message"
      WHERE "conversationId" = ANY(${ids}::uuid[]) ORDER BY "conversationId", seq DESC`;
        return new Map(rows.map((r) => [r.conversationId, r as Message | null]));
      },
      () => null as Message | null,
    ),

  conversationMessages: ({ db }: Deps) =>
    childPages<Message>(
      db,
      {
        select: Prisma.sql`m.*`,
        from: Prisma.sql`"Message" m`,
        parent: Prisma.sql`m."conversationId"`,
        sortKey: Prisma.sql`(lpad(m.seq::text, 10, '0') COLLATE "C")`,
        id: Prisma.sql`m.id`,
        sortKeyType: 'text',
      },
      sorts.messages,
    ),
};
