import type { Comment, Post } from '../../db/generated/client.ts';
import { expectGlobalId } from '../../lib/global-id.ts';
import { createEventFeeds, sharedPerEvent, type SubscriberHooks } from '../../events/event-feed.ts';
import { keepEvents } from '../../events/keep-events.ts';
import { streams, type StreamEvent } from '../../events/outbox.ts';
import { postPublishedTopic } from '../../events/topics.ts';
import type { RequestScope } from '../scope.ts';
import { COMMENT_ADDED_EVENT } from './events.ts';
import { canSeeCommentOnPost, canSeePost } from './policy.ts';
import type { createPostService } from './service.ts';

// The live streams of posts: new comments on a post, posts an author publishes.

export interface PublishedPost {
  postId: string;
  post?: Post;
}

/**
 * What `commentAdded` delivers: the comment, read after its event arrived
 * and checked under the visibility rule. One object per event, shared by
 * every subscriber who may see the comment.
 */
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
      // The rows each event needs are read once per event for all its
      // subscribers (sharedPerEvent says why that is fresh); each viewer's rule runs in JS.
      const postNow = (e: StreamEvent) =>
        sharedPerEvent(e, 'post', () =>
          db.post.findUnique({ where: { id: post.id }, select: { status: true, authorId: true, hiddenAt: true } }),
        );
      const commentNow = (e: StreamEvent) =>
        sharedPerEvent(e, 'comment', () => db.comment.findUnique({ where: { id: String(e.data.commentId) } }));
      return feeds.open<CommentFeedEvent>({
        stream: streams.post(post.id),
        after,
        hooks,
        authorize: async (e) => {
          const fresh = await postNow(e);
          return fresh !== null && canSeePost(scope.viewer, fresh);
        },
        // Replayed and live events pass the same rule: a comment hidden since is skipped.
        map: async (e, cursor) => {
          if (e.type !== COMMENT_ADDED_EVENT) return null;
          const [comment, fresh] = await Promise.all([commentNow(e), postNow(e)]);
          if (!comment || comment.postId !== post.id || !fresh || !canSeeCommentOnPost(scope.viewer, comment, fresh)) return null;
          return sharedPerEvent(e, 'commentEvent', () => ({ cursor: cursor(), commentId: comment.id, comment }));
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
