import type { ApiKey, Comment, Conversation, Message, Notification, Post, Session, User } from '../../db/generated/client.ts';
import { ValidationError } from '../../lib/errors.ts';
import { parseGlobalId, type NodeType } from '../../lib/global-id.ts';
import type { createChatService } from '../chat/service.ts';
import type { CommentService } from '../posts/comment-service.ts';
import { canSeeCredential } from '../sessions/policy.ts';
import type { AuditRecord, createAuditService } from '../audit/service.ts';
import type { RequestScope } from '../scope.ts';
import type { createNotificationService } from '../notifications/service.ts';
import type { PostService } from '../posts/service.ts';

type Typed<T, N extends NodeType> = T & { __typename: N };
export type NodeValue =
  | Typed<User, 'User'>
  | Typed<Post, 'Post'>
  | Typed<Comment, 'Comment'>
  | Typed<Session, 'Session'>
  | Typed<ApiKey, 'ApiKey'>
  | Typed<AuditRecord, 'AuditEvent'>
  | Typed<Conversation, 'Conversation'>
  | Typed<Message, 'Message'>
  | Typed<Notification, 'Notification'>;

const MAX_NODES = 100;

/**
 * Relay object identification: a global id to the object, if the viewer may
 * see it. Objects the viewer may not see are null, exactly like missing ones.
 */
interface NodeServiceDeps {
  posts: PostService;
  comments: CommentService;
  chat: ReturnType<typeof createChatService>;
  notifications: ReturnType<typeof createNotificationService>;
  audit: ReturnType<typeof createAuditService>;
}

/** `services` is read per lookup: a node(id) builds only the service of its type. */
export function createNodeService(scope: RequestScope, services: NodeServiceDeps) {
  const { loaders, db, viewer } = scope;
  const typed = <T, N extends NodeType>(value: T | null, __typename: N) => (value ? { ...value, __typename } : null);

  async function node(globalId: string): Promise<NodeValue | null> {
    const parsed = parseGlobalId(globalId);
    if (!parsed) return null;
    switch (parsed.type) {
      case 'User':
        return typed(await loaders.user.load(parsed.id), 'User');
      case 'Post':
        return typed(await services.posts.byId(globalId), 'Post');
      case 'Comment':
        return typed(await services.comments.byId(globalId), 'Comment');
      case 'Session': {
        const session = await db.session.findUnique({ where: { id: parsed.id } });
        return typed(session && canSeeCredential(viewer, session) ? session : null, 'Session');
      }
      case 'ApiKey': {
        const key = await db.apiKey.findUnique({ where: { id: parsed.id } });
        return typed(key && canSeeCredential(viewer, key) ? key : null, 'ApiKey');
      }
      case 'AuditEvent':
        return typed(await services.audit.byId(parsed.id), 'AuditEvent');
      case 'Conversation':
        return typed(await services.chat.byId(globalId), 'Conversation');
      case 'Message':
        return typed(await services.chat.messageById(globalId), 'Message');
      case 'Notification':
        return typed(await services.notifications.byId(globalId), 'Notification');
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
