import { COMMENT_ADDED_EVENT } from './events.ts';
import type { Comment, Post } from '../../db/generated/client.ts';
import { parsePageArgs, toConnection, type Connection, type PageArgs } from '../../lib/pagination.ts';
import { sorts } from '../../lib/sorts.ts';
import { AppError, badInput, forbidden, InputChecker, notFound } from '../../lib/errors.ts';
import { expectGlobalId } from '../../lib/global-id.ts';
import * as validate from '../../lib/validation.ts';
import { Outbox, streams } from '../../events/outbox.ts';
import type { RequestScope } from '../scope.ts';
import type { PostService } from './service.ts';
import { canEditComment, takesComments, visibleCommentById } from './policy.ts';
import { notify } from '../notifications/service.ts';
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
  const parentAuthorId = parent?.authorId ?? null;
  // The comment, its notifications and its event commit together.
  const comment = await scope.db.$transaction(async (tx) => {
    const outbox = new Outbox();
    const created = await tx.comment.create({ data: { postId: post.id, authorId: me.id, parentId: parent?.id ?? null, body } });
    outbox.emit(streams.post(post.id), COMMENT_ADDED_EVENT, { commentId: created.id });
    if (parentAuthorId) {
      await notify(tx, outbox, {
        recipientId: parentAuthorId,
        kind: 'REPLY_TO_COMMENT',
        actorId: me.id,
        postId: post.id,
        commentId: created.id,
      });
    }
    if (post.authorId !== parentAuthorId) {
      await notify(tx, outbox, {
        recipientId: post.authorId,
        kind: 'COMMENT_ON_POST',
        actorId: me.id,
        postId: post.id,
        commentId: created.id,
      });
    }
    await outbox.flush(tx);
    return created;
  });
  scope.realtime.kick();
  return comment;
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
