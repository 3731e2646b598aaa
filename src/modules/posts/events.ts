/** The posts module's outbox event type: a comment was added to a post's stream (commentAdded). */
export const COMMENT_ADDED_EVENT = 'COMMENT_ADDED';
