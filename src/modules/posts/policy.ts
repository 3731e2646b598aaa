import { hasRole, type Viewer } from '../../auth/viewer.ts';
import { Prisma, type Comment, type Post } from '../../db/generated/client.ts';

// Who sees what. One rule, in JS for loaded rows and in SQL for lists, so
// node(id), nested fields, lists and search all agree:
// - drafts: their author and admins;
// - hidden (by a moderator): their author, moderators and admins.

/** The draft rule alone: a draft is seen by its author and admins (every other status by anyone). */
export function canSeeIfDraft(viewer: Viewer | null, post: Pick<Post, 'status' | 'authorId'>): boolean {
  return post.status !== 'DRAFT' || viewer?.id === post.authorId || hasRole(viewer, 'ADMIN');
}

export function canSeePost(viewer: Viewer | null, post: Pick<Post, 'status' | 'authorId' | 'hiddenAt'>): boolean {
  if (!canSeeIfDraft(viewer, post)) return false;
  if (post.hiddenAt && viewer?.id !== post.authorId && !hasRole(viewer, 'MODERATOR')) return false;
  return true;
}

export function canSeeComment(viewer: Viewer | null, comment: Pick<Comment, 'authorId' | 'hiddenAt'>): boolean {
  return !comment.hiddenAt || viewer?.id === comment.authorId || hasRole(viewer, 'MODERATOR');
}

/** Both rules on rows read together (a live event's shared rows): a comment is visible exactly when it and its post are. */
export function canSeeCommentOnPost(
  viewer: Viewer | null,
  comment: Pick<Comment, 'authorId' | 'hiddenAt'>,
  post: Pick<Post, 'status' | 'authorId' | 'hiddenAt'>,
): boolean {
  return canSeeComment(viewer, comment) && canSeePost(viewer, post);
}

/**
 * Fields whose value is the same for every viewer of one role and credential
 * kind (they read the row, never who asks): a subscription selecting only
 * such fields executes each event once per visibility class instead of once
 * per viewer (src/server/visibility-class.ts). Which events reach a
 * subscriber is still decided per subscriber (canSeePost in live.ts). Leave
 * out anything that reads the viewer's id: `viewerReactions`, and the
 * comment lists and counts (a viewer sees their own hidden comments).
 */
export const postRoleScopedFields = {
  Subscription: ['postPublished', 'commentAdded'],
  Post: ['id', 'title', 'body', 'status', 'tags', 'author', 'publishedAt', 'createdAt', 'updatedAt', 'isHidden'],
  // Which comment an event carries is decided per subscriber (canSeeCommentOnPost in live.ts);
  // not `post` (its visibility reads the viewer's id), `parent` nor `replies` (likewise).
  CommentEvent: ['cursor', 'comment'],
  Comment: ['id', 'body', 'author', 'createdAt', 'updatedAt', 'isHidden'],
} as const;

/**
 * Fields that read the viewer's id only to show them their own drafts,
 * hidden posts and hidden comments: the same for every signed-out viewer
 * (no id) and for every admin (who sees all of them: postVisibleSql,
 * listableDraftsSql and commentVisibleSql read no id for ADMIN), not for
 * members and moderators. Not `feed` (the viewer's follows). Responses
 * selecting only these and role-scoped fields are shared per visibility
 * class (src/server/response-cache.ts).
 */
export const postClassSharedFields = {
  Query: ['post', 'posts'],
  Post: ['comments', 'commentCount'],
  PostConnection: ['edges', 'nodes', 'pageInfo', 'totalCount'],
  PostEdge: ['cursor', 'node'],
  CommentConnection: ['edges', 'nodes', 'pageInfo', 'totalCount'],
  CommentEdge: ['cursor', 'node'],
  PageInfo: ['hasNextPage', 'hasPreviousPage', 'startCursor', 'endCursor'],
} as const;

/** Whom postClassSharedFields are the same for: signed-out viewers and admins. */
export function seesPostsAsClass(viewer: Viewer | null): boolean {
  return viewer === null || hasRole(viewer, 'ADMIN');
}

/** Only the author edits, publishes, archives or deletes a post. */
export function canEditPost(viewer: Viewer, post: Pick<Post, 'authorId'>): boolean {
  return post.authorId === viewer.id;
}

/** Only the author edits or deletes a comment. */
export function canEditComment(viewer: Viewer, comment: Pick<Comment, 'authorId'>): boolean {
  return comment.authorId === viewer.id;
}

/** Only published posts take comments. */
export function takesComments(post: Pick<Post, 'status'>): boolean {
  return post.status === 'PUBLISHED';
}

const NOBODY = '00000000-0000-0000-0000-000000000000';

/** SQL twin of canSeePost for a "Post" aliased `p`. */
export function postVisibleSql(viewer: Viewer | null): Prisma.Sql {
  if (hasRole(viewer, 'ADMIN')) return Prisma.sql`TRUE`;
  const me = viewer?.id ?? NOBODY;
  const hidden = hasRole(viewer, 'MODERATOR') ? Prisma.sql`TRUE` : Prisma.sql`(p."hiddenAt" IS NULL OR p."authorId" = ${me}::uuid)`;
  return Prisma.sql`((p.status <> 'DRAFT' OR p."authorId" = ${me}::uuid) AND ${hidden})`;
}

/** SQL twin of canSeeComment for a "Comment" aliased `c`. */
export function commentVisibleSql(viewer: Viewer | null): Prisma.Sql {
  if (hasRole(viewer, 'MODERATOR')) return Prisma.sql`TRUE`;
  return Prisma.sql`(c."hiddenAt" IS NULL OR c."authorId" = ${viewer?.id ?? NOBODY}::uuid)`;
}

/**
 * Which drafts a `status: DRAFT` list shows (on top of postVisibleSql): an
 * admin's, all; anyone else's, their own; signed out, none.
 */
export function listableDraftsSql(viewer: Viewer | null): Prisma.Sql {
  if (hasRole(viewer, 'ADMIN')) return Prisma.sql`TRUE`;
  return viewer ? Prisma.sql`p."authorId" = ${viewer.id}::uuid` : Prisma.sql`FALSE`;
}

/**
 * A profile's posts (`User.posts`, "Post" aliased `p`): published ones, plus
 * the author's own drafts and archived ones, within what postVisibleSql allows.
 */
export function authorPostsSql(viewer: Viewer | null): Prisma.Sql {
  return Prisma.sql`(p.status = 'PUBLISHED' OR p."authorId" = ${viewer?.id ?? NOBODY}::uuid) AND ${postVisibleSql(viewer)}`;
}

// Every path that hands out a post or comment by id goes through these, so a
// row the viewer may not see is reported exactly like a missing one.
// (`Pick<Loaders, …>` rather than the loader module itself: it imports this file.)
type RowLoaders = {
  post: { load(id: string): Promise<Post | null> };
  comment: { load(id: string): Promise<Comment | null> };
};

/** The post if the viewer may see it, else null (through the request's loaders). */
export async function visiblePostById(loaders: RowLoaders, viewer: Viewer | null, id: string): Promise<Post | null> {
  const post = await loaders.post.load(id);
  return post && canSeePost(viewer, post) ? post : null;
}

/** The comment if the viewer may see it and its post, else null: a comment is visible exactly when its post is. */
export async function visibleCommentById(loaders: RowLoaders, viewer: Viewer | null, id: string): Promise<Comment | null> {
  const comment = await loaders.comment.load(id);
  if (!comment || !canSeeComment(viewer, comment)) return null;
  return (await visiblePostById(loaders, viewer, comment.postId)) ? comment : null;
}
