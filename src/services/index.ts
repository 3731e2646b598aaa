import type { EventBus } from '../realtime/event-bus.ts';
import { createAccountService } from './accounts.ts';
import { createCommentService } from './comments.ts';
import type { RequestScope } from './deps.ts';
import { createNodeService } from './nodes.ts';
import { createPageService } from './pages.ts';
import { createPostService } from './posts.ts';
import { createSocialService } from './social.ts';
import { createUserService } from './users.ts';

/**
 * The domain services of one request, sharing its viewer and loaders. Each is
 * built on first use: an operation needs one or two, and a subscription
 * renews them for every event it delivers.
 */
export class Services {
  #accounts?: ReturnType<typeof createAccountService>;
  #users?: ReturnType<typeof createUserService>;
  #posts?: ReturnType<typeof createPostService>;
  #comments?: ReturnType<typeof createCommentService>;
  #social?: ReturnType<typeof createSocialService>;
  #nodes?: ReturnType<typeof createNodeService>;
  #pages?: ReturnType<typeof createPageService>;
  #subscriptions?: { events: <T>(topic: string) => AsyncIterableIterator<T> };

  constructor(private readonly scope: RequestScope) {}

  get accounts() {
    return (this.#accounts ??= createAccountService(this.scope));
  }
  get users() {
    return (this.#users ??= createUserService(this.scope));
  }
  get posts() {
    return (this.#posts ??= createPostService(this.scope));
  }
  get comments() {
    return (this.#comments ??= createCommentService(this.scope, this.posts));
  }
  get social() {
    return (this.#social ??= createSocialService(this.scope, this.posts));
  }
  get nodes() {
    return (this.#nodes ??= createNodeService(this.scope, this.posts, this.comments));
  }
  get pages() {
    return (this.#pages ??= createPageService(this.scope));
  }
  get subscriptions() {
    const bus: EventBus = this.scope.bus;
    return (this.#subscriptions ??= { events: <T>(topic: string) => bus.subscribe<T>(topic) });
  }
}

export function createServices(scope: RequestScope): Services {
  return new Services(scope);
}
