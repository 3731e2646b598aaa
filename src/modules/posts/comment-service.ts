import { randomUUID } from 'node:crypto';
import { COMMENT_ADDED_EVENT } from './events.ts';
import type { Comment, Post } from '../../db/generated/client.ts';
import { parsePageArgs, toConnection, type Connection, type PageArgs } from '../../lib/pagination.ts';
import { sorts } from '../../lib/sorts.ts';
import { AppError, badInput, forbidden, InputChecker, notFound } from '../../lib/errors.ts';
import { expectGlobalId } from '../../lib/global-id.ts';
import * as validate from '../../lib/validation.ts';
import { Outbox, streams } from '../../events/outbox.ts';
import type { Db } from '../../db/prisma.ts';
import type { RequestScope } from '../scope.ts';
import type { PostService } from './service.ts';
import { canEditComment, takesComments, visibleCommentById } from './policy.ts';
import { insertNotificationsCte, planNotification, type PlannedNotification } from '../notifications/service.ts';
import { requireViewer } from '../../auth/guards.ts';

interface CommentDeps {
  posts: PostService;
}

/** A comment the viewer may see (a comment is visible exactly when its post is too), or NOT_FOUND naming `field`. */
async function visibleComment({ loaders, viewer }: RequestScope, globalId: string, field: string): Promise<Comment> {
  const comment = await visibleCommentById(loaders, viewer, expectGlobalId(globalId, 'Comment', field));
  if (!comment) throw notFound('Comment', field);
  return comment;
}

/** A comment the viewer may change (posts/policy.ts canEditComment), or the refusal. */
async function ownComment(scope: RequestScope, globalId: string, field: string): Promise<Comment> {
  const me = requireViewer(scope);
  const comment = await visibleComment(scope, globalId, field);
  if (!canEditComment(me, comment)) throw forbidden('Only the author may change this comment');
  return comment;
}

/** The top-level comment a reply answers; one the viewer may not see is answered exactly like a missing one. */
async function replyParent({ loaders, viewer }: RequestScope, globalId: string, post: Post): Promise<Comment> {
  const parent = await visibleCommentById(loaders, viewer, expectGlobalId(globalId, 'Comment', 'input.parentId'));
  if (!parent || parent.postId !== post.id) throw notFound('Comment', 'input.parentId');
  if (parent.parentId !== null) throw badInput('input.parentId', 'Replies are one level deep: reply to the top-level comment');
  return parent;
}

type NewComment = Pick<Comment, 'id' | 'postId' | 'authorId' | 'parentId' | 'body'>;

/**
 * Writes a comment, its notifications and all their outbox events in ONE
 * statement (data-modifying CTEs). A statement is atomic on its own, so they
 * commit together or not at all and the dispatcher still publishes only
 * after commit; an interactive transaction took six round trips for the
 * same (BEGIN, four writes, COMMIT). Ids are made here so that the events
 * can name rows the statement has yet to write.
 */
async function insertComment(db: Db, row: NewComment, notifications: PlannedNotification[], outbox: Outbox): Promise<Comment> {
  const [created] = await db.$queryRaw<Comment[]>`
    WITH new_comment AS (
      INSERT INTO "Comment" (id, "postId", "authorId", "parentId", body)
      VALUES (${row.id}::uuid, ${row.postId}::uuid, ${row.authorId}::uuid, ${row.parentId}::uuid, ${row.body})
      RETURNING *
    ),
    ${insertNotificationsCte(notifications)},
    ${outbox.takeAsCtes()}
    SELECT * FROM new_comment`;
  return created!;
}

/** Who hears of a new comment: the author of the comment it replies to, and the post's author (once). */
function commentNotifications(outbox: Outbox, comment: NewComment, post: Post, parent: Comment | null): PlannedNotification[] {
  const about = { actorId: comment.authorId, postId: post.id, commentId: comment.id };
  const parentAuthorId = parent?.authorId ?? null;
  const planned = [
    parentAuthorId ? planNotification(outbox, { ...about, recipientId: parentAuthorId, kind: 'REPLY_TO_COMMENT' }) : null,
    post.authorId !== parentAuthorId ? planNotification(outbox, { ...about, recipientId: post.authorId, kind: 'COMMENT_ON_POST' }) : null,
  ];
  return planned.filter((n) => n !== null);
}

async function createComment(
  scope: RequestScope,
  { posts }: CommentDeps,
  input: { postId: string; body: string; parentId?: string | null },
): Promise<Comment> {
  const me = requireViewer(scope);
  const checker = new InputChecker();
  const body = validate.text(checker, 'input.body', input.body, 1, 5_000);
  checker.throwIfAny();
  const post = await posts.visiblePost(input.postId, 'input.postId');
  if (!takesComments(post)) throw badInput('input.postId', 'Only published posts take comments');
  const parent = input.parentId != null ? await replyParent(scope, input.parentId, post) : null;
  const comment: NewComment = { id: randomUUID(), postId: post.id, authorId: me.id, parentId: parent?.id ?? null, body };
  const outbox = new Outbox();
  outbox.emit(streams.post(post.id), COMMENT_ADDED_EVENT, { commentId: comment.id });
  const created = await insertComment(scope.db, comment, commentNotifications(outbox, comment, post, parent), outbox);
  scope.realtime.kick();
  return created;
}

export function createCommentService(scope: RequestScope, deps: CommentDeps) {
  const { db, loaders } = scope;
  return {
    /** `Post.comments`: its top-level comments the viewer may see, batched. */
    ofPost(postId: string, args: PageArgs): Promise<Connection<Comment>> {
      return loaders.postComments.load({ parentId: postId, page: parsePageArgs(args, sorts.comments) });
    },

    /** `Comment.replies`, batched. Replies are one level deep: a reply has none, no query needed. */
    replies(comment: Comment, args: PageArgs): Promise<Connection<Comment>> {
      const page = parsePageArgs(args, sorts.comments);
      if (comment.parentId)
        return Promise.resolve(
          toConnection<Comment>(
            [],
            page,
            sorts.comments,
            (c) => ({ key: c.createdAt, id: c.id }),
            async () => 0,
          ),
        );
      return loaders.commentReplies.load({ parentId: comment.id, page });
    },

    async byId(globalId: string): Promise<Comment | null> {
      try {
        return await visibleComment(scope, globalId, 'id');
      } catch (error) {
        if (error instanceof AppError && error.extensions.code === 'NOT_FOUND') return null;
        throw error;
      }
    },

    create: (input: Parameters<typeof createComment>[2]) => createComment(scope, deps, input),

    async update(input: { id: string; body: string }): Promise<Comment> {
      const checker = new InputChecker();
      const body = validate.text(checker, 'input.body', input.body, 1, 5_000);
      checker.throwIfAny();
      const comment = await ownComment(scope, input.id, 'input.id');
      return db.comment.update({ where: { id: comment.id }, data: { body, updatedAt: new Date() } });
    },

    async remove(globalId: string): Promise<string> {
      const comment = await ownComment(scope, globalId, 'input.id');
      await db.comment.delete({ where: { id: comment.id } });
      return comment.id;
    },
  };
}

export type CommentService = ReturnType<typeof createCommentService>;

/**
 * The posts of these comments (raw ids), for the shared response cache: a
 * comment is visible only with its post, so a write naming a comment also
 * changes its post's comment pages and counts.
 */
export async function postIdsOfComments(db: Db, commentIds: readonly string[]): Promise<string[]> {
  if (commentIds.length === 0) return [];
  const rows = await db.comment.findMany({ where: { id: { in: [...commentIds] } }, select: { postId: true } });
  return [...new Set(rows.map((r) => r.postId))];
}
