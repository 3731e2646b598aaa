import type { Comment } from '../../db/generated/client.ts';
import { parsePageArgs, toConnection, type Connection, type PageArgs } from '../../lib/pagination.ts';
import { sorts } from '../../lib/sorts.ts';
import type { RequestScope } from '../scope.ts';

/** Nested connections: validate the page, then batch through the loaders. */
export function createPageService(scope: RequestScope) {
  const { loaders } = scope;
  return {
    authorPosts: (userId: string, args: PageArgs) =>
      loaders.authorPosts.load({ parentId: userId, page: parsePageArgs(args, sorts.authorPosts) }),
    followers: (userId: string, args: PageArgs) =>
      loaders.followers.load({ parentId: userId, page: parsePageArgs(args, sorts.follows) }),
    following: (userId: string, args: PageArgs) =>
      loaders.following.load({ parentId: userId, page: parsePageArgs(args, sorts.follows) }),
    postComments: (postId: string, args: PageArgs) =>
      loaders.postComments.load({ parentId: postId, page: parsePageArgs(args, sorts.comments) }),
    commentReplies(comment: Comment, args: PageArgs): Promise<Connection<Comment>> {
      const page = parsePageArgs(args, sorts.comments);
      // Replies are one level deep: a reply has none, no query needed.
      if (comment.parentId) return Promise.resolve(toConnection<Comment>([], page, sorts.comments, (c) => ({ key: c.createdAt, id: c.id }), async () => 0));
      return loaders.commentReplies.load({ parentId: comment.id, page });
    },
  };
}
