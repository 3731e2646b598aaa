import type { Comment } from '../../db/generated/client.ts';
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

export function createCommentService(scope: RequestScope, { posts }: { posts: PostService }) {
  const { db, loaders, viewer, realtime } = scope;

  /** A comment is visible exactly when its post is. */
  async function visibleComment(globalId: string, field: string): Promise<Comment> {
    const comment = await visibleCommentById(loaders, viewer, expectGlobalId(globalId, 'Comment', field));
    if (!comment) throw notFound('Comment', field);
    return comment;
  }

  async function ownComment(globalId: string, field: string): Promise<Comment> {
    const me = requireViewer(scope);
    const comment = await visibleComment(globalId, field);
    if (!canEditComment(me, comment)) throw forbidden('Only the author may change this comment');
    return comment;
  }

  return {
    /** `Post.comments`: its top-level comments the viewer may see, batched. */
    ofPost(postId: string, args: PageArgs): Promise<Connection<Comment>> {
      return loaders.postComments.load({ parentId: postId, page: parsePageArgs(args, sorts.comments) });
    },

    /** `Comment.replies`, batched. Replies are one level deep: a reply has none, no query needed. */
    replies(comment: Comment, args: PageArgs): Promise<Connection<Comment>> {
      const page = parsePageArgs(args, sorts.comments);
      if (comment.parentId) return Promise.resolve(toConnection<Comment>([], page, sorts.comments, (c) => ({ key: c.createdAt, id: c.id }), async () => 0));
      return loaders.commentReplies.load({ parentId: comment.id, page });
    },

    async byId(globalId: string): Promise<Comment | null> {
      try {
        return await visibleComment(globalId, 'id');
      } catch (error) {
        if (error instanceof AppError && error.extensions.code === 'NOT_FOUND') return null;
        throw error;
      }
    },

    async create(input: { postId: string; body: string; parentId?: string | null }): Promise<Comment> {
      const me = requireViewer(scope);
      const checker = new InputChecker();
      const body = validate.text(checker, 'input.body', input.body, 1, 5_000);
      checker.throwIfAny();
      const post = await posts.visiblePost(input.postId, 'input.postId');
      if (!takesComments(post)) throw badInput('input.postId', 'Only published posts take comments');
      let parentId: string | null = null;
      let parentAuthorId: string | null = null;
      if (input.parentId != null) {
        // A parent the viewer may not see is answered exactly like a missing one.
        const parent = await visibleCommentById(loaders, viewer, expectGlobalId(input.parentId, 'Comment', 'input.parentId'));
        if (!parent || parent.postId !== post.id) throw notFound('Comment', 'input.parentId');
        if (parent.parentId !== null) throw badInput('input.parentId', 'Replies are one level deep: reply to the top-level comment');
        parentId = parent.id;
        parentAuthorId = parent.authorId;
      }
      // The comment, its notifications and its event commit together.
      const comment = await db.$transaction(async (tx) => {
        const outbox = new Outbox();
        const created = await tx.comment.create({ data: { postId: post.id, authorId: me.id, parentId, body } });
        outbox.emit(streams.post(post.id), 'COMMENT_ADDED', { commentId: created.id });
        if (parentAuthorId) {
          await notify(tx, outbox, { recipientId: parentAuthorId, kind: 'REPLY_TO_COMMENT', actorId: me.id, postId: post.id, commentId: created.id });
        }
        if (post.authorId !== parentAuthorId) {
          await notify(tx, outbox, { recipientId: post.authorId, kind: 'COMMENT_ON_POST', actorId: me.id, postId: post.id, commentId: created.id });
        }
        await outbox.flush(tx);
        return created;
      });
      realtime.kick();
      return comment;
    },

    async update(input: { id: string; body: string }): Promise<Comment> {
      const checker = new InputChecker();
      const body = validate.text(checker, 'input.body', input.body, 1, 5_000);
      checker.throwIfAny();
      const comment = await ownComment(input.id, 'input.id');
      return db.comment.update({ where: { id: comment.id }, data: { body, updatedAt: new Date() } });
    },

    async remove(globalId: string): Promise<string> {
      const comment = await ownComment(globalId, 'input.id');
      await db.comment.delete({ where: { id: comment.id } });
      return comment.id;
    },
  };
}

export type CommentService = ReturnType<typeof createCommentService>;
