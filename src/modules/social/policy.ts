import type { Post } from '../../db/generated/client.ts';
import type { Viewer } from '../../auth/viewer.ts';

// Reactions need a post the viewer may see (posts/policy.ts canSeePost, checked
// first so a hidden post reads as missing); follows need another user.

/** Only published posts take reactions. */
export function takesReactions(post: Pick<Post, 'status'>): boolean {
  return post.status === 'PUBLISHED';
}

/** Nobody follows themselves. */
export function canFollow(viewer: Viewer, targetId: string): boolean {
  return targetId !== viewer.id;
}

/**
 * Reaction tallies count every reaction and read no viewer (see
 * postRoleScopedFields); not `viewerReactions` nor `viewerHasReacted`.
 */
export const socialRoleScopedFields = {
  Post: ['reactionCounts'],
  ReactionCount: ['kind', 'count'],
} as const;
