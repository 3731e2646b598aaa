import type { Comment, Conversation, Message, Notification, Post, User } from '../db/generated/client.ts';
import { ValidationError } from '../lib/errors.ts';
import { parseGlobalId } from '../lib/global-id.ts';
import type { RequestScope } from './deps.ts';
import type { createCommentService } from './comments.ts';
import type { createPostService } from './posts.ts';
import type { createChatService } from './chat.ts';
import type { createNotificationService } from './notifications.ts';

export type NodeValue =
  | (User & { __typename: 'User' })
  | (Post & { __typename: 'Post' })
  | (Comment & { __typename: 'Comment' })
  | (Conversation & { __typename: 'Conversation' })
  | (Message & { __typename: 'Message' })
  | (Notification & { __typename: 'Notification' });

export const MAX_NODES = 100;

/** Relay object identification: a global id to the object, if the viewer may see it. */
export function createNodeService(
  scope: RequestScope,
  posts: ReturnType<typeof createPostService>,
  comments: ReturnType<typeof createCommentService>,
  chat: ReturnType<typeof createChatService>,
  notifications: ReturnType<typeof createNotificationService>,
) {
  const { loaders } = scope;
  async function node(globalId: string): Promise<NodeValue | null> {
    const parsed = parseGlobalId(globalId);
    if (!parsed) return null;
    switch (parsed.type) {
      case 'User': {
        const user = await loaders.user.load(parsed.id);
        return user && { ...user, __typename: 'User' };
      }
      case 'Post': {
        const post = await posts.byId(globalId);
        return post && { ...post, __typename: 'Post' };
      }
      case 'Comment': {
        const comment = await comments.byId(globalId);
        return comment && { ...comment, __typename: 'Comment' };
      }
      case 'Conversation': {
        const conversation = await chat.byId(globalId);
        return conversation && { ...conversation, __typename: 'Conversation' };
      }
      case 'Message': {
        const message = await chat.messageById(globalId);
        return message && { ...message, __typename: 'Message' };
      }
      case 'Notification': {
        const notification = await notifications.byId(globalId);
        return notification && { ...notification, __typename: 'Notification' };
      }
    }
  }
  return {
    node,
    nodes(ids: readonly string[]): Promise<(NodeValue | null)[]> {
      if (ids.length > MAX_NODES) throw new ValidationError([{ field: 'ids', message: `At most ${MAX_NODES} ids` }]);
      return Promise.all(ids.map(node));
    },
  };
}
