import DataLoader from 'dataloader';
import { createAccountService } from './accounts.ts';
import { createApiKeyService } from './api-keys.ts';
import { createAuditService } from './audit.ts';
import { createChatService } from './chat.ts';
import { createLiveService } from './live.ts';
import { createNotificationService } from './notifications.ts';
import { createCommentService } from './comments.ts';
import type { RequestScope } from './deps.ts';
import { createNodeService } from './nodes.ts';
import { createPageService } from './pages.ts';
import { createModerationService } from './moderation.ts';
import { createPostService } from './posts.ts';
import { createSessionService } from './sessions.ts';
import { createSocialService } from './social.ts';
import { createUserService } from './users.ts';

/** The domain services of one request, sharing its viewer and loaders. */
export function createServices(scope: RequestScope) {
  const posts = createPostService(scope);
  const comments = createCommentService(scope, posts);
  const chat = createChatService(scope);
  const notifications = createNotificationService(scope);
  return {
    accounts: createAccountService(scope),
    sessions: createSessionService(scope),
    apiKeys: createApiKeyService(scope),
    moderation: createModerationService(scope),
    audit: createAuditService(scope),
    users: createUserService(scope),
    posts,
    comments,
    social: createSocialService(scope, posts),
    nodes: createNodeService(scope, posts, comments, chat, notifications),
    chat,
    notifications,
    live: createLiveService(scope, chat, posts),
    /** Per-request presence lookups, batched. */
    presence: new DataLoader(async (userIds: readonly string[]) => {
      const states = await scope.realtime.presence.get(userIds);
      return userIds.map((id) => states.get(id) ?? { userId: id, online: false, lastSeenAt: null });
    }),
    pages: createPageService(scope),
    subscriptions: { events: <T>(topic: string) => scope.bus.subscribe<T>(topic) },
  };
}

export type Services = ReturnType<typeof createServices>;
