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
import { createCommentService } from './posts/comment-service.ts';
import type { RequestScope } from './scope.ts';
import { createNodeService } from './nodes/service.ts';
import { createPageService } from './posts/nested-pages.ts';
import { createModerationService } from './moderation/service.ts';
import { createPostService } from './posts/service.ts';
import { createSessionService } from './sessions/service.ts';
import { createSocialService } from './social/service.ts';
import { createUserService } from './accounts/user-service.ts';

/** The services other services are built from. */
interface SharedServices {
  posts: ReturnType<typeof createPostService>;
  comments: ReturnType<typeof createCommentService>;
  chat: ReturnType<typeof createChatService>;
  notifications: ReturnType<typeof createNotificationService>;
}

// Each service is built on first use (lib/lazy.ts): an operation needs one or
// two, and a subscription renews them for every event it delivers.
const makeServices = lazyFactory({
  accounts: (scope: RequestScope) => createAccountService(scope),
  sessions: (scope: RequestScope) => createSessionService(scope),
  apiKeys: (scope: RequestScope) => createApiKeyService(scope),
  moderation: (scope: RequestScope) => createModerationService(scope),
  audit: (scope: RequestScope) => createAuditService(scope),
  users: (scope: RequestScope) => createUserService(scope),
  posts: (scope: RequestScope) => createPostService(scope),
  comments: (scope: RequestScope, self: SharedServices) => createCommentService(scope, self.posts),
  social: (scope: RequestScope, self: SharedServices) => createSocialService(scope, self.posts),
  nodes: (scope: RequestScope, self: SharedServices) => createNodeService(scope, self.posts, self.comments, self.chat, self.notifications),
  chat: (scope: RequestScope) => createChatService(scope),
  notifications: (scope: RequestScope) => createNotificationService(scope),
  chatStreams: (scope: RequestScope, self: SharedServices) => createChatStreams(scope, self.chat),
  notificationStream: (scope: RequestScope) => createNotificationStream(scope),
  presence: (scope: RequestScope) => createPresenceService(scope),
  postStreams: (scope: RequestScope, self: SharedServices) => createPostStreams(scope, self.posts),
  pages: (scope: RequestScope) => createPageService(scope),
  subscriptions: (scope: RequestScope) => ({ events: <T>(topic: string) => scope.bus.subscribe<T>(topic) }),
});

/** The domain services of one request, sharing its viewer and loaders. */
export function createServices(scope: RequestScope) {
  return makeServices(scope);
}

export type Services = ReturnType<typeof createServices>;
