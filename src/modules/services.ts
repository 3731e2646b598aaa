import { lazyFactory } from '../lib/lazy.ts';
import { createAccountService } from './accounts/service.ts';
import { createApiKeyService } from './sessions/api-key-service.ts';
import { createAuditService } from './audit/service.ts';
import { createChatService } from './chat/service.ts';
import { createChatStreams } from './chat/streams.ts';
import { createNotificationStream } from './notifications/stream.ts';
import { createPresenceService } from './presence/service.ts';
import { createPostStreams } from './posts/live.ts';
import { createNotificationService } from './notifications/service.ts';
import { createCommentService, type CommentService } from './posts/comment-service.ts';
import type { RequestScope } from './scope.ts';
import { createNodeService } from './nodes/service.ts';
import { createModerationService } from './moderation/service.ts';
import { createPostService, type PostService } from './posts/service.ts';
import { createSessionService, type SessionService } from './sessions/service.ts';
import { createSocialService } from './social/service.ts';
import { createUserService } from './accounts/user-service.ts';

/** The services other services are built from. */
interface SharedServices {
  sessions: SessionService;
  posts: PostService;
  comments: CommentService;
  chat: ReturnType<typeof createChatService>;
  notifications: ReturnType<typeof createNotificationService>;
  audit: ReturnType<typeof createAuditService>;
}

// Each service is built on first use (lib/lazy.ts): an operation needs one or
// two, and a subscription renews them for every event it delivers.
const makeServices = lazyFactory({
  accounts: (scope: RequestScope, self: SharedServices) => createAccountService(scope, { sessions: self.sessions }),
  sessions: (scope: RequestScope) => createSessionService(scope),
  apiKeys: (scope: RequestScope) => createApiKeyService(scope),
  moderation: (scope: RequestScope) => createModerationService(scope),
  audit: (scope: RequestScope) => createAuditService(scope),
  users: (scope: RequestScope) => createUserService(scope),
  posts: (scope: RequestScope) => createPostService(scope),
  comments: (scope: RequestScope, self: SharedServices) => createCommentService(scope, { posts: self.posts }),
  social: (scope: RequestScope, self: SharedServices) => createSocialService(scope, { posts: self.posts }),
  // The lazy services themselves, so a node(id) builds only the one service its type needs.
  nodes: (scope: RequestScope, self: SharedServices) => createNodeService(scope, self),
  chat: (scope: RequestScope) => createChatService(scope),
  notifications: (scope: RequestScope) => createNotificationService(scope),
  chatStreams: (scope: RequestScope, self: SharedServices) => createChatStreams(scope, self.chat),
  notificationStream: (scope: RequestScope) => createNotificationStream(scope),
  presence: (scope: RequestScope) => createPresenceService(scope),
  postStreams: (scope: RequestScope, self: SharedServices) => createPostStreams(scope, self.posts),
  subscriptions: (scope: RequestScope) => ({ events: <T>(topic: string) => scope.bus.subscribe<T>(topic) }),
});

/** The domain services of one request, sharing its viewer and loaders. */
export function createServices(scope: RequestScope) {
  return makeServices(scope);
}

export type Services = ReturnType<typeof createServices>;
