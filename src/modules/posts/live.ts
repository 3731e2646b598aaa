import type { Comment, Post } from '../../db/generated/client.ts';
import { expectGlobalId } from '../../lib/global-id.ts';
import { createEventFeeds, type SubscriberHooks } from '../../events/event-feed.ts';
import { keepEvents } from '../../events/keep-events.ts';
import { streams } from '../../events/outbox.ts';
import { postPublishedTopic } from '../../events/topics.ts';
import type { RequestScope } from '../scope.ts';
import { COMMENT_ADDED_EVENT } from './events.ts';
import { canSeePost, readVisibleComment } from './policy.ts';
import type { createPostService } from './service.ts';

// The live streams of posts: new comments on a post, posts an author publishes.

export interface PublishedPost {
  postId: string;
  post?: Post;
}

/** What `commentAdded` delivers: the comment was read under the visibility rule just now. */
export interface CommentFeedEvent {
  cursor: string;
  commentId: string;
  comment: Comment;
}

/** Comments and publications, each only if the subscriber may see it (posts/policy.ts). */
export function createPostStreams(scope: RequestScope, posts: ReturnType<typeof createPostService>) {
  const { db, bus } = scope;
  const feeds = createEventFeeds(scope);

  return {
    async commentAdded(postGlobalId: string, after: string | null | undefined, hooks: SubscriberHooks = {}) {
      const post = await posts.visiblePost(postGlobalId, 'postId');
      const stillVisible = async () => {
        const fresh = await db.post.findUnique({ where: { id: post.id }, select: { status: true, authorId: true, hiddenAt: true } });
        return fresh !== null && canSeePost(scope.viewer, fresh);
      };
      return feeds.open<CommentFeedEvent>({
        stream: streams.post(post.id),
        after,
        hooks,
        authorize: stillVisible,
        // Replayed and live events pass the same rule: a comment hidden since is skipped.
        map: async (e, cursor) => {
          if (e.type !== COMMENT_ADDED_EVENT) return null;
          const comment = await readVisibleComment(db, scope.viewer, String(e.data.commentId));
          return comment ? { cursor, commentId: comment.id, comment } : null;
        },
      });
    },

    /** Posts an author publishes, each only if the subscriber may see it (a hidden post republished is not announced to others). */
    async postPublished(authorGlobalId: string): Promise<AsyncIterableIterator<PublishedPost>> {
      const authorId = expectGlobalId(authorGlobalId, 'User', 'authorId');
      const live = bus.subscribe<PublishedPost>(postPublishedTopic(authorId));
      return keepEvents(live, (event) => {
        // The committed row travels with the event; its status and hiddenAt are what the rule needs.
        if (event.post) return canSeePost(scope.viewer, event.post);
        return db.post.findUnique({ where: { id: event.postId } }).then((post) => post !== null && canSeePost(scope.viewer, post));
      });
    },
  };
}
