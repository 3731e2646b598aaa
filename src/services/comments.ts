import type { Comment } from '../db/generated/client.ts';
import { AppError, badInput, forbidden, InputChecker, notFound } from '../lib/errors.ts';
import { expectGlobalId } from '../lib/global-id.ts';
import * as validate from '../lib/validation.ts';
import type { RequestScope } from './deps.ts';
import type { createPostService } from './posts.ts';
import { canSeeComment, canSeePost } from './visibility.ts';
import { requireViewer } from './viewer.ts';

export function createCommentService(scope: RequestScope, posts: ReturnType<typeof createPostService>) {
  const { db, loaders, viewer } = scope;

  /** A comment is visible exactly when its post is. */
  async function visibleComment(globalId: string, field: string): Promise<Comment> {
    const comment = await loaders.comment.load(expectGlobalId(globalId, 'Comment', field));
    const post = comment && (await loaders.post.load(comment.postId));
    if (!comment || !post || !canSeePost(viewer, post) || !canSeeComment(viewer, comment)) throw notFound('Comment', field);
    return comment;
  }

  async function ownComment(globalId: string, field: string): Promise<Comment> {
    const me = requireViewer(scope);
    const comment = await visibleComment(globalId, field);
    if (comment.authorId !== me.id) throw forbidden('Only the author may change this comment');
    return comment;
  }

  return {
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
      if (post.status !== 'PUBLISHED') throw badInput('input.postId', 'Only published posts take comments');
      let parentId: string | null = null;
      if (input.parentId != null) {
        const parent = await loaders.comment.load(expectGlobalId(input.parentId, 'Comment', 'input.parentId'));
        if (!parent || parent.postId !== post.id) throw notFound('Comment', 'input.parentId');
        if (parent.parentId !== null) throw badInput('input.parentId', 'Replies are one level deep: reply to the top-level comment');
        parentId = parent.id;
      }
      return db.comment.create({ data: { postId: post.id, authorId: me.id, parentId, body } });
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
