import DataLoader from 'dataloader';
import { lazyObject } from '../lib/lazy.ts';
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

/**
 * The domain services of one request, sharing its viewer and loaders. Each is
 * built on first use: an operation needs one or two, and a subscription
 * renews them for every event it delivers.
 */
export function createServices(scope: RequestScope) {
  // Services other services depend on.
  const shared = lazyObject({
    posts: () => createPostService(scope),
    chat: () => createChatService(scope),
    notifications: () => createNotificationService(scope),
  });
  const comments = lazyObject({ comments: () => createCommentService(scope, shared.posts) });
  return lazyObject({
    accounts: () => createAccountService(scope),
    sessions: () => createSessionService(scope),
    apiKeys: () => createApiKeyService(scope),
    moderation: () => createModerationService(scope),
    audit: () => createAuditService(scope),
    users: () => createUserService(scope),
    posts: () => shared.posts,
    comments: () => comments.comments,
    social: () => createSocialService(scope, shared.posts),
    nodes: () => createNodeService(scope, shared.posts, comments.comments, shared.chat, shared.notifications),
    chat: () => shared.chat,
    notifications: () => shared.notifications,
    live: () => createLiveService(scope, shared.chat, shared.posts),
    /** Per-request presence lookups, batched. */
    presence: () =>
      new DataLoader(async (userIds: readonly string[]) => {
        const states = await scope.realtime.presence.get(userIds);
        return userIds.map((id) => states.get(id) ?? { userId: id, online: false, lastSeenAt: null });
      }),
    pages: () => createPageService(scope),
    subscriptions: () => ({ events: <T>(topic: string) => scope.bus.subscribe<T>(topic) }),
  });
}

export type Services = ReturnType<typeof createServices>;
