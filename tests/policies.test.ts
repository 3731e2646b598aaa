import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Prisma, type Comment, type Post, type Role, type User } from '../src/db/generated/client.ts';
import { createDatabase, type Database } from '../src/db/prisma.ts';
import { createLogger } from '../src/lib/logger.ts';
import { ALL_SCOPES, type Viewer } from '../src/auth/viewer.ts';
import { canSeePrivateFields, canSeeSuspension, isAccountOwner } from '../src/modules/accounts/policy.ts';
import { canReadAuditLog } from '../src/modules/audit/policy.ts';
import { canActOnAccount, canModerateContent, canSetRoles, isSelf } from '../src/modules/moderation/policy.ts';
import {
  authorPostsSql,
  canEditComment,
  canEditPost,
  canSeeComment,
  canSeeCommentOnPost,
  canSeeIfDraft,
  canSeePost,
  commentVisibleSql,
  listableDraftsSql,
  postVisibleSql,
  takesComments,
} from '../src/modules/posts/policy.ts';
import { canManageCredentials, canRevokeCredential, canSeeCredential, revocableWhere } from '../src/modules/sessions/policy.ts';
import { canFollow, takesReactions } from '../src/modules/social/policy.ts';
import { createTestDatabase, unique } from './helpers/server.ts';

// Each policy's predicates, allowed and refused, with real viewers; the SQL
// twins run against a real database and must agree with their JS rule row by row.

function viewerFor(user: Pick<User, 'id' | 'role'>, credential: Viewer['credential'] = 'session'): Viewer {
  return {
    id: user.id,
    role: user.role,
    credential,
    sessionId: credential === 'session' ? '11111111-1111-1111-1111-111111111111' : null,
    scopes: ALL_SCOPES,
    expiresAt: null,
  };
}

let database: Database;
let db: Database['prisma'];
let author: User;
let other: User;
let moderator: User;
let admin: User;
let posts: Post[];
let comments: Comment[];

async function insertUser(role: Role): Promise<User> {
  const username = unique(role.toLowerCase()).slice(0, 30);
  return db.user.create({ data: { username, email: `${username}@example.com`, name: username, passwordHash: 'x', role } });
}

/** Every combination the rules tell apart: each status, hidden or not, by `author`. */
async function insertPostMatrix(): Promise<Post[]> {
  const rows: Post[] = [];
  for (const status of ['DRAFT', 'PUBLISHED', 'ARCHIVED'] as const) {
    for (const hiddenAt of [null, new Date()]) {
      rows.push(
        await db.post.create({
          data: { authorId: author.id, title: `${status} ${hiddenAt ? 'hidden' : 'shown'}`, body: 'b', status, hiddenAt },
        }),
      );
    }
  }
  return rows;
}

/** On every post: a shown and a hidden comment by `author`, and a hidden one by `other`. */
async function insertCommentMatrix(): Promise<Comment[]> {
  const rows: Comment[] = [];
  for (const post of posts) {
    rows.push(await db.comment.create({ data: { postId: post.id, authorId: author.id, body: 'shown' } }));
    rows.push(await db.comment.create({ data: { postId: post.id, authorId: author.id, body: 'hidden', hiddenAt: new Date() } }));
    rows.push(await db.comment.create({ data: { postId: post.id, authorId: other.id, body: 'hidden', hiddenAt: new Date() } }));
  }
  return rows;
}

beforeAll(async () => {
  database = createDatabase(await createTestDatabase(), 2, createLogger('silent'));
  db = database.prisma;
  author = await insertUser('USER');
  other = await insertUser('USER');
  moderator = await insertUser('MODERATOR');
  admin = await insertUser('ADMIN');
  posts = await insertPostMatrix();
  comments = await insertCommentMatrix();
});

afterAll(async () => {
  await database?.close();
});

const viewers = () => ({
  anonymous: null,
  author: viewerFor(author),
  other: viewerFor(other),
  moderator: viewerFor(moderator),
  admin: viewerFor(admin),
});

const ids = (rows: { id: string }[]) => rows.map((r) => r.id).sort();
const mine = (rows: { id: string }[]) => {
  const known = new Set([...posts, ...comments].map((r) => r.id));
  return ids(rows.filter((r) => known.has(r.id)));
};

describe('posts policy', () => {
  const post = (status: Post['status'], hidden: boolean) => posts.find((p) => p.status === status && (p.hiddenAt !== null) === hidden)!;

  it('drafts: their author and admins only', () => {
    const v = viewers();
    const draft = post('DRAFT', false);
    expect(canSeeIfDraft(v.author, draft)).toBe(true);
    expect(canSeeIfDraft(v.admin, draft)).toBe(true);
    expect(canSeeIfDraft(v.moderator, draft)).toBe(false);
    expect(canSeeIfDraft(v.other, draft)).toBe(false);
    expect(canSeeIfDraft(v.anonymous, draft)).toBe(false);
    expect(canSeeIfDraft(v.anonymous, post('PUBLISHED', false))).toBe(true);
  });

  it('hidden posts: their author and staff; hidden drafts: their author and admins', () => {
    const v = viewers();
    const hidden = post('PUBLISHED', true);
    expect(canSeePost(v.author, hidden)).toBe(true);
    expect(canSeePost(v.moderator, hidden)).toBe(true);
    expect(canSeePost(v.admin, hidden)).toBe(true);
    expect(canSeePost(v.other, hidden)).toBe(false);
    expect(canSeePost(v.anonymous, hidden)).toBe(false);
    expect(canSeePost(v.moderator, post('DRAFT', true))).toBe(false);
    expect(canSeePost(v.admin, post('DRAFT', true))).toBe(true);
    expect(canSeePost(v.anonymous, post('ARCHIVED', false))).toBe(true);
  });

  it('hidden comments: their author and staff', () => {
    const v = viewers();
    const hiddenByAuthor = comments.find((c) => c.authorId === author.id && c.hiddenAt)!;
    expect(canSeeComment(v.author, hiddenByAuthor)).toBe(true);
    expect(canSeeComment(v.moderator, hiddenByAuthor)).toBe(true);
    expect(canSeeComment(v.other, hiddenByAuthor)).toBe(false);
    expect(canSeeComment(v.anonymous, hiddenByAuthor)).toBe(false);
    expect(canSeeComment(v.anonymous, comments.find((c) => !c.hiddenAt)!)).toBe(true);
  });

  it('only the author edits; only published posts take comments', () => {
    const v = viewers();
    const published = post('PUBLISHED', false);
    expect(canEditPost(v.author, published)).toBe(true);
    expect(canEditPost(v.admin, published)).toBe(false);
    expect(canEditPost(v.other, published)).toBe(false);
    const comment = comments.find((c) => c.authorId === other.id)!;
    expect(canEditComment(v.other, comment)).toBe(true);
    expect(canEditComment(v.author, comment)).toBe(false);
    expect(canEditComment(v.moderator, comment)).toBe(false);
    expect(takesComments(published)).toBe(true);
    expect(takesComments(post('DRAFT', false))).toBe(false);
    expect(takesComments(post('ARCHIVED', false))).toBe(false);
  });

  it('postVisibleSql selects exactly the posts canSeePost allows, for every viewer', async () => {
    for (const [name, viewer] of Object.entries(viewers())) {
      const rows = await db.$queryRaw<Post[]>`SELECT p.* FROM "Post" p WHERE ${postVisibleSql(viewer)}`;
      expect(mine(rows), name).toEqual(ids(posts.filter((p) => canSeePost(viewer, p))));
    }
    // The rule is not vacuous: an outsider sees fewer posts than the author.
    const outsider = await db.$queryRaw<Post[]>`SELECT p.* FROM "Post" p WHERE ${postVisibleSql(null)}`;
    expect(mine(outsider)).toEqual(ids(posts.filter((p) => p.status !== 'DRAFT' && !p.hiddenAt)));
  });

  it('commentVisibleSql selects exactly the comments canSeeComment allows, for every viewer', async () => {
    for (const [name, viewer] of Object.entries(viewers())) {
      const rows = await db.$queryRaw<Comment[]>`SELECT c.* FROM "Comment" c WHERE ${commentVisibleSql(viewer)}`;
      expect(mine(rows), name).toEqual(ids(comments.filter((c) => canSeeComment(viewer, c))));
    }
  });

  it('canSeeCommentOnPost (live feeds, on shared rows) allows exactly what both SQL rules select, for every viewer', async () => {
    const postOf = new Map(posts.map((p) => [p.id, p]));
    for (const [name, viewer] of Object.entries(viewers())) {
      const rows = await db.$queryRaw<Comment[]>`
        SELECT c.* FROM "Comment" c JOIN "Post" p ON p.id = c."postId" WHERE ${commentVisibleSql(viewer)} AND ${postVisibleSql(viewer)}`;
      const allowed = comments.filter((c) => canSeeCommentOnPost(viewer, c, postOf.get(c.postId)!));
      expect(mine(rows), name).toEqual(ids(allowed));
    }
    // Both rules count: a visible comment on a draft, a hidden comment on a published post.
    const v = viewers();
    const onDraft = comments.find((c) => c.postId === post('DRAFT', false).id && !c.hiddenAt)!;
    expect(canSeeCommentOnPost(v.author, onDraft, postOf.get(onDraft.postId)!)).toBe(true);
    expect(canSeeCommentOnPost(v.other, onDraft, postOf.get(onDraft.postId)!)).toBe(false);
    const hiddenOnPublished = comments.find((c) => c.postId === post('PUBLISHED', false).id && c.authorId === other.id && c.hiddenAt)!;
    expect(canSeeCommentOnPost(v.other, hiddenOnPublished, postOf.get(hiddenOnPublished.postId)!)).toBe(true);
    expect(canSeeCommentOnPost(v.author, hiddenOnPublished, postOf.get(hiddenOnPublished.postId)!)).toBe(false);
    expect(canSeeCommentOnPost(v.moderator, hiddenOnPublished, postOf.get(hiddenOnPublished.postId)!)).toBe(true);
  });

  it('listableDraftsSql: admins list every draft, members their own, nobody signed out', async () => {
    const drafts = async (viewer: Viewer | null) =>
      mine(
        await db.$queryRaw<
          Post[]
        >`SELECT p.* FROM "Post" p WHERE p.status = 'DRAFT' AND ${postVisibleSql(viewer)} AND ${listableDraftsSql(viewer)}`,
      );
    const v = viewers();
    const authorsDrafts = ids(posts.filter((p) => p.status === 'DRAFT'));
    expect(authorsDrafts).toHaveLength(2);
    expect(await drafts(v.author)).toEqual(authorsDrafts);
    expect(await drafts(v.admin)).toEqual(authorsDrafts);
    expect(await drafts(v.other)).toEqual([]);
    expect(await drafts(v.moderator)).toEqual([]);
    expect(await drafts(v.anonymous)).toEqual([]);
  });

  it('authorPostsSql: a profile shows published posts, and the author (or an admin) its drafts and archived ones', async () => {
    const profile = async (viewer: Viewer | null) =>
      mine(await db.$queryRaw<Post[]>`SELECT p.* FROM "Post" p WHERE p."authorId" = ${author.id}::uuid AND ${authorPostsSql(viewer)}`);
    const v = viewers();
    expect(await profile(v.author)).toEqual(ids(posts));
    expect(await profile(v.other)).toEqual(ids(posts.filter((p) => p.status === 'PUBLISHED' && !p.hiddenAt)));
    expect(await profile(v.moderator)).toEqual(ids(posts.filter((p) => p.status === 'PUBLISHED')));
    expect(await profile(v.anonymous)).toEqual(ids(posts.filter((p) => p.status === 'PUBLISHED' && !p.hiddenAt)));
    // Admins see drafts by id, but a profile lists only the author's own non-published posts.
    expect(await profile(v.admin)).toEqual(ids(posts.filter((p) => p.status === 'PUBLISHED')));
  });
});

describe('accounts policy', () => {
  it('private fields: the account itself (or the account a sign-in just proved) and admins', () => {
    const v = viewers();
    expect(canSeePrivateFields({ viewer: v.author }, author.id)).toBe(true);
    expect(canSeePrivateFields({ viewer: v.admin }, author.id)).toBe(true);
    expect(canSeePrivateFields({ viewer: v.moderator }, author.id)).toBe(false);
    expect(canSeePrivateFields({ viewer: v.other }, author.id)).toBe(false);
    expect(canSeePrivateFields({ viewer: null }, author.id)).toBe(false);
    expect(canSeePrivateFields({ viewer: null, signedIn: { userId: author.id } }, author.id)).toBe(true);
    expect(canSeePrivateFields({ viewer: v.other, signedIn: { userId: author.id } }, other.id)).toBe(true);
    expect(isAccountOwner({ viewer: v.other, signedIn: { userId: author.id } }, admin.id)).toBe(false);
  });

  it('suspension: the account itself and staff', () => {
    const v = viewers();
    expect(canSeeSuspension(v.author, author.id)).toBe(true);
    expect(canSeeSuspension(v.moderator, author.id)).toBe(true);
    expect(canSeeSuspension(v.admin, author.id)).toBe(true);
    expect(canSeeSuspension(v.other, author.id)).toBe(false);
    expect(canSeeSuspension(null, author.id)).toBe(false);
  });
});

describe('sessions policy', () => {
  it('managing credentials needs a signed-in session, not an API key or external token', () => {
    expect(canManageCredentials(viewerFor(author))).toBe(true);
    expect(canManageCredentials(viewerFor(author, 'apiKey'))).toBe(false);
    expect(canManageCredentials(viewerFor(author, 'external'))).toBe(false);
    expect(canManageCredentials(null)).toBe(false);
  });

  it('a credential is seen by its account and admins, revoked by its account only', () => {
    const v = viewers();
    const credential = { userId: author.id };
    expect(canSeeCredential(v.author, credential)).toBe(true);
    expect(canSeeCredential(v.admin, credential)).toBe(true);
    expect(canSeeCredential(v.moderator, credential)).toBe(false);
    expect(canSeeCredential(v.other, credential)).toBe(false);
    expect(canSeeCredential(null, credential)).toBe(false);
    expect(canRevokeCredential(v.author, credential)).toBe(true);
    expect(canRevokeCredential(v.admin, credential)).toBe(false);
    expect(canRevokeCredential(v.other, credential)).toBe(false);
  });

  it('revocableWhere finds exactly the rows canRevokeCredential allows', async () => {
    const expiresAt = new Date(Date.now() + 3_600_000);
    const own = await db.session.create({ data: { userId: author.id, deviceLabel: 'a', userAgent: 't', expiresAt } });
    const theirs = await db.session.create({ data: { userId: other.id, deviceLabel: 'b', userAgent: 't', expiresAt } });
    for (const viewer of [viewerFor(author), viewerFor(other), viewerFor(admin)]) {
      const found = await db.session.findMany({ where: { id: { in: [own.id, theirs.id] }, ...revocableWhere(viewer) } });
      expect(ids(found)).toEqual(ids([own, theirs].filter((s) => canRevokeCredential(viewer, s))));
    }
  });
});

describe('moderation policy', () => {
  it('content: moderators and admins', () => {
    const v = viewers();
    expect(canModerateContent(v.moderator)).toBe(true);
    expect(canModerateContent(v.admin)).toBe(true);
    expect(canModerateContent(v.author)).toBe(false);
    expect(canModerateContent(null)).toBe(false);
  });

  it('accounts: moderators act on members, only admins on staff; roles: admins only; never oneself', () => {
    const v = viewers();
    expect(canActOnAccount(v.moderator!, author)).toBe(true);
    expect(canActOnAccount(v.moderator!, moderator)).toBe(false);
    expect(canActOnAccount(v.moderator!, admin)).toBe(false);
    expect(canActOnAccount(v.admin!, moderator)).toBe(true);
    expect(canActOnAccount(v.admin!, admin)).toBe(true);
    expect(canSetRoles(v.admin)).toBe(true);
    expect(canSetRoles(v.moderator)).toBe(false);
    expect(canSetRoles(null)).toBe(false);
    expect(isSelf(v.moderator!, moderator)).toBe(true);
    expect(isSelf(v.moderator!, author)).toBe(false);
  });
});

describe('audit policy', () => {
  it('the log is read by admins only', () => {
    const v = viewers();
    expect(canReadAuditLog(v.admin)).toBe(true);
    expect(canReadAuditLog(v.moderator)).toBe(false);
    expect(canReadAuditLog(v.author)).toBe(false);
    expect(canReadAuditLog(null)).toBe(false);
  });
});

describe('social policy', () => {
  it('only published posts take reactions; nobody follows themselves', () => {
    const byStatus = (status: Post['status']) => posts.find((p) => p.status === status)!;
    expect(takesReactions(byStatus('PUBLISHED'))).toBe(true);
    expect(takesReactions(byStatus('DRAFT'))).toBe(false);
    expect(takesReactions(byStatus('ARCHIVED'))).toBe(false);
    expect(canFollow(viewerFor(author), other.id)).toBe(true);
    expect(canFollow(viewerFor(author), author.id)).toBe(false);
  });
});

// The SQL fragments are our own (Prisma.Sql), never client text: a sanity check
// that the twins compose into a statement as the loaders use them.
it('twins compose with other conditions', async () => {
  const [{ count }] = await db.$queryRaw<[{ count: number }]>`
    SELECT count(*)::int AS count FROM "Comment" c JOIN "Post" p ON p.id = c."postId"
    WHERE ${Prisma.join([commentVisibleSql(null), postVisibleSql(null)], ' AND ')} AND p."authorId" = ${author.id}::uuid`;
  expect(count).toBe(comments.filter((c) => canSeeComment(null, c) && canSeePost(null, posts.find((p) => p.id === c.postId)!)).length);
  expect(count).toBeGreaterThan(0);
});
