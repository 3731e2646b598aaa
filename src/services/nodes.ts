import type { Comment, Post, User } from '../db/generated/client.ts';
import { ValidationError } from '../lib/errors.ts';
import { parseGlobalId } from '../lib/global-id.ts';
import type { RequestScope } from './deps.ts';
import type { createCommentService } from './comments.ts';
import type { createPostService } from './posts.ts';

export type NodeValue = (User & { __typename: 'User' }) | (Post & { __typename: 'Post' }) | (Comment & { __typename: 'Comment' });

export const MAX_NODES = 100;

/** Relay object identification: a global id to the object, if the viewer may see it. */
export function createNodeService(
  scope: RequestScope,
  posts: ReturnType<typeof createPostService>,
  comments: ReturnType<typeof createCommentService>,
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
