import { randomUUID } from 'node:crypto';
import { hashPassword } from '../auth/passwords.ts';
import { streams } from '../events/outbox.ts';
import type { Logger } from '../lib/logger.ts';
import type { Db } from './prisma.ts';

export const DEMO_LOGIN = { username: 'alice', password: 'agora-demo' };

const FIRST_NAMES = [
  'Alice',
  'Bruno',
  'Chen',
  'Dana',
  'Emeka',
  'Freya',
  'Goran',
  'Hana',
  'Ines',
  'Jonas',
  'Kofi',
  'Lena',
  'Mateo',
  'Nadia',
  'Omar',
  'Priya',
  'Quinn',
  'Rosa',
  'Sami',
  'Tove',
  'Uma',
  'Viktor',
  'Wren',
  'Ximena',
  'Yusuf',
  'Zoe',
  'Aiko',
  'Bilal',
  'Carmen',
  'Dmitri',
  'Elif',
  'Farid',
  'Gia',
  'Hugo',
  'Ivy',
  'Jae',
  'Kira',
  'Luca',
  'Maya',
  'Nico',
];
const LAST_NAMES = [
  'Moreau',
  'Silva',
  'Wang',
  'Okafor',
  'Larsen',
  'Novak',
  'Ito',
  'Costa',
  'Berg',
  'Mensah',
  'Fischer',
  'Garcia',
  'Haddad',
  'Patel',
  'Kim',
  'Rossi',
];
const TOPICS = [
  'typescript',
  'graphql',
  'postgres',
  'design',
  'gardening',
  'cycling',
  'cooking',
  'music',
  'books',
  'travel',
  'photography',
  'climbing',
];
const WORDS =
  'the a of to and in is it you that he was for on are with as his they be at one have this from or had by hot word but what some we can out other were all there when up use your how said an each she which do their time if will way about many then them write would like so these her long make thing see him two has look more day could go come did number sound no most people my over know water than call first who may down side been now find'.split(
    ' ',
  );

/** A small deterministic PRNG, so every fresh demo database looks the same. */
function mulberry32(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface SeedSize {
  users: number;
  posts: number;
  comments: number;
}

/** Seeds demo users, posts, tags, comments, reactions and follows. */
export async function seedDemoData(db: Db, logger: Logger, size: SeedSize = { users: 40, posts: 400, comments: 1600 }): Promise<void> {
  const draw = demoRandom(42);
  const { random, pick, sentence, daysAgo } = draw;

  // One hash for all demo accounts: hashing is deliberately slow.
  const passwordHash = await hashPassword(DEMO_LOGIN.password);
  const users = Array.from({ length: size.users }, (_, i) => {
    const first = i === 0 ? 'Alice' : FIRST_NAMES[i % FIRST_NAMES.length]!;
    const last = LAST_NAMES[i % LAST_NAMES.length]!;
    const username = i === 0 ? DEMO_LOGIN.username : `${first}_${last}${i}`.toLowerCase();
    return {
      id: randomUUID(),
      email: `${username}@example.com`,
      username,
      name: `${first} ${last}`,
      bio: sentence(5, 15),
      role: i === 1 ? ('ADMIN' as const) : i === 2 ? ('MODERATOR' as const) : ('USER' as const),
      passwordHash,
      createdAt: daysAgo(400),
    };
  });
  await db.user.createMany({ data: users });

  const tags = TOPICS.map((name) => ({ id: randomUUID(), name }));
  await db.tag.createMany({ data: tags });

  const posts = demoPosts(draw, users, size.posts);
  await db.post.createMany({ data: posts });
  await db.postTag.createMany({
    data: posts.flatMap((p) => [...new Set([pick(tags), pick(tags)])].map((t) => ({ postId: p.id, tagId: t.id }))),
  });

  const published = posts.filter((p) => p.status === 'PUBLISHED');
  const comments = demoComments(draw, users, published, size.comments);
  await db.comment.createMany({ data: comments });

  const kinds = ['LIKE', 'LOVE', 'LAUGH', 'WOW', 'SAD', 'ANGRY'] as const;
  await db.reaction.createMany({
    data: published.flatMap((p) =>
      users.filter(() => random() < 0.15).map((u) => ({ postId: p.id, userId: u.id, kind: random() < 0.6 ? kinds[0] : pick(kinds) })),
    ),
    skipDuplicates: true,
  });
  await db.follow.createMany({
    data: users.flatMap((a) => users.filter((b) => b.id !== a.id && random() < 0.2).map((b) => ({ followerId: a.id, followeeId: b.id }))),
  });
  const chat = await seedDemoChat(db, users, random);
  logger.info('seeded demo data', { users: users.length, posts: posts.length, comments: comments.length, ...chat });
}

/** The seeded PRNG and what the demo draws from it, in a fixed order. */
function demoRandom(seed: number) {
  const random = mulberry32(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const sentence = (min: number, max: number) => {
    const n = min + Math.floor(random() * (max - min));
    const words = Array.from({ length: n }, () => pick(WORDS));
    return words.join(' ').replace(/^./, (c) => c.toUpperCase());
  };
  const now = Date.now();
  const daysAgo = (max: number) => new Date(now - Math.floor(random() * max * 86_400_000));
  return { random, pick, sentence, daysAgo };
}

type DemoRandom = ReturnType<typeof demoRandom>;

function demoPosts({ random, pick, sentence, daysAgo }: DemoRandom, users: readonly { id: string }[], count: number) {
  return Array.from({ length: count }, () => {
    const createdAt = daysAgo(365);
    const roll = random();
    const status = roll < 0.85 ? ('PUBLISHED' as const) : roll < 0.95 ? ('DRAFT' as const) : ('ARCHIVED' as const);
    return {
      id: randomUUID(),
      authorId: pick(users).id,
      title: `${pick(TOPICS)}: ${sentence(3, 8)}`,
      body: Array.from({ length: 3 }, () => `${sentence(8, 25)}.`).join(' '),
      status,
      publishedAt: status === 'DRAFT' ? null : createdAt,
      createdAt,
    };
  });
}

function demoComments(
  { random, pick, sentence }: DemoRandom,
  users: readonly { id: string }[],
  published: readonly { id: string; createdAt: Date }[],
  count: number,
) {
  const topLevel: { id: string; postId: string; createdAt: Date }[] = [];
  const comments = Array.from({ length: count }, () => {
    const replyTo = topLevel.length > 10 && random() < 0.3 ? pick(topLevel) : null;
    const post = replyTo ? published.find((p) => p.id === replyTo.postId)! : pick(published);
    const comment = {
      id: randomUUID(),
      postId: post.id,
      authorId: pick(users).id,
      parentId: replyTo?.id ?? null,
      body: sentence(4, 30),
      createdAt: new Date(Math.max(post.createdAt.getTime(), replyTo?.createdAt.getTime() ?? 0) + Math.floor(random() * 86_400_000)),
    };
    if (!replyTo) topLevel.push(comment);
    return comment;
  });
  return comments;
}

const DEMO_LINES = [
  'Hi! Did you see the new post about GraphQL subscriptions?',
  'Yes, the resume-by-cursor part is neat.',
  'Are we still on for the climbing trip on Saturday?',
  'I can bring the ropes.',
  'Sharing the photos tonight.',
  'Welcome to the group, everyone!',
  'Reminder: the book club meets on Thursday.',
  'Has anyone tried the new pasta recipe?',
  'It was great, thanks for the tip.',
  'Who wants to review my draft?',
];

type DemoUser = { id: string; username: string };

/**
 * Conversations worth exploring for the demo users: a direct chat between the
 * first two, a group of the first five, read markers that leave some unread,
 * and notifications. Each conversation's event counter is set to its last
 * message, so messages sent from the app continue the sequence.
 */
async function seedDemoChat(
  db: Db,
  users: readonly DemoUser[],
  random: () => number,
): Promise<{ conversations: number; messages: number; notifications: number }> {
  const [alice, bruno, ...others] = users;
  if (!alice || !bruno || others.length < 3) return { conversations: 0, messages: 0, notifications: 0 };
  const start = Date.now() - 6 * 3_600_000;
  const conversations = demoConversations(alice, bruno, others);
  const messages = demoMessages(conversations, start, random);
  const lastSeq = (id: string) => Math.max(...messages.filter((m) => m.conversationId === id).map((m) => m.seq));
  const lastAt = (id: string) => messages.filter((m) => m.conversationId === id).at(-1)!.createdAt;
  await db.conversation.createMany({
    data: conversations.map(({ members: _, ...c }) => ({
      ...c,
      createdById: alice.id,
      createdAt: new Date(start),
      lastActivityAt: lastAt(c.id),
    })),
  });
  await db.conversationMember.createMany({
    data: conversations.flatMap((c) =>
      c.members.map((u, i) => ({
        conversationId: c.id,
        userId: u.id,
        isAdmin: c.kind === 'GROUP' && i === 0,
        // The demo user has a few unread messages in each conversation.
        lastReadSeq: u.id === alice.id ? lastSeq(c.id) - 3 : lastSeq(c.id),
        joinedAt: new Date(start),
      })),
    ),
  });
  await db.message.createMany({ data: messages });
  await db.eventStream.createMany({ data: conversations.map((c) => ({ stream: streams.conversation(c.id), lastSeq: lastSeq(c.id) })) });
  const notifications = await seedDemoNotifications(db, alice, bruno, others[0]!, conversations[1].id, start);
  return { conversations: conversations.length, messages: messages.length, notifications };
}

/** A direct chat between the first two demo users and a group of the first five. */
function demoConversations(alice: DemoUser, bruno: DemoUser, others: readonly DemoUser[]) {
  const direct = {
    id: randomUUID(),
    kind: 'DIRECT' as const,
    title: null,
    directKey: [alice.id, bruno.id].sort().join(':'),
    members: [alice, bruno],
  };
  const group = {
    id: randomUUID(),
    kind: 'GROUP' as const,
    title: 'Weekend climbers',
    directKey: null,
    members: [alice, bruno, ...others.slice(0, 3)],
  };
  return [direct, group] as const;
}

type DemoMessage = { id: string; conversationId: string; seq: number; senderId: string; body: string; createdAt: Date };

/** 8 messages in the first conversation, 12 in the second, from random members, 20 minutes apart. */
function demoMessages(
  conversations: readonly { id: string; members: readonly DemoUser[] }[],
  start: number,
  random: () => number,
): DemoMessage[] {
  const messages: DemoMessage[] = [];
  for (const [index, conversation] of conversations.entries()) {
    for (let seq = 1; seq <= 8 + index * 4; seq++) {
      const sender = conversation.members[Math.floor(random() * conversation.members.length)]!;
      const createdAt = new Date(start + (seq * 20 + index * 7) * 60_000);
      messages.push({
        id: randomUUID(),
        conversationId: conversation.id,
        seq,
        senderId: sender.id,
        body: DEMO_LINES[(seq + index * 3) % DEMO_LINES.length]!,
        createdAt,
      });
    }
  }
  return messages;
}

/** A follower for the demo user and a few notifications; returns how many notifications. */
async function seedDemoNotifications(
  db: Db,
  alice: DemoUser,
  bruno: DemoUser,
  follower: DemoUser,
  groupId: string,
  start: number,
): Promise<number> {
  await db.follow.createMany({ data: [{ followerId: follower.id, followeeId: alice.id }], skipDuplicates: true });
  const notifications = [
    { recipientId: alice.id, kind: 'ADDED_TO_CONVERSATION' as const, actorId: bruno.id, conversationId: groupId },
    { recipientId: alice.id, kind: 'NEW_FOLLOWER' as const, actorId: follower.id },
    { recipientId: bruno.id, kind: 'ADDED_TO_CONVERSATION' as const, actorId: alice.id, conversationId: groupId },
  ];
  await db.notification.createMany({ data: notifications.map((n) => ({ ...n, createdAt: new Date(start), updatedAt: new Date(start) })) });
  return notifications.length;
}
