import type { Sort, SortDirection } from './pagination.ts';

/** Every ordering a connection offers; the name is baked into its cursors. */
const sort = (name: string, keyType: Sort['keyType'], direction: SortDirection): Sort => ({
  name: `${name}.${direction}`,
  keyType,
  direction,
});

export const sorts = {
  usersByCreatedAt: (d: SortDirection) => sort('users.createdAt', 'date', d),
  usersByUsername: (d: SortDirection) => sort('users.username', 'string', d),
  postsByCreatedAt: (d: SortDirection) => sort('posts.createdAt', 'date', d),
  postsByTitle: (d: SortDirection) => sort('posts.title', 'string', d),
  feed: sort('feed.publishedAt', 'date', 'desc'),
  authorPosts: sort('author.posts.createdAt', 'date', 'desc'),
  comments: sort('comments.createdAt', 'date', 'asc'),
  follows: sort('follows.createdAt', 'date', 'desc'),
  sessions: sort('sessions.createdAt', 'date', 'desc'),
  auditEvents: sort('audit.createdAt', 'date', 'desc'),
  // Keys are zero-padded sequence numbers, so text order is numeric order.
  messages: sort('messages.seq', 'string', 'asc'),
  conversations: sort('conversations.lastActivityAt', 'date', 'desc'),
  notifications: sort('notifications.updatedAt', 'date', 'desc'),
} as const;
