import { Prisma, type Comment, type Post, type ReactionKind } from '../../db/generated/client.ts';
import type { Db } from '../../db/prisma.ts';
import type { Viewer } from '../../auth/viewer.ts';
import { sorts } from '../../lib/sorts.ts';
import { byIds, childPages, grouped, listsBy } from '../../db/batch-loaders.ts';
import { authorPostsSql, commentVisibleSql } from './policy.ts';

/** One kind's count on a post; it carries its post, which `viewerHasReacted` reads. */
interface ReactionTally {
  postId: string;
  kind: ReactionKind;
  count: number;
}

type Deps = { db: Db; viewer: Viewer | null; viewerId: string | null };

/** A page of comments per parent (a post, or a comment for its replies), within what the viewer may see. */
function commentPages(db: Db, parent: Prisma.Sql, filter: Prisma.Sql) {
  return childPages<Comment>(
    db,
    {
      select: Prisma.sql`c.*`,
      from: Prisma.sql`"Comment" c`,
      parent,
      sortKey: Prisma.sql`c."createdAt"`,
      id: Prisma.sql`c.id`,
      filter,
      sortKeyType: 'timestamp(3)',
    },
    sorts.comments,
  );
}

/** Posts, comments, tags and reactions, as factories (modules/loaders.ts builds each on first use). */
export const postLoaderFactories = {
  // Rows by id: who may see them is checked by posts/policy.ts visiblePostById/visibleCommentById.
  post: ({ db }: Deps) => byIds<Post>((ids) => db.$queryRaw<Post[]>`SELECT * FROM "Post" WHERE id = ANY(${ids}::uuid[])`),
  comment: ({ db }: Deps) => byIds<Comment>((ids) => db.$queryRaw<Comment[]>`SELECT * FROM "Comment" WHERE id = ANY(${ids}::uuid[])`),

  postTags: ({ db }: Deps) =>
    grouped(
      async (ids) => {
        const rows = await db.$queryRaw<{ postId: string; name: string }[]>`
        SELECT pt."postId", t.name FROM "PostTag" pt JOIN "Tag" t ON t.id = pt."tagId"
        WHERE pt."postId" = ANY(${ids}::uuid[]) ORDER BY t.name`;
        return listsBy(
          rows,
          (r) => r.postId,
          (r) => r.name,
        );
      },
      () => [] as string[],
    ),

  // Counts what the viewer may see of the comments: hidden ones are not hinted at.
  commentCount: ({ db, viewer }: Deps) =>
    grouped(
      async (ids) => {
        const rows = await db.$queryRaw<{ postId: string; count: number }[]>`
        SELECT c."postId", count(*)::int AS count FROM "Comment" c
        WHERE c."postId" = ANY(${ids}::uuid[]) AND ${commentVisibleSql(viewer)} GROUP BY c."postId"`;
        return new Map(rows.map((r) => [r.postId, r.count]));
      },
      () => 0,
    ),

  reactionCounts: ({ db }: Deps) =>
    grouped(
      async (ids) => {
        // Enum order is ReactionKind's declaration order, the order the API promises.
        const rows = await db.$queryRaw<ReactionTally[]>`
        SELECT "postId", kind::text AS kind, count(*)::int AS count FROM "Reaction"
        WHERE "postId" = ANY(${ids}::uuid[]) GROUP BY "postId", "Reaction".kind ORDER BY "postId", "Reaction".kind`;
        return listsBy(
          rows,
          (r) => r.postId,
          (r) => r,
        );
      },
      () => [] as ReactionTally[],
    ),

  viewerReactions: ({ db, viewerId }: Deps) =>
    grouped(
      async (ids) => {
        if (!viewerId) return new Map<string, ReactionKind[]>();
        const rows = await db.reaction.findMany({ where: { userId: viewerId, postId: { in: ids } }, select: { postId: true, kind: true } });
        return listsBy(
          rows,
          (r) => r.postId,
          (r) => r.kind,
        );
      },
      () => [] as ReactionKind[],
    ),

  postComments: ({ db, viewer }: Deps) =>
    commentPages(db, Prisma.sql`c."postId"`, Prisma.sql`c."parentId" IS NULL AND ${commentVisibleSql(viewer)}`),
  commentReplies: ({ db, viewer }: Deps) => commentPages(db, Prisma.sql`c."parentId"`, commentVisibleSql(viewer)),

  // A profile lists published posts, plus drafts and archived ones to whoever may see them.
  authorPosts: ({ db, viewer }: Deps) =>
    childPages<Post>(
      db,
      {
        select: Prisma.sql`p.*`,
        from: Prisma.sql`"Post" p`,
        parent: Prisma.sql`p."authorId"`,
        sortKey: Prisma.sql`p."createdAt"`,
        id: Prisma.sql`p.id`,
        filter: authorPostsSql(viewer),
        sortKeyType: 'timestamp(3)',
      },
      sorts.authorPosts,
    ),
};
