import { createAccountService } from './accounts.ts';
import { createApiKeyService } from './api-keys.ts';
import { createAuditService } from './audit.ts';
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
    nodes: createNodeService(scope, posts, comments),
    pages: createPageService(scope),
    subscriptions: { events: <T>(topic: string) => scope.bus.subscribe<T>(topic) },
  };
}

export type Services = ReturnType<typeof createServices>;
